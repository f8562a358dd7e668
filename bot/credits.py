"""Credit and quota thresholds (`/alerts credits`): what an admin may type, how it is stored, and
when an account's figure crosses one. Pure: the alerts commands parse with it, the scheduler's
credit step (bot/watch.py) judges with it, and bot/tables/credits.py applies what it decided.

What an admin types, after the service (one or more entries, separated by commas or semicolons;
a comma inside a number groups thousands):
- `100`: warn when the service's main figure (its first `CreditFigure`: "credits" for most)
  falls below 100, in the figure's own unit (credits, points, seconds, %); `1,000`, `2.5` and a
  trailing unit (`100 credits`, `3600 seconds`) are read too;
- `10%`: below 10 % of the allowance it counts down from, where the service gives one;
- `<figure> <number or percent>`: a named figure, for services with several: `5h 10%`,
  `weekly 20%`, `video 600`, `daily 50`; `5h=10%` reads the same;
- `<figure> off`: that figure's threshold off; `off` alone: every threshold of the service off.
A number is a threshold only above 0; a percent from above 0 up to 100. Entries not named keep
their threshold. Anything else is refused with a sentence, and nothing changes.

When a figure is *below* its threshold: what is left is known, the threshold can be measured
against it (a percent needs the allowance), and it has not refilled since it was read (a figure
whose `resets_at` has passed is an old reading of a window that refilled by itself). Each
crossing is warned about once: the warning's epoch is when the crossing was seen, so the next
crossing (after a top-up or a reset) is a new warning with a new identity (and Discord nonce).
A figure no longer below its threshold re-arms, and its open warning is resolved: topped up
(what is left rose), reset (its window refilled at `resets_at`), or unwatched (the threshold
went off, or moved below what is left).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from bot.expiry import CREDIT_PREFIX
from bot.followup import How
from bot.models import StoredCredit
from bot.useapi.base import CreditFigure, CreditSource, UseapiService

__all__ = [
    "CREDIT_PREFIX",
    "Cleared",
    "CreditChanges",
    "Threshold",
    "ThresholdEdit",
    "ThresholdError",
    "amount_text",
    "apply_edit",
    "decode_thresholds",
    "describe_figures",
    "encode_thresholds",
    "is_low",
    "judge_credits",
    "parse_edit",
    "where_figures_come_from",
]

MAX_AMOUNT = 1e12  # no service counts past this; a longer number is a typo
MAX_INPUT = 200
OFF_WORDS = frozenset({"off", "none"})
# Entries are separated by ";" or ",", except a comma grouping thousands ("1,000").
_ENTRY_SEPARATOR = re.compile(r";|(?<!\d),|,(?!\d{3}(?!\d))")
_AMOUNT = re.compile(r"(?P<num>(?:\d{1,3}(?:[,_]\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?P<pct>%)?")


class ThresholdError(ValueError):
    """What was typed is not a threshold; the message says what was wrong and what works. What
    the admin typed appears in it only as a short code span (`_shown`), safe to post as is."""


def _shown(typed: str) -> str:
    """A piece of what was typed, quoted for a sentence: a code span that can't be broken out of
    (no backticks), printable characters only, at most 30 of them."""
    cleaned = "".join(ch for ch in typed if ch.isprintable() and ch != "`")[:30]
    return f"`{cleaned}`" if cleaned.strip() else "that"


@dataclass(frozen=True)
class Threshold:
    """Warn when the figure `key` falls below `amount` (its own unit), or `amount` % of its
    allowance when `percent`."""

    key: str
    amount: float
    percent: bool = False

    def bound(self, allowance: float | None) -> float | None:
        """The threshold in the figure's unit; None when a percent has no allowance to apply to."""
        if not self.percent:
            return self.amount
        return None if allowance is None else self.amount * allowance / 100.0

    def text(self, unit: str | None = None) -> str:
        """As stored ("10%", "100"), or for people with the unit ("100 credits")."""
        if self.percent:
            return f"{_plain(self.amount)}%"
        if unit is None:
            return _plain(self.amount)
        return amount_text(self.amount, unit)


