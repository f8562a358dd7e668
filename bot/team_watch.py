"""The team-account watch, without Discord: reads GET /v2/account on the sync schedule, learns
from every call's answers (402, the bot token's 401s: bot/useapi/outcomes.py) and from the
list reads (a retired service), keeps its memory in the database, posts and resolves the team
warnings, and decides which services SERVICES=auto switches on. The decisions are pure
functions in bot/team_account.py; bot/watch.py runs this once per scheduler pass.

Reads: one GET /v2/account at start-up (before the commands are registered, under auto), then
once per SYNC_INTERVAL, never more than once a minute; a failed read is retried after 1, 2, 4 …
minutes, up to the interval. A failed or unreadable read changes nothing (the last good answer
stays, stored) and is said once in the log, and again when a read works.

`load_team_state(store)` is the read-only view other features (a status board, a digest, a
metrics gauge) use: the last good answer, when it was read, the open team warnings' episodes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot import metrics, settings
from bot.clock import Clock, from_epoch
from bot.delivery import DeliveryError, Posted
from bot.followup import How, Resolution
from bot.models import TEAM_SERVICE, WarningKey
from bot.store import Store, StoreError
from bot.sync import backoff
from bot.team_account import (
    Kind,
    TeamState,
    TeamWarning,
    Topic,
    Verdict,
    decide_auto,
    judge,
    listed,
    match_service,
    switched_on,
    topics_to_judge,
)
from bot.useapi import Failure, Transport, UseapiError, UseapiService
from bot.useapi.account import AccountSummary, read_account_summary

log = logging.getLogger(__name__)

# Never read the summary more often than this, whatever SYNC_INTERVAL says.
MIN_READ_INTERVAL = timedelta(minutes=1)

# Posts one team warning to the alert channel; raises DeliveryError.
TeamWarningSender = Callable[[TeamWarning], Awaitable[Posted]]


async def load_team_state(store: Store) -> TeamState:
    """The team-account watch's memory as last stored (read-only; any process may call it)."""
    return TeamState.from_json(await settings.TEAM_ACCOUNT.raw(store))


@dataclass
class TeamReport:
    """What the team-account step of one pass did (PassReport.team)."""

    read: bool | None = None  # None: no read was due; else whether it worked
    sent: list[WarningKey] = field(default_factory=list)
    failed: list[tuple[WarningKey, str]] = field(default_factory=list)
    resolved: list[WarningKey] = field(default_factory=list)


