"""The expiry watch's scheduler pass, without Discord: sync, re-check, warn, keep the books.

Each pass (the alerts cog, cogs/alerts/_cog.py, runs one at least every 30 s, and right when the
next stage falls due):
1. writes the heartbeat and renews the scheduler lease; an instance without it does nothing else;
2. posts the warnings due now: stage warnings only after re-reading that service's account
   list (useapi.net may have refreshed the session itself), so a refreshed expiry re-plans
   instead of warning;
3. reads each service's account list when its sync is due (SYNC_INTERVAL, or backoff after a
   failure; lists read together are then spread over the interval), tells the channel once
   after repeated failures and once on recovery, and plans and follows through at once the
   accounts the fresh lists changed (errors, disappearances, renewals, new accounts);
4. follows the open warnings through (resolutions, claims, reminders) once a minute, and at
   once after a registration, a removal or a live details read that changed something.

What a pass reads grows with the accounts inside the warning window (Store.watch_window) and
the open warnings, not with every account (bench/pass_kinds.py measures each kind of pass).

With the warnings of step 2 go the credit warnings (`/alerts credits`, bot.credits): each pass
judges the stored figures below a threshold, and those that were, and posts each new crossing
once; a figure back above its threshold (a top-up) or refilled at its reset time resolves its
warning. The figures come from the reads the pass makes anyway (lists, details): no extra call.

Decisions live in bot.expiry and bot.sync; this module runs them in order and records what
happened. Posting is injected (`send_warning`, `send_notice`, their types in bot/delivery.py): a
warning is recorded as sent only once its sender returned; a `DeliveryError` is recorded with its
reason (for /alerts status) and the warning is retried on the next pass.

Whether anything can be posted at all is asked first (`can_deliver`, bot/deliverability.py: no
alert channel, the channel deleted or forbidden, Discord unreachable). While it can't, a pass
reads nothing from useapi.net for a warning (no re-check, no details read before a stage
warning), posts no warning, notice, edit or reminder, and records no failed attempt (the report
lists the due warnings as failed, with the reason); the regular syncs and details reads go on,
and the due warnings are posted once it can. It is asked per service too (`can_deliver(service)`):
a service with a channel of its own that works posts while the team's channel can't, and the
other way round.

Live account details (Luma's sessionValid, Google Flow's cookie expiry) are read beside the passes,
at a global rate (bot/details.py, `read_details`), and right before a stage warning by the pass.

One account, one service or one warning never stops the pass for the others: each service's
sync, each account's planning and details read, each warning, edit and reminder is its own step;
an exception in one is logged once (not at every pass) with the service and account, kept in
`PassReport.faults` (shown by /alerts status), and the pass goes on. Only the database failing
stops a pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import NamedTuple

from bot import quiet, settings
from bot.clock import Clock, from_epoch
from bot.credits import Threshold, decode_thresholds, judge_credits
from bot.delivery import (
    DeliveryCheck,
    DeliveryError,
    EscalationSender,
    NoticeSender,
    Posted,
    ReminderSender,
    WarningEditor,
    WarningSender,
    always_deliverable,
)
from bot.details import DETAILS_INTERVAL as DETAILS_INTERVAL  # where tests have long found it
from bot.details import DetailsReader, DetailsRound
from bot.durations import DurationError, parse_duration
from bot.escalation import escalations_due, parse_after
from bot.expiry import (
    CREDIT_PREFIX,
    DEFAULT_STAGES,
    Alert,
    Kind,
    Plan,
    after_recheck,
    horizon,
    parse_stages,
    plan,
    stage_name,
    stage_text,
    stages_for,
)
from bot.followup import (
    OpenWarnings,
    PostedWarning,
    Reminder,
    lapsed_claims,
    reminders_due,
    resolutions,
)
from bot.lease import KEEP_AT_MOST, KEEP_EVERY, Lease
from bot.models import TrackedAccount, WarningKey, WatchWindow
from bot.redraw import MessageKeeper, RedrawFailed
from bot.store import BACKGROUND_PATIENCE, Store, StoreError, write_patience
from bot.sync import (
    Notice,
    SyncResult,
    advance,
    after_notice,
    load_state,
    notice_needed,
    save_state,
    spread,
    sync_service,
)
from bot.tables.alert_log import WINDOW_OF_AT_MOST
from bot.team_watch import TeamReport, TeamWarningSender, TeamWatch
from bot.useapi import UseapiService

log = logging.getLogger(__name__)

# An account list read this recently counts as fresh for the check before a warning.
RECHECK_MAX_AGE = timedelta(seconds=60)
# Open warnings are followed through (resolved, claims lapsed, reminders) at least this often,
# and at once after a sync, a registration or a removal. Claims lapse after hours and reminders
# come daily, so a minute is nothing to them; reading every open warning every 30 s would be.
FOLLOW_THROUGH_EVERY = timedelta(minutes=1)
# Accounts per pass whose live details are re-read, side by side, right before their stage
# warning (unless read within RECHECK_MAX_AGE); the rest are read beside the passes.
DETAILS_BEFORE_WARNING = 10

# Follow-through, per pass: messages redrawn (resolved, claimed, lapsed), reminders posted.
EDITS_PER_PASS = 10
REMINDERS_PER_PASS = 5
PRUNE_BATCH = 500
PRUNE_EVERY = timedelta(hours=1)  # once a batch comes back short: nothing more is old enough


class PassFault(NamedTuple):
    """A step of a pass that raised; the pass went on without it."""

    # "sync", "planning", "details", "credits", "warning", "notice", "follow-through", "edit",
    # "reminder", "escalation"
    step: str
    service: str
    account: str | None
    error: str  # "TypeError: …", for the status and the log


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
    channel_problem: str | None = None  # nothing could be posted this pass, and why
    resolved: list[WarningKey] = field(default_factory=list)
    edited: list[WarningKey] = field(default_factory=list)
    edit_failed: list[tuple[WarningKey, str]] = field(default_factory=list)
    lapsed: list[WarningKey] = field(default_factory=list)
    reminded: list[WarningKey] = field(default_factory=list)
    escalated: list[WarningKey] = field(default_factory=list)
    # Stage warnings due but held for the end of quiet hours (not recorded: planned again).
    held: list[WarningKey] = field(default_factory=list)
    held_until: datetime | None = None
    pruned: tuple[int, int] = (0, 0)  # audit entries, warning records
    error: str | None = None
    faults: list[PassFault] = field(default_factory=list)  # steps that raised; the rest went on
    team: TeamReport = field(default_factory=TeamReport)  # the team-account step (bot/team_watch.py)


def _shown_as(warning: PostedWarning) -> str:
    """What a redraw was to show, for the log."""
    if not warning.is_open:
        return "resolved"
    if warning.claim is not None:
        return f"claimed by {warning.claim.by}"
    return "unclaimed"


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


def _fresh(read_at: datetime | None, now: datetime) -> bool:
    """Live details read this recently need no re-read before a warning."""
    return read_at is not None and now - read_at < RECHECK_MAX_AGE


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
        edit_warning: WarningEditor | None = None,
        send_reminder: ReminderSender | None = None,
        send_escalation: EscalationSender | None = None,
        claim_timeout: timedelta = timedelta(hours=2),
        reminder_interval: timedelta | None = timedelta(hours=24),
        retention: timedelta = timedelta(days=180),
        lease: Lease | None = None,
        team: TeamWatch | None = None,
        send_team_warning: TeamWarningSender | None = None,
        can_deliver: DeliveryCheck = always_deliverable,
    ) -> None:
        self.store = store
        self.services = services
        self.clock = clock
        self.sync_interval = sync_interval
        self.send_warning = send_warning
        self.send_notice = send_notice
        self.edit_warning = edit_warning
        self.send_reminder = send_reminder
        self.send_escalation = send_escalation
        self.claim_timeout = claim_timeout
        self.reminder_interval = reminder_interval  # REMINDER_INTERVAL; /alerts reminders overrides
        self.retention = retention
        self.lease = lease or Lease(store)
        # Every edit of a warning message goes through it (bot/redraw.py): the claim button too.
        self.messages = MessageKeeper(store, edit_warning, self.lease) if edit_warning else None
        # The team's useapi.net account (subscription, token, slots): read and warned about here too.
        self.team = team
        self.send_team_warning = send_team_warning
        self.can_deliver = can_deliver  # asked before anything is read or posted for a warning
        self.details = DetailsReader(store, services, clock)
        # The last pass held the lease: details are read (`read_details`) by the leader only.
        self.leading = False
        self._lock = asyncio.Lock()
        # The follow-through (resolutions, claim lapses, reminders) reads every open warning: it
        # runs when something may have changed, and otherwise once a FOLLOW_THROUGH_EVERY.
        self._follow_up_now = True
        self._followed_at: datetime | None = None
        self._next_prune: datetime | None = None
        # Faults of this pass and the last: one that keeps happening is logged once, not per pass.
        self._faults_now: set[tuple[str, str, str | None, str]] = set()
        self._faults_before: set[tuple[str, str, str | None, str]] = set()

    async def run_pass(self) -> PassReport:
        """One pass; passes never overlap. A database failure is raised, for the caller to log."""
        async with self._lock:
            report = PassReport(at=self.clock.now())
            try:
                with write_patience(BACKGROUND_PATIENCE):  # a pass may wait longer than a member
                    await self._run(report)
            finally:
                self.leading = report.leader
            report.faults.extend(PassFault("details", *fault) for fault in self.details.faults)
            return report

    async def read_details(self) -> DetailsRound:
        """One round of live details reads (bot/details.py), beside the passes; none while
        another instance holds the scheduler lease. When a read changed what a pass plans, the
        next pass follows the open warnings through; the caller wakes the scheduler."""
        if not self.leading:
            return DetailsRound()
        with write_patience(BACKGROUND_PATIENCE):  # nobody waits on it: as patient as a pass
            done = await self.details.read_round()
        if done.changed:
            self.follow_up_soon()
        return done

    async def _run(self, report: PassReport) -> None:
        self._faults_before, self._faults_now = self._faults_now, set()
        now = self.clock.now()
        await settings.HEARTBEAT.set(self.store, int(now.timestamp()))
        lease = await self.lease.renew(now)
        report.leader = lease.held
        if not lease.held:
            report.next_due = lease.expires_at  # try again the moment the holder's lease runs out
            return
        # However long this pass takes (syncs waiting USEAPI_TIMEOUT, Discord's rate limits), the
        # lease is renewed every KEEP_EVERY: a live holder never lets it lapse (bot/lease.py).
        keeper = asyncio.create_task(self._keep_lease())
        try:
            await self._lead(report)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        try:  # the next renewal is then one scheduler sleep away at most
            await self.lease.renew(self.clock.now())
        except StoreError as exc:
            log.warning("could not renew the scheduler lease after the pass: %s", exc)

    async def _keep_lease(self) -> None:
        started = time.monotonic()
        while True:
            await asyncio.sleep(KEEP_EVERY.total_seconds())
            if time.monotonic() - started > KEEP_AT_MOST.total_seconds():
                log.warning(
                    "this scheduler pass has run for over %s; no longer renewing the lease, so "
                    "another instance can take over if this one is stuck",
                    KEEP_AT_MOST,
                )
                return
            try:
                await self.lease.renew(self.clock.now())
            except StoreError as exc:
                log.warning("could not renew the scheduler lease during the pass: %s", exc)

    def _fault(
        self, report: PassReport, step: str, service: str, account: str | None, exc: BaseException
    ) -> None:
        """One step raised: keep it for /alerts status, log it once while it keeps happening
        (with its traceback), and let the pass go on."""
        identity = (step, service, account, type(exc).__name__)
        if identity in self._faults_now:
            return  # twice in one pass (a pass plans before and after its syncs)
        self._faults_now.add(identity)
        error = f"{type(exc).__name__}: {exc}"[:300]
        report.faults.append(PassFault(step, service, account, error))
        if identity not in self._faults_before:
            log.error(
                "%s of %s%s failed; the pass goes on for the rest (said once while it lasts): %s",
                step, service, f" {account}" if account else "", error,
                exc_info=exc,
            )  # fmt: skip

    async def _lead(self, report: PassReport) -> None:
        """The pass of the lease holder: warn, sync, warn what the lists revealed, follow up."""
        await self._deliver(report)
        # Services are read side by side, so a hanging useapi.net delays the next pass (and a
        # warning falling due meanwhile) by one USEAPI_TIMEOUT at most, not one per service.
        due = [k for k in self.services if (await load_state(self.store, k)).is_due(self.clock.now())]
        if self.team is not None:  # another instance may have held the lease since: read it afresh
            await self.team.load(fresh=True)
        await asyncio.gather(*(self._sync(key, report) for key in due), self._read_team_account(report))
        await self._team_step(report)
        if len(due) > 1:  # their next reads fall in different passes
            read = {key: await load_state(self.store, key) for key in due}
            for key, state in spread(read, self.sync_interval).items():
                await save_state(self.store, key, state)
        await self._sync_notices(report)
        if not await self.lease.hold(self.clock.now()):
            report.leader = False  # another instance took over meanwhile: it goes on from here
            return
        # The accounts the lists changed are planned and followed through now, not at the next pass.
        moved = sorted({(key, name) for key in due for name in report.synced[key].changes.moved})
        only = moved if len(moved) <= WINDOW_OF_AT_MOST else None  # else: everything
        if moved:
            await self._deliver(report, only=only)
        elif due:  # no account moved, but a list's credit figures may cross a threshold now
            await self._deliver_credits(report)
        now = self.clock.now()
        if (
            self._follow_up_now
            or (moved and only is None)
            or self._followed_at is None
            or now - self._followed_at >= FOLLOW_THROUGH_EVERY
        ):
            self._follow_up_now = False
            self._followed_at = now
            await self._follow_through(report)
        elif moved:
            await self._follow_through(report, only=only)
        await self._prune(report)

    async def _read_team_account(self, report: PassReport) -> None:
        """GET /v2/account when it is due (once per SYNC_INTERVAL at most)."""
        if self.team is None:
            return
        try:
            report.team.read = await self.team.read_if_due()
        except StoreError:
            raise
        except Exception as exc:  # the summary only; the syncs beside it go on
            self._fault(report, "team account", "useapi.net", None, exc)

    async def _team_step(self, report: PassReport) -> None:
        """Warn the team about its useapi.net account, and resolve what cleared."""
        if self.team is None:
            return
        try:
            await self.team.step(
                report.team,
                send=self.send_team_warning,
                may_post=lambda: self.lease.hold(self.clock.now()),
                watched=tuple(self.services),
            )
        except StoreError:
            raise
        except Exception as exc:
            self._fault(report, "team account", "useapi.net", None, exc)
        if report.team.resolved:
            self._follow_up_now = True
        report.sent.extend(report.team.sent)
        report.failed.extend(report.team.failed)
        report.resolved.extend(report.team.resolved)

    def follow_up_soon(self) -> None:
        """Something outside a pass changed an account (a registration, a removal): the next
        pass follows its open warnings through at once."""
        self._follow_up_now = True

    # -- what to plan ---------------------------------------------------------------------------

    async def stages(self) -> dict[str, tuple[timedelta, ...]]:
        """Each switched-on service's lead times, as `/alerts stages` stored them."""
        out: dict[str, tuple[timedelta, ...]] = {}
        for key in self.services:
            raw = await settings.STAGES.raw(self.store, key)
            try:
                out[key] = parse_stages(raw) if raw else DEFAULT_STAGES
            except DurationError:
                log.warning("stored stages for %s are unreadable (%r); using the defaults", key, raw)
                out[key] = DEFAULT_STAGES
        return out

    async def reminder_intervals(self) -> dict[str, timedelta | None]:
        """Each switched-on service's reminder interval (None: off), as `/alerts reminders`
        stored it, else REMINDER_INTERVAL."""
        out: dict[str, timedelta | None] = {}
        for key in self.services:
            raw = await settings.REMINDERS.raw(self.store, key)
            if raw is None:
                out[key] = self.reminder_interval
            elif raw == "off":
                out[key] = None
            else:
                try:
                    out[key] = parse_duration(raw)
                except DurationError:
                    log.warning(
                        "stored reminder interval for %s is unreadable (%r); using the default", key, raw
                    )
                    out[key] = self.reminder_interval
        return out

    async def credit_thresholds(self) -> dict[str, dict[str, Threshold]]:
        """Each switched-on service's credit thresholds (`/alerts credits`), by figure key; a
        service without any is left out."""
        out: dict[str, dict[str, Threshold]] = {}
        for key in self.services:
            found = decode_thresholds(await settings.CREDIT_THRESHOLDS.raw(self.store, key))
            if found:
                out[key] = found
        return out

    async def plan_window(self, now: datetime, *, only: Sequence[tuple[str, str]] | None = None) -> Plan:
        """What a pass acts on: the accounts that can have something due now (the store selects
        them in SQL, see `Store.watch_window`), and when the next stage falls due; or, `only`
        these (service, account) pairs, what is due for them (no next due moment of the others)."""
        stages = await self.stages()
        horizons = {key: horizon(stages, key, now) for key in self.services}
        return plan_of_window(await self.store.watch_window(horizons, now=now, accounts=only), stages, now)

    async def plan_for_status(self, now: datetime, *, upcoming_limit: int) -> Plan:
        """What `/alerts status` shows, without planning every account: what is due now (the
        scheduler's own window), the soonest `upcoming_limit` stage warnings, and how many more.

        For one stage, the soonest upcoming moments belong to the accounts with the soonest
        expiries past it, so the soonest few of each stage are the only candidates; the count of
        the rest is read in SQL.
        """
        stages = await self.stages()
        window = await self.plan_window(now)
        candidates: dict[tuple[str, str], TrackedAccount] = {}
        total = 0
        for key in self.services:
            for lead in stages_for(stages, key):
                soonest, count = await self.store.soonest_past(
                    key, now + lead, limit=upcoming_limit, stage=stage_name(lead)
                )
                total += count
                candidates.update(((a.service, a.account), a) for a in soonest)
        recorded = await self.store.alert_keys_of(list(candidates))
        upcoming = plan(list(candidates.values()), stages, recorded, now, upcoming_limit=upcoming_limit)
        return replace(
            window,
            upcoming=upcoming.upcoming,
            more_upcoming=max(0, total - len(upcoming.upcoming)),
            later=None,
        )

    async def plan_everything(self, now: datetime, *, upcoming_limit: int | None = None) -> Plan:
        """Every tracked account planned (for /alerts status); `upcoming_limit` as in `plan()`."""
        accounts = [a for a in await self.store.list_accounts() if a.service in self.services]
        recorded = await self.store.alert_keys()
        return plan(accounts, await self.stages(), recorded, now, upcoming_limit=upcoming_limit)

    # -- syncing --------------------------------------------------------------------------------

    async def _sync(self, service_key: str, report: PassReport) -> SyncResult:
        now = self.clock.now()
        state = await load_state(self.store, service_key)
        try:
            result = await sync_service(
                self.services[service_key], self.store, now, confirming=state.held_gone > 0
            )
        except Exception as exc:  # a failed read like any other: backoff, counted, announced
            self._fault(report, "sync", service_key, None, exc)
            result = SyncResult(
                service_key,
                now,
                ok=False,
                error=f"the bot could not process the list ({type(exc).__name__})",
                failure="internal",
            )
        state = advance(await load_state(self.store, service_key), result, self.sync_interval)
        await save_state(self.store, service_key, state)
        report.synced[service_key] = result
        if self.team is not None:  # a 404/410 list may mean useapi.net retired the service
            await self.team.note_list_read(service_key, ok=result.ok, failure=result.failure)
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

    async def _sync_notices(self, report: PassReport) -> None:
        if report.channel_problem is not None or await self.can_deliver() is not None:
            return  # kept pending: said once the channel can be posted to
        for key in self.services:
            state = await load_state(self.store, key)
            notice = notice_needed(state)
            if notice is None:
                continue
            if notice == "failing" and self.team is not None and self.team.explains_failures:
                continue  # the subscription or token warning says why every read fails
            if not await self.lease.hold(self.clock.now()):
                return  # another instance took over: it says it
            try:
                await self.send_notice(key, notice, state)
            except DeliveryError as exc:
                log.warning("could not post the %s sync notice for %s: %s", notice, key, exc)
                continue
            except Exception as exc:  # this notice only; retried at the next pass
                self._fault(report, "notice", key, None, exc)
                continue
            log.info("told the channel that the %s sync is %s", key, notice)
            await save_state(self.store, key, after_notice(state, notice))
            report.notices.append((key, notice))

    # -- warning --------------------------------------------------------------------------------

    async def _deliver(self, report: PassReport, *, only: Sequence[tuple[str, str]] | None = None) -> None:
        """Post what is due; `only` these (service, account) pairs (what a sync just changed)."""
        now = self.clock.now()
        quiet_hours = await quiet.load(self.store)
        current = self._hold(await self.plan_window(now, only=only), quiet_hours, now, report)
        for unplanned, error in current.unplanned:
            self._fault(report, "planning", unplanned.service, unplanned.account, error)
        # Decided before anything is read for a warning: while none can be posted, re-reading
        # useapi.net for one (every pass) would only hammer it. Logged once by the gate.
        # Per service: a service's own channel may work while the team's doesn't (bot/routing.py).
        blocked_for: dict[str | None, str] = {}
        for service in (None, *sorted({a.key.service for a in current.due})):
            reason = await self.can_deliver(service)
            if reason is not None:
                blocked_for[service] = reason
        team_problem = blocked_for.pop(None, None)
        waiting = tuple(a for a in current.due if a.key.service in blocked_for)
        if team_problem is not None:
            report.channel_problem = team_problem
        if waiting:
            said = {key for key, _ in report.failed}  # a pass asks twice (before and after syncs)
            report.failed.extend((a.key, blocked_for[a.key.service]) for a in waiting if a.key not in said)
        if team_problem is not None and len(waiting) == len(current.due):
            await self.store.forget_alert_failures(a.key for a in current.due)
            report.next_due = current.next_due
            return
        if waiting:
            current = replace(current, due=tuple(a for a in current.due if a.key.service not in blocked_for))
        rechecked: dict[str, bool] = {}
        stage_services = sorted({a.key.service for a in current.due if a.kind is Kind.STAGE})
        if stage_services:
            fresh = await asyncio.gather(*(self._recheck(key, report) for key in stage_services))
            rechecked = dict(zip(stage_services, fresh, strict=True))
            # A session can be revoked long before it expires: say so instead of "expires in 6h".
            stage_accounts = [
                (a.key.service, a.key.account)
                for a in current.due
                if a.kind is Kind.STAGE
                and self.services[a.key.service].reads_details
                and not _fresh(a.account.details_checked_at, now)
            ]
            await asyncio.gather(
                *(self.details.read_one(*where) for where in stage_accounts[:DETAILS_BEFORE_WARNING])
            )
            now = self.clock.now()
            current, suppressed = after_recheck(
                current, self._hold(await self.plan_window(now, only=only), quiet_hours, now, report)
            )
            # (an account that can't be planned was reported by the first plan of this pass)
            for suppressed_key in suppressed:
                log.info(
                    "%s %s: useapi.net now reports a later expiry; no %s warning",
                    suppressed_key.service,
                    suppressed_key.account,
                    stage_text(suppressed_key.stage),
                )
            report.suppressed.extend(suppressed)
        if current.skipped:
            await self.store.record_alerts_skipped(current.skipped, now=now)
            report.skipped.extend(current.skipped)
        credit_alerts, next_reset = await self._credit_alerts(report)
        due = (*current.due, *credit_alerts)
        await self._send_alerts(due, report, rechecked)
        soonest = [moment for moment in (current.next_due, next_reset) if moment is not None]
        if only is None:
            await self.store.forget_alert_failures([*(a.key for a in due), *(a.key for a in waiting)])
            report.next_due = min(soonest) if soonest else None
        elif soonest:  # the other accounts' next due moment stands
            report.next_due = min(filter(None, (report.next_due, *soonest)))
        if report.held_until is not None and (report.next_due is None or report.held_until < report.next_due):
            report.next_due = report.held_until  # wake when the quiet hours end

    async def _deliver_credits(self, report: PassReport) -> None:
        """The credit step alone, after syncs that moved no account (their figures may have)."""
        if await self.can_deliver() is not None:
            return  # the pass's first delivery said why, and holds what is due
        alerts, next_reset = await self._credit_alerts(report)
        await self._send_alerts(tuple(alerts), report, {})
        if next_reset is not None:
            report.next_due = min(filter(None, (report.next_due, next_reset)))

    async def _credit_alerts(self, report: PassReport) -> tuple[list[Alert], datetime | None]:
        """The credit step: judge the stored figures against the thresholds, record the
        crossings and resolve what no longer holds, and return the crossings still to warn about
        (and when the soonest figure below its threshold refills: its warning resolves then)."""
        now = self.clock.now()
        try:
            thresholds = await self.credit_thresholds()
            watched = list(self.services)
            figures = await self.store.credit_candidates(
                watched, [(s, t) for s, found in thresholds.items() for t in found.values()], now=now
            )
            changes = judge_credits(figures, thresholds, now)
            if await self.store.apply_credit_changes(changes):
                self._follow_up_now = True  # their messages are edited in this pass
            for cleared in changes.cleared:
                figure = cleared.figure
                log.info(
                    "%s %s: %s no longer below its credit threshold (%s)",
                    figure.service, figure.account, figure.key, cleared.how.value,
                )  # fmt: skip
            accounts = await self.store.accounts_of((f.service, f.account) for f in changes.due)
            resets = [
                r for r in (changes.next_reset, await self.store.soonest_credit_reset(watched, now=now)) if r
            ]
        except StoreError:
            raise
        except Exception as exc:  # a bug here stops no other warning
            self._fault(report, "credits", "every service", None, exc)
            return [], None
        alerts = []
        for figure in changes.due:
            acc = accounts.get((figure.service, figure.account))
            threshold = thresholds.get(figure.service, {}).get(figure.key)
            if acc is None or threshold is None or figure.low_since is None:
                continue
            key = WarningKey(figure.service, figure.account, figure.low_since, CREDIT_PREFIX + figure.key)
            alerts.append(
                Alert(
                    key,
                    Kind.CREDIT,
                    acc,
                    from_epoch(figure.low_since) or now,
                    credit=figure,
                    threshold=threshold.text(figure.unit),
                )
            )
        return alerts, min(resets) if resets else None

    def _hold(
        self, current: Plan, quiet_hours: quiet.QuietHours | None, now: datetime, report: PassReport
    ) -> Plan:
        """Take out of `current` the stage warnings that wait for the end of quiet hours
        (bot/quiet.py): not posted, not recorded, planned again by every pass until then."""
        held = {a.key for a in current.due if quiet.should_hold(a, quiet_hours, now)}
        report.held = sorted(held)
        report.held_until = quiet_hours.end_of_quiet(now) if held and quiet_hours else None
        if not held:
            return current
        return replace(current, due=tuple(a for a in current.due if a.key not in held))

    async def _send_alerts(
        self, alerts: tuple[Alert, ...], report: PassReport, rechecked: dict[str, bool]
    ) -> None:
        # A service may have a channel of its own (bot/routing.py): a channel refusing stops
        # the rest of that service's warnings this pass, not the other services'.
        blocked: dict[str, str] = {}
        for alert in alerts:
            now = self.clock.now()
            if not await self.lease.hold(now):
                report.leader = False
                return  # another instance took over (this one stalled): it posts from here on
            channel_problem = blocked.get(alert.key.service)
            if channel_problem is None:
                try:
                    alert = await self._rearmed(alert, report)
                    sent = await self.send_warning(alert, rechecked.get(alert.key.service, True))
                except DeliveryError as exc:
                    reason = str(exc)
                    if exc.channel_wide:
                        blocked[alert.key.service] = reason
                        report.channel_problem = report.channel_problem or reason
                except Exception as exc:  # this warning only: recorded as failed, retried next pass
                    self._fault(report, "warning", alert.key.service, alert.key.account, exc)
                    reason = f"the bot failed to draw or post it ({type(exc).__name__})"
                else:
                    posted = Posted(sent) if isinstance(sent, int) else sent
                    await self.store.record_alert_sent(
                        alert.key,
                        now=now,
                        message_id=posted.message_id if posted else None,
                        channel_id=posted.channel_id if posted else None,
                        embed=posted.embed if posted else None,
                    )
                    report.sent.append(alert.key)
                    log.info(
                        "warned about %s %s: %s",
                        alert.key.service,
                        alert.key.account,
                        stage_text(alert.key.stage),
                    )
                    continue
                log.warning(
                    "could not post the %s warning for %s %s: %s (will retry)",
                    stage_text(alert.key.stage),
                    alert.key.service,
                    alert.key.account,
                    reason,
                )
            else:  # not tried: the channel refused an earlier one (logged with it)
                reason = channel_problem
            await self.store.record_alert_failure(alert.key, reason=reason, now=now)
            report.failed.append((alert.key, reason))

    async def _rearmed(self, alert: Alert, report: PassReport) -> Alert:
        """The alert with its own identity when an earlier warning with its key was resolved
        (a reason that cleared and came back, even within Discord's nonce window): posted as a
        new message. That warning's message is brought in step first, while the record still
        names it (the new post takes its record over)."""
        earlier = await self.store.warning_by_key(alert.key)
        if earlier is None or earlier.is_open:
            return alert
        if not earlier.drawn and self.messages is not None:
            try:
                await self.messages.redraw(earlier.key)
            except RedrawFailed as failed:  # the new warning goes out all the same
                log.warning(
                    "could not mark the earlier %s warning for %s %s resolved before warning again: %s",
                    stage_text(alert.key.stage), alert.key.service, alert.key.account, failed.error,
                )  # fmt: skip
                report.edit_failed.append((alert.key, str(failed.error)))
        return replace(alert, rearmed_after=earlier.resolved_at)

    # -- follow-through -------------------------------------------------------------------------

    async def _follow_through(
        self, report: PassReport, *, only: Sequence[tuple[str, str]] | None = None
    ) -> None:
        """Resolve what no longer holds and edit its messages, lapse old claims, remind. The open
        warnings, their accounts and reminders are read once (`Store.open_warnings`). `only`
        these (service, account) pairs: resolve theirs and edit, no claims or reminders (what
        a sync just changed; the rest waits for the once-a-minute follow-through)."""
        now = self.clock.now()
        state = await self.store.open_warnings(only)
        resolved = []
        for open_warning in state.warnings:  # one warning at a time: an odd one stops no other
            try:
                resolved.extend(resolutions((open_warning,), state.accounts))
            except Exception as exc:
                key = open_warning.key
                self._fault(report, "follow-through", key.service, key.account, exc)
        if resolved:
            await self.store.resolve_warnings(((w.key, r) for w, r in resolved), now=now)
            report.resolved.extend(w.key for w, _ in resolved)
            for warning, resolution in resolved:
                log.info(
                    "%s %s: the %s warning is resolved (%s)",
                    warning.key.service, warning.key.account, stage_text(warning.key.stage), resolution.how.value,
                )  # fmt: skip
        if self.messages is None or report.channel_problem is not None:
            return
        if only is not None:  # what a sync changed: its resolutions drawn, no claims or reminders
            await self._redraw_pending(report)
            return
        gone = {w.key for w, _ in resolved}
        still_open = {w.key: w for w in state.warnings if w.key not in gone}
        for warning in lapsed_claims(still_open.values(), now, self.claim_timeout):
            assert warning.claim is not None
            if not await self.store.lapse_claim(warning.key, claimed_by=warning.claim.by, now=now):
                continue  # claimed again meanwhile
            report.lapsed.append(warning.key)
            log.info(
                "%s %s: the claim by %s lapsed", warning.key.service, warning.key.account, warning.claim.by
            )
            fresh = await self.store.warning_by_message(warning.message_id)
            if fresh is not None:
                still_open[warning.key] = fresh  # its reminders count from the lapse
        if not await self._redraw_pending(report):
            return  # the channel can't be written to: no reminders this pass
        quiet_hours = await quiet.load(self.store)
        if quiet_hours is not None and quiet_hours.is_quiet(now):
            return  # reminders and escalations wait for the end of quiet hours
        if self.send_reminder is not None:
            await self._remind(report, now, replace(state, warnings=list(still_open.values())))
        if self.send_escalation is not None:
            await self._escalate(report, now, replace(state, warnings=list(still_open.values())))

    async def _redraw_pending(self, report: PassReport) -> bool:
        """Redraw the messages that show an older state than the one stored: resolved, claimed
        or lapsed since, or an earlier edit failed (bot/redraw.py). False when the channel itself
        refused (stop for this pass) or the lease was lost."""
        assert self.messages is not None
        for warning in await self.store.pending_redraws(EDITS_PER_PASS):
            if not await self.lease.hold(self.clock.now()):
                report.leader = False
                return False  # another instance took over: it draws from here on
            try:
                drawn = await self.messages.redraw(warning.key)
            except RedrawFailed as failed:
                key, exc = warning.key, failed.error
                if not isinstance(exc, DeliveryError):  # this message only: a few tries, then given up
                    self._fault(report, "edit", key.service, key.account, exc)
                    report.edit_failed.append((key, type(exc).__name__))
                    continue
                log.warning(
                    "could not mark the %s warning for %s %s %s: %s (%s)",
                    stage_text(key.stage), key.service, key.account, _shown_as(failed.warning), exc,
                    "given up" if failed.given_up else "will retry",
                )  # fmt: skip
                report.edit_failed.append((key, str(exc)))
                if exc.channel_wide and not exc.message_gone:
                    return False
                continue
            if drawn is not None:
                report.edited.append(warning.key)
        return True

    async def _remind(self, report: PassReport, now: datetime, state: OpenWarnings) -> None:
        assert self.send_reminder is not None
        accounts, open_warnings, counts = state.accounts, state.warnings, state.reminders
        intervals = await self.reminder_intervals()
        stages = await self.stages()
        per_account: dict[tuple[str, str], list[PostedWarning]] = {}
        for warning in open_warnings:
            per_account.setdefault((warning.key.service, warning.key.account), []).append(warning)
        due: list[Reminder] = []
        for where, warnings in sorted(per_account.items()):  # one account at a time
            try:
                due.extend(reminders_due(warnings, accounts, counts, intervals, stages, now))
            except Exception as exc:
                self._fault(report, "reminder", where[0], where[1], exc)
        for reminder in due[:REMINDERS_PER_PASS]:
            if not await self.lease.hold(self.clock.now()):
                return  # another instance took over: it reminds from here on
            try:
                posted = await self.send_reminder(reminder)
            except DeliveryError as exc:
                log.warning(
                    "could not post the reminder for %s %s: %s (will retry)",
                    reminder.key.service, reminder.key.account, exc,
                )  # fmt: skip
                if exc.channel_wide:
                    return
                continue
            except Exception as exc:  # this reminder only; tried again at the next pass
                self._fault(report, "reminder", reminder.key.service, reminder.key.account, exc)
                continue
            await self.store.record_alert_sent(
                reminder.key,
                now=self.clock.now(),
                message_id=posted.message_id,
                channel_id=posted.channel_id,
                reply_to=reminder.about.message_id,
            )
            report.reminded.append(reminder.key)
            log.info(
                "reminded about %s %s (%s)", reminder.key.service, reminder.key.account, reminder.key.stage
            )

    async def escalation(self) -> tuple[int, timedelta] | None:
        """The escalation role and delay `/alerts escalate` set, or None (off, or unreadable)."""
        role = await settings.ESCALATE_ROLE.get(self.store)
        raw = await settings.ESCALATE_AFTER.get(self.store)
        if role is None or not raw:
            return None
        try:
            return role, parse_after(raw)
        except DurationError:
            log.warning("stored escalation delay %r is unreadable; no escalation", raw)
            return None

    async def _escalate(self, report: PassReport, now: datetime, state: OpenWarnings) -> None:
        """Ping the escalation role, once, about each last-word warning nobody took in time
        (`state`: what this follow-through read, the warnings it resolved taken out)."""
        assert self.send_escalation is not None
        chosen = await self.escalation()
        if chosen is None:
            return
        _, after = chosen
        open_warnings, accounts = state.warnings, state.accounts
        try:
            due = escalations_due(
                open_warnings, accounts, await self.store.escalated(), after, await self.stages(), now
            )
        except Exception as exc:  # the escalations of this pass only; the rest went on
            self._fault(report, "escalation", "*", None, exc)
            return
        for escalation in due[:REMINDERS_PER_PASS]:
            about = escalation.about.key
            if not await self.lease.hold(self.clock.now()):
                return  # another instance took over: it escalates from here on
            try:
                posted = await self.send_escalation(escalation)
            except DeliveryError as exc:
                log.warning(
                    "could not post the escalation for %s %s: %s (will retry)",
                    about.service,
                    about.account,
                    exc,
                )
                if exc.channel_wide:
                    return
                continue
            except Exception as exc:  # this escalation only; tried again at the next pass
                self._fault(report, "escalation", about.service, about.account, exc)
                continue
            await self.store.record_escalation(
                escalation.key,
                now=self.clock.now(),
                message_id=posted.message_id,
                channel_id=posted.channel_id,
            )
            report.escalated.append(about)
            log.info(
                "escalated the %s warning for %s %s", stage_text(about.stage), about.service, about.account
            )

    async def _prune(self, report: PassReport) -> None:
        """Old audit entries and warning records go, a batch at a time, then once an hour."""
        now = self.clock.now()
        if self._next_prune is not None and now < self._next_prune:
            return
        audit, warnings = await self.store.prune(before=now - self.retention, limit=PRUNE_BATCH)
        await self.store.prune_escalations(before=now - self.retention)
        report.pruned = (audit, warnings)
        if audit or warnings:
            log.info(
                "pruned %d audit entries and %d warning records older than the retention", audit, warnings
            )
        if audit < PRUNE_BATCH and warnings < PRUNE_BATCH:
            self._next_prune = now + PRUNE_EVERY