@dataclass(frozen=True)
class ThresholdEdit:
    """What one `/alerts credits` changes: per figure key a new threshold, or None for off."""

    changes: dict[str, Threshold | None] = field(default_factory=dict)
    clear_all: bool = False


# -- numbers for people -------------------------------------------------------------------------


def _plain(value: float) -> str:
    """A number as typed back: no thousands separators, no trailing zeros."""
    return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def amount_text(value: float, unit: str) -> str:
    """A figure in its own unit, for people: "1,250 credits", "88%", "9,400 seconds"."""
    number = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{number}%" if unit == "%" else f"{number} {unit}"


# -- what an admin types ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Known:
    key: str
    label: str
    unit: str | None  # None: only seen stored, unit as stored (any)
    has_limit: bool


def _known_figures(figures: Sequence[CreditFigure], stored: Mapping[str, bool]) -> dict[str, _Known]:
    """The figures a threshold may name: the service's own, then any other key stored for it
    (a quota window or allowance the service module did not name), by lower-cased key."""
    known = {f.key.lower(): _Known(f.key, f.label, f.unit, f.has_limit) for f in figures}
    for key, has_limit in stored.items():
        if key.lower() not in known:
            known[key.lower()] = _Known(key, key, None, has_limit)
        elif has_limit:
            old = known[key.lower()]
            known[key.lower()] = _Known(old.key, old.label, old.unit, True)
    return known


def describe_figures(figures: Sequence[CreditFigure], stored: Mapping[str, bool] | None = None) -> str:
    """The figures a service reports, for a sentence: "`5h` (5-hour window, %), `weekly` …"."""
    known = _known_figures(figures, stored or {})
    said = []
    for k in known.values():
        unit = k.unit or "its own unit"
        said.append(f"`{k.key}` ({k.label})" if k.label == unit else f"`{k.key}` ({k.label}, {unit})")
    return ", ".join(said)


def _example(figure: _Known) -> str:
    return "10%" if figure.has_limit else "100"


def _unit_words(unit: str) -> set[str]:
    word = unit.lower()
    return {word, word.rstrip("s"), word + "s"} if word != "%" else {"%", "percent"}


def _amount(raw: str, rest: Sequence[str], figure: _Known, service: str) -> Threshold:
    match = _AMOUNT.fullmatch(raw)
    if match is None:
        raise ThresholdError(
            f"{_shown(raw)} is not a number. Give one such as `100`, `1,000` or `10%` "
            f"(for {figure.label}: `{figure.key} {_example(figure)}`)."
        )
    value = float(match.group("num").replace(",", "").replace("_", ""))
    percent = match.group("pct") is not None
    if rest:
        if len(rest) > 1 or figure.unit is None or rest[0] not in _unit_words(figure.unit) or percent:
            unit = f"in {figure.unit}" if figure.unit else "in its own unit"
            raise ThresholdError(
                f"{_shown(' '.join(rest))} after the number is not understood: {service}'s "
                f"{figure.label} counts {unit}. Write the number alone, for example `{figure.key} 100`."
            )
    if not math.isfinite(value) or value > MAX_AMOUNT:
        raise ThresholdError(f"{_shown(raw)} is too large for a threshold.")
    if 0 < value < 0.0001:
        raise ThresholdError(f"{_shown(raw)} is too small for a threshold: the smallest is 0.0001.")
    value = round(value, 4)  # what is stored (four decimals) reads back as what was set
    if value <= 0:
        raise ThresholdError(
            "A threshold of 0 never warns (nothing falls below 0): give a positive number, "
            f"or `{figure.key} off` to switch it off."
        )
    if percent and value > 100:
        raise ThresholdError(f"{_shown(raw)} is more than 100%: give a percent from 1 to 100.")
    if percent and not figure.has_limit:
        unit = figure.unit or "its own unit"
        raise ThresholdError(
            f"{service} gives no allowance for {figure.label}, so a percent of it can't be worked "
            f"out: give a number in {unit}, for example `{figure.key} 100`."
        )
    return Threshold(figure.key, value, percent)


