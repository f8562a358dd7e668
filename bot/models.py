"""The domain's value types, shared by storage and logic: tracked accounts, warning keys, and
what the store hands back. No I/O here, so `bot.expiry` and `bot.store` both import it."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple


class FieldNote(NamedTuple):
    """A field of a useapi.net answer that was read as unknown, and why (bot/useapi/parsing.py):
    `problem` is IMPLAUSIBLE (a date, but year 1, 9999, a placeholder number) or UNREADABLE
    (not the documented shape). `field` is the name the service reads, never its value."""

    field: str
    problem: str


IMPLAUSIBLE = "implausible"
UNREADABLE = "unreadable"

# The plausible instants: 2000-01-01 to 2200-01-01 UTC, in Unix seconds. Nothing a service's page
# shows falls outside; what does is a placeholder ("0001-01-01", "9999-12-31", 123456789), and
# any stage lead (at most ten years, bot.durations) can be subtracted from one without overflow.
PLAUSIBLE_FROM = 946_684_800
PLAUSIBLE_UNTIL = 7_258_118_400


def is_plausible(moment: datetime) -> bool:
    """True for an aware datetime in 2000-2200 (what the parsers let through; a database written
    by an older release may hold anything)."""
    try:
        return PLAUSIBLE_FROM <= moment.timestamp() <= PLAUSIBLE_UNTIL
    except (OverflowError, ValueError, OSError):
        return False


def notes_to_text(notes: Sequence[FieldNote]) -> str | None:
    """The `unreadable` column's value (migration 006): the notes as JSON, None for none."""
    return json.dumps([list(n) for n in notes]) if notes else None


@functools.lru_cache(maxsize=1024)
def notes_from_text(text: str | None) -> tuple[FieldNote, ...]:
    """The `unreadable` column read back; anything unreadable in it is no note."""
    if not text:
        return ()
    try:
        return tuple(FieldNote(str(f), str(p)) for f, p in json.loads(text))
    except (ValueError, TypeError):
        return ()


# Warnings about the team's useapi.net account as a whole (bot/team_account.py), not about one
# tracked account: stored beside account warnings under this service name and a stage with this
# prefix, so account follow-through (bot/followup.py) leaves them to the team-account watch.
TEAM_SERVICE = "useapi.net"
TEAM_STAGE_PREFIX = "team:"


class WarningKey(NamedTuple):
    """What one warning is about; equal to the plain tuple the store keeps."""

    service: str
    account: str
    epoch: int  # the expiry (or the disappearance) in Unix seconds
    stage: str  # "3d", "24h", "6h", "expired", "error:<hash>", "gone", "team:<kind>"

    @property
    def is_team(self) -> bool:
        """A warning about the team's useapi.net account, not about one tracked account."""
        return self.stage.startswith(TEAM_STAGE_PREFIX)

    @property
    def nonce(self) -> str:
        """The Discord message nonce of this warning (25 characters, Discord's most): posted
        again within Discord's dedup window (a crash after the post, before its record),
        Discord returns the first message instead of creating a second."""
        return self.nonce_after(None)

    def nonce_after(self, rearmed_after: int | None) -> str:
        """The nonce of this warning armed again after an earlier one with the same key was
        resolved at `rearmed_after` (Unix seconds): a reason that clears and comes back within
        Discord's dedup window is a new message, not the old, resolved one returned again.
        None: the first arming (`nonce`)."""
        parts = [self.service, self.account, str(self.epoch), self.stage]
        if rearmed_after is not None:
            parts.append(f"rearmed:{rearmed_after}")
        digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
        return "w" + base64.b32encode(digest).decode()[:24].lower()


@dataclass(frozen=True)
class TrackedAccount:
    service: str
    account: str
    expires_at: datetime | None
    refresh_expires_at: datetime | None
    concurrency: int | None
    credits_usage: float | None
    credits_limit: float | None
    max_jobs: int | None
    registered_by: int | None
    registered_at: datetime | None
    last_error: str | None
    upstream_updated_at: datetime | None
    first_seen_at: datetime
    synced_at: datetime | None
    gone_at: datetime | None
    # The parts of `last_error` (bot.signals), and the self-renewing token (see migration 003).
    upstream_error: str | None = None
    health: str | None = None
    session_valid: bool | None = None
    self_renewing_expires_at: datetime | None = None
    next_refresh_at: datetime | None = None
    self_renewing: bool = False
    details_checked_at: datetime | None = None
    # Fields of useapi.net's latest answer about the account read as unknown (migration 006):
    # with no deadline, "deadline unknown (useapi.net sent an implausible date)".
    unreadable: tuple[FieldNote, ...] = ()
    # The owner an admin chose (`/alerts owner`), or the member who claimed a warning about an
    # account nobody owned, and since when (migration 007); bot.owners.owner_of reads them.
    owner_id: int | None = None
    owner_since: datetime | None = None


@dataclass(frozen=True)
class Approval:
    kind: str  # "user" or "role"
    target_id: int
    granted_by: int
    granted_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor_id: int | None
    action: str
    service: str | None
    target: str | None
    outcome: str
    detail: str | None
    id: int = 0  # the row id: the cursor `/access audit` and `python -m bot audit` page with


