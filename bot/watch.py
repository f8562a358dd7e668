"""The expiry watch's scheduler pass, without Discord: sync, re-check, warn, keep the books.

Each pass (cogs/alerts.py runs one at least every 30 s, and right when the next stage falls due):
1. writes the heartbeat and renews the scheduler lease; an instance without it does nothing else;
2. posts the warnings due now: stage warnings only after re-reading that service's account
   list (useapi.net may have refreshed the session itself), so a refreshed expiry re-plans
   instead of warning;
3. reads each service's account list when its sync is due (SYNC_INTERVAL, or backoff after a
   failure), tells the channel once after repeated failures and once on recovery, and posts
   what the fresh lists revealed (errors, disappearances, new accounts close to expiry).

Decisions live in bot.expiry and bot.sync; this module runs them in order and records what
happened. Posting is injected (`send_warning`, `send_notice`): a warning is recorded as sent only
once its sender returned; a `DeliveryError` is recorded with its reason (for /alerts status) and
the warning is retried on the next pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot import settings
from bot.clock import Clock
from bot.durations import DurationError
from bot.expiry import (
    DEFAULT_STAGES,
    Alert,
    Kind,
    Plan,
    after_recheck,
    horizon,
    parse_stages,
    plan,
)
from bot.lease import Lease
from bot.models import WarningKey, WatchWindow
from bot.store import Store
from bot.sync import (
    Notice,
    SyncResult,
    SyncState,
    advance,
    after_notice,
    load_state,
    notice_needed,
    save_state,
    sync_service,
)
from bot.useapi import UseapiError, UseapiService

log = logging.getLogger(__name__)

# An account list read this recently counts as fresh for the check before a warning.
RECHECK_MAX_AGE = timedelta(seconds=60)
# Live account details (Luma's sessionValid, Google Flow's cookie expiry) are read at most this
# often per account, a few accounts per pass, and again right before a stage warning.
DETAILS_INTERVAL = timedelta(hours=4)
DETAILS_PER_PASS = 3
DETAILS_BEFORE_WARNING = 10  # accounts per pass re-read just before their stage warning

# Posts one warning; the flag is False when upstream could not be re-read just before. Returns
# the message's id, raises DeliveryError.
WarningSender = Callable[[Alert, bool], Awaitable[int | None]]
# Tells the channel that a service's sync is failing, or works again; raises DeliveryError.
NoticeSender = Callable[[str, Notice, SyncState], Awaitable[None]]


class DeliveryError(Exception):
    """A post to the alert channel failed; the message says why, for people and the log."""

    def __init__(self, reason: str, *, channel_wide: bool) -> None:
        super().__init__(reason)
        self.channel_wide = channel_wide  # later posts this pass would fail the same way


@dataclass
class PassReport:
    """What one scheduler pass did; tests read it, /alerts status shows the last one."""

    at: datetime
    leader: bool = False
    synced: dict[str, SyncResult] = field(default_factory=dict)
    sent: list[WarningKey] = field(default_factory=list)
    skipped: list[WarningKey] = field(default_factory=list)
    suppressed: list[WarningKey] = field(default_factory=list)  # no longer due after the re-check
    failed: list[tuple[WarningKey, str]] = field(default_factory=list)
    notices: list[tuple[str, Notice]] = field(default_factory=list)
    next_due: datetime | None = None
    channel_problem: str | None = None  # posting failed for every warning this pass, and why
    error: str | None = None


def plan_of_window(window: WatchWindow, stages: Mapping[str, Sequence[timedelta]], now: datetime) -> Plan:
    """The plan of what `Store.watch_window` read: everything due, and only the soonest
    upcoming warning (a pass needs no more than `next_due`)."""
    return plan(
        window.accounts,
        stages,
        window.recorded,
        now,
        upcoming_limit=1,
        later_expiries=window.later_expiries,
    )


class ExpiryWatch:
    """Runs the passes over one store and the switched-on services; one pass at a time."""

    def __init__(
        self,
        store: Store,
        services: dict[str, UseapiService],
        clock: Clock,
        *,
        sync_interval: timedelta,
        send_warning: WarningSender,
        send_notice: NoticeSender,
        lease: Lease | None = None,
    ) -> None:
        self.store = store
        self.services = services
        self.clock = clock
        self.sync_interval = sync_interval
        self.send_warning = send_warning
        self.send_notice = send_notice
        self.lease = lease or Lease(store)
        self._lock = asyncio.Lock()

    async def run_pass(self) -> PassReport:
        """One pass; passes never overlap. A database failure is raised, for the caller to log."""
        async with self._lock:
            report = PassReport(at=self.clock.now())
            await self._run(report)
            return report

    async def _run(self, report: PassReport) -> None:
        now = self.clock.now()
        await settings.HEARTBEAT.set(self.store, int(now.timestamp()))
        lease = await self.lease.renew(now)
        report.leader = lease.held
        if not lease.held:
            return
        await self._deliver(report)
        # Services are read side by side, so a hanging useapi.net delays the next pass (and a
        # warning falling due meanwhile) by one USEAPI_TIMEOUT at most, not one per service.
        due = [k for k in self.services if (await load_state(self.store, k)).is_due(self.clock.now())]
        await asyncio.gather(*(self._sync(key, report) for key in due))
        await self._sync_notices(report)
        read = await self._read_stale_details()
        if (due or read) and (await self.lease.renew(self.clock.now())).held:
            await self._deliver(report)

    # -- what to plan ---------------------------------------------------------------------------

    async def stages(self) -> dict[str, tuple[timedelta, ...]]:
        """Each switched-on service's lead times, as `/alerts thresholds` stored them."""
        out: dict[str, tuple[timedelta, ...]] = {}
        for key in self.services:
            raw = await settings.STAGES.raw(self.store, key)
            try:
                out[key] = parse_stages(raw) if raw else DEFAULT_STAGES
            except DurationError:
                log.warning("stored stages for %s are unreadable (%r); using the defaults", key, raw)
                out[key] = DEFAULT_STAGES
        return out

    async def plan_window(self, now: datetime) -> Plan:
        """What a pass acts on: the accounts that can have something due now (the store selects
        them in SQL, see `Store.watch_window`), and when the next stage falls due."""
        stages = await self.stages()
        horizons = {key: horizon(stages, key, now) for key in self.services}
        return plan_of_window(await self.store.watch_window(horizons, now=now), stages, now)

    async def plan_everything(self, now: datetime, *, upcoming_limit: int | None = None) -> Plan:
        """Every tracked account planned (for /alerts status); `upcoming_limit` as in `plan()`."""
        accounts = [a for a in await self.store.list_accounts() if a.service in self.services]
        recorded = await self.store.alert_keys()
        return plan(accounts, await self.stages(), recorded, now, upcoming_limit=upcoming_limit)

    # -- syncing --------------------------------------------------------------------------------

    async def _sync(self, service_key: str, report: PassReport) -> SyncResult:
        now = self.clock.now()
        state = await load_state(self.store, service_key)
        result = await sync_service(
            self.services[service_key], self.store, now, confirming=state.held_gone > 0
        )
        state = advance(await load_state(self.store, service_key), result, self.sync_interval)
        await save_state(self.store, service_key, state)
        report.synced[service_key] = result
        return result

    async def _recheck(self, service_key: str, report: PassReport) -> bool:
        """Re-read the service's list before a stage warning; True when the data is fresh."""
        state = await load_state(self.store, service_key)
        now = self.clock.now()
        if state.failures == 0 and state.last_success_at and now - state.last_success_at < RECHECK_MAX_AGE:
            return True
        if state.failures and not state.is_due(now):
            return False  # backing off: don't hammer useapi.net on every pass
        return (await self._sync(service_key, report)).ok

    async def _read_stale_details(self) -> int:
        """Read, side by side, the live details of the accounts that waited longest
        (DETAILS_INTERVAL); the number of accounts whose reason to warn, or expiry, changed."""
        now = self.clock.now()
        reads: list[Coroutine[Any, Any, bool]] = []
        for service in self.services.values():
            if service.reads_details:
                stale = await self.store.details_due(
                    service.key, before=now - DETAILS_INTERVAL, limit=DETAILS_PER_PASS
                )
                reads.extend(self._read_details(service, account) for account in stale)
        return sum(await asyncio.gather(*reads))

    async def _read_details(self, service: UseapiService, account: str) -> bool:
        """One details read, merged into the store; a failure changes nothing but the time.
        True when it changed what the scheduler plans (the reason to warn, or the expiry)."""
        now = self.clock.now()
        try:
            info = await service.account_details(account)
        except UseapiError as exc:
            log.info("%s %s: live details unavailable (%s)", service.key, account, exc.failure.value)
            await self.store.mark_details_checked(service.key, account, at=now)
            return False
        return await self.store.record_details(info, checked_at=now, noun=service.expiry_noun)

    async def _sync_notices(self, report: PassReport) -> None:
        for key in self.services:
            state = await load_state(self.store, key)
            notice = notice_needed(state)
            if notice is None:
                continue
            try:
                await self.send_notice(key, notice, state)
            except DeliveryError as exc:
                log.warning("could not post the %s sync notice for %s: %s", notice, key, exc)
                continue
            log.info("told the channel that the %s sync is %s", key, notice)
            await save_state(self.store, key, after_notice(state, notice))
            report.notices.append((key, notice))

    # -- warning --------------------------------------------------------------------------------

    async def _deliver(self, report: PassReport) -> None:
        now = self.clock.now()
        current = await self.plan_window(now)
        rechecked: dict[str, bool] = {}
        stage_services = sorted({a.key.service for a in current.due if a.kind is Kind.STAGE})
        if stage_services:
            fresh = await asyncio.gather(*(self._recheck(key, report) for key in stage_services))
            rechecked = dict(zip(stage_services, fresh, strict=True))
            # A session can be revoked long before it expires: say so instead of "expires in 6h".
            stage_accounts = [
                (a.key.service, a.key.account)
                for a in current.due
                if a.kind is Kind.STAGE and self.services[a.key.service].reads_details
            ]
            for service_key, account in stage_accounts[:DETAILS_BEFORE_WARNING]:
                await self._read_details(self.services[service_key], account)
            now = self.clock.now()
            current, suppressed = after_recheck(current, await self.plan_window(now))
            for suppressed_key in suppressed:
                log.info(
                    "%s %s: useapi.net now reports a later expiry; no %s warning",
                    suppressed_key.service,
                    suppressed_key.account,
                    suppressed_key.stage,
                )
            report.suppressed.extend(suppressed)
        if current.skipped:
            await self.store.record_alerts_skipped(current.skipped, now=now)
            report.skipped.extend(current.skipped)
        await self._send_alerts(current.due, report, rechecked)
        await self.store.forget_alert_failures(a.key for a in current.due)
        report.next_due = current.next_due

    async def _send_alerts(
        self, alerts: tuple[Alert, ...], report: PassReport, rechecked: dict[str, bool]
    ) -> None:
        channel_problem = report.channel_problem
        for alert in alerts:
            now = self.clock.now()
            if channel_problem is None:
                try:
                    message_id = await self.send_warning(alert, rechecked.get(alert.key.service, True))
                except DeliveryError as exc:
                    reason = str(exc)
                    if exc.channel_wide:
                        channel_problem = report.channel_problem = reason
                else:
                    await self.store.record_alert_sent(alert.key, now=now, message_id=message_id)
                    report.sent.append(alert.key)
                    log.info("warned about %s %s: %s", alert.key.service, alert.key.account, alert.key.stage)
                    continue
            else:
                reason = channel_problem
            log.warning(
                "could not post the %s warning for %s %s: %s (will retry)",
                alert.key.stage,
                alert.key.service,
                alert.key.account,
                reason,
            )
            await self.store.record_alert_failure(alert.key, reason=reason, now=now)
            report.failed.append((alert.key, reason))