def parse_edit(
    text: str,
    *,
    service: str,
    figures: Sequence[CreditFigure],
    stored: Mapping[str, bool] | None = None,
) -> ThresholdEdit:
    """Read what an admin typed after `/alerts credits <service>` (the grammar: the module
    docstring). `service` is its label, `figures` its `credit_figures`, `stored` the keys stored
    for it (with whether an allowance was seen). Raises ThresholdError with a sentence."""
    known = _known_figures(figures, stored or {})
    if not known:
        raise ThresholdError(
            f"{service} reports no credit figure the bot reads, so there is nothing to watch."
        )
    main = next(iter(known.values()))
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ThresholdError(
            f"Give a threshold: a number (`100`), a percent (`10%`), a figure and a threshold "
            f"(`{main.key} {_example(main)}`), or `off`."
        )
    if len(cleaned) > MAX_INPUT:
        raise ThresholdError(f"That is {len(cleaned)} characters; a threshold is a few words, such as `100`.")
    lowered = re.sub(r"\s*%", "%", re.sub(r"[=:]", " ", cleaned.lower()))
    entries = [entry.split() for entry in _ENTRY_SEPARATOR.split(lowered)]
    if any(not entry for entry in entries):
        raise ThresholdError(
            "There is an empty entry between commas: write one threshold per entry, such as `5h 10%, weekly 20%`."
        )
    if len(entries) == 1 and entries[0] in (["off"], ["none"]):
        return ThresholdEdit(clear_all=True)
    changes: dict[str, Threshold | None] = {}
    for tokens in entries:
        if len(tokens) > 3:
            raise ThresholdError(
                f"{_shown(' '.join(tokens))} has too many words: write a figure and a threshold, such "
                f"as `{main.key} {_example(main)}`, and separate several with commas."
            )
        if _AMOUNT.fullmatch(tokens[0]):
            figure, rest = main, tokens
        elif tokens[0] in OFF_WORDS:
            raise ThresholdError(
                "`off` alone switches every threshold of the service off; to switch one figure off "
                f"write it first, such as `{main.key} off`."
            )
        else:
            found = known.get(tokens[0])
            if found is None:
                raise ThresholdError(
                    f"{service} has no figure called {_shown(tokens[0])}. Its figures: "
                    f"{describe_figures(figures, stored)}. For example `{main.key} {_example(main)}`."
                )
            figure, rest = found, tokens[1:]
        if not rest:
            raise ThresholdError(
                f"`{figure.key}` needs a threshold after it: for example `{figure.key} {_example(figure)}`, "
                f"or `{figure.key} off`."
            )
        if figure.key in changes:
            raise ThresholdError(f"`{figure.key}` is named twice: give each figure one threshold.")
        if rest[0] in OFF_WORDS:
            if len(rest) > 1:
                raise ThresholdError(f"After `{figure.key} off` nothing more is needed.")
            changes[figure.key] = None
            continue
        changes[figure.key] = _amount(rest[0], rest[1:], figure, service)
    return ThresholdEdit(changes)


def apply_edit(current: Mapping[str, Threshold], edit: ThresholdEdit) -> dict[str, Threshold]:
    """The thresholds after `edit`: named figures changed (or off), the others kept."""
    if edit.clear_all:
        return {}
    out = dict(current)
    for key, threshold in edit.changes.items():
        if threshold is None:
            out.pop(key, None)
        else:
            out[key] = threshold
    return out


def encode_thresholds(thresholds: Mapping[str, Threshold]) -> str | None:
    """The stored text ("credits 100, 5h 10%"); None for none (the setting is removed)."""
    if not thresholds:
        return None
    return ", ".join(f"{t.key} {t.text()}" for t in thresholds.values())