@dataclass(frozen=True)
class SyncChanges:
    """What applying an upstream account list changed (account names per kind)."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # expiry moved
    gone: tuple[str, ...] = ()
    returned: tuple[str, ...] = ()
    held: tuple[str, ...] = ()  # missing from the list, but not marked gone (see hold_gone)
    tracked: int = 0  # accounts tracked as present before the list, that it could drop
    self_renewing: tuple[str, ...] = ()  # first seen renewing their token by themselves (LTX)
    reasons: tuple[str, ...] = ()  # tracked accounts whose reason a person is needed changed

    @property
    def moved(self) -> tuple[str, ...]:
        """The accounts a pass may plan or follow through differently: added, gone or back, a
        deadline or a reason changed (the scheduler plans them again at once)."""
        return tuple(
            dict.fromkeys(
                (*self.added, *self.changed, *self.gone, *self.returned, *self.self_renewing, *self.reasons)
            )
        )

    @property
    def plan_moved(self) -> bool:
        return bool(self.moved)


class StoredAccount(NamedTuple):
    """What the accounts table holds about one account that an answer from useapi.net is
    compared with (bot.account_diff); times in Unix seconds and flags as 0/1, as stored."""

    expires_at: int | None
    registered_at: int | None
    gone_at: int | None
    synced_at: int | None
    self_renewing: int
    self_renewing_expires_at: int | None
    refresh_expires_at: int | None
    session_valid: int | None
    health: str | None
    last_error: str | None
    upstream_error: str | None
    call_refusal: str | None = None  # a call answered 596 or 412 (migration 007, bot.signals)


class CreditWrite(NamedTuple):
    """One credit or quota figure of an answer, as the account_credits table upserts it
    (migration 007; its columns, in the order of its INSERT). A None `remaining` keeps the stored
    figure and its `resets_at`; a None `allowance` keeps the stored one."""

    service: str
    account: str
    key: str
    label: str
    unit: str
    remaining: float | None
    allowance: float | None
    resets_at: int | None  # Unix seconds
    read_at: int | None  # when `remaining` was read; None without one


class StoredCredit(NamedTuple):
    """One stored figure with its crossing state, as the scheduler's credit step reads it."""

    service: str
    account: str
    key: str
    label: str
    unit: str
    remaining: float | None
    allowance: float | None
    resets_at: datetime | None
    read_at: datetime | None
    low_since: int | None  # Unix seconds the crossing of the threshold was seen; None: not low
    low_remaining: float | None  # what was left then (a rise since is a top-up)
    recorded: bool = False  # the warning about this crossing is recorded (sent)


class ReasonCleared(NamedTuple):
    """An account whose reason a person is needed cleared: its open "needs a person now"
    warnings are resolved, `how` (a `bot.followup.How` value) and by whom."""

    account: str
    how: str
    by: int | None = None


class AccountWrite(NamedTuple):
    """One account of a list as the accounts table upserts it (its columns, in the order of
    its INSERT); a None keeps the stored value where a list may lack the field."""

    service: str
    account: str
    expires_at: int | None
    refresh_expires_at: int | None
    concurrency: int | None
    credits_usage: float | None
    credits_limit: float | None
    max_jobs: int | None
    last_error: str | None  # the reason a person is needed now (bot.signals)
    upstream_updated_at: int | None
    first_seen_at: int
    synced_at: int
    upstream_error: str | None
    health: str | None
    session_valid: int | None
    self_renewing_expires_at: int | None
    next_refresh_at: int | None
    self_renewing: int
    unreadable: str | None  # the answer's field notes (`notes_to_text`); see migration 006


@dataclass(frozen=True)
class AccountListDiff:
    """What applying one service's account list writes (decided by bot.account_diff, applied
    by the accounts table in one transaction)."""

    at: int  # Unix seconds: when the list was applied (gone marks, resolutions)
    writes: tuple[AccountWrite, ...] = ()  # accounts inserted or updated
    gone: tuple[str, ...] = ()  # accounts to mark gone
    cleared: tuple[ReasonCleared, ...] = ()
    forget_removed: tuple[str, ...] = ()  # removals (see remove_account) the list proves done
    changes: SyncChanges = SyncChanges()
    credits: tuple[CreditWrite, ...] = ()  # the figures the list carried (migration 007)


class AccountVerdict(NamedTuple):
    """What one answer about one account decides (a registration, a live details read)."""

    at: int  # Unix seconds: when it was read
    expires_at: int | None  # the deadline; for a details read, None keeps the stored one
    self_renewing_expires_at: int | None
    reason: str | None  # why a person is needed now (bot.signals), stored as `last_error`
    upstream_error: str | None
    health: str | None
    session_valid: bool | None
    cleared: ReasonCleared | None  # the stored reason no longer holds
    changed: bool  # the reason or the deadline differs from what was stored
    # The answer's field notes (`notes_to_text`) and the deadline it carried itself: a details
    # answer with neither keeps the stored notes (they go with the stored deadline).
    unreadable: str | None = None
    answer_expires_at: int | None = None
    # What a refused call says about the account (bot.signals), and the figures the answer carried.
    call_refusal: str | None = None
    credits: tuple[CreditWrite, ...] = ()


@dataclass(frozen=True)
class WatchWindow:
    """What `Store.watch_window` read for one scheduler pass."""

    accounts: list[TrackedAccount]
    recorded: set[WarningKey]  # the warnings recorded about them
    later_expiries: dict[str, datetime]  # per service, the earliest expiry past its horizon


@dataclass(frozen=True)
class AlertFailure:
    key: WarningKey
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime
    reason: str


@dataclass(frozen=True)
class LeaseRow:
    name: str
    holder: str
    acquired_at: datetime
    expires_at: datetime
