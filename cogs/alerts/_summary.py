"""What the status board (_board.py) and the weekly digest (_digest.py) share: Discord's limits
on a components-v2 message, the lines both show, and sections that share the text budget.

A components-v2 message (discord.py's `LayoutView`) holds at most 40 components, counted at
every depth, and at most 4000 characters of text displays together. The board and the digest use
a fixed handful of components (one text display per section, whatever the number of services or
accounts), so only the text can grow: `share` fits each section's lines into the budget, the
longest ones losing lines first, and says how many it left out ("…and 12 more").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from discord.utils import format_dt

from bot.followup import PostedWarning
from cogs._format import label, safe
from cogs.alerts._embeds import _stage_of

MAX_COMPONENTS = 40  # Discord: components in a v2 message, at every depth
MAX_TEXT = 4000  # Discord: characters of every text display of a message together
ACCOUNT_CHARS = 60  # an account name as shown (escaped afterwards, so it may grow)


@dataclass(frozen=True)
class Section:
    """A heading, its lines, what it says with no line, and how it names the lines left out."""

    heading: str
    lines: Sequence[str]
    empty: str
    more: str = "…and {n} more"

    def text(self, shown: int | None = None) -> str:
        if not self.lines:
            return f"{self.heading}\n{self.empty}"
        count = len(self.lines) if shown is None else shown
        body = list(self.lines[:count])
        if count < len(self.lines):
            body.append(self.more.format(n=len(self.lines) - count))
        return "\n".join([self.heading, *body])

    def fit(self, budget: int) -> str:
        """As many lines as fit in `budget` characters (at least the heading and the count)."""
        if len(full := self.text()) <= budget:
            return full
        low, high = 0, len(self.lines) - 1  # the most lines that fit, by bisection
        while low < high:
            middle = (low + high + 1) // 2
            if len(self.text(middle)) <= budget:
                low = middle
            else:
                high = middle - 1
        return self.text(low)


def share(budget: int, sections: Sequence[Section]) -> list[str]:
    """Each section's text, together within `budget` characters (when their headings fit at
    all): short sections are shown whole, and what they leave is shared by the longer ones."""
    texts = [s.text() for s in sections]
    if sum(map(len, texts)) <= budget:
        return texts
    remaining = budget
    order = sorted(range(len(sections)), key=lambda i: len(texts[i]))
    for position, index in enumerate(order):
        texts[index] = sections[index].fit(remaining // (len(order) - position))
        remaining -= len(texts[index])
    return texts


def account_text(service: str, account: str) -> str:
    return f"{label(service)} · {safe(account, ACCOUNT_CHARS)}"


def moment(at: datetime) -> str:
    """An absolute and a relative Discord timestamp, compact."""
    return f"{format_dt(at, 'f')} ({format_dt(at, 'R')})"


def warning_line(warning: PostedWarning) -> str:
    """One open warning: the account, what it is about, since when, and who is on it."""
    stage = warning.key.stage
    urgent = stage in ("expired", "gone") or stage.startswith("error:")
    who = (
        f"🙋 <@{warning.claim.by}> since {format_dt(warning.claim.at, 'R')}"
        if warning.claim is not None
        else "nobody on it yet"
    )
    return (
        f"{'🚨' if urgent else '⚠️'} {account_text(warning.key.service, warning.key.account)} · "
        f"{_stage_of(stage)} · since {format_dt(warning.recorded_at, 'R')} · {who}"
    )