class TeamWatch:
    """One per bot: the scheduler pass drives it; registration asks it whether a service retired."""

    def __init__(
        self,
        store: Store,
        transport: Transport,
        clock: Clock,
        *,
        sync_interval: timedelta,
        services: Mapping[str, UseapiService],
        auto: bool,
    ) -> None:
        self.store = store
        self.transport = transport
        self.clock = clock
        self.interval = max(sync_interval, MIN_READ_INTERVAL)
        self.services = services  # every service with a module, switched on or not
        self.auto = auto
        self.state = TeamState()
        self._loaded = False
        self._read_in_this_process = False
        # The transport's answer number when the last good summary was read (0: before this process).
        self._read_seq = 0
        self._failure_said = False
        self._reevaluate = True  # SERVICES=auto: decide again at the next pass

    # -- memory -------------------------------------------------------------------------------

    async def load(self, *, fresh: bool = False) -> TeamState:
        """The state, read from the store once (or again with `fresh`: another instance may
        have held the scheduler lease since, and opened or closed episodes)."""
        if fresh or not self._loaded:
            self.state = await load_team_state(self.store)
            self._loaded = True
            metrics.record_subscription(subscription_label(self.state))
        return self.state

    async def _save(self, state: TeamState) -> None:
        self.state = state
        metrics.record_subscription(subscription_label(state))
        await settings.TEAM_ACCOUNT.set(self.store, state.to_json())

    def retired_since(self, service: str) -> datetime | None:
        """When useapi.net was first seen to have retired `service` (None: it hasn't)."""
        since = self.state.retired.get(service)
        return from_epoch(since) if since is not None else None

    @property
    def explains_failures(self) -> bool:
        """The subscription lapsed or the token is refused: every call fails because of it, and
        the team was told so (a service's "can't read its accounts" notice would say nothing more)."""
        kinds = {t.kind for t in self.state.open_topics()}
        return bool(kinds & {Kind.SUBSCRIPTION, Kind.TOKEN})

    # -- reading ------------------------------------------------------------------------------

    async def read(self) -> bool:
        """One GET /v2/account now; True when it could be read (and was stored)."""
        state = await self.load()
        now = self.clock.now()
        try:
            summary = await read_account_summary(self.transport)
        except UseapiError as exc:
            state = self.state  # as it is now: list reads beside this one may have changed it
            failures = state.failures + 1
            retry = backoff(failures, self.interval, exc.retry_after)
            if not self._failure_said:
                self._failure_said = True
                kept = (
                    f"the last good answer ({state.read_at:%Y-%m-%d %H:%M} UTC)"
                    if state.read_at
                    else "nothing"
                )
                log.warning(
                    "useapi.net's account summary could not be read (%s); keeping %s; "
                    "said once until it can be read again",
                    exc.failure.value, kept,
                )  # fmt: skip
            await self._save(
                replace(
                    state,
                    last_attempt_at=now,
                    outcome=f"failed: {exc}"[:300],
                    failures=failures,
                    next_at=now + retry,
                )
            )
            return False
        if self._failure_said or state.failures:
            log.warning("useapi.net's account summary can be read again")
        self._failure_said = False
        self._read_seq = self.transport.outcomes.seq
        self._read_in_this_process = True
        self._reevaluate = True
        if summary.unreadable:
            log.info("useapi.net's account summary: read as unknown: %s", ", ".join(summary.unreadable))
        state = self.state  # as it is now: list reads beside this one may have changed it
        _say_what_left(state, summary)
        retired = dict(state.retired)
        for key in list(retired):
            if listed(summary, key)[0]:
                retired.pop(key)
                log.warning("useapi.net lists %s accounts again: no longer taken as retired", key)
        await self._save(
            replace(
                state,
                summary=summary,
                read_at=now,
                last_attempt_at=now,
                outcome="ok",
                failures=0,
                next_at=now + self.interval,
                retired=retired,
            )
        )
        return True

    async def read_if_due(self) -> bool | None:
        """Read the summary when due (and always once in this process); None when not due."""
        state = await self.load()
        if self._read_in_this_process and not state.is_due(self.clock.now()):
            return None
        if not self._read_in_this_process and state.failures and not state.is_due(self.clock.now()):
            return None  # backing off after a failure, across a restart too
        return await self.read()

    async def note_list_read(self, service: str, *, ok: bool, failure: str | None = None) -> None:
        """What a service's list read says about its retirement: an answer clears it; a 404/410
        that is not the documented empty list marks it retired, when the last readable summary
        does not list it with accounts (both must say so)."""
        state = await self.load()
        if ok and service in state.retired:
            retired = {k: v for k, v in state.retired.items() if k != service}
            log.warning("%s answers again on useapi.net: no longer taken as retired", service)
            self._reevaluate = True
            await self._save(replace(state, retired=retired))
        elif failure == Failure.UNAVAILABLE.value and service not in state.retired:
            if listed(state.summary, service)[0] is False:
                log.warning(
                    "%s looks retired on useapi.net: its list answers 404/410 and the account "
                    "summary doesn't list it; its tracked accounts are kept",
                    service,
                )
                self._reevaluate = True
                await self._save(
                    replace(state, retired={**state.retired, service: int(self.clock.now().timestamp())})
                )

    # -- SERVICES=auto ------------------------------------------------------------------------

    async def verdicts(self, lists: Mapping[str, int | None] | None = None) -> dict[str, Verdict]:
        state = await self.load()
        return decide_auto(
            state.summary,
            tracked=await self.store.present_counts(),
            retired=set(state.retired),
            lists=lists,
            current=state.switched_on,
            keys=tuple(self.services),
        )

    async def decide_at_start(self) -> tuple[str, ...]:
        """SERVICES=auto at start-up: read the summary (and, if it can't be read, every service's
        own list; if it can, the lists of services only the bot's records name, to learn whether
        they retired); returns the services to switch on."""
        read = await self.read()
        if read:
            tracked = await self.store.present_counts()
            probe = [k for k in self.services if tracked.get(k) and not listed(self.state.summary, k)[0]]
        else:
            probe = list(self.services)
        lists = dict(zip(probe, await asyncio.gather(*(self._count(k) for k in probe)), strict=True))
        return await self._decide(lists)

    async def _count(self, key: str) -> int | None:
        try:
            count = len(await self.services[key].list_accounts())
        except UseapiError as exc:
            await self.note_list_read(key, ok=False, failure=exc.failure.value)
            return None
        await self.note_list_read(key, ok=True)
        return count

    async def _decide(self, lists: Mapping[str, int | None] | None = None) -> tuple[str, ...]:
        verdicts = await self.verdicts(lists)
        chosen = switched_on(verdicts)
        if chosen != self.state.switched_on:
            for key, verdict in verdicts.items():
                log.info("SERVICES=auto: %s %s (%s)", key, "on" if verdict.on else "off", verdict.why)
            await self._save(replace(self.state, switched_on=chosen))
        self._reevaluate = False
        return chosen

    async def wanted_services(self) -> tuple[str, ...] | None:
        """Under SERVICES=auto, the services to switch on after what this pass learnt (None:
        an explicit SERVICES, or nothing new to decide on)."""
        if not self.auto or not self._reevaluate:
            return None
        return await self._decide()

    # -- warning ------------------------------------------------------------------------------

    async def step(
        self,
        report: TeamReport,
        *,
        send: TeamWarningSender | None,
        may_post: Callable[[], Awaitable[bool]],
        watched: Collection[str],
    ) -> None:
        """Judge every topic, start and end episodes, resolve what cleared, post what is due."""
        state = await self.load()
        now = self.clock.now()
        outcomes = self.transport.outcomes
        refused_after_read = outcomes.last_402 > self._read_seq
        changed = state
        ended: list[WarningKey] = []
        judged = topics_to_judge(state.summary, state.open_topics())
        for topic in judged:
            holds = judge(
                topic,
                state.summary,
                payment_refused_since_read=refused_after_read,
                token_refused=outcomes.token_refused,
                token_accepted=outcomes.token_accepted_since_refusal,
            )
            epoch = changed.episodes.get(topic.id)
            if holds and epoch is None:
                changed = changed.start(topic, now)
                log.warning("team account: %s%s holds from now", topic.kind.value, _entry(topic))
            elif holds is False and epoch is not None:
                changed = changed.end(topic)
                ended.append(topic.key(epoch))
                log.warning("team account: %s%s no longer holds", topic.kind.value, _entry(topic))
        ids = {t.id for t in judged}
        if any(k not in ids for k in changed.last_epochs):  # topics gone from the summary
            changed = replace(changed, last_epochs={k: v for k, v in changed.last_epochs.items() if k in ids})
        if changed is not state:
            await self._save(changed)
        if ended:
            resolution = Resolution(How.CLEARED)
            await self.store.resolve_warnings(((key, resolution) for key in ended), now=now)
            report.resolved.extend(ended)
        if send is not None and changed.episodes:
            await self._post(report, send, may_post, watched)

    async def _post(
        self,
        report: TeamReport,
        send: TeamWarningSender,
        may_post: Callable[[], Awaitable[bool]],
        watched: Collection[str],
    ) -> None:
        state = self.state
        open_topics = state.open_topics()
        recorded = await self.store.alert_keys_of({(TEAM_SERVICE, t.entry) for t in open_topics})
        for topic in open_topics:
            key = topic.key(state.episodes[topic.id])
            if key in recorded:
                continue
            if not await may_post():
                return
            warning = await self._warning(topic, key, watched)
            now = self.clock.now()
            try:
                posted = await send(warning)
            except DeliveryError as exc:
                log.warning(
                    "could not post the team %s warning%s: %s (will retry)",
                    topic.kind.value,
                    _entry(topic),
                    exc,
                )
                await self.store.record_alert_failure(key, reason=str(exc), now=now)
                report.failed.append((key, str(exc)))
                if exc.channel_wide:
                    return
                continue
            await self.store.record_alert_sent(
                key, now=now, message_id=posted.message_id, channel_id=posted.channel_id, embed=posted.embed
            )
            report.sent.append(key)
            log.info("warned the team: %s%s", topic.kind.value, _entry(topic))

    async def _warning(self, topic: Topic, key: WarningKey, watched: Collection[str]) -> TeamWarning:
        summary = self.state.summary
        service = match_service(topic.entry) if topic.entry else None
        broken: tuple[str, ...] = ()
        if service is not None and topic.kind in (Kind.ERRORS, Kind.SLOTS):
            try:
                accounts = await self.store.list_accounts(service)
            except StoreError:
                raise
            broken = tuple(a.account for a in accounts if a.last_error and a.gone_at is None)
        outcomes = self.transport.outcomes
        return TeamWarning(
            key=key,
            topic=topic,
            since=from_epoch(key.epoch) or self.clock.now(),
            summary=summary,
            service=service,
            switched_on=service is not None and service in watched,
            accounts_in_error=broken,
            payment_detail=outcomes.last_402_detail if outcomes.last_402 > self._read_seq else None,
            summary_says_lapsed=summary is not None and summary.subscription_active is False,
        )


def _say_what_left(state: TeamState, summary: AccountSummary) -> None:
    """An API with accounts that a readable summary no longer lists (useapi.net retired it, as
    it may have Midjourney, or the team deleted every account): said once, when it goes."""
    before = state.summary.accounts if state.summary is not None else None
    if before is None or summary.accounts is None:
        return
    now_listed = {s.name for s in summary.accounts}
    for slots in before:
        if slots.name not in now_listed and slots.has_accounts:
            log.warning(
                "useapi.net's account summary no longer lists %r (it had %s account(s)): retired "
                "on useapi.net, or every account of it deleted",
                slots.name, slots.total if slots.total is not None else "some",
            )  # fmt: skip


def _entry(topic: Topic) -> str:
    return f" ({topic.entry})" if topic.entry else ""


def subscription_label(state: TeamState) -> str | None:
    """The subscription gauge's state: "inactive" while the subscription warning holds (or the
    last good answer said so), "active" when it said active, None (unknown) before any answer."""
    if any(topic.kind is Kind.SUBSCRIPTION for topic in state.open_topics()):
        return "inactive"
    active = state.summary.subscription_active if state.summary is not None else None
    return None if active is None else ("active" if active else "inactive")
