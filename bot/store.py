"""SQLite storage (aiosqlite, WAL): accounts, approvals, settings and the audit trail.

The schema lives in numbered files under bot/migrations/ and is applied in
order, tracked by `PRAGMA user_version`, so upgrading is just starting the bot.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import aiosqlite

from bot.clock import from_epoch, to_epoch
from bot.followup import (
    MAX_EDIT_ATTEMPTS,
    Claim,
    How,
    LapsedClaim,
    PostedWarning,
    Resolution,
)
from bot.models import (
    AlertFailure,
    Approval,
    AuditEntry,
    LeaseRow,
    SyncChanges,
    TrackedAccount,
    WarningKey,
    WatchWindow,
)
from bot.signals import needs_person
from bot.useapi.base import AccountInfo

log = logging.getLogger(__name__)

_T = TypeVar("_T")

_MIGRATION_NAME = re.compile(r"(\d{3})_[a-z0-9_]+\.sql")


class StoreError(Exception):
    """The database could not be written or read (read-only, disk full, corrupt)."""


def migrations() -> list[tuple[int, str]]:
    """(version, sql) for every file in bot/migrations, in order."""
    found = []
    for entry in resources.files("bot").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.fullmatch(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 001, 002, … without gaps; found {versions}")
    return found


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only, before SQLite opens it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


_ACCOUNT_COLUMNS = (
    "service, account, expires_at, refresh_expires_at, concurrency, credits_usage, credits_limit, "
    "max_jobs, registered_by, registered_at, last_error, upstream_updated_at, first_seen_at, "
    "synced_at, gone_at, upstream_error, health, session_valid, self_renewing_expires_at, "
    "next_refresh_at, self_renewing, details_checked_at"
)


def _account(row: aiosqlite.Row) -> TrackedAccount:
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


def _as_int(flag: bool | None) -> int | None:
    return None if flag is None else int(flag)


class _Deadline(NamedTuple):
    """Where an answer's times go once `self_renewing` is known (see migration 003)."""

    expires_at: int | None  # the deadline the stages warn before
    self_renewing_expires_at: int | None  # the token useapi.net refreshes by itself


def _deadline(info: AccountInfo, self_renewing: bool, stored_refresh_expiry: int | None) -> _Deadline:
    """An LTX account seen renewing its token itself is warned about by its refresh token's
    expiry (when known); its tokenExpire is then only watched for passing unrefreshed."""
    if self_renewing:
        refresh = to_epoch(info.refresh_expires_at) or stored_refresh_expiry
        if refresh is not None:
            return _Deadline(refresh, to_epoch(info.expires_at))
    return _Deadline(to_epoch(info.expires_at), to_epoch(info.self_renewing_expires_at))


def _reason(
    error: str | None,
    health: str | None,
    session_valid: bool | None,
    times: _Deadline,
    seen_at: datetime,
    noun: str,
) -> str | None:
    return needs_person(
        error=error,
        health=health,
        session_valid=session_valid,
        self_renewing_expires_at=from_epoch(times.self_renewing_expires_at),
        seen_at=seen_at,
        noun=noun,
        expires_at=from_epoch(times.expires_at),
    )


class _Stored(NamedTuple):
    """What `apply_account_list` compares an answer with (one row of its first SELECT)."""

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


def _renewed_itself(info: AccountInfo, old: _Stored) -> bool:
    """The list shows a later token expiry than the last read, with no registration since."""
    token = to_epoch(info.expires_at)
    return (
        token is not None
        and old.expires_at is not None
        and token > old.expires_at
        and old.synced_at is not None
        and (old.registered_at is None or old.registered_at < old.synced_at)
    )


# Resolve the "needs a person now" warnings of accounts whose reason cleared: resolved error
# warnings no longer count as recorded (see `_RECORDED`), so the same reason coming back later
# is warned about again. Parameters: when, how, by whom, service, account.
_RESOLVE_REASON_WARNINGS = (
    "UPDATE alert_warnings SET resolved_at = ?, resolution = ?, resolved_by = ? "
    "WHERE service = ? AND account = ? AND stage LIKE 'error:%' AND resolved_at IS NULL"
)
# 'remind:%' below is bot.followup's REMINDER_PREFIX: reminders are rows of alert_warnings too.
# The warnings that count as dealt with, for planning: all but resolved error warnings (w.).
_RECORDED = "NOT (w.stage LIKE 'error:%' AND w.resolved_at IS NOT NULL)"
_POSTED_COLUMNS = (
    "service, account, epoch, stage, message_id, channel_id, recorded_at, embed, claimed_by, "
    "claimed_at, took_over_from, claim_lapsed_by, claim_lapsed_at, resolved_at, resolution, "
    "resolved_by, edit_attempts"
)


def _posted(row: aiosqlite.Row) -> PostedWarning:
    claim = None
    if row["claimed_by"] is not None:
        claim = Claim(row["claimed_by"], from_epoch(row["claimed_at"]), row["took_over_from"])  # type: ignore[arg-type]
    lapsed = None
    if row["claim_lapsed_by"] is not None:
        lapsed = LapsedClaim(row["claim_lapsed_by"], from_epoch(row["claim_lapsed_at"]))  # type: ignore[arg-type]
    resolution = None
    if row["resolution"] is not None:
        resolution = Resolution(How(row["resolution"]), row["resolved_by"])
    return PostedWarning(
        key=WarningKey(row["service"], row["account"], int(row["epoch"]), row["stage"]),
        message_id=int(row["message_id"]),
        channel_id=row["channel_id"],
        recorded_at=from_epoch(row["recorded_at"]),  # type: ignore[arg-type]
        embed=row["embed"],
        claim=claim,
        lapsed=lapsed,
        resolved_at=from_epoch(row["resolved_at"]),
        resolution=resolution,
        edit_attempts=row["edit_attempts"],
    )


_REMOVED_PREFIX = "removed:"


def _removed_key(service: str, account: str) -> str:
    # Service keys hold no colon, so everything after the second one is the account.
    return f"{_REMOVED_PREFIX}{service}:{account}"


