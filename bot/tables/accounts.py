"""The accounts table: registrations, useapi.net's lists applied, live details, removals."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

import aiosqlite

from bot.clock import from_epoch, to_epoch
from bot.followup import (
    How,
)
from bot.models import (
    SyncChanges,
    TrackedAccount,
)
from bot.signals import needs_person
from bot.tables.alert_log import _RESOLVE_REASON_WARNINGS
from bot.tables.base import Database
from bot.tables.rows import ACCOUNT_COLUMNS, account_from_row, as_int, notes_to_text
from bot.useapi.base import AccountInfo

log = logging.getLogger(__name__)

_T = TypeVar("_T")


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


class AccountsTable(Database):
    """Tracked accounts: what useapi.net said of each, and the reason a person is needed."""

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
                    session_valid, self_renewing_expires_at, next_refresh_at, unreadable)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)
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
                    next_refresh_at = excluded.next_refresh_at,
                    unreadable = excluded.unreadable
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
                    as_int(info.session_valid),
                    times.self_renewing_expires_at,
                    to_epoch(info.next_refresh_at),
                    notes_to_text(info.unreadable),
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
            f"SELECT {ACCOUNT_COLUMNS} FROM accounts {where} "  # noqa: S608 - constant fragments only
            "ORDER BY expires_at IS NULL, expires_at, service, account LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ) as cur:
            rows = await cur.fetchall()
        return [account_from_row(row) for row in rows]

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
            f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE service = ? AND account = ?",  # noqa: S608
            (service, account),
        ) as cur:
            row = await cur.fetchone()
        return account_from_row(row) if row else None

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
                        as_int(session_valid),
                        times.self_renewing_expires_at,
                        to_epoch(info.next_refresh_at),
                        int(self_renewing),
                        notes_to_text(info.unreadable),
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
                    session_valid, self_renewing_expires_at, next_refresh_at, self_renewing, unreadable)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)
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
                    self_renewing = excluded.self_renewing,
                    -- The notes (migration 006) go with the stored deadline: an answer with neither
                    -- (Google Flow's list lacks the cookie expiry) keeps both, as details read them.
                    unreadable = CASE WHEN excluded.expires_at IS NULL AND excluded.unreadable IS NULL
                                      THEN unreadable ELSE excluded.unreadable END
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
            notes = notes_to_text(info.unreadable)
            await conn.execute(
                """
                UPDATE accounts SET session_valid = ?, health = ?, upstream_error = ?,
                    self_renewing_expires_at = ?, expires_at = COALESCE(?, expires_at),
                    last_error = ?, details_checked_at = ?,
                    unreadable = CASE WHEN ? IS NULL AND ? IS NULL THEN unreadable ELSE ? END
                WHERE service = ? AND account = ?
                """,
                (
                    as_int(valid),
                    health,
                    error,
                    renewing,
                    expires,
                    reason,
                    stamp,
                    to_epoch(info.expires_at),
                    notes,
                    notes,
                    info.service,
                    info.account,
                ),
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
