"""The escalations table: each warning escalated (`/alerts escalate`), once (bot/escalation.py)."""

from __future__ import annotations

from datetime import datetime

from bot.clock import to_epoch
from bot.escalation import EscalationKey
from bot.tables.base import Database


class EscalationsTable(Database):
    async def escalated(self) -> set[EscalationKey]:
        """Every escalation on record (a few per warning that needed a person, pruned)."""
        rows = await self.db.execute_fetchall(
            "SELECT service, account, epoch, stage, warned_at FROM escalations"
        )
        return {(r[0], r[1], int(r[2]), r[3], int(r[4])) for r in rows}

    async def record_escalation(
        self, key: EscalationKey, *, now: datetime, message_id: int, channel_id: int | None
    ) -> None:
        await self._write(
            "INSERT OR IGNORE INTO escalations (service, account, epoch, stage, warned_at, recorded_at, "
            "message_id, channel_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*key, to_epoch(now), message_id, channel_id),
        )

    async def prune_escalations(self, *, before: datetime) -> int:
        """Escalations older than the retention whose warning is no longer open go."""
        return await self._write(
            "DELETE FROM escalations WHERE recorded_at < ? AND NOT EXISTS ("
            "SELECT 1 FROM alert_warnings w WHERE w.service = escalations.service "
            "AND w.account = escalations.account AND w.epoch = escalations.epoch "
            "AND w.stage = escalations.stage AND w.recorded_at = escalations.warned_at "
            "AND w.resolved_at IS NULL)",
            (to_epoch(before),),
        )
