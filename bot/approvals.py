"""Who may register, kept in memory so the 3-second interaction path never waits on SQLite.

The database stays the source of truth. Changes made through this object apply
at once; changes made by another instance on the same database (a rolling
deploy) are picked up within MAX_AGE.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime

from bot.store import Store

MAX_AGE_SECONDS = 5.0


class ApprovalCache:
    def __init__(self, store: Store, *, max_age: float = MAX_AGE_SECONDS) -> None:
        self._store = store
        self._max_age = max_age
        self._users: frozenset[int] = frozenset()
        self._roles: frozenset[int] = frozenset()
        self._loaded_at: float | None = None

    async def reload(self) -> None:
        approvals = await self._store.list_approvals()
        self._users = frozenset(a.target_id for a in approvals if a.kind == "user")
        self._roles = frozenset(a.target_id for a in approvals if a.kind == "role")
        # Monotonic, not the bot's clock: this is cache freshness, not domain time.
        self._loaded_at = time.monotonic()

    async def is_approved(self, user_id: int, role_ids: Iterable[int]) -> bool:
        if self._loaded_at is None or time.monotonic() - self._loaded_at > self._max_age:
            await self.reload()
        return user_id in self._users or not self._roles.isdisjoint(role_ids)

    async def grant(self, kind: str, target_id: int, *, granted_by: int, now: datetime) -> bool:
        added = await self._store.grant(kind, target_id, granted_by=granted_by, now=now)
        await self.reload()
        return added

    async def revoke(self, kind: str, target_id: int) -> bool:
        removed = await self._store.revoke(kind, target_id)
        await self.reload()
        return removed
