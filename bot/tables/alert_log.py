"""The alert_warnings and alert_failures tables: every warning dealt with (sent, skipped, its
message, claims, resolution, reminders), what failed to post, and the scheduler's window."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import TypeVar

import aiosqlite

from bot.clock import from_epoch, to_epoch
from bot.followup import (
    MAX_EDIT_ATTEMPTS,
    Claim,
    How,
    LapsedClaim,
    OpenWarnings,
    PostedWarning,
    Resolution,
)
from bot.models import (
    AlertFailure,
    ReasonCleared,
    TrackedAccount,
    WarningKey,
    WatchWindow,
)
from bot.tables.base import Database
from bot.tables.rows import ACCOUNT_COLUMNS, account_from_row, timestamp

log = logging.getLogger(__name__)

_T = TypeVar("_T")

# The accounts of the window (see watch_window); 'gone' and 'expired' are bot.expiry's GONE and
# EXPIRED stage names.
_WINDOW_SELECT = """WHERE CASE
                WHEN a.gone_at IS NOT NULL THEN NOT EXISTS (
                    SELECT 1 FROM alert_warnings g WHERE g.service = a.service
                    AND g.account = a.account AND g.epoch = a.gone_at AND g.stage = 'gone')
                WHEN a.last_error <> '' THEN 1
                WHEN a.expires_at IS NULL OR a.expires_at > c.until THEN 0
                WHEN a.expires_at <= ? THEN NOT EXISTS (
                    SELECT 1 FROM alert_warnings x WHERE x.service = a.service
                    AND x.account = a.account AND x.epoch = a.expires_at AND x.stage = 'expired')
                ELSE 1
            END"""
# The most (service, account) pairs a subset read takes (watch_window, open_warnings), well inside
# SQLite's limit on bound values; a caller with more reads everything instead.
WINDOW_OF_AT_MOST = 500

# Every change a warning's message must show: one more state version to draw (migration 010),
# with a fresh count of tries (a deleted message stays given up).
NEW_STATE = (
    "state_version = state_version + 1, edit_attempts = 0, "
    "edit_state = CASE WHEN edit_state = 'gone' THEN 'gone' END"
)
_RESOLVE_REASON_WARNINGS = (
    f"UPDATE alert_warnings SET resolved_at = ?, resolution = ?, resolved_by = ?, {NEW_STATE} "  # noqa: S608
    "WHERE service = ? AND account = ? AND stage LIKE 'error:%' AND resolved_at IS NULL"
)
# 'remind:%' below is bot.followup's REMINDER_PREFIX: reminders are rows of alert_warnings too.
# The warnings that count as dealt with, for planning: all but resolved error warnings (w.).
_RECORDED = "NOT (w.stage LIKE 'error:%' AND w.resolved_at IS NOT NULL)"
_POSTED_COLUMNS = (
    "service, account, epoch, stage, message_id, channel_id, recorded_at, embed, claimed_by, "
    "claimed_at, took_over_from, claim_lapsed_by, claim_lapsed_at, resolved_at, resolution, "
    "resolved_by, edit_attempts, state_version, drawn_version, edit_state"
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
        state_version=row["state_version"],
        drawn_version=row["drawn_version"],
        redraw_given_up=row["edit_state"] is not None,
    )


async def resolve_cleared_reasons(
    conn: aiosqlite.Connection, service: str, cleared: Iterable[ReasonCleared], *, at: int
) -> None:
    """Resolve the open "needs a person now" warnings of accounts whose reason cleared, inside
    the caller's transaction (the accounts table's). Resolved error warnings no longer count as
    recorded (see `_RECORDED`), so the same reason coming back later is warned about again."""
    await conn.executemany(_RESOLVE_REASON_WARNINGS, [(at, c.how, c.by, service, c.account) for c in cleared])


class AlertLogTable(Database):
    """The once-per-stage record, and everything that follows a warning."""

    async def watch_window(
        self,
        horizons: dict[str, datetime],
        *,
        now: datetime,
        accounts: Collection[tuple[str, str]] | None = None,
    ) -> WatchWindow:
        """What one scheduler pass plans (tests/window_model.py states the same selection in Python).

        `horizons` maps each service to watch to its horizon (`bot.expiry.horizon`). Selected:
        accounts with a disappearance not yet warned about, with an upstream error, or expiring
        up to the horizon, except an expiry already past whose "expired" warning is recorded.
        With them come their recorded warnings (for their current expiry and disappearance)
        from the same statement, so a registration landing meanwhile can't pair an old expiry
        with the keys of a new one; and per service the earliest expiry past the horizon.

        With `accounts` ((service, account) pairs, at most WINDOW_OF_AT_MOST): those of the
        services in `horizons`, selected or not (planning a few whole costs nothing), with their
        recorded warnings, and no earliest expiries: what a sync changed, planned again in its pass.
        """
        if not horizons or (accounts is not None and not accounts):
            return WatchWindow([], set(), {})
        values = ", ".join("(?, ?)" for _ in horizons)
        bounds = [v for service, until in horizons.items() for v in (service, to_epoch(until))]
        columns = ", ".join(f"a.{name.strip()}" for name in ACCOUNT_COLUMNS.split(","))
        if accounts is None:
            # Three index searches (migration 008): expiring up to the horizon, gone, or with a
            # reason; _WINDOW_SELECT keeps those with something to plan. So a pass reads the
            # accounts inside the warning window, not every account.
            candidates = """
                SELECT a.rowid, h.until FROM horizon h JOIN accounts a
                    ON a.service = h.service AND a.expires_at <= h.until
                UNION SELECT a.rowid, h.until FROM horizon h JOIN accounts a
                    ON a.service = h.service AND a.gone_at IS NOT NULL
                UNION SELECT a.rowid, h.until FROM horizon h JOIN accounts a
                    ON a.service = h.service AND a.last_error <> ''
            """
            wanted: list[str] = []
            select, now_bound = _WINDOW_SELECT, [to_epoch(now)]
        else:
            if len(accounts) > WINDOW_OF_AT_MOST:
                raise ValueError(f"at most {WINDOW_OF_AT_MOST} accounts, not {len(accounts)}")
            pairs = ", ".join("(?, ?)" for _ in accounts)
            candidates = f"""
                SELECT a.rowid, h.until FROM (VALUES {pairs}) x
                JOIN accounts a ON a.service = x.column1 AND a.account = x.column2
                JOIN horizon h ON h.service = a.service
            """  # noqa: S608 - placeholders only
            wanted = [value for pair in accounts for value in pair]
            select, now_bound = "", []  # a few accounts: each is planned whole
        rows = await self.db.execute_fetchall(
            f"""
            WITH horizon (service, until) AS (VALUES {values}),
            candidate (id, until) AS ({candidates})
            SELECT {columns}, w.epoch AS recorded_epoch, w.stage AS recorded_stage
            FROM candidate c
            CROSS JOIN accounts a ON a.rowid = c.id  -- CROSS: the candidates drive the join
            LEFT JOIN alert_warnings w
                ON w.service = a.service AND w.account = a.account
                AND (w.epoch = COALESCE(a.expires_at, 0) OR w.epoch = a.gone_at)
                AND {_RECORDED}
            {select}
            ORDER BY a.service, a.account
            """,  # noqa: S608 - constant fragments and placeholders only
            (*bounds, *wanted, *now_bound),
        )
        found: dict[tuple[str, str], TrackedAccount] = {}
        recorded: set[WarningKey] = set()
        for row in rows:
            service, account = row["service"], row["account"]
            if (service, account) not in found:
                found[service, account] = account_from_row(row)
            if row["recorded_stage"] is not None:
                recorded.add(WarningKey(service, account, int(row["recorded_epoch"]), row["recorded_stage"]))
        if accounts is not None:
            return WatchWindow(list(found.values()), recorded, {})
        # Per service, the earliest expiry past the horizon of an account not gone: the first
        # entry of an index search (a MIN over the filtered range would read all of it).
        later = await self.db.execute_fetchall(
            f"""
            WITH horizon (service, until) AS (VALUES {values})
            SELECT h.service, (SELECT a.expires_at FROM accounts a WHERE a.service = h.service
                               AND a.expires_at > h.until AND a.gone_at IS NULL
                               ORDER BY a.expires_at LIMIT 1)
            FROM horizon h
            """,  # noqa: S608 - constant fragments and placeholders only
            bounds,
        )
        later_expiries: dict[str, datetime] = {}
        for service, earliest in later:
            expiry = from_epoch(earliest)
            if expiry is not None:  # None: no account of the service expires past the horizon
                later_expiries[service] = expiry
        return WatchWindow(list(found.values()), recorded, later_expiries)

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
        columns = ", ".join(f"a.{name.strip()}" for name in ACCOUNT_COLUMNS.split(","))
        rows = await self.db.execute_fetchall(
            f"SELECT {columns} FROM accounts a WHERE {where} ORDER BY a.expires_at, a.account LIMIT ?",  # noqa: S608
            (*params, limit),
        )
        counted = await self.db.execute_fetchall(
            f"SELECT COUNT(*) FROM accounts a WHERE {where}",  # noqa: S608 - constant fragments only
            params,
        )
        return [account_from_row(row) for row in rows], int(next(iter(counted))[0])

    async def accounts_of(self, accounts: Iterable[tuple[str, str]]) -> dict[tuple[str, str], TrackedAccount]:
        """The tracked accounts among these (service, account) pairs, in few queries."""
        wanted = sorted(set(accounts))
        found: dict[tuple[str, str], TrackedAccount] = {}
        for start in range(0, len(wanted), 400):  # SQLite's parameter limit, with room to spare
            chunk = wanted[start : start + 400]
            pairs = " OR ".join("(service = ? AND account = ?)" for _ in chunk)
            rows = await self.db.execute_fetchall(
                f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {pairs}",  # noqa: S608 - placeholders only
                [value for pair in chunk for value in pair],
            )
            for row in rows:
                account = account_from_row(row)
                found[account.service, account.account] = account
        return found

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
                "claim_lapsed_by = NULL, claim_lapsed_at = NULL, state_version = 0, drawn_version = 0",
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

    async def posted_warnings(self, *, open_only: bool = True) -> list[PostedWarning]:
        """Warnings with a message (not reminders); the open ones only, unless told otherwise."""
        where = "AND resolved_at IS NULL" if open_only else ""
        rows = await self.db.execute_fetchall(
            f"SELECT {_POSTED_COLUMNS} FROM alert_warnings WHERE status = 'sent' "  # noqa: S608
            f"AND message_id IS NOT NULL AND stage NOT LIKE 'remind:%' {where} "
            "ORDER BY recorded_at, service, account, stage"
        )
        return [_posted(r) for r in rows]

    async def open_warnings(self, accounts: Collection[tuple[str, str]] | None = None) -> OpenWarnings:
        """What a follow-through reads, in one statement: the open warnings with a message, the
        tracked ones of their accounts, and each warning's reminder count and last reminder;
        with `accounts` ((service, account) pairs, at most WINDOW_OF_AT_MOST), theirs only.
        Rows are read by position (a follow-through reads about a thousand at 10,000 accounts)."""
        if accounts is not None and len(accounts) > WINDOW_OF_AT_MOST:
            raise ValueError(f"at most {WINDOW_OF_AT_MOST} accounts, not {len(accounts)}")
        columns = ", ".join(f"a.{name.strip()}" for name in ACCOUNT_COLUMNS.split(","))
        source, wanted = "alert_warnings w", []
        if accounts is not None:  # CROSS: these pairs drive the join (a primary key search each)
            pairs = ", ".join("(?, ?)" for _ in accounts)
            source = f"(VALUES {pairs}) x CROSS JOIN alert_warnings w ON w.service = x.column1 AND w.account = x.column2"
            wanted = [value for pair in accounts for value in pair]
        # Reminders about the same expiry (a search of the primary key, not of every reminder
        # ever posted); 'remind:%' is bot.followup's REMINDER_PREFIX.
        reminders_of_w = (
            "r.service = w.service AND r.account = w.account AND r.epoch = w.epoch "
            "AND r.stage LIKE 'remind:%' AND r.status = 'sent'"
        )
        rows = await self.db.execute_fetchall(
            f"""
            SELECT w.service, w.account, w.epoch, w.stage, w.message_id, w.channel_id,
                w.recorded_at, w.claimed_by, w.claimed_at, w.took_over_from, w.claim_lapsed_by,
                w.claim_lapsed_at, w.edit_attempts, w.state_version, w.drawn_version, w.edit_state,
                (SELECT COUNT(*) FROM alert_warnings r WHERE {reminders_of_w}),
                (SELECT MAX(r.recorded_at) FROM alert_warnings r WHERE {reminders_of_w}),
                {columns}
            FROM {source}
            LEFT JOIN accounts a ON a.service = w.service AND a.account = w.account
            WHERE w.status = 'sent' AND w.message_id IS NOT NULL AND w.stage NOT LIKE 'remind:%'
                AND w.resolved_at IS NULL
            ORDER BY w.recorded_at, w.service, w.account, w.stage
            """,  # noqa: S608 - constant fragments and placeholders only
            wanted,
        )
        warnings: list[PostedWarning] = []
        found: dict[tuple[str, str], TrackedAccount] = {}
        reminders: dict[tuple[str, str, int], tuple[int, datetime]] = {}
        for row in rows:
            (service, account, epoch, stage, message_id, channel_id, recorded_at, claimed_by,
             claimed_at, took_over_from, lapsed_by, lapsed_at, edit_attempts, state_version, drawn_version,
             edit_state, count, last) = tuple(row)[:18]  # fmt: skip
            key = WarningKey(service, account, int(epoch), stage)
            warnings.append(
                PostedWarning(
                    key=key,
                    message_id=int(message_id),
                    channel_id=channel_id,
                    recorded_at=timestamp(recorded_at),
                    embed=None,
                    claim=None
                    if claimed_by is None
                    else Claim(claimed_by, timestamp(claimed_at), took_over_from),
                    lapsed=None if lapsed_by is None else LapsedClaim(lapsed_by, timestamp(lapsed_at)),
                    edit_attempts=edit_attempts,
                    state_version=state_version,
                    drawn_version=drawn_version,
                    redraw_given_up=edit_state is not None,
                )
            )
            if row[18] is not None and (service, account) not in found:
                found[service, account] = account_from_row(tuple(row)[18:])
            if count:
                reminders[service, account, key.epoch] = (int(count), timestamp(last))
        return OpenWarnings(warnings, found, reminders)

    async def warning_by_message(self, message_id: int) -> PostedWarning | None:
        async with self.db.execute(
            f"SELECT {_POSTED_COLUMNS} FROM alert_warnings WHERE message_id = ? AND status = 'sent' "  # noqa: S608
            f"AND stage NOT LIKE 'remind:%'",
            (message_id,),
        ) as cur:
            row = await cur.fetchone()
        return _posted(row) if row else None

    async def warning_by_key(self, key: WarningKey) -> PostedWarning | None:
        """The warning as stored now, if it was posted (not a reminder)."""
        async with self.db.execute(
            f"SELECT {_POSTED_COLUMNS} FROM alert_warnings WHERE service = ? AND account = ? "  # noqa: S608
            "AND epoch = ? AND stage = ? AND status = 'sent' AND message_id IS NOT NULL "
            "AND stage NOT LIKE 'remind:%'",
            key,
        ) as cur:
            row = await cur.fetchone()
        return _posted(row) if row else None

    async def resolve_warnings(
        self, resolved: Iterable[tuple[WarningKey, Resolution]], *, now: datetime
    ) -> int:
        """Mark open warnings resolved (their message is then redrawn); returns how many."""
        rows = [(to_epoch(now), r.how.value, r.by, *key) for key, r in resolved]
        if not rows:
            return 0

        async def work(conn: aiosqlite.Connection) -> int:
            changed = 0
            for row in rows:
                cur = await conn.execute(
                    f"UPDATE alert_warnings SET resolved_at = ?, resolution = ?, resolved_by = ?, {NEW_STATE} "  # noqa: S608
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
            f"UPDATE alert_warnings SET resolved_at = ?, resolution = ?, resolved_by = ?, {NEW_STATE} "  # noqa: S608
            "WHERE service = ? AND account = ? AND resolved_at IS NULL AND status = 'sent'",
            (to_epoch(now), resolution.how.value, resolution.by, service, account),
        )

    async def pending_redraws(self, limit: int) -> list[PostedWarning]:
        """Warnings whose message shows an older state than the one stored (resolved, claimed,
        lapsed since), not given up on; resolutions first, then the oldest."""
        rows = await self.db.execute_fetchall(
            f"SELECT {_POSTED_COLUMNS} FROM alert_warnings "  # noqa: S608 - constant fragments only
            "WHERE drawn_version < state_version AND edit_state IS NULL AND message_id IS NOT NULL "
            "AND status = 'sent' AND stage NOT LIKE 'remind:%' "
            "ORDER BY resolved_at IS NULL, resolved_at, recorded_at LIMIT ?",
            (limit,),
        )
        return [_posted(r) for r in rows]

    async def record_drawn(self, key: WarningKey, version: int) -> None:
        """The warning's message now shows state `version` (the edit drawing it succeeded)."""
        await self._write(
            "UPDATE alert_warnings SET drawn_version = ?, "
            "edit_attempts = CASE WHEN state_version = ? THEN 0 ELSE edit_attempts END, "
            "edit_state = CASE WHEN edit_state = 'gone' THEN 'gone' END "
            "WHERE service = ? AND account = ? AND epoch = ? AND stage = ?",
            (version, version, *key),
        )

    async def record_redraw_failed(self, key: WarningKey, version: int, *, gone: bool) -> bool:
        """An edit drawing state `version` failed. It is tried again (at the next pass) up to
        MAX_EDIT_ATTEMPTS times for one state, never again once the message is `gone`. A state
        that changed meanwhile is counted afresh. True when no further try will be made."""

        async def work(conn: aiosqlite.Connection) -> bool:
            if gone:
                await conn.execute(
                    "UPDATE alert_warnings SET edit_state = 'gone' "
                    "WHERE service = ? AND account = ? AND epoch = ? AND stage = ?",
                    key,
                )
            else:
                await conn.execute(
                    "UPDATE alert_warnings SET edit_attempts = edit_attempts + 1, edit_state = CASE "  # noqa: S608
                    f"WHEN edit_attempts + 1 >= {MAX_EDIT_ATTEMPTS} THEN 'failed' END "
                    "WHERE service = ? AND account = ? AND epoch = ? AND stage = ? "
                    "AND state_version = ? AND edit_state IS NULL",
                    (*key, version),
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
                f"UPDATE alert_warnings SET claimed_by = ?, claimed_at = ?, took_over_from = ?, {NEW_STATE} "  # noqa: S608
                "WHERE service = ? AND account = ? AND epoch = ? AND stage = ?",
                (user_id, stamp, holder, *warning.key),
            )
            return ("took_over" if holder else "claimed"), await read(conn)

        return await self._transaction(work)

    async def lapse_claim(self, key: WarningKey, *, claimed_by: int, now: datetime) -> bool:
        """End a claim that ran out (only if `claimed_by` still holds it)."""
        changed = await self._write(
            "UPDATE alert_warnings SET claim_lapsed_by = claimed_by, claim_lapsed_at = ?, "  # noqa: S608
            f"claimed_by = NULL, claimed_at = NULL, took_over_from = NULL, {NEW_STATE} "
            "WHERE service = ? AND account = ? AND epoch = ? AND stage = ? AND claimed_by = ?",
            (to_epoch(now), *key, claimed_by),
        )
        return changed > 0

    async def prune(self, *, before: datetime, limit: int) -> tuple[int, int]:
        """Delete up to `limit` audit entries and up to `limit` warning records older than
        `before`; returns (audit, warnings) deleted. A warning record about an account's
        current expiry or disappearance is kept, whatever its age: the once-per-stage rule
        needs it. So is an open warning (it is resolved first) and one whose redraw is pending."""
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
                    AND (w.status = 'skipped' OR w.message_id IS NULL OR w.stage LIKE 'remind:%'
                         OR (w.resolved_at IS NOT NULL
                             AND (w.drawn_version >= w.state_version OR w.edit_state IS NOT NULL)))
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
