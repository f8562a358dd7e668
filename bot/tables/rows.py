"""Reading an accounts row, shared by the tables that select accounts."""

from __future__ import annotations

import aiosqlite

from bot.clock import from_epoch
from bot.models import TrackedAccount

ACCOUNT_COLUMNS = (
    "service, account, expires_at, refresh_expires_at, concurrency, credits_usage, credits_limit, "
    "max_jobs, registered_by, registered_at, last_error, upstream_updated_at, first_seen_at, "
    "synced_at, gone_at, upstream_error, health, session_valid, self_renewing_expires_at, "
    "next_refresh_at, self_renewing, details_checked_at"
)


def account_from_row(row: aiosqlite.Row) -> TrackedAccount:
    first_seen = from_epoch(row["first_seen_at"])
    assert first_seen is not None
    return TrackedAccount(
        service=row["service"],
        account=row["account"],
        expires_at=from_epoch(row["expires_at"]),
        refresh_expires_at=from_epoch(row["refresh_expires_at"]),
        concurrency=row["concurrency"],
        credits_usage=row["credits_usage"],
        credits_limit=row["credits_limit"],
        max_jobs=row["max_jobs"],
        registered_by=row["registered_by"],
        registered_at=from_epoch(row["registered_at"]),
        last_error=row["last_error"],
        upstream_updated_at=from_epoch(row["upstream_updated_at"]),
        first_seen_at=first_seen,
        synced_at=from_epoch(row["synced_at"]),
        gone_at=from_epoch(row["gone_at"]),
        upstream_error=row["upstream_error"],
        health=row["health"],
        session_valid=None if row["session_valid"] is None else bool(row["session_valid"]),
        self_renewing_expires_at=from_epoch(row["self_renewing_expires_at"]),
        next_refresh_at=from_epoch(row["next_refresh_at"]),
        self_renewing=bool(row["self_renewing"]),
        details_checked_at=from_epoch(row["details_checked_at"]),
    )


def as_int(flag: bool | None) -> int | None:
    return None if flag is None else int(flag)
