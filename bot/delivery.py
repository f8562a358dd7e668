"""Delivering to the alert channel, as the scheduler sees it: the senders it is handed, what
posting gave, and the one error a failed delivery becomes.

The scheduler (bot/watch.py) decides what to post and keeps the books; the alerts cog posts
(cogs/_alert_channel.py turns every Discord answer into a `DeliveryError`). Both import this
module, so the cogs need not import the scheduler for one exception. Whether posting can work
at all is bot/deliverability.py's `Deliverability`, which the scheduler asks before it reads
anything for a warning.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import NamedTuple, Protocol

from bot.escalation import Escalation
from bot.expiry import Alert
from bot.followup import PostedWarning, Reminder
from bot.sync import Notice, SyncState


class Posted(NamedTuple):
    """What posting a warning gave: the message, where, and its embed (JSON) for later edits."""

    message_id: int
    channel_id: int | None = None
    embed: str | None = None


NO_CHANNEL = "no alert channel is set (use /alerts channel or ALERT_CHANNEL_ID)"


class Problem(enum.StrEnum):
    """What kind of failure a `DeliveryError` is (a metric label, and what the gate learns)."""

    UNCONFIGURED = "unconfigured"  # no alert channel is set
    FORBIDDEN = "forbidden"  # 403: the bot lacks a permission in the channel
    CHANNEL_GONE = "channel_gone"  # 404: the channel was deleted
    UNREACHABLE = "unreachable"  # no answer from Discord (network, DNS, timeout)
    MESSAGE_GONE = "message_gone"  # the message to edit was deleted (that message only)
    REFUSED = "refused"  # any other answer from Discord (that message only)


class DeliveryError(Exception):
    """Posting to (or editing in) the alert channel failed; the message says why, for people
    and the log. The one error every Discord answer about the alert channel becomes."""

    def __init__(
        self,
        reason: str,
        *,
        channel_wide: bool,
        message_gone: bool = False,
        unconfigured: bool = False,
        problem: Problem | None = None,
    ) -> None:
        super().__init__(reason)
        self.channel_wide = channel_wide  # later posts this pass would fail the same way
        self.message_gone = message_gone  # the message (or its channel) no longer exists
        self.unconfigured = unconfigured  # no alert channel is set at all
        if problem is None:
            if unconfigured:
                problem = Problem.UNCONFIGURED
            elif message_gone and not channel_wide:
                problem = Problem.MESSAGE_GONE
            else:
                problem = Problem.REFUSED
        self.problem = problem

    @property
    def forbidden(self) -> bool:
        """Discord refused the bot (403): a permission, not an outage."""
        return self.problem is Problem.FORBIDDEN

    @property
    def refused(self) -> str | None:
        """The channel itself refused: "deleted" (404) or "forbidden" (403); a service's own
        channel then falls back to the team's (bot/routing.py)."""
        if self.problem is Problem.CHANNEL_GONE:
            return "deleted"
        if self.problem is Problem.FORBIDDEN:
            return "forbidden"
        return None

    @property
    def channel_gone(self) -> bool:
        """The channel itself no longer exists (404)."""
        return self.problem is Problem.CHANNEL_GONE


class DeliveryCheck(Protocol):
    """Why no warning (of `service`, or any) can be posted now, or None when one can.

    The scheduler asks before it reads anything for a warning (bot/deliverability.py answers)."""

    async def __call__(self, service: str | None = None) -> str | None: ...


async def always_deliverable(service: str | None = None) -> str | None:
    """The check of a scheduler with no gate (tests that post through plain functions)."""
    return None


# Posts one warning; the flag is False when upstream could not be re-read just before. Returns
# the message (or its id), raises DeliveryError.
WarningSender = Callable[[Alert, bool], Awaitable[Posted | int | None]]
# Tells the channel that a service's sync is failing, or works again; raises DeliveryError.
NoticeSender = Callable[[str, Notice, SyncState], Awaitable[None]]
# Redraws a warning's message as it stands (claimed, lapsed, resolved); raises DeliveryError.
WarningEditor = Callable[[PostedWarning], Awaitable[None]]
# Posts a reminder as a reply to its warning; raises DeliveryError.
ReminderSender = Callable[[Reminder], Awaitable[Posted]]
# Posts an escalation as a reply to its warning, pinging the escalation role; raises DeliveryError.
EscalationSender = Callable[[Escalation], Awaitable[Posted]]
