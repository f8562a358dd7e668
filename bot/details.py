"""Live account details, read beside the scheduler pass instead of inside it.

Some services answer more about one account (GET /accounts/{account}, `reads_details`) than
their list does: Luma's live `sessionValid`, Google Flow's cookie expiry, a Google sign-out,
credits. Each tracked account of such a service is read every DETAILS_INTERVAL. The reads have
a global budget whatever the number of services: a round reads at most READS_PER_ROUND
accounts side by side (the longest waiting first; never read first, the services taking turns)
and the alerts cog runs a round every ROUND_EVERY while accounts are due (2,160 reads an hour:
every account of 8,640 every 4 hours; useapi.net's cap is 100 accounts a service), else every
IDLE_CHECK, or when woken (a registration, a sync, this instance taking the scheduler lease).
Only the instance holding the scheduler lease reads. A read that changes what the scheduler
plans (the reason a person is needed, or the deadline) is reported, and the caller wakes the
scheduler (`ExpiryWatch.read_details`, the one entry point of the rounds).

Right before a stage warning the pass re-reads that account itself (`read_one`, from
`ExpiryWatch._deliver`), so a revoked session is warned about as revoked, not as "expires in 6h".

A read that fails changes nothing but the time it was tried (a broken route is not hammered). A
read that raises anything else is a fault of that account only: logged once while it lasts and
shown by /alerts status (`faults`) until that account reads cleanly again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.account_diff import judge_details
from bot.clock import Clock
from bot.store import Store, StoreError
from bot.useapi import UseapiError, UseapiService

log = logging.getLogger(__name__)

DETAILS_INTERVAL = timedelta(hours=4)
READS_PER_ROUND = 3
ROUND_EVERY = timedelta(seconds=5)
IDLE_CHECK = timedelta(seconds=60)


class DetailsRound(NamedTuple):
    """What one round did."""

    read: int = 0  # accounts read (answered or not)
    changed: int = 0  # of them, those whose reason to warn or deadline changed


class DetailsFault(NamedTuple):
    """An account whose last details read raised (not an answer from useapi.net)."""

    service: str
    account: str
    error: str  # "TypeError: …"


class DetailsReader:
    """Reads the live details of the accounts of the services that have them."""

    def __init__(
        self,
        store: Store,
        services: Mapping[str, UseapiService],
        clock: Clock,
        *,
        per_round: int = READS_PER_ROUND,
        interval: timedelta = DETAILS_INTERVAL,
    ) -> None:
        self.store = store
        self.services = services
        self.clock = clock
        self.per_round = per_round
        self.interval = interval
        self.reads = 0  # details reads made since start, answered or not (rounds and re-checks)
        self._faults: dict[tuple[str, str], DetailsFault] = {}

    @property
    def faults(self) -> list[DetailsFault]:
        """The accounts whose last read raised, for /alerts status."""
        return list(self._faults.values())

    async def due(self, now: datetime) -> list[tuple[str, str]]:
        """The (service, account) pairs the next round reads."""
        keys = [key for key, service in self.services.items() if service.reads_details]
        return await self.store.details_due(keys, before=now - self.interval, limit=self.per_round)

    async def read_round(self) -> DetailsRound:
        """Read, side by side, the accounts that waited longest (at most `per_round`)."""
        due = await self.due(self.clock.now())
        changed = await asyncio.gather(*(self.read_one(service, account) for service, account in due))
        return DetailsRound(len(due), sum(changed))

    async def read_one(self, service_key: str, account: str) -> bool:
        """One details read, merged into the store; True when it changed what the scheduler plans
        (the reason to warn, or the deadline). Raises only StoreError."""
        service = self.services[service_key]
        now = self.clock.now()
        self.reads += 1
        try:
            info = await service.read_details(account)
            judge = functools.partial(judge_details, info, checked_at=now, noun=service.expiry_noun)
            changed = await self.store.record_details(info.service, info.account, judge)
        except UseapiError as exc:
            log.info("%s %s: live details unavailable (%s)", service_key, account, exc.failure.value)
        except StoreError:
            raise
        except Exception as exc:  # this account's read only; the others go on
            self._fault(service_key, account, exc)
        else:
            self._faults.pop((service_key, account), None)
            return changed
        await self.store.mark_details_checked(service_key, account, at=now)
        return False

    def _fault(self, service: str, account: str, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}"[:300]
        before = self._faults.get((service, account))
        self._faults[service, account] = DetailsFault(service, account, error)
        if before is None or not before.error.startswith(f"{type(exc).__name__}:"):
            log.error(
                "details of %s %s failed; the others go on (said once while it lasts): %s",
                service, account, error,
                exc_info=exc,
            )  # fmt: skip
