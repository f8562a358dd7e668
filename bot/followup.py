"""What happens to a warning after it is posted: resolution, claims, reminders. Pure functions
of (the open warnings, the accounts, now); bot/watch.py runs them each pass and the alerts cog
draws what they decide.

- A warning is *resolved* when what it warned about no longer holds: the expiry it was about
  moved (renewed through the bot, or seen later in useapi.net's list), the reason a person was
  needed cleared, a disappeared account came back, or the account is no longer tracked. A credit
  warning is resolved by the scheduler's credit step (bot.credits) when its figure is no longer
  below the threshold: a top-up, a quota window's reset, the threshold changed or switched off.
- A *claim* ("I'm on it") lasts `claim_timeout`; then it lapses and the message says so.
- A *reminder* answers an account's latest open warning when nothing was posted about it for
  the reminder interval, the warning is its last word (the last lead stage, "expired", or a
  reason a person is needed), and nobody has it claimed. Credit warnings are said once per
  crossing and never reminded about. Reminders are keyed like warnings
  (stage `remind:<n>`), so each is recorded once and posted with its own nonce.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.expiry import CREDIT_PREFIX, ERROR_PREFIX, EXPIRED, GONE, error_stage, stage_name
from bot.models import TrackedAccount, WarningKey

REMINDER_PREFIX = "remind:"
MAX_EDIT_ATTEMPTS = 3  # a state a message can't be redrawn with after this many tries is left


class How(enum.Enum):
    """How a warning was resolved; stored as the value."""

    RENEWED = "renewed"  # registered through the bot (`by` is the member)
    REFRESHED = "refreshed"  # a later expiry in useapi.net's list, no registration through the bot
    CLEARED = "cleared"  # the reason a person was needed no longer holds
    RETURNED = "returned"  # a disappeared account is listed again
    REMOVED = "removed"  # no longer tracked (`by` is the admin, when known)
    SUPERSEDED = "superseded"  # a different reason replaced this one
    # Credit warnings (bot.credits):
    TOPPED_UP = "topped_up"  # the figure rose back above its threshold
    RESET = "reset"  # the quota window or allowance refilled by itself at its reset time
    UNWATCHED = "unwatched"  # the threshold was switched off, or changed to below what is left


@dataclass(frozen=True)
class Resolution:
    how: How
    by: int | None = None


@dataclass(frozen=True)
class Claim:
    by: int
    at: datetime
    took_over_from: int | None = None


@dataclass(frozen=True)
class LapsedClaim:
    by: int
    at: datetime


@dataclass(frozen=True)
class PostedWarning:
    """A row of `alert_warnings` with a message (warnings only; reminders are not listed)."""

    key: WarningKey
    message_id: int
    channel_id: int | None
    recorded_at: datetime
    embed: str | None  # the embed as posted, JSON
    claim: Claim | None = None
    lapsed: LapsedClaim | None = None
    resolved_at: datetime | None = None
    resolution: Resolution | None = None
    edit_attempts: int = 0  # failed edits of the current state version
    # Every change the message must show adds one to `state_version`; `drawn_version` is the one
    # the message shows (migration 010). Behind: the message is redrawn (bot/redraw.py).
    state_version: int = 0
    drawn_version: int = 0
    redraw_given_up: bool = False  # the message was deleted, or refused MAX_EDIT_ATTEMPTS edits

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def drawn(self) -> bool:
        """The message shows the state stored."""
        return self.drawn_version >= self.state_version


@dataclass(frozen=True)
class OpenWarnings:
    """What a follow-through reads (`Store.open_warnings`): the open warnings with a message
    (their `embed` left out: only an edit needs it, and reads it then), the tracked ones of
    their accounts, and the reminders posted about each warning's expiry."""

    warnings: list[PostedWarning]
    accounts: dict[tuple[str, str], TrackedAccount]
    # (service, account, epoch): how many reminders were posted, and the last one's time
    reminders: dict[tuple[str, str, int], tuple[int, datetime]]


def is_reminder(stage: str) -> bool:
    return stage.startswith(REMINDER_PREFIX)


def reminder_stage(number: int) -> str:
    return f"{REMINDER_PREFIX}{number}"


def _epoch(value: datetime | None) -> int:
    return int(value.timestamp()) if value else 0


def _renewal(warning: PostedWarning, acc: TrackedAccount) -> Resolution:
    if acc.registered_at is not None and acc.registered_at >= warning.recorded_at and acc.registered_by:
        return Resolution(How.RENEWED, acc.registered_by)
    return Resolution(How.REFRESHED)


