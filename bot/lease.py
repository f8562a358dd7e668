"""One sender at a time: a lease row in the database decides which running instance warns.

Two instances on the same database (a rolling deploy, a mistake) would otherwise both post
every warning. Each scheduler pass renews the lease; an instance that finds another holder's
unexpired lease stands by, and takes over once that lease expires (its holder died) or is
released (its holder shut down cleanly). Changes are logged once, not every pass.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store import Store

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
# Passes run at least every 30 s; three missed renewals mean the holder is gone. Kept short
# because a holder that crashed blocks warnings until its lease runs out.
DEFAULT_TTL = timedelta(seconds=90)


def new_instance_id() -> str:
    """Host, process and a random part: unique even for two containers with the same pid."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def _slot(instance_id: str) -> str:
    """`host:pid`: two live instances never share it; a restarted container (same host, PID 1) does."""
    return instance_id.rsplit(":", 1)[0]


@dataclass(frozen=True)
class LeaseStatus:
    held: bool  # this instance may send
    holder: str
    expires_at: datetime


class Lease:
    def __init__(
        self,
        store: Store,
        instance_id: str | None = None,
        *,
        ttl: timedelta = DEFAULT_TTL,
        name: str = LEASE_NAME,
    ) -> None:
        self.store = store
        self.instance_id = instance_id or new_instance_id()
        self.ttl = ttl
        self.name = name
        self._last_held: bool | None = None
        self._last_holder: str | None = None

    @property
    def standing_by(self) -> bool:
        """True when the last renewal found another instance holding the lease."""
        return self._last_held is False

    async def renew(self, now: datetime) -> LeaseStatus:
        """Take or renew the lease; say in the log (once per change) when another instance has it."""
        ttl = int(self.ttl.total_seconds())
        row = await self.store.claim_lease(self.name, self.instance_id, now=now, ttl_seconds=ttl)
        if row.holder != self.instance_id and _slot(row.holder) == _slot(self.instance_id):
            # Our own previous run (killed without releasing) holds it: no need to wait it out.
            log.info("scheduler lease left by a previous run of this process (%s): taking it", row.holder)
            await self.store.release_lease(self.name, row.holder)
            row = await self.store.claim_lease(self.name, self.instance_id, now=now, ttl_seconds=ttl)
        status = LeaseStatus(row.holder == self.instance_id, row.holder, row.expires_at)
        if status.held and self._last_held is not True:
            if self._last_held is False:
                log.warning("scheduler lease taken over by this instance (%s)", self.instance_id)
            else:
                log.info("scheduler lease held by this instance (%s)", self.instance_id)
        elif not status.held and (self._last_held is not False or self._last_holder != status.holder):
            log.warning(
                "another instance (%s) holds the scheduler lease until %s: this instance (%s) "
                "sends no warnings until it takes over",
                status.holder,
                status.expires_at.isoformat(),
                self.instance_id,
            )
        self._last_held = status.held
        self._last_holder = status.holder
        return status

    async def release(self) -> None:
        """Give the lease up so a standby instance takes over at its next pass."""
        if await self.store.release_lease(self.name, self.instance_id):
            log.info("scheduler lease released by %s", self.instance_id)
        self._last_held = None
