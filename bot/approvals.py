"""Who may register, kept in memory so the 3-second interaction path never waits on SQLite.

The database stays the source of truth. Changes made through this instance apply at once
(`remember`, or `grant`/`revoke`); changes made by another instance on the same database (a
rolling deploy) are picked up by a refresh in the background every MAX_AGE_SECONDS
(`keep_fresh`). `approved_now` answers from memory only: a command that opens a form must
answer before anything waits on the database (a write of another process holding its lock,
the bot's one connection busy with a write waiting for it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from datetime import datetime

from bot.store import Store, StoreError

log = logging.getLogger(__name__)

MAX_AGE_SECONDS = 5.0


class ApprovalCache:
    def __init__(self, store: Store, *, max_age: float = MAX_AGE_SECONDS) -> None:
        self._store = store
        self._max_age = max_age
        self._users: frozenset[int] = frozenset()
        self._roles: frozenset[int] = frozenset()
        self._loaded_at: float | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._catching_up: asyncio.Task[None] | None = None

    async def reload(self) -> None:
        approvals = await self._store.list_approvals()
        self._users = frozenset(a.target_id for a in approvals if a.kind == "user")
        self._roles = frozenset(a.target_id for a in approvals if a.kind == "role")
        # Monotonic, not the bot's clock: this is cache freshness, not domain time.
        self._loaded_at = time.monotonic()

    async def is_approved(self, user_id: int, role_ids: Iterable[int]) -> bool:
        """Reloads first when stale (a database read): for tools and tests, not interactions."""
        if self._loaded_at is None or time.monotonic() - self._loaded_at > self._max_age:
            await self.reload()
        return user_id in self._users or not self._roles.isdisjoint(role_ids)

    def approved_now(self, user_id: int, role_ids: Iterable[int]) -> bool:
        """From memory, never waiting on the database (the interaction path). Memory older than
        twice MAX_AGE (the refresher stalled or was never started) is refreshed in the
        background for the next question."""
        if self._loaded_at is None or time.monotonic() - self._loaded_at > 2 * self._max_age:
            if self._catching_up is None or self._catching_up.done():
                self._catching_up = asyncio.get_running_loop().create_task(self._refresh())
        return user_id in self._users or not self._roles.isdisjoint(role_ids)

    def remember(self, kind: str, target_id: int, approved: bool) -> None:
        """Apply a change this instance just committed, at once."""
        if kind == "role":
            self._roles = self._roles | {target_id} if approved else self._roles - {target_id}
        else:
            self._users = self._users | {target_id} if approved else self._users - {target_id}

    async def grant(self, kind: str, target_id: int, *, granted_by: int, now: datetime) -> bool:
        added = await self._store.grant(kind, target_id, granted_by=granted_by, now=now)
        await self.reload()
        return added

    async def revoke(self, kind: str, target_id: int) -> bool:
        removed = await self._store.revoke(kind, target_id)
        await self.reload()
        return removed

    def keep_fresh(self) -> None:
        """Refresh from the database every MAX_AGE in the background, until `stop`."""
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def stop(self) -> None:
        for task in (self._refresher, self._catching_up):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _refresh_forever(self) -> None:
        while True:
            await self._refresh()
            await asyncio.sleep(self._max_age)

    async def _refresh(self) -> None:
        try:
            await self.reload()
        except (StoreError, ValueError) as exc:  # ValueError: the connection is closed
            log.warning("could not refresh the approvals from the database: %s", exc)
        except Exception as exc:  # sqlite3 errors of a read: keep what is known, try again later
            log.warning("could not refresh the approvals from the database: %s", type(exc).__name__)
