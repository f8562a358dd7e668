"""The accounts table: registrations, useapi.net's lists applied, live details, removals.

Each answer's credit and quota figures are written with it, in the same transaction
(bot/tables/credits.py, `write_credits`). This module applies; it does not decide. A write that depends on what is stored reads it
(`StoredAccount`), asks the decision it was handed (a pure function of bot.account_diff, bound
by the caller to the answer) and writes what that returned, in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import aiosqlite

from bot.clock import to_epoch
from bot.models import (
    AccountListDiff,
    AccountVerdict,
    StoredAccount,
    SyncChanges,
    TrackedAccount,
)
from bot.tables.alert_log import resolve_cleared_reasons
from bot.tables.base import Database
from bot.tables.credits import write_credits
from bot.tables.rows import ACCOUNT_COLUMNS, account_from_row, as_int
from bot.useapi.base import AccountInfo

log = logging.getLogger(__name__)

_T = TypeVar("_T")

# The columns of a StoredAccount, in its order.
_STORED_COLUMNS = (
    "expires_at, registered_at, gone_at, synced_at, self_renewing, self_renewing_expires_at, "
    "refresh_expires_at, session_valid, health, last_error, upstream_error, call_refusal"
)

# Decides a service's list from what is stored (by account) and the accounts removed through the bot.
ListDecision = Callable[[Mapping[str, StoredAccount], set[str]], AccountListDiff]


async def _stored(conn: aiosqlite.Connection, service: str, account: str) -> StoredAccount | None:
    async with conn.execute(
        f"SELECT {_STORED_COLUMNS} FROM accounts WHERE service = ? AND account = ?",  # noqa: S608 - a constant
        (service, account),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else StoredAccount(*row)


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
        self,
        info: AccountInfo,
        *,
        user_id: int,
        judge: Callable[[StoredAccount | None], AccountVerdict],
    ) -> bool:
        """Store what useapi.net answered to a successful registration by `user_id`, as `judge`
        (bot.account_diff.judge_registration) decides from what is stored; tracked again if it
        was removed through the bot. True when the account was tracked already (a renewal)."""

        async def work(conn: aiosqlite.Connection) -> bool:
            stored = await _stored(conn, info.service, info.account)
            verdict = judge(stored)
            await conn.execute(
                """
                INSERT INTO accounts (service, account, expires_at, refresh_expires_at, concurrency,
                    credits_usage, credits_limit, max_jobs, registered_by, registered_at, last_error,
                    upstream_updated_at, first_seen_at, synced_at, gone_at, upstream_error, health,
                    session_valid, self_renewing_expires_at, next_refresh_at, unreadable, call_refusal)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)
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
                    unreadable = excluded.unreadable,
                    call_refusal = excluded.call_refusal
                """,
                (
                    info.service,
                    info.account,
                    verdict.expires_at,
                    to_epoch(info.refresh_expires_at),
                    info.concurrency,
                    info.credits_usage,
                    info.credits_limit,
                    info.max_jobs,
                    user_id,
                    verdict.at,
                    verdict.reason,
                    to_epoch(info.updated_at),
                    verdict.at,
                    verdict.at,
                    verdict.upstream_error,
                    verdict.health,
                    as_int(verdict.session_valid),
                    verdict.self_renewing_expires_at,
                    to_epoch(info.next_refresh_at),
                    verdict.unreadable,
                    verdict.call_refusal,
                ),
            )
            await write_credits(conn, verdict.credits)
            if verdict.cleared is not None:
                await resolve_cleared_reasons(conn, info.service, [verdict.cleared], at=verdict.at)
            # Registered again through the bot after a removal: tracked again, synced again.
            await conn.execute(
                "DELETE FROM settings WHERE key = ?", (_removed_key(info.service, info.account),)
            )
            return stored is not None

        return await self._transaction(work)

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

    async def present_counts(self) -> dict[str, int]:
        """Per service, the tracked accounts useapi.net has not dropped (SERVICES=auto)."""
        rows = await self.db.execute_fetchall(
            "SELECT service, COUNT(*) FROM accounts WHERE gone_at IS NULL GROUP BY service"
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def count_by_state(
        self, horizons: dict[str, datetime], *, now: datetime
    ) -> dict[tuple[str, str], int]:
        """(service, state) -> tracked accounts, for the services in `horizons` (each mapped to
        its `bot.expiry.horizon`), in one grouped query: "gone" (disappeared from useapi.net),
        "needs_person" (a reason to act now, or expired), "due" (a stage before the deadline has
        begun), "fine" (the rest, a deadline unknown included)."""
        if not horizons:
            return {}
        values = ", ".join("(?, ?)" for _ in horizons)
        bounds = [v for service, until in horizons.items() for v in (service, to_epoch(until))]
        rows = await self.db.execute_fetchall(
            f"""
            WITH horizon (service, until) AS (VALUES {values})
            SELECT a.service, CASE
                WHEN a.gone_at IS NOT NULL THEN 'gone'
                WHEN a.last_error <> '' OR a.expires_at <= ? THEN 'needs_person'
                WHEN a.expires_at <= h.until THEN 'due'
                ELSE 'fine'
            END AS state, COUNT(*)
            FROM accounts a JOIN horizon h ON h.service = a.service
            GROUP BY a.service, state
            """,  # noqa: S608 - constant fragments and placeholders only
            (*bounds, to_epoch(now)),
        )
        return {(row[0], row[1]): int(row[2]) for row in rows}

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

    async def apply_account_list(self, service: str, decide: ListDecision) -> SyncChanges:
        """Make the stored accounts of `service` agree with upstream's list, in one transaction:
        `decide` (bot.account_diff.diff_account_list, bound to the list by bot.sync) gets what
        is stored, read in the same transaction, and says what to write."""

        async def work(conn: aiosqlite.Connection) -> SyncChanges:
            rows = await conn.execute_fetchall(
                f"SELECT account, {_STORED_COLUMNS} FROM accounts WHERE service = ?",  # noqa: S608
                (service,),
            )
            diff = decide({r[0]: StoredAccount(*r[1:]) for r in rows}, await _removed(conn, service))
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
                diff.writes,
            )
            await write_credits(conn, diff.credits)
            await conn.executemany(
                "UPDATE accounts SET gone_at = ? WHERE service = ? AND account = ?",
                [(diff.at, service, account) for account in diff.gone],
            )
            await resolve_cleared_reasons(conn, service, diff.cleared, at=diff.at)
            await conn.executemany(
                "DELETE FROM settings WHERE key = ?",
                [(_removed_key(service, account),) for account in diff.forget_removed],
            )
            return diff.changes

        return await self._transaction(work)

    async def record_details(
        self, service: str, account: str, judge: Callable[[StoredAccount], AccountVerdict]
    ) -> bool:
        """Merge a live details read into a tracked account, as `judge`
        (bot.account_diff.judge_details) decides from what is stored. True when that changed the
        reason to warn or the expiry; False too when the account is not tracked (nothing is
        added from a details read)."""

        async def work(conn: aiosqlite.Connection) -> bool:
            stored = await _stored(conn, service, account)
            if stored is None:
                return False
            verdict = judge(stored)
            await conn.execute(
                """
                UPDATE accounts SET session_valid = ?, health = ?, upstream_error = ?,
                    self_renewing_expires_at = ?, expires_at = COALESCE(?, expires_at),
                    last_error = ?, details_checked_at = ?, call_refusal = ?,
                    unreadable = CASE WHEN ? IS NULL AND ? IS NULL THEN unreadable ELSE ? END
                WHERE service = ? AND account = ?
                """,
                (
                    as_int(verdict.session_valid),
                    verdict.health,
                    verdict.upstream_error,
                    verdict.self_renewing_expires_at,
                    verdict.expires_at,
                    verdict.reason,
                    verdict.at,
                    verdict.call_refusal,
                    verdict.answer_expires_at,
                    verdict.unreadable,
                    verdict.unreadable,
                    service,
                    account,
                ),
            )
            await write_credits(conn, verdict.credits)
            if verdict.cleared is not None:
                await resolve_cleared_reasons(conn, service, [verdict.cleared], at=verdict.at)
            return verdict.changed

        return await self._transaction(work)

    async def details_due(
        self, services: Sequence[str], *, before: datetime, limit: int
    ) -> list[tuple[str, str]]:
        """Tracked, present accounts of `services` whose live details were last read before
        `before`, the `limit` that waited longest: never read first (the services taking turns),
        then the oldest read. Two index searches per service (migration 008), whatever the
        number of accounts."""
        if not services or limit <= 0:
            return []
        never = (
            "SELECT * FROM (SELECT service, account, NULL FROM accounts WHERE service = ? "
            "AND gone_at IS NULL AND details_checked_at IS NULL ORDER BY account LIMIT ?)"
        )
        stale = (
            "SELECT * FROM (SELECT service, account, details_checked_at FROM accounts WHERE service = ? "
            "AND gone_at IS NULL AND details_checked_at < ? ORDER BY details_checked_at, account LIMIT ?)"
        )
        params: list[Any] = []
        for service in services:
            params += [service, limit, service, to_epoch(before), limit]
        rows = await self.db.execute_fetchall(
            " UNION ALL ".join(f"{never} UNION ALL {stale}" for _ in services), params
        )
        turn: dict[str, int] = {}
        ranked = []
        for service, account, checked_at in rows:
            if checked_at is None:
                turn[service] = turn.get(service, 0) + 1
                ranked.append(((0, turn[service], service, account), (service, account)))
            else:
                ranked.append(((1, checked_at, service, account), (service, account)))
        ranked.sort()
        return [pair for _, pair in ranked[:limit]]

    async def account_names(self, service: str, typed: str, *, limit: int, longest: int) -> list[str]:
        """Up to `limit` tracked accounts of `service` whose name holds `typed`, whatever its
        case (ASCII): those starting with it first, each group in name order; none longer than
        `longest`. The prefix is an index search; the rest reads the service's names only
        when the prefix found too few (the /… remove autocomplete, at every keystroke)."""
        found: list[str] = []
        if typed:
            rows = await self.db.execute_fetchall(
                "SELECT account FROM accounts WHERE service = ? AND account >= ? COLLATE NOCASE "
                "AND account < ? COLLATE NOCASE AND length(account) <= ? "
                "ORDER BY account COLLATE NOCASE LIMIT ?",
                (service, typed, typed + "\U0010ffff", longest, limit),
            )
            found = [r[0] for r in rows]
        if len(found) < limit:
            rows = await self.db.execute_fetchall(
                "SELECT account FROM accounts WHERE service = ? AND instr(lower(account), lower(?)) > ? "
                "AND length(account) <= ? ORDER BY account COLLATE NOCASE LIMIT ?",
                (service, typed, 1 if typed else 0, longest, limit - len(found)),
            )
            found += [r[0] for r in rows]
        return found

    async def mark_details_checked(self, service: str, account: str, *, at: datetime) -> None:
        """A details read that failed still waits its interval: a broken route is not hammered."""
        await self._write(
            "UPDATE accounts SET details_checked_at = ? WHERE service = ? AND account = ?",
            (to_epoch(at), service, account),
        )