async def _removed(conn: aiosqlite.Connection, service: str) -> set[str]:
    prefix = _removed_key(service, "")
    rows = await conn.execute_fetchall(
        "SELECT key FROM settings WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
    )
    return {str(r[0])[len(prefix) :] for r in rows}


class Store:
    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db = db
        self.path = path
        # One writer at a time on this connection, so no commit lands inside a transaction.
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        path = Path(path)
        try:
            _create_private(path)
            db = await aiosqlite.connect(path)
        except (OSError, aiosqlite.Error) as exc:
            raise StoreError(f"cannot open the database at {path}: {exc}") from exc
        db.row_factory = aiosqlite.Row
        store = cls(db, path)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA foreign_keys=ON")
            # Wait for a second instance's write instead of failing at once.
            await db.execute("PRAGMA busy_timeout=5000")
            await store.migrate()
        except aiosqlite.Error as exc:
            await db.close()
            raise StoreError(f"cannot prepare the database at {path}: {exc}") from exc
        return store

    @classmethod
    async def open_read_only(cls, path: Path | str) -> Store:
        """Open an existing database for reading only: nothing is created, migrated or written
        (`python -m bot audit`). StoreError when there is no database or it can't be read."""
        path = Path(path)
        if not path.is_file():
            raise StoreError(f"no database at {path}: the bot has not run here (check DATABASE_PATH)")
        try:
            db = await aiosqlite.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        except (OSError, aiosqlite.Error) as exc:
            raise StoreError(f"cannot open {path} read-only: {exc}") from exc
        db.row_factory = aiosqlite.Row
        store = cls(db, path)
        try:
            await db.execute("PRAGMA busy_timeout=5000")
            if await store.schema_version() == 0:
                raise StoreError(f"{path} is not a Session Warden database (no schema)")
        except aiosqlite.Error as exc:
            await db.close()
            raise StoreError(f"cannot read {path}: {exc}") from exc
        except StoreError:
            await db.close()
            raise
        return store

    async def close(self) -> None:
        await self.db.close()

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def quick_check(self) -> str:
        """SQLite's `PRAGMA quick_check` verdict: "ok", or the first problem it found."""
        async with self.db.execute("PRAGMA quick_check") as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else "?"

    async def probe_write(self) -> None:
        """Prove the file can be written without changing it: one write, rolled back.
        Raises sqlite3.Error (read-only file, disk full, locked)."""
        async with self._write_lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                await self.db.execute(
                    "INSERT OR REPLACE INTO settings (key, value) VALUES ('check_write_probe', '')"
                )
            finally:
                await self.db.rollback()

    async def migrate(self) -> int:
        current = await self.schema_version()
        for version, sql in migrations():
            if version <= current:
                continue
            log.info("applying database migration %03d", version)
            # executescript commits first; wrap each file so a failure leaves the old version intact.
            await self.db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
            current = version
        return current

    async def _write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one write in its own transaction; return rows changed."""
        async with self._write_lock:
            try:
                cur = await self.db.execute(sql, tuple(params))
                await self.db.commit()
            except aiosqlite.Error as exc:
                await self._rollback()
                raise StoreError(str(exc)) from exc
        return cur.rowcount

    async def _rollback(self) -> None:
        try:
            await self.db.rollback()
        except aiosqlite.Error:
            log.exception("rollback failed")

    # -- accounts -------------------------------------------------------------------------------

    async def record_registration(
        self, info: AccountInfo, *, user_id: int, now: datetime, noun: str = "session"
    ) -> None:
        """Store what useapi.net answered to a successful registration.

        A registration is a fresh credential: its answer's signals replace the stored ones (an
        earlier "session invalid" no longer holds), and a reason that cleared re-arms its warning.
        """

        async def work(conn: aiosqlite.Connection) -> None:
            async with conn.execute(
                "SELECT self_renewing, refresh_expires_at, last_error FROM accounts "
                "WHERE service = ? AND account = ?",
                (info.service, info.account),
            ) as cur:
                row = await cur.fetchone()
            self_renewing = bool(row[0]) if row else False
            times = _deadline(info, self_renewing, row[1] if row else None)
            reason = _reason(info.error, info.health, info.session_valid, times, now, noun)
            await conn.execute(
                """
                INSERT INTO accounts (service, account, expires_at, refresh_expires_at, concurrency,
                    credits_usage, credits_limit, max_jobs, registered_by, registered_at, last_error,
                    upstream_updated_at, first_seen_at, synced_at, gone_at, upstream_error, health,
                    session_valid, self_renewing_expires_at, next_refresh_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)
                ON CONFLICT (service, account) DO UPDATE SET
                    expires_at = excluded.expires_at,
                    refresh_expires_at = COALESCE(excluded.refresh_expires_at, refresh_expires_at),
                    concurrency = COALESCE(excluded.concurrency, concurrency),
                    credits_usage = COALESCE(excluded.credits_usage, credits_usage),
                    credits_limit = COALESCE(excluded.credits_limit, credits_limit),
                    max_jobs = COALESCE(excluded.max_jobs, max_jobs),
                    registered_by = excluded.registered_by,
                    registered_at = excluded.registered_at,
                    last_error = excluded.last_error,
                    upstream_updated_at = COALESCE(excluded.upstream_updated_at, upstream_updated_at),
                    synced_at = excluded.synced_at,
                    gone_at = NULL,
                    upstream_error = excluded.upstream_error,
                    health = excluded.health,
                    session_valid = excluded.session_valid,
                    self_renewing_expires_at = excluded.self_renewing_expires_at,
                    next_refresh_at = excluded.next_refresh_at
                """,
                (
                    info.service,
                    info.account,
                    times.expires_at,
                    to_epoch(info.refresh_expires_at),
                    info.concurrency,
                    info.credits_usage,
                    info.credits_limit,
                    info.max_jobs,
                    user_id,
                    to_epoch(now),
                    reason,
                    to_epoch(info.updated_at),
                    to_epoch(now),
                    to_epoch(now),
                    info.error,
                    info.health,
                    _as_int(info.session_valid),
                    times.self_renewing_expires_at,
                    to_epoch(info.next_refresh_at),
                ),
            )
            if reason is None and row is not None and row[2] is not None:
                await conn.execute(
                    _RESOLVE_REASON_WARNINGS,
                    (to_epoch(now), How.RENEWED.value, user_id, info.service, info.account),
                )
            # Registered again through the bot after a removal: tracked again, synced again.
            await conn.execute(
                "DELETE FROM settings WHERE key = ?", (_removed_key(info.service, info.account),)
            )

        await self._transaction(work)

    async def list_accounts(
        self, service: str | None = None, *, limit: int = -1, offset: int = 0
    ) -> list[TrackedAccount]:
        """Tracked accounts, soonest expiry first (unknown expiry last); `limit`/`offset` page
        through them (a page of /accounts reads only its own rows)."""
        where = "WHERE service = ?" if service else ""
        params: tuple[Any, ...] = (service,) if service else ()
        async with self.db.execute(
            f"SELECT {_ACCOUNT_COLUMNS} FROM accounts {where} "  # noqa: S608 - constant fragments only
            "ORDER BY expires_at IS NULL, expires_at, service, account LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ) as cur:
            rows = await cur.fetchall()
        return [_account(row) for row in rows]

    async def count_accounts(self, service: str | None = None) -> int:
        where = "WHERE service = ?" if service else ""
        async with self.db.execute(
            f"SELECT COUNT(*) FROM accounts {where}",  # noqa: S608 - constant fragments only
            (service,) if service else (),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def get_account(self, service: str, account: str) -> TrackedAccount | None:
        async with self.db.execute(
            f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE service = ? AND account = ?",  # noqa: S608
            (service, account),
        ) as cur:
            row = await cur.fetchone()
        return _account(row) if row else None

    # -- approvals ------------------------------------------------------------------------------

    async def grant(self, kind: str, target_id: int, *, granted_by: int, now: datetime) -> bool:
        """Approve a user or role; False when it was approved already."""
        changed = await self._write(
            "INSERT OR IGNORE INTO approvals (kind, target_id, granted_by, granted_at) VALUES (?, ?, ?, ?)",
            (kind, target_id, granted_by, to_epoch(now)),
        )
        return changed > 0

    async def revoke(self, kind: str, target_id: int) -> bool:
        """Withdraw an approval; False when there was none."""
        changed = await self._write(
            "DELETE FROM approvals WHERE kind = ? AND target_id = ?", (kind, target_id)
        )
        return changed > 0

    async def list_approvals(self) -> list[Approval]:
        async with self.db.execute(
            "SELECT kind, target_id, granted_by, granted_at FROM approvals ORDER BY kind DESC, granted_at"
        ) as cur:
            rows = await cur.fetchall()
        return [
            Approval(r["kind"], r["target_id"], r["granted_by"], from_epoch(r["granted_at"]))  # type: ignore[arg-type]
            for r in rows
        ]

    # -- settings -------------------------------------------------------------------------------

    async def get_setting(self, key: str) -> str | None:
        async with self.db.execute("SELECT value FROM settings WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return None if row is None else str(row[0])

    async def set_setting(self, key: str, value: str | None) -> None:
        if value is None:
            await self._write("DELETE FROM settings WHERE key = ?", (key,))
        else:
            await self._write(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- audit ----------------------------------------------------------------------------------

    async def audit(
        self,
        *,
        now: datetime,
        actor_id: int | None,
        action: str,
        outcome: str,
        service: str | None = None,
        target: str | None = None,
        detail: str | None = None,
    ) -> None:
        await self._write(
            "INSERT INTO audit (at, actor_id, action, service, target, outcome, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (to_epoch(now), actor_id, action, service, target, outcome, (detail or "")[:500] or None),
        )

    async def recent_audit(self, limit: int = 50) -> list[AuditEntry]:
        return await self.audit_entries(limit=limit)

    async def audit_entries(
        self,
        *,
        limit: int,
        before_id: int | None = None,
        after_id: int | None = None,
        since: datetime | None = None,
        member_id: int | None = None,
        service: str | None = None,
    ) -> list[AuditEntry]:
        """Audit entries newest first, at most `limit`, matching every filter given.

        `before_id`: only entries older than that one (the next page); `after_id`: the `limit`
        entries just newer than it (the previous page), still returned newest first.
        `member_id`: entries the member did or that were about them (`target` "user:<id>").
        """
        where: list[str] = []
        params: list[Any] = []
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        if after_id is not None:
            where.append("id > ?")
            params.append(after_id)
        if since is not None:
            where.append("at >= ?")
            params.append(to_epoch(since))
        if member_id is not None:
            where.append("(actor_id = ? OR target = ?)")
            params.extend((member_id, f"user:{member_id}"))
        if service is not None:
            where.append("service = ?")
            params.append(service)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        # The previous page is the `limit` rows just above after_id: read upwards, then flip.
        order = "ASC" if after_id is not None and before_id is None else "DESC"
        rows = await self.db.execute_fetchall(
            "SELECT id, at, actor_id, action, service, target, outcome, detail FROM audit "  # noqa: S608
            f"{clause} ORDER BY id {order} LIMIT ?",
            (*params, limit),
        )
        entries = [
            AuditEntry(
                from_epoch(r[1]),  # type: ignore[arg-type]
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                id=int(r[0]),
            )
            for r in rows
        ]
        return entries[::-1] if order == "ASC" else entries

    # -- removing an account ---------------------------------------------------------------------

    async def remove_account(
        self,
        service: str,
        account: str,
        *,
        now: datetime,
        actor_id: int,
        outcome: str,
        detail: str | None = None,
    ) -> bool:
        """Stop tracking an account and audit it, in one transaction; False when it wasn't tracked.

        Its audit rows and warning records stay (the alerts cog resolves the warnings). The removal
        is remembered (`removed_accounts`), so a sync whose list still shows the account (useapi.net
        has no DELETE route for it, or a list read before the DELETE) does not add it back; the
        mark goes when a list no longer shows the account, or when it is registered again.
        """

        async def work(conn: aiosqlite.Connection) -> bool:
            cur = await conn.execute(
                "DELETE FROM accounts WHERE service = ? AND account = ?", (service, account)
            )
            removed = cur.rowcount > 0
            if removed:
                await conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (_removed_key(service, account), str(to_epoch(now))),
                )
            await conn.execute(
                "INSERT INTO audit (at, actor_id, action, service, target, outcome, detail) "
                "VALUES (?, ?, 'account_remove', ?, ?, ?, ?)",
                (to_epoch(now), actor_id, service, account, outcome if removed else "not_tracked", detail),
            )
            return removed

        return await self._transaction(work)

    async def removed_accounts(self, service: str) -> set[str]:
        """Accounts removed through the bot that a sync must not add back (see remove_account)."""
        return await _removed(self.db, service)

    # -- expiry watch ---------------------------------------------------------------------------
    # Warnings sent or skipped, delivery failures, upstream account lists, the scheduler lease.
    # Keys are (service, account, epoch, stage) tuples; bot.expiry.WarningKey is one.

    async def _transaction(self, work: Callable[[aiosqlite.Connection], Awaitable[_T]]) -> _T:
        """Run `work` as ONE transaction; a failure rolls all of it back and raises StoreError.

        The write lock keeps another coroutine's `_write` (and its `commit()`) from landing in
        the middle, which would commit half of this transaction.
        """
        async with self._write_lock:
            try:
                await self.db.execute("BEGIN IMMEDIATE")
                try:
                    result = await work(self.db)
                except BaseException:
                    await self.db.rollback()
                    raise
                await self.db.commit()
            except sqlite3.Error as exc:
                raise StoreError(str(exc)) from exc
        return result

    async def apply_account_list(
        self,
        service: str,
        infos: Sequence[AccountInfo],
        *,
        fetched_at: datetime,
        now: datetime,
        hold_gone: Callable[[int, int], bool] | None = None,
        detect_self_renewal: bool = False,
        noun: str = "session",
    ) -> SyncChanges:
        """Make the stored accounts of `service` agree with upstream's list, in one transaction.

        New accounts are tracked with no registrant; missing ones get `gone_at` (cleared when they
        come back); each account's `last_error` becomes the reason a person is needed now
        (`bot.signals`), from upstream's error and the signals stored for it. A field the list
        lacks keeps its stored value. An account registered after `fetched_at` (while the list
        was in flight) is left alone: the list may predate it.

        `hold_gone(missing, tracked)` decides, with the counts read in the same transaction,
        whether to withhold the `gone_at` marks of this read: the missing accounts are then
        returned as `held` and stay as they were (everything else in the list is applied).

        `detect_self_renewal` (LTX): a later expiry in the list with no registration since the
        last read means useapi.net renews that token itself; the account is marked so, and from
        then on warned about by its refresh token's expiry (see `_deadline`).
        """
        fetched = int(fetched_at.timestamp())
        stamp = to_epoch(now)

        async def work(conn: aiosqlite.Connection) -> SyncChanges:
            rows = await conn.execute_fetchall(
                "SELECT account, expires_at, registered_at, gone_at, synced_at, self_renewing, "
                "self_renewing_expires_at, refresh_expires_at, session_valid, health, last_error "
                "FROM accounts WHERE service = ?",
                (service,),
            )
            current = {r[0]: _Stored(*r[1:]) for r in rows}
            removed = await _removed(conn, service)
            added: list[str] = []
            changed: list[str] = []
            returned: list[str] = []
            renewing: list[str] = []
            cleared: list[tuple[str, str]] = []
            seen: set[str] = set()
            upserts: list[tuple[Any, ...]] = []
            for info in infos:
                if info.account in seen:
                    continue
                seen.add(info.account)
                if info.account in removed and info.account not in current:
                    continue  # removed through the bot; useapi.net still lists it
                old = current.get(info.account)
                self_renewing = False
                session_valid = info.session_valid
                health = info.health
                if old is None:
                    added.append(info.account)
                else:
                    if old.registered_at is not None and old.registered_at >= fetched:
                        continue
                    self_renewing = bool(old.self_renewing)
                    if detect_self_renewal and not self_renewing and _renewed_itself(info, old):
                        self_renewing = True
                        renewing.append(info.account)
                    if session_valid is None and old.session_valid is not None:
                        session_valid = bool(old.session_valid)
                    if health is None:
                        health = old.health
                    if old.gone_at is not None:
                        returned.append(info.account)
                times = _deadline(info, self_renewing, old.refresh_expires_at if old else None)
                if old is not None and times.expires_at is not None and times.expires_at != old.expires_at:
                    changed.append(info.account)
                reason = _reason(info.error, health, session_valid, times, fetched_at, noun)
                if reason is None and old is not None and old.last_error is not None:
                    cleared.append((service, info.account))
                upserts.append(
                    (
                        service,
                        info.account,
                        times.expires_at,
                        to_epoch(info.refresh_expires_at),
                        info.concurrency,
                        info.credits_usage,
                        info.credits_limit,
                        info.max_jobs,
                        reason,
                        to_epoch(info.updated_at),
                        stamp,
                        stamp,
                        info.error,
                        health,
                        _as_int(session_valid),
                        times.self_renewing_expires_at,
                        to_epoch(info.next_refresh_at),
                        int(self_renewing),
                    )
                )
            present = [
                account
                for account, old in current.items()
                if old.gone_at is None and (old.registered_at is None or old.registered_at < fetched)
            ]
            gone = sorted(account for account in present if account not in seen)
            held: list[str] = []
            if gone and hold_gone is not None and hold_gone(len(gone), len(present)):
                held, gone = gone, []
            # One statement each for the whole list: a round trip per account to aiosqlite's
            # thread would cost more than the writes themselves.
            await conn.executemany(
                """
                INSERT INTO accounts (service, account, expires_at, refresh_expires_at, concurrency,
                    credits_usage, credits_limit, max_jobs, registered_by, registered_at, last_error,
                    upstream_updated_at, first_seen_at, synced_at, gone_at, upstream_error, health,
                    session_valid, self_renewing_expires_at, next_refresh_at, self_renewing)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (service, account) DO UPDATE SET
                    expires_at = COALESCE(excluded.expires_at, expires_at),
                    refresh_expires_at = COALESCE(excluded.refresh_expires_at, refresh_expires_at),
                    concurrency = COALESCE(excluded.concurrency, concurrency),
                    credits_usage = COALESCE(excluded.credits_usage, credits_usage),
                    credits_limit = COALESCE(excluded.credits_limit, credits_limit),
                    max_jobs = COALESCE(excluded.max_jobs, max_jobs),
                    last_error = excluded.last_error,
                    upstream_updated_at = COALESCE(excluded.upstream_updated_at, upstream_updated_at),
                    synced_at = excluded.synced_at,
                    gone_at = NULL,
                    upstream_error = excluded.upstream_error,
                    health = excluded.health,
                    session_valid = excluded.session_valid,
                    self_renewing_expires_at = COALESCE(excluded.self_renewing_expires_at,
                                                        self_renewing_expires_at),
                    next_refresh_at = COALESCE(excluded.next_refresh_at, next_refresh_at),
                    self_renewing = excluded.self_renewing
                """,
                upserts,
            )
            await conn.executemany(
                "UPDATE accounts SET gone_at = ? WHERE service = ? AND account = ?",
                [(stamp, service, account) for account in gone],
            )
            await conn.executemany(
                _RESOLVE_REASON_WARNINGS, [(stamp, How.CLEARED.value, None, *where) for where in cleared]
            )
            if not held:  # a list trusted for its disappearances: removals it no longer shows are done
                await conn.executemany(
                    "DELETE FROM settings WHERE key = ?",
                    [(_removed_key(service, account),) for account in removed - seen],
                )
            return SyncChanges(
                tuple(added),
                tuple(changed),
                tuple(gone),
                tuple(returned),
                tuple(held),
                len(present),
                tuple(renewing),
            )

        return await self._transaction(work)

    async def record_details(self, info: AccountInfo, *, checked_at: datetime, noun: str = "session") -> bool:
        """Merge a live `GET /accounts/{account}` answer (Luma's sessionValid, Google Flow's
        cookie expiry); a field it lacks keeps its stored value. True when that changed the
        reason to warn or the expiry; False too when the account is not tracked (nothing is
        added from a details read)."""
        stamp = to_epoch(checked_at)

        async def work(conn: aiosqlite.Connection) -> bool:
            async with conn.execute(
                "SELECT upstream_error, health, session_valid, self_renewing_expires_at, last_error, "
                "self_renewing, expires_at FROM accounts WHERE service = ? AND account = ?",
                (info.service, info.account),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return False
            error = info.error if info.error is not None else row[0]
            health = info.health if info.health is not None else row[1]
            valid = (
                info.session_valid
                if info.session_valid is not None
                else (None if row[2] is None else bool(row[2]))
            )
            renewing = (
                row[3] if info.self_renewing_expires_at is None else to_epoch(info.self_renewing_expires_at)
            )
            # An LTX-style swapped deadline never comes from a details read.
            expires = None if row[5] else to_epoch(info.expires_at)
            deadline = row[6] if expires is None else expires
            reason = _reason(error, health, valid, _Deadline(deadline, renewing), checked_at, noun)
            await conn.execute(
                """
                UPDATE accounts SET session_valid = ?, health = ?, upstream_error = ?,
                    self_renewing_expires_at = ?, expires_at = COALESCE(?, expires_at),
                    last_error = ?, details_checked_at = ?
                WHERE service = ? AND account = ?
                """,
                (_as_int(valid), health, error, renewing, expires, reason, stamp, info.service, info.account),
            )
            if reason is None and row[4] is not None:
                await conn.execute(
                    _RESOLVE_REASON_WARNINGS, (stamp, How.CLEARED.value, None, info.service, info.account)
                )
            return reason != row[4] or (expires is not None and expires != row[6])

        return await self._transaction(work)

    async def details_due(self, service: str, *, before: datetime, limit: int) -> list[str]:
        """Tracked, present accounts whose details were last read before `before` (never first)."""
        rows = await self.db.execute_fetchall(
            "SELECT account FROM accounts WHERE service = ? AND gone_at IS NULL "
            "AND (details_checked_at IS NULL OR details_checked_at < ?) "
            "ORDER BY details_checked_at IS NOT NULL, details_checked_at, account LIMIT ?",
            (service, to_epoch(before), limit),
        )
        return [r[0] for r in rows]

    async def mark_details_checked(self, service: str, account: str, *, at: datetime) -> None:
        """A details read that failed still waits its interval: a broken route is not hammered."""
        await self._write(
            "UPDATE accounts SET details_checked_at = ? WHERE service = ? AND account = ?",
            (to_epoch(at), service, account),
        )

    async def watch_window(self, horizons: dict[str, datetime], *, now: datetime) -> WatchWindow:
        """What one scheduler pass plans (tests/window_model.py states the same selection in Python).

        `horizons` maps each service to watch to its horizon (`bot.expiry.horizon`). Selected:
        accounts with a disappearance not yet warned about, with an upstream error, or expiring
        up to the horizon, except an expiry already past whose "expired" warning is recorded.
        With them come their recorded warnings (for their current expiry and disappearance)
        from the same statement, so a registration landing meanwhile can't pair an old expiry
        with the keys of a new one; and per service the earliest expiry past the horizon.
        """
        if not horizons:
            return WatchWindow([], set(), {})
        values = ", ".join("(?, ?)" for _ in horizons)
        bounds = [v for service, until in horizons.items() for v in (service, to_epoch(until))]
        columns = ", ".join(f"a.{name.strip()}" for name in _ACCOUNT_COLUMNS.split(","))
        # 'gone' and 'expired' are bot.expiry's GONE and EXPIRED stage names.
        rows = await self.db.execute_fetchall(
            f"""
            WITH horizon (service, until) AS (VALUES {values})
            SELECT {columns}, w.epoch AS recorded_epoch, w.stage AS recorded_stage
            FROM accounts a
            JOIN horizon h ON h.service = a.service
            LEFT JOIN alert_warnings w
                ON w.service = a.service AND w.account = a.account
                AND (w.epoch = COALESCE(a.expires_at, 0) OR w.epoch = a.gone_at)
                AND {_RECORDED}
            WHERE CASE
                WHEN a.gone_at IS NOT NULL THEN NOT EXISTS (
                    SELECT 1 FROM alert_warnings g WHERE g.service = a.service
                    AND g.account = a.account AND g.epoch = a.gone_at AND g.stage = 'gone')
                WHEN a.last_error <> '' THEN 1
                WHEN a.expires_at IS NULL OR a.expires_at > h.until THEN 0
                WHEN a.expires_at <= ? THEN NOT EXISTS (
                    SELECT 1 FROM alert_warnings x WHERE x.service = a.service
                    AND x.account = a.account AND x.epoch = a.expires_at AND x.stage = 'expired')
                ELSE 1
            END
            ORDER BY a.service, a.account
            """,  # noqa: S608 - constant fragments and placeholders only
            (*bounds, to_epoch(now)),
        )
        accounts: dict[tuple[str, str], TrackedAccount] = {}
        recorded: set[WarningKey] = set()
        for row in rows:
            service, account = row["service"], row["account"]
            if (service, account) not in accounts:
                accounts[service, account] = _account(row)
            if row["recorded_stage"] is not None:
                recorded.add(WarningKey(service, account, int(row["recorded_epoch"]), row["recorded_stage"]))
        later = await self.db.execute_fetchall(
            f"""
            WITH horizon (service, until) AS (VALUES {values})
            SELECT h.service, (SELECT MIN(a.expires_at) FROM accounts a WHERE a.service = h.service
                               AND a.gone_at IS NULL AND a.expires_at > h.until)
            FROM horizon h
            """,  # noqa: S608 - constant fragments and placeholders only
            bounds,
        )
        later_expiries: dict[str, datetime] = {}
        for service, earliest in later:
            expiry = from_epoch(earliest)
            if expiry is not None:  # None: no account of the service expires past the horizon
                later_expiries[service] = expiry
        return WatchWindow(list(accounts.values()), recorded, later_expiries)

    async def soonest_past(
        self, service: str, after: datetime, *, limit: int, stage: str
    ) -> tuple[list[TrackedAccount], int]:
        """For `/alerts status`: the `limit` present accounts of `service` expiring soonest after
        `after` whose `stage` warning for that expiry is not recorded, and how many there are."""
        where = (
            "a.service = ? AND a.gone_at IS NULL AND a.expires_at > ? AND NOT EXISTS ("  # noqa: S608 - constant fragments only
            "SELECT 1 FROM alert_warnings w WHERE w.service = a.service AND w.account = a.account "
            f"AND w.epoch = a.expires_at AND w.stage = ? AND {_RECORDED})"
        )
        params = (service, to_epoch(after), stage)
        columns = ", ".join(f"a.{name.strip()}" for name in _ACCOUNT_COLUMNS.split(","))
        rows = await self.db.execute_fetchall(
            f"SELECT {columns} FROM accounts a WHERE {where} ORDER BY a.expires_at, a.account LIMIT ?",  # noqa: S608
            (*params, limit),
        )
        counted = await self.db.execute_fetchall(
            f"SELECT COUNT(*) FROM accounts a WHERE {where}",  # noqa: S608 - constant fragments only
            params,
        )
        return [_account(row) for row in rows], int(next(iter(counted))[0])

    async def alert_keys_of(self, accounts: Iterable[tuple[str, str]]) -> set[WarningKey]:
        """The recorded warnings (see `alert_keys`) of these (service, account) pairs only."""
        wanted = list(accounts)
        found: set[WarningKey] = set()
        for start in range(0, len(wanted), 400):  # SQLite's parameter limit, with room to spare
            chunk = wanted[start : start + 400]
            pairs = " OR ".join("(w.service = ? AND w.account = ?)" for _ in chunk)
            rows = await self.db.execute_fetchall(
                f"SELECT service, account, epoch, stage FROM alert_warnings w WHERE ({pairs}) AND {_RECORDED}",  # noqa: S608
                [value for pair in chunk for value in pair],
            )
            found.update(WarningKey(r[0], r[1], int(r[2]), r[3]) for r in rows)
        return found

    async def alert_keys(self) -> set[WarningKey]:
        """Every warning already sent or deliberately skipped."""
        async with self.db.execute(
            f"SELECT service, account, epoch, stage FROM alert_warnings w WHERE {_RECORDED}"  # noqa: S608
        ) as cur:
            rows = await cur.fetchall()
        return {WarningKey(r[0], r[1], int(r[2]), r[3]) for r in rows}

    async def record_alerts_skipped(self, keys: Iterable[WarningKey], *, now: datetime) -> None:
        rows = [(*key, "skipped", to_epoch(now)) for key in keys]
        if not rows:
            return

        async def work(conn: aiosqlite.Connection) -> None:
            await conn.executemany(
                "INSERT OR IGNORE INTO alert_warnings (service, account, epoch, stage, status, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

        await self._transaction(work)

    async def record_alert_sent(
        self,
        key: WarningKey,
        *,
        now: datetime,
        message_id: int | None,
        channel_id: int | None = None,
        embed: str | None = None,
        reply_to: int | None = None,
    ) -> None:
        """Mark a warning (or reminder) as posted and forget its delivery failures, together.

        A resolved error warning posted again (its reason came back) starts afresh: open,
        unclaimed."""

        async def work(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT INTO alert_warnings (service, account, epoch, stage, status, recorded_at, "
                "message_id, channel_id, embed, reply_to) VALUES (?, ?, ?, ?, 'sent', ?, ?, ?, ?, ?) "
                "ON CONFLICT DO UPDATE SET status = 'sent', recorded_at = excluded.recorded_at, "
                "message_id = excluded.message_id, channel_id = excluded.channel_id, "
                "embed = excluded.embed, reply_to = excluded.reply_to, resolved_at = NULL, "
                "resolution = NULL, resolved_by = NULL, edit_state = NULL, edit_attempts = 0, "
                "claimed_by = NULL, claimed_at = NULL, took_over_from = NULL, "
                "claim_lapsed_by = NULL, claim_lapsed_at = NULL",
                (*key, to_epoch(now), message_id, channel_id, embed, reply_to),
            )
            await conn.execute(
                "DELETE FROM alert_failures WHERE service = ? AND account = ? AND epoch = ? AND stage = ?",
                key,
            )

        await self._transaction(work)

    async def record_alert_failure(self, key: WarningKey, *, reason: str, now: datetime) -> None:
        stamp = to_epoch(now)
        await self._write(
            "INSERT INTO alert_failures (service, account, epoch, stage, attempts, first_failed_at, "
            "last_failed_at, reason) VALUES (?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT DO UPDATE SET "
            "attempts = attempts + 1, last_failed_at = excluded.last_failed_at, reason = excluded.reason",
            (*key, stamp, stamp, reason[:300]),
        )

    async def alert_failures(self) -> list[AlertFailure]:
        async with self.db.execute(
            "SELECT service, account, epoch, stage, attempts, first_failed_at, last_failed_at, reason "
            "FROM alert_failures ORDER BY last_failed_at DESC, service, account"
        ) as cur:
            rows = await cur.fetchall()
        return [
            AlertFailure(
                key=WarningKey(r[0], r[1], int(r[2]), r[3]),
                attempts=r[4],
                first_failed_at=from_epoch(r[5]),  # type: ignore[arg-type]
                last_failed_at=from_epoch(r[6]),  # type: ignore[arg-type]
                reason=r[7],
            )
            for r in rows
        ]

    async def forget_alert_failures(self, keep: Iterable[WarningKey]) -> None:
        """Drop failure records of warnings that are no longer due (renewed, superseded)."""
        wanted = set(keep)
        stale = [f.key for f in await self.alert_failures() if f.key not in wanted]
        if not stale:
            return

        async def work(conn: aiosqlite.Connection) -> None:
            await conn.executemany(
                "DELETE FROM alert_failures WHERE service = ? AND account = ? AND epoch = ? AND stage = ?",
                stale,
            )

        await self._transaction(work)

    # -- follow-through: open warnings, resolution, claims, reminders, pruning --------------------

    async def posted_warnings(self, *, open_only: bool = True) -> list[PostedWarning]:
        """Warnings with a message (not reminders); the open ones only, unless told otherwise."""
        where = "AND resolved_at IS NULL" if open_only else ""
        rows = await self.db.execute_fetchall(
            f"SELECT {_POSTED_COLUMNS} FROM alert_warnings WHERE status = 'sent' "  # noqa: S608
            f"AND message_id IS NOT NULL AND stage NOT LIKE 'remind:%' {where} "
            "ORDER BY recorded_at, service, account, stage"
        )
        return [_posted(r) for r in rows]

    async def warning_by_message(self, message_id: int) -> PostedWarning | None:
        async with self.db.execute(
            f"SELECT {_POSTED_COLUMNS} FROM alert_warnings WHERE message_id = ? AND status = 'sent' "  # noqa: S608
            f"AND stage NOT LIKE 'remind:%'",
            (message_id,),
        ) as cur:
            row = await cur.fetchone()
        return _posted(row) if row else None

    async def resolve_warnings(
        self, resolved: Iterable[tuple[WarningKey, Resolution]], *, now: datetime
    ) -> int:
        """Mark open warnings resolved (their message edit is then pending); returns how many."""
        rows = [(to_epoch(now), r.how.value, r.by, *key) for key, r in resolved]
        if not rows:
            return 0

        async def work(conn: aiosqlite.Connection) -> int:
            changed = 0
            for row in rows:
                cur = await conn.execute(
                    "UPDATE alert_warnings SET resolved_at = ?, resolution = ?, resolved_by = ? "
                    "WHERE service = ? AND account = ? AND epoch = ? AND stage = ? AND resolved_at IS NULL",
                    row,
                )
                changed += cur.rowcount
            return changed

        return await self._transaction(work)

    async def resolve_account_warnings(
        self, service: str, account: str, resolution: Resolution, *, now: datetime
    ) -> int:
        """Resolve every open warning of one account (it was removed)."""
        return await self._write(
            "UPDATE alert_warnings SET resolved_at = ?, resolution = ?, resolved_by = ? "
            "WHERE service = ? AND account = ? AND resolved_at IS NULL AND status = 'sent'",
            (to_epoch(now), resolution.how.value, resolution.by, service, account),
        )

    async def pending_edits(self, limit: int) -> list[PostedWarning]:
        """Resolved warnings whose message still says they are open, oldest first."""
        rows = await self.db.execute_fetchall(
            f"SELECT {_POSTED_COLUMNS} FROM alert_warnings WHERE resolved_at IS NOT NULL "  # noqa: S608
            "AND edit_state IS NULL AND message_id IS NOT NULL AND status = 'sent' "
            f"AND stage NOT LIKE 'remind:%' ORDER BY resolved_at, recorded_at LIMIT ?",
            (limit,),
        )
        return [_posted(r) for r in rows]

    async def record_edit(self, key: WarningKey, *, ok: bool, final: bool = False) -> bool:
        """One attempt at editing a resolved warning's message. A failure is retried on later
        passes up to MAX_EDIT_ATTEMPTS (at once given up when `final`: the message is gone).
        Returns True when no further attempt will be made."""

        async def work(conn: aiosqlite.Connection) -> bool:
            if ok:
                state = "'done'"
            else:
                state = f"CASE WHEN ? OR edit_attempts + 1 >= {MAX_EDIT_ATTEMPTS} THEN 'failed' END"
            params: tuple[Any, ...] = (*key,) if ok else (int(final), *key)
            await conn.execute(
                f"UPDATE alert_warnings SET edit_state = {state}, edit_attempts = edit_attempts + 1 "  # noqa: S608
                "WHERE service = ? AND account = ? AND epoch = ? AND stage = ?",
                params,
            )
            async with conn.execute(
                "SELECT edit_state FROM alert_warnings WHERE service = ? AND account = ? AND epoch = ? "
                "AND stage = ?",
                key,
            ) as cur:
                row = await cur.fetchone()
            return row is None or row[0] is not None

        return await self._transaction(work)

    async def claim_warning(
        self, message_id: int, user_id: int, *, now: datetime, take_over_from: int | None = None
    ) -> tuple[str, PostedWarning | None]:
        """Claim the open warning posted as `message_id` for `user_id`, in one transaction.

        Outcomes: 'claimed'; 'mine' (already theirs); 'taken' (someone else has it; pass
        `take_over_from` = that member to take it over: 'took_over'); 'resolved'; 'unknown'.
        Returns the outcome and the warning as it stands afterwards."""
        stamp = to_epoch(now)

        async def read(conn: aiosqlite.Connection) -> PostedWarning | None:
            async with conn.execute(
                f"SELECT {_POSTED_COLUMNS} FROM alert_warnings WHERE message_id = ? "  # noqa: S608
                f"AND status = 'sent' AND stage NOT LIKE 'remind:%'",
                (message_id,),
            ) as cur:
                row = await cur.fetchone()
            return _posted(row) if row else None

        async def work(conn: aiosqlite.Connection) -> tuple[str, PostedWarning | None]:
            warning = await read(conn)
            if warning is None:
                return "unknown", None
            if not warning.is_open:
                return "resolved", warning
            holder = warning.claim.by if warning.claim else None
            if holder == user_id:
                return "mine", warning
            if holder is not None and holder != take_over_from:
                return "taken", warning
            await conn.execute(
                "UPDATE alert_warnings SET claimed_by = ?, claimed_at = ?, took_over_from = ? "
                "WHERE service = ? AND account = ? AND epoch = ? AND stage = ?",
                (user_id, stamp, holder, *warning.key),
            )
            return ("took_over" if holder else "claimed"), await read(conn)

        return await self._transaction(work)

    async def lapse_claim(self, key: WarningKey, *, claimed_by: int, now: datetime) -> bool:
        """End a claim that ran out (only if `claimed_by` still holds it)."""
        changed = await self._write(
            "UPDATE alert_warnings SET claim_lapsed_by = claimed_by, claim_lapsed_at = ?, "
            "claimed_by = NULL, claimed_at = NULL, took_over_from = NULL "
            "WHERE service = ? AND account = ? AND epoch = ? AND stage = ? AND claimed_by = ?",
            (to_epoch(now), *key, claimed_by),
        )
        return changed > 0

    async def reminder_counts(self) -> dict[tuple[str, str, int], tuple[int, datetime]]:
        """Per (service, account, epoch): how many reminders were posted, and the last one's time."""
        rows = await self.db.execute_fetchall(
            "SELECT service, account, epoch, COUNT(*), MAX(recorded_at) FROM alert_warnings "
            "WHERE stage LIKE 'remind:%' AND status = 'sent' GROUP BY service, account, epoch"
        )
        return {(r[0], r[1], int(r[2])): (int(r[3]), from_epoch(r[4])) for r in rows}  # type: ignore[misc]

    async def prune(self, *, before: datetime, limit: int) -> tuple[int, int]:
        """Delete up to `limit` audit entries and up to `limit` warning records older than
        `before`; returns (audit, warnings) deleted. A warning record about an account's
        current expiry or disappearance is kept, whatever its age: the once-per-stage rule
        needs it. So is an open warning (it is resolved first) and one whose edit is pending."""
        cutoff = to_epoch(before)

        async def work(conn: aiosqlite.Connection) -> tuple[int, int]:
            audit = await conn.execute(
                "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? ORDER BY id LIMIT ?)",
                (cutoff, limit),
            )
            warnings = await conn.execute(
                """
                DELETE FROM alert_warnings WHERE rowid IN (
                    SELECT w.rowid FROM alert_warnings w
                    WHERE w.recorded_at < ?
                    AND (w.status = 'skipped' OR w.message_id IS NULL
                         OR w.stage LIKE 'remind:%' OR w.edit_state IS NOT NULL)
                    AND NOT EXISTS (
                        SELECT 1 FROM accounts a WHERE a.service = w.service AND a.account = w.account
                        AND (w.epoch = COALESCE(a.expires_at, 0) OR w.epoch = a.gone_at))
                    LIMIT ?)
                """,
                (cutoff, limit),
            )
            await conn.execute("DELETE FROM alert_failures WHERE last_failed_at < ?", (cutoff,))
            return audit.rowcount, warnings.rowcount

        return await self._transaction(work)

    async def claim_lease(self, name: str, holder: str, *, now: datetime, ttl_seconds: int) -> LeaseRow:
        """Take or renew lease `name` for `holder` unless someone else holds it unexpired.

        Returns the lease as it stands afterwards, whoever holds it.
        """
        stamp = to_epoch(now)
        assert stamp is not None

        async def work(conn: aiosqlite.Connection) -> LeaseRow:
            await conn.execute(
                """
                INSERT INTO scheduler_lease (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET
                    acquired_at = CASE WHEN holder = excluded.holder THEN acquired_at
                                       ELSE excluded.acquired_at END,
                    holder = excluded.holder,
                    expires_at = excluded.expires_at
                WHERE holder = excluded.holder OR expires_at <= ?
                """,
                (name, holder, stamp, stamp + ttl_seconds, stamp),
            )
            async with conn.execute(
                "SELECT holder, acquired_at, expires_at FROM scheduler_lease WHERE name = ?", (name,)
            ) as cur:
                row = await cur.fetchone()
            assert row is not None
            return LeaseRow(name, row[0], from_epoch(row[1]), from_epoch(row[2]))  # type: ignore[arg-type]

        return await self._transaction(work)

    async def release_lease(self, name: str, holder: str) -> bool:
        """Give the lease up (clean shutdown) so another instance takes over at once."""
        changed = await self._write(
            "DELETE FROM scheduler_lease WHERE name = ? AND holder = ?", (name, holder)
        )
        return changed > 0
