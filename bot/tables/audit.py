"""The audit table: every registration, access change and refusal, read back newest first."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, TypeVar

from bot.clock import from_epoch, to_epoch
from bot.models import (
    AuditEntry,
)
from bot.tables.base import Database

log = logging.getLogger(__name__)

_T = TypeVar("_T")


class AuditTable(Database):
    """The audit trail (written everywhere, read by /access audit and `python -m bot audit`)."""

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
