"""Reading an accounts row, shared by the tables that select accounts."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.clock import from_epoch
from bot.models import TrackedAccount, notes_from_text, notes_to_text

__all__ = ["ACCOUNT_COLUMNS", "account_from_row", "as_int", "notes_from_text", "notes_to_text", "timestamp"]

ACCOUNT_COLUMNS = (
    "service, account, expires_at, refresh_expires_at, concurrency, credits_usage, credits_limit, "
    "max_jobs, registered_by, registered_at, last_error, upstream_updated_at, first_seen_at, "
    "synced_at, gone_at, upstream_error, health, session_valid, self_renewing_expires_at, "
    "next_refresh_at, self_renewing, details_checked_at, unreadable, owner_id, owner_since"
)
_COUNT = len(ACCOUNT_COLUMNS.split(","))


@functools.lru_cache(maxsize=1 << 16)
def _at(epoch: int | None) -> datetime | None:
    # Many rows share a stamp (every account of one sync has the same synced_at): cached, a
    # pass over the window's thousand rows converts each distinct time once.
    return from_epoch(epoch)


_UNKNOWN = datetime.fromtimestamp(0, tz=UTC)


def timestamp(epoch: int | None) -> datetime:
    """A time the bot wrote itself into a NOT NULL column (never unknown), as `_at` reads it."""
    return _at(epoch) or _UNKNOWN


def account_from_row(row: aiosqlite.Row | tuple[Any, ...]) -> TrackedAccount:
    """A row whose first columns are ACCOUNT_COLUMNS, in that order (read by position: the
    scheduler converts about a thousand a pass at 10,000 accounts)."""
    (service, account, expires_at, refresh_expires_at, concurrency, credits_usage, credits_limit,
     max_jobs, registered_by, registered_at, last_error, upstream_updated_at, first_seen_at,
     synced_at, gone_at, upstream_error, health, session_valid, self_renewing_expires_at,
     next_refresh_at, self_renewing, details_checked_at, unreadable, owner_id,
     owner_since) = tuple(row)[:_COUNT]  # fmt: skip
    first_seen = timestamp(first_seen_at)  # NOT NULL, written by the bot
    return TrackedAccount(
        service,
        account,
        _at(expires_at),
        _at(refresh_expires_at),
        concurrency,
        credits_usage,
        credits_limit,
        max_jobs,
        registered_by,
        _at(registered_at),
        last_error,
        _at(upstream_updated_at),
        first_seen,
        _at(synced_at),
        _at(gone_at),
        upstream_error,
        health,
        None if session_valid is None else bool(session_valid),
        _at(self_renewing_expires_at),
        _at(next_refresh_at),
        bool(self_renewing),
        _at(details_checked_at),
        notes_from_text(unreadable),
        owner_id,
        _at(owner_since),
    )


def as_int(flag: bool | None) -> int | None:
    return None if flag is None else int(flag)