def decode_thresholds(raw: str | None) -> dict[str, Threshold]:
    """The stored text read back; an entry that can't be read is left out (never an error: the
    admin's command wrote it, checked)."""
    out: dict[str, Threshold] = {}
    for entry in (raw or "").split(","):
        parts = entry.split()
        if len(parts) != 2:
            continue
        match = _AMOUNT.fullmatch(parts[1])
        if match is None:
            continue
        value = float(match.group("num").replace(",", "").replace("_", ""))
        if math.isfinite(value) and 0 < value <= MAX_AMOUNT:
            out[parts[0]] = Threshold(parts[0], value, match.group("pct") is not None)
    return out


def where_figures_come_from(service: type[UseapiService]) -> str:
    """Where a service's figures come from and how fresh they are, for `/alerts credits`."""
    match service.credit_source:
        case CreditSource.LIST:
            return "read from useapi.net's account list at every sync (SYNC_INTERVAL)"
        case CreditSource.DETAILS:
            return "read with each account's live details, every few hours (and before a stage warning)"
        case CreditSource.REGISTRATION:
            return (
                "carried only by registration answers: each account's figures are as of its last "
                "registration through the bot"
            )
        case _:
            return service.credit_note or f"{service.label} reports no credit figure the bot reads"


# -- crossings ----------------------------------------------------------------------------------


def is_low(figure: StoredCredit, threshold: Threshold | None, now: datetime) -> bool:
    """Whether the stored figure is below its threshold now (see the module docstring)."""
    if threshold is None or figure.remaining is None:
        return False
    if figure.resets_at is not None and figure.resets_at <= now:
        return False  # read before its window refilled: no longer what is left
    bound = threshold.bound(figure.allowance)
    return bound is not None and figure.remaining < bound


class Cleared(NamedTuple):
    """A figure no longer below its threshold: its crossing ends, its warning is resolved `how`."""

    figure: StoredCredit
    how: How


@dataclass(frozen=True)
class CreditChanges:
    """What one credit step decided (`judge_credits`)."""

    at: int  # Unix seconds: the epoch of every crossing seen now
    crossed: tuple[StoredCredit, ...] = ()  # newly below their threshold
    cleared: tuple[Cleared, ...] = ()  # no longer below
    # The figures below their threshold whose warning is not recorded yet (with `low_since`).
    due: tuple[StoredCredit, ...] = ()
    next_reset: datetime | None = None  # the soonest reset of a figure still below: resolve then


def _how(figure: StoredCredit, threshold: Threshold | None, now: datetime) -> How:
    if threshold is None:
        return How.UNWATCHED
    if figure.resets_at is not None and figure.resets_at <= now:
        return How.RESET
    if (
        figure.remaining is not None
        and figure.low_remaining is not None
        and figure.remaining > figure.low_remaining
    ):
        return How.TOPPED_UP
    return How.UNWATCHED  # what is left did not rise: the threshold moved below it


def judge_credits(
    figures: Iterable[StoredCredit],
    thresholds: Mapping[str, Mapping[str, Threshold]],
    now: datetime,
) -> CreditChanges:
    """Which figures crossed their threshold now, which no longer are below it (and how it
    ended), and which crossings still need their warning. `thresholds` maps a service to its
    thresholds by figure key; a figure of a service or key without one is not watched."""
    at = int(now.timestamp())
    crossed: list[StoredCredit] = []
    cleared: list[Cleared] = []
    due: list[StoredCredit] = []
    next_reset: datetime | None = None
    for figure in figures:
        threshold = thresholds.get(figure.service, {}).get(figure.key)
        low = is_low(figure, threshold, now)
        if low and figure.low_since is None:
            crossed.append(figure)
            due.append(figure._replace(low_since=at, low_remaining=figure.remaining, recorded=False))
        elif low:
            if not figure.recorded:
                due.append(figure)
        elif figure.low_since is not None:
            cleared.append(Cleared(figure, _how(figure, threshold, now)))
        if low and figure.resets_at is not None:
            next_reset = figure.resets_at if next_reset is None else min(next_reset, figure.resets_at)
    return CreditChanges(at, tuple(crossed), tuple(cleared), tuple(due), next_reset)
