"""The domain's value types, shared by storage and logic: tracked accounts, warning keys, and
what the store hands back. No I/O here, so `bot.expiry` and `bot.store` both import it."""

from __future__ import annotations

import base64
import hashlib
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


class WarningKey(NamedTuple):
    """What one warning is about; equal to the plain tuple the store keeps."""

    service: str
    account: str
    epoch: int  # the expiry (or the disappearance) in Unix seconds
    stage: str  # "3d", "24h", "6h", "expired", "error:<hash>", "gone"

    @property
    def nonce(self) -> str:
        """The Discord message nonce of this warning (25 characters, Discord's most): posted
        again within Discord's dedup window (a crash after the post, before its record),
        Discord returns the first message instead of creating a second."""
        identity = "\x1f".join((self.service, self.account, str(self.epoch), self.stage))
        digest = hashlib.sha256(identity.encode()).digest()
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
