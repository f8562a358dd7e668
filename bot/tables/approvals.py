"""The approvals table: which members and roles may register accounts."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TypeVar

from bot.clock import from_epoch, to_epoch
from bot.models import (
    Approval,
)
from bot.tables.base import Database

log = logging.getLogger(__name__)

_T = TypeVar("_T")


class ApprovalsTable(Database):
    """Who may register: single members or whole roles."""

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
