"""The account_credits table (migration 007): each account's latest credit and quota figures, and
the crossing state `/alerts credits` keeps per figure.

The figures are written inside the accounts table's transactions (`write_credits`: a list, a
details read, a registration); this module reads them for `/accounts`, `/alerts credits` and the
scheduler's credit step, and applies what that step decided (bot.credits).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import aiosqlite

from bot.clock import from_epoch, to_epoch
from bot.credits import CREDIT_PREFIX, CreditChanges, Threshold
from bot.models import CreditWrite, StoredCredit
from bot.tables.alert_log import NEW_STATE
from bot.tables.base import Database

_UPSERT = """
INSERT INTO account_credits (service, account, key, label, unit, remaining, allowance, resets_at, read_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (service, account, key) DO UPDATE SET
    label = excluded.label,
    unit = excluded.unit,
    allowance = COALESCE(excluded.allowance, allowance),
    -- What is left and when it refills go together: an answer without the one keeps both.
    resets_at = CASE WHEN excluded.remaining IS NULL THEN resets_at ELSE excluded.resets_at END,
    read_at = CASE WHEN excluded.remaining IS NULL THEN read_at ELSE excluded.read_at END,
    remaining = COALESCE(excluded.remaining, remaining)
"""
_COLUMNS = (
    "c.service, c.account, c.key, c.label, c.unit, c.remaining, c.allowance, c.resets_at, c.read_at, "
    "c.low_since, c.low_remaining"
)
# The warning of a crossing (its key: the epoch is `low_since`, the stage 'credit:' || key, where
# 'credit:' is bot.expiry's CREDIT_PREFIX: a test checks they agree).
_RECORDED = (
    "EXISTS (SELECT 1 FROM alert_warnings w WHERE w.service = c.service AND w.account = c.account "
    "AND w.epoch = c.low_since AND w.stage = 'credit:' || c.key)"
)


async def write_credits(conn: aiosqlite.Connection, rows: Sequence[CreditWrite]) -> None:
    """Upsert figures inside the caller's transaction (the account's row must exist)."""
    if rows:
        await conn.executemany(_UPSERT, rows)


def _stored(row: Sequence[object], recorded: bool = False) -> StoredCredit:
    (service, account, key, label, unit, remaining, allowance, resets_at, read_at, low_since,
     low_remaining) = tuple(row)[:11]  # fmt: skip
    return StoredCredit(
        str(service),
        str(account),
        str(key),
        str(label),
        str(unit),
        None if remaining is None else float(remaining),  # type: ignore[arg-type]
        None if allowance is None else float(allowance),  # type: ignore[arg-type]
        from_epoch(resets_at),  # type: ignore[arg-type]
        from_epoch(read_at),  # type: ignore[arg-type]
        None if low_since is None else int(low_since),  # type: ignore[call-overload]
        None if low_remaining is None else float(low_remaining),  # type: ignore[arg-type]
        recorded,
    )


class CreditsTable(Database):
    """Credit and quota figures per account and key, and their threshold crossings."""

    async def credits_of(
        self, accounts: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], list[StoredCredit]]:
        """The stored figures of these (service, account) pairs (a page of `/accounts`)."""
        wanted = sorted(set(accounts))
        found: dict[tuple[str, str], list[StoredCredit]] = {}
        for start in range(0, len(wanted), 400):  # SQLite's parameter limit, with room to spare
            chunk = wanted[start : start + 400]
            pairs = " OR ".join("(c.service = ? AND c.account = ?)" for _ in chunk)
            rows = await self.db.execute_fetchall(
                f"SELECT {_COLUMNS} FROM account_credits c WHERE {pairs} ORDER BY c.rowid",  # noqa: S608
                [value for pair in chunk for value in pair],
            )
            for row in rows:
                figure = _stored(row)
                found.setdefault((figure.service, figure.account), []).append(figure)
        return found

    async def credit_keys(self, service: str) -> dict[str, bool]:
        """The figure keys stored for a service, each with whether any account gave an allowance."""
        rows = await self.db.execute_fetchall(
            "SELECT key, MAX(allowance IS NOT NULL) FROM account_credits WHERE service = ? GROUP BY key",
            (service,),
        )
        return {str(r[0]): bool(r[1]) for r in rows}

    async def credit_candidates(
        self, services: Sequence[str], thresholds: Iterable[tuple[str, Threshold]], *, now: datetime
    ) -> list[StoredCredit]:
        """What the scheduler's credit step must act on (bot.credits.judge_credits decides), each
        figure of a present account of `services` with whether its warning is recorded:
        - below its threshold now and not crossed yet (a new crossing);
        - crossed before, and no longer below it, or its warning not recorded yet.
        A figure crossed before, still below and warned about needs nothing, and one above its
        threshold and not crossed neither: neither is read (the steady pass reads no row). "Below"
        is `bot.credits.is_low` in SQL; tests/test_credits_store.py proves the two agree."""
        if not services:
            return []
        limits = [(service, t.key, t.amount, int(t.percent)) for service, t in thresholds]
        service_values = ", ".join("(?)" for _ in services)
        limit_values = ", ".join("(?, ?, ?, ?)" for _ in limits) or "(NULL, NULL, NULL, NULL)"
        stamp = to_epoch(now)
        low = (
            "(c.remaining IS NOT NULL AND (c.resets_at IS NULL OR c.resets_at > ?) AND COALESCE(c.remaining < "
            "CASE WHEN t.percent THEN t.amount * c.allowance / 100.0 ELSE t.amount END, 0))"
        )
        rows = await self.db.execute_fetchall(
            f"""
            WITH watched (service) AS (VALUES {service_values}),
                 limits (service, key, amount, percent) AS (VALUES {limit_values})
            SELECT {_COLUMNS}, {_RECORDED}
            FROM account_credits c
            JOIN watched s ON s.service = c.service
            JOIN accounts a ON a.service = c.service AND a.account = c.account AND a.gone_at IS NULL
            LEFT JOIN limits t ON t.service = c.service AND t.key = c.key
            WHERE c.low_since IS NOT NULL AND (NOT {_RECORDED} OR NOT {low})
            UNION ALL
            SELECT {_COLUMNS}, 0
            FROM limits t
            JOIN account_credits c ON c.service = t.service AND c.key = t.key
            JOIN watched s ON s.service = c.service
            JOIN accounts a ON a.service = c.service AND a.account = c.account AND a.gone_at IS NULL
            WHERE c.low_since IS NULL AND {low}
            """,  # noqa: S608 - constant fragments and placeholders only
            [*services, *(value for limit in limits for value in limit), stamp, stamp],
        )
        found = [_stored(row[:11], bool(row[11])) for row in rows]
        return sorted(found, key=lambda f: (f.service, f.account, f.key))

    async def soonest_credit_reset(self, services: Sequence[str], *, now: datetime) -> datetime | None:
        """When the soonest crossed figure of `services` refills by itself (its warning resolves
        then), so the scheduler wakes for it."""
        if not services:
            return None
        marks = ", ".join("?" for _ in services)
        rows = await self.db.execute_fetchall(
            f"SELECT MIN(resets_at) FROM account_credits WHERE low_since IS NOT NULL "  # noqa: S608
            f"AND resets_at > ? AND service IN ({marks})",
            [to_epoch(now), *services],
        )
        return from_epoch(next(iter(rows))[0]) if rows else None

    async def apply_credit_changes(self, changes: CreditChanges) -> int:
        """Record the crossings the credit step decided, in one transaction: a figure newly below
        its threshold gets its crossing time; one no longer below loses it, and the open warning
        about its crossing is resolved (how: bot.credits). Returns how many warnings resolved."""
        if not changes.crossed and not changes.cleared:
            return 0

        async def work(conn: aiosqlite.Connection) -> int:
            await conn.executemany(
                "UPDATE account_credits SET low_since = ?, low_remaining = ? "
                "WHERE service = ? AND account = ? AND key = ? AND low_since IS NULL",
                [(changes.at, c.remaining, c.service, c.account, c.key) for c in changes.crossed],
            )
            resolved = 0
            for cleared in changes.cleared:
                figure = cleared.figure
                await conn.execute(
                    "UPDATE account_credits SET low_since = NULL, low_remaining = NULL "
                    "WHERE service = ? AND account = ? AND key = ?",
                    (figure.service, figure.account, figure.key),
                )
                cur = await conn.execute(
                    f"UPDATE alert_warnings SET resolved_at = ?, resolution = ?, {NEW_STATE} "  # noqa: S608
                    "WHERE service = ? AND account = ? AND epoch = ? AND stage = ? AND resolved_at IS NULL",
                    (
                        changes.at,
                        cleared.how.value,
                        figure.service,
                        figure.account,
                        figure.low_since,
                        CREDIT_PREFIX + figure.key,
                    ),
                )
                resolved += cur.rowcount
            return resolved

        return await self._transaction(work)
