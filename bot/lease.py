"""One sender at a time: a lease row in the database decides which running instance warns.

Two instances on the same database (a rolling deploy, a mistake) would otherwise both post
every warning. Each run names itself with an id of its own (`new_instance_id`: host, pid and a
random part, so two containers that share a host name and PID 1 are still two), and nothing but
that whole id is "ours": a lease held under any other id is another instance's.

The holder renews the lease at every scheduler pass (at least every `RENEWAL_PERIOD`, the
longest the scheduler sleeps), every `KEEP_EVERY` during a long pass (a sync waiting
USEAPI_TIMEOUT, Discord's rate limits), at the end of a pass, and right before each post
(`hold`). A renewal sets `expires_at` to now + `DEFAULT_TTL`: one renewal period plus slack. A
lease not renewed by then belongs to a dead holder, and the next instance to try takes it over:
a container restarted in place after a crash, or any standby, within 45 s of the crash's last
renewal (instead of the 90 s this used to be), while a live holder never goes that long without
renewing. An instance standing by tries again at the moment the lease runs out. A holder that
shuts down cleanly releases it at once. Changes are logged once, not every pass.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store import Store

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
# The longest a live holder goes between passes (cogs/alerts MAX_SLEEP may not exceed it).
RENEWAL_PERIOD = timedelta(seconds=30)
# Slack on top: a pass start delayed by a busy database (busy_timeout 5 s, twice: the heartbeat
# and the renewal), the wake-up padding, an event loop stalled by a large list. A live holder's
# renewals are at most ~40 s apart in the worst of these; a dead one's lease lapses at 45 s.
RENEWAL_SLACK = timedelta(seconds=15)
DEFAULT_TTL = RENEWAL_PERIOD + RENEWAL_SLACK
# During a pass the lease is renewed this often, however long the pass takes (up to KEEP_AT_MOST:
# a pass stuck longer than any of its timeouts allow lets the lease lapse, so a standby can warn).
KEEP_EVERY = timedelta(seconds=10)
KEEP_AT_MOST = timedelta(minutes=15)
# `hold` trusts a renewal this recent (monotonic seconds) instead of writing again before a post.
_FRESH_SECONDS = 2.0
# `held_recently` (no database read: a button's redraw) trusts a renewal this recent: a live
# holder renews at least every RENEWAL_PERIOD, and another instance can't take the lease over
# before DEFAULT_TTL has passed since the last renewal.
_TRUSTED_SECONDS = RENEWAL_PERIOD.total_seconds() + 5.0


def new_instance_id() -> str:
    """Host, process and a random part: unique per start, even for two containers with the same
    host name and PID. The host and pid are only there for people reading the log."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(8)}"


@dataclass(frozen=True)
class LeaseStatus:
    held: bool  # this instance may send
    holder: str
    expires_at: datetime  # when the holder's lease runs out unless renewed (a standby tries then)


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
        self._renewed_at: float | None = None  # monotonic time of the last renewal that held it

    @property
    def standing_by(self) -> bool:
        """True when the last renewal found another instance holding the lease."""
        return self._last_held is False

    async def renew(self, now: datetime) -> LeaseStatus:
        """Take or renew the lease; say in the log (once per change) when another instance has it."""
        ttl = int(self.ttl.total_seconds())
        row = await self.store.claim_lease(self.name, self.instance_id, now=now, ttl_seconds=ttl)
        status = LeaseStatus(row.holder == self.instance_id, row.holder, row.expires_at)
        self._renewed_at = time.monotonic() if status.held else None
        if status.held and self._last_held is not True:
            if self._last_held is False:
                log.warning("scheduler lease taken over by this instance (%s)", self.instance_id)
            else:
                log.info("scheduler lease held by this instance (%s)", self.instance_id)
        elif not status.held and (self._last_held is not False or self._last_holder != status.holder):
            if self._last_held is True:
                log.warning(
                    "scheduler lease lost to another instance (%s): this instance (%s) stops "
                    "sending warnings",
                    status.holder,
                    self.instance_id,
                )
            else:
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

    async def hold(self, now: datetime) -> bool:
        """Right before a post: True when this instance still holds the lease (renewed just now,
        or within the last couple of seconds). A holder that lost it posts nothing more."""
        if self._renewed_at is not None and time.monotonic() - self._renewed_at < _FRESH_SECONDS:
            return True
        return (await self.renew(now)).held

    def held_recently(self) -> bool:
        """True when this instance's last renewal held the lease and was recent enough that no
        other instance can have taken it over since (bot/redraw.py edits only then)."""
        return self._renewed_at is not None and time.monotonic() - self._renewed_at < _TRUSTED_SECONDS

    async def release(self) -> None:
        """Give the lease up so a standby instance takes over at its next pass."""
        if await self.store.release_lease(self.name, self.instance_id):
            log.info("scheduler lease released by %s", self.instance_id)
        self._last_held = None
        self._renewed_at = None