def resolution_for(warning: PostedWarning, acc: TrackedAccount | None) -> Resolution | None:
    """Why `warning` no longer holds, given its account as stored now; None: still open."""
    if acc is None:
        return Resolution(How.REMOVED)
    stage = warning.key.stage
    if stage == GONE:
        return Resolution(How.RETURNED) if acc.gone_at is None else None
    if acc.gone_at is not None:
        return None  # the "gone" warning speaks for the account now; the rest waits for its return
    if stage.startswith(CREDIT_PREFIX):
        return None  # the credit step resolves it, with the figure in hand (bot.credits)
    if stage.startswith(ERROR_PREFIX):
        if not acc.last_error:
            renewed = acc.registered_at is not None and acc.registered_at >= warning.recorded_at
            return _renewal(warning, acc) if renewed else Resolution(How.CLEARED)
        if error_stage(acc.last_error) != stage:
            return Resolution(How.SUPERSEDED)
        return None
    if warning.key.epoch != _epoch(acc.expires_at):
        return _renewal(warning, acc)
    return None


def resolutions(
    warnings: Iterable[PostedWarning], accounts: Mapping[tuple[str, str], TrackedAccount]
) -> list[tuple[PostedWarning, Resolution]]:
    """The open warnings that no longer hold, each with why. Warnings about the team's useapi.net
    account (`WarningKey.is_team`) are about no tracked account: the team-account watch
    (bot/team_watch.py) resolves them, never as "removed"."""
    out = []
    for warning in warnings:
        if not warning.is_open or warning.key.is_team:
            continue
        found = resolution_for(warning, accounts.get((warning.key.service, warning.key.account)))
        if found is not None:
            out.append((warning, found))
    return out


def lapsed_claims(
    warnings: Iterable[PostedWarning], now: datetime, timeout: timedelta
) -> list[PostedWarning]:
    """Open warnings whose claim is older than `timeout`."""
    return [w for w in warnings if w.is_open and w.claim is not None and now - w.claim.at >= timeout]


@dataclass(frozen=True)
class Reminder:
    key: WarningKey  # stage `remind:<n>`
    about: PostedWarning  # the warning it answers
    account: TrackedAccount
    quiet_since: datetime  # nothing was posted about the account since


def reminders_due(
    warnings: Sequence[PostedWarning],
    accounts: Mapping[tuple[str, str], TrackedAccount],
    reminders: Mapping[tuple[str, str, int], tuple[int, datetime]],
    intervals: Mapping[str, timedelta | None],
    stages: Mapping[str, Sequence[timedelta]],
    now: datetime,
) -> list[Reminder]:
    """The reminders due now, one per account at most.

    `reminders` maps (service, account, epoch) to (how many were sent, when the last was);
    `intervals` maps each switched-on service to its interval (None: reminders off). An account
    of a service not in `intervals` (switched off), gone, or with its latest warning claimed gets
    none.
    """
    latest: dict[tuple[str, str], PostedWarning] = {}
    for warning in warnings:
        if not warning.is_open or warning.key.stage.startswith(CREDIT_PREFIX):
            continue
        where = (warning.key.service, warning.key.account)
        if where not in latest or warning.recorded_at > latest[where].recorded_at:
            latest[where] = warning
    due = []
    for where, warning in sorted(latest.items()):
        interval = intervals.get(where[0])
        acc = accounts.get(where)
        if not interval or acc is None or acc.gone_at is not None or warning.claim is not None:
            continue
        if not _is_last_word(warning.key.stage, stages.get(where[0], ())):
            continue
        count, last_at = reminders.get((*where, warning.key.epoch), (0, None))
        quiet_since = max(
            t for t in (warning.recorded_at, last_at, warning.lapsed.at if warning.lapsed else None) if t
        )
        if now - quiet_since >= interval:
            key = WarningKey(where[0], where[1], warning.key.epoch, reminder_stage(count + 1))
            due.append(Reminder(key, warning, acc, quiet_since))
    return due


def _is_last_word(stage: str, lead_times: Sequence[timedelta]) -> bool:
    """After this warning no other falls due by itself: expired, a reason, the last lead stage."""
    if stage == EXPIRED or stage.startswith(ERROR_PREFIX):
        return True
    return bool(lead_times) and stage == stage_name(min(lead_times))
