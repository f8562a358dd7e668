"""The scheduler_lease table: which running instance sends warnings (bot/lease.py decides)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TypeVar

import aiosqlite

from bot.clock import from_epoch, to_epoch
from bot.models import (
    LeaseRow,
)
from bot.tables.base import Database

log = logging.getLogger(__name__)

_T = TypeVar("_T")


class LeaseTable(Database):
    """Take, renew and give up the scheduler lease, atomically."""

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
