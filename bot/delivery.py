"""Delivering to the alert channel, as the scheduler sees it: the senders it is handed, what
posting gave, and the one error a failed delivery becomes.

The scheduler (bot/watch.py) decides what to post and keeps the books; the alerts cog posts
(cogs/_alert_channel.py turns every Discord answer into a `DeliveryError`). Both import this
module, so the cogs need not import the scheduler for one exception.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NamedTuple

from bot.escalation import Escalation
from bot.expiry import Alert
from bot.followup import PostedWarning, Reminder
from bot.sync import Notice, SyncState


class Posted(NamedTuple):
    """What posting a warning gave: the message, where, and its embed (JSON) for later edits."""

    message_id: int
    channel_id: int | None = None
    embed: str | None = None


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
        refused: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.channel_wide = channel_wide  # later posts this pass would fail the same way
        self.message_gone = message_gone  # the message (or its channel) no longer exists
        self.unconfigured = unconfigured  # no alert channel is set at all
        # The channel itself refused: "deleted" (404) or "forbidden" (403); a service's own
        # channel then falls back to the team's (bot/routing.py).
        self.refused = refused


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
