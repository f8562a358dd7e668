"""Prometheus metrics: what the bot counts, and the endpoint that serves them (METRICS_PORT).

Off unless METRICS_PORT is set. Then `serve()` (WardenBot.open_resources calls it, before the
first contact with Discord) answers `GET /metrics` on that port, on every interface, in
Prometheus' text format (OpenMetrics when the scraper asks for it), from the bot's event loop.

The counters and the histogram are moved by the small `record_*` functions below, called where
things happen: a scheduler pass (the alerts cog), a post, reply or edit in the alert channel
(cogs/_alert_channel.py), a useapi.net call (bot/useapi/base.py), a registration
(cogs/register/_form.py, bot/registration.py), and every error answer from Discord's REST API
(an aiohttp trace handed to discord.py). What the database holds is read at each scrape: the
accounts by service and state in one grouped COUNT query, the heartbeat from one setting.

No label holds an account name, an email, a member, a channel or a secret: labels are service
keys, HTTP statuses and words from fixed sets (tests/test_metrics.py scrapes and checks).

The subscription gauge waits for the team account watch (GET /v2/account): it calls
`record_subscription(state)` with the state it read; until then the state is "unknown".
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.aiohttp import make_aiohttp_handler
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot import settings
from bot.clock import Clock
from bot.durations import DurationError
from bot.expiry import DEFAULT_STAGES, horizon, parse_stages

if TYPE_CHECKING:
    from bot.deliverability import Deliverability
    from bot.store import Store

log = logging.getLogger(__name__)

ACCOUNT_STATES = ("fine", "due", "needs_person", "gone")
UNKNOWN = "unknown"

# -- what is counted (registry=None: each server registers them in a registry of its own) --------

PASSES = Counter(
    "session_warden_passes",
    "Scheduler passes, by outcome: led (this instance holds the lease and ran the pass), "
    "standing_by (another instance leads), failed (the pass raised; see the log)",
    ["outcome"],
    registry=None,
)
PASS_DURATION = Histogram(
    "session_warden_pass_duration_seconds",
    "How long a scheduler pass took, useapi.net and Discord calls included",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=None,
)
WARNINGS_SENT = Counter(
    "session_warden_warnings_sent",
    "Messages the scheduler posted to the alert channel, by service and kind: stage (before the "
    "deadline, or expired), error (a person must act now), gone (disappeared from useapi.net), "
    "reminder, sync_notice (a service's account list failing, or working again)",
    ["service", "kind"],
    registry=None,
)
EDITS = Counter(
    "session_warden_warning_edits",
    "Warning messages edited in place (claimed, claim lapsed, resolved)",
    registry=None,
)
DELIVERY_FAILURES = Counter(
    "session_warden_delivery_failures",
    "Posts, replies and edits in the alert channel that failed, by action (post, reply, edit) "
    "and kind (unconfigured, forbidden, channel_gone, unreachable, message_gone, refused)",
    ["action", "kind"],
    registry=None,
)
USEAPI_CALLS = Counter(
    "session_warden_useapi_calls",
    "Calls to useapi.net, by service, method and status (the HTTP status, or timeout or "
    "connection when no answer came)",
    ["service", "method", "status"],
    registry=None,
)
DISCORD_ERRORS = Counter(
    "session_warden_discord_errors",
    "Discord REST requests that failed, by code: the HTTP status of an error answer (429 "
    "included: discord.py waits and retries those), or unreachable when Discord never answered",
    ["code"],
    registry=None,
)
REGISTRATIONS = Counter(
    "session_warden_registrations",
    "Registrations submitted through the forms, by service and outcome: ok, invalid_input, "
    "throttled, refused (not approved), upstream:<failure> (useapi.net's answer), maybe_added "
    "(the answer was lost after sending), not_recorded (accepted, the database failed)",
    ["service", "outcome"],
    registry=None,
)
SUBSCRIPTION = Gauge(
    "session_warden_subscription",
    "The team's useapi.net subscription: 1 for the state the account watch last read, 0 for "
    "the others; unknown until it has read one",
    ["state"],
    registry=None,
)
SUBSCRIPTION.labels(UNKNOWN).set(1)
_SUBSCRIPTION_STATES = {UNKNOWN}

COLLECTORS: tuple[Collector, ...] = (
    PASSES,
    PASS_DURATION,
    WARNINGS_SENT,
    EDITS,
    DELIVERY_FAILURES,
    USEAPI_CALLS,
    DISCORD_ERRORS,
    REGISTRATIONS,
    SUBSCRIPTION,
)

# -- recording ----------------------------------------------------------------------------------


def record_pass(outcome: str, seconds: float) -> None:
    """One scheduler pass ended: "led", "standing_by" or "failed"."""
    PASSES.labels(outcome).inc()
    PASS_DURATION.observe(seconds)


def record_posted(service: str, stage: str) -> None:
    """The scheduler posted a warning (its stage key says the kind), a reminder or a notice."""
    WARNINGS_SENT.labels(service, warning_kind(stage)).inc()


def warning_kind(stage: str) -> str:
    """A WarningKey stage ("6h", "expired", "error:<hash>", "gone", "remind:<n>") as a kind."""
    if stage == "gone":
        return "gone"
    if stage.startswith("error:"):
        return "error"
    if stage.startswith("remind:"):
        return "reminder"
    if stage == "sync_notice":
        return "sync_notice"
    return "stage"


def record_edit() -> None:
    EDITS.inc()


def record_delivery_failure(action: str, kind: str) -> None:
    DELIVERY_FAILURES.labels(action, str(kind)).inc()


def record_registration(service: str, outcome: str) -> None:
    REGISTRATIONS.labels(service, outcome).inc()


def record_subscription(state: str | None) -> None:
    """The team account watch read the subscription's state ("active", "expired", …; None:
    could not tell). Call it at every read: the state read is 1, every other one 0."""
    current = _label(state) if state else UNKNOWN
    _SUBSCRIPTION_STATES.add(current)
    for seen in _SUBSCRIPTION_STATES:
        SUBSCRIPTION.labels(seen).set(1 if seen == current else 0)


_API_SEGMENT = re.compile(r"^/v\d+/([a-z0-9-]+)")


def record_useapi_call(path: str, method: str, status: int | str) -> None:
    """One useapi.net call answered `status` (an HTTP status, "timeout" or "connection")."""
    USEAPI_CALLS.labels(useapi_service(path), method.upper(), str(status)).inc()


def useapi_service(path: str) -> str:
    """The service key a useapi.net path belongs to (`/v1/google-flow/accounts/x` -> googleflow),
    "account" for the team account (`/v2/account`), "other" for anything else. From a fixed set,
    so a path's account name can never become a label."""
    match = _API_SEGMENT.match(path)
    if match is None:
        return "other"
    return _service_of_segment().get(match.group(1), "other")


_SEGMENTS: dict[str, str] = {}


def _service_of_segment() -> dict[str, str]:
    if not _SEGMENTS:
        from bot.services import REGISTRY  # here: bot.services imports the useapi client, which imports this

        for key, service in REGISTRY.items():
            found = _API_SEGMENT.match(service.accounts_path)
            if found:
                _SEGMENTS[found.group(1)] = key
        _SEGMENTS.setdefault("account", "account")
    return _SEGMENTS


def _label(text: str) -> str:
    return re.sub(r"[^a-z0-9_:-]", "_", text.strip().lower())[:40] or UNKNOWN


# -- Discord's errors, from discord.py's own HTTP session ---------------------------------------


def discord_trace() -> aiohttp.TraceConfig:
    """An aiohttp trace for discord.py's `http_trace`: counts every error answer and every
    request Discord did not answer. Only the status is kept (URLs hold ids and tokens)."""
    trace = aiohttp.TraceConfig()

    async def on_end(_: aiohttp.ClientSession, __: SimpleNamespace, params: Any) -> None:
        if params.response.status >= 400:
            DISCORD_ERRORS.labels(str(params.response.status)).inc()

    async def on_exception(_: aiohttp.ClientSession, __: SimpleNamespace, params: Any) -> None:
        DISCORD_ERRORS.labels("unreachable").inc()

    trace.on_request_end.append(on_end)
    trace.on_request_exception.append(on_exception)
    return trace


# -- what the database holds, read at each scrape ------------------------------------------------


@dataclass
class Snapshot:
    accounts: dict[tuple[str, str], int] = field(default_factory=dict)
    services: Sequence[str] = ()
    heartbeat_age: float | None = None  # seconds; None: no heartbeat (not started, or stopped)
    deliverable: bool | None = None


async def read_snapshot(
    store: Store, clock: Clock, services: Sequence[str], delivery: Deliverability | None
) -> Snapshot:
    """The gauges' values now: one grouped COUNT, the stages and heartbeat settings."""
    now = clock.now()
    horizons = {}
    for key in services:
        raw = await settings.STAGES.raw(store, key)
        try:
            stages = parse_stages(raw) if raw else DEFAULT_STAGES
        except DurationError:  # the scheduler logs it; the gauge uses the defaults as it does
            stages = DEFAULT_STAGES
        horizons[key] = horizon({key: stages}, key, now)
    heartbeat = await settings.HEARTBEAT.get(store)
    blocked = await delivery.blocked() if delivery is not None else None
    return Snapshot(
        accounts=await store.count_by_state(horizons, now=now),
        services=tuple(services),
        heartbeat_age=max(0.0, now.timestamp() - heartbeat) if heartbeat is not None else None,
        deliverable=None if delivery is None else blocked is None,
    )


class _StoreGauges(Collector):
    """The last snapshot, as gauges (the scrape handler refreshes it first)."""

    def __init__(self) -> None:
        self.snapshot = Snapshot()

    def collect(self) -> Iterable[GaugeMetricFamily]:
        return list(self._families(self.snapshot))

    @staticmethod
    def _families(snap: Snapshot) -> Iterator[GaugeMetricFamily]:
        accounts = GaugeMetricFamily(
            "session_warden_accounts",
            "Tracked accounts, by service and state: fine, due (a warning stage before the "
            "deadline has begun), needs_person (a person must act now, or expired), gone "
            "(disappeared from useapi.net)",
            labels=["service", "state"],
        )
        for service in snap.services:
            for state in ACCOUNT_STATES:
                accounts.add_metric([service, state], snap.accounts.get((service, state), 0))
        yield accounts
        yield GaugeMetricFamily(
            "session_warden_heartbeat_age_seconds",
            "Seconds since the scheduler's last pass wrote its heartbeat (NaN: none, the "
            "scheduler has not run yet or the bot stopped); healthcheck compares it with "
            "HEALTH_MAX_AGE",
            value=math.nan if snap.heartbeat_age is None else snap.heartbeat_age,
        )
        if snap.deliverable is not None:
            yield GaugeMetricFamily(
                "session_warden_warnings_deliverable",
                "1 when a warning can be posted now; 0 when not (no alert channel, the channel "
                "deleted or forbidden, Discord unreachable: /alerts status and check say which)",
                value=1 if snap.deliverable else 0,
            )


class MetricsServer:
    """`GET /metrics` on `port`, served from the running event loop (aiohttp)."""

    def __init__(self, port: int, read: Callable[[], Awaitable[Snapshot]], host: str | None = None) -> None:
        self.port = port
        self.host = host  # None: every interface (a container's port must be reachable)
        self._read = read
        self.registry = CollectorRegistry(auto_describe=True)
        for collector in COLLECTORS:
            self.registry.register(collector)
        self._gauges = _StoreGauges()
        self.registry.register(self._gauges)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self._expose = make_aiohttp_handler(self.registry)
        self._runner: web.AppRunner | None = None
        self._refresh_failed = False

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._handle)
        app.router.add_get("/", self._index)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host=self.host, port=self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("serving Prometheus metrics on port %d (/metrics)", self.port)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _index(self, request: web.Request) -> web.Response:
        return web.Response(text="Session Warden: metrics at /metrics\n")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            self._gauges.snapshot = await self._read()
            self._refresh_failed = False
        except Exception as exc:  # the counters are still worth serving; the gauges stay as they were
            if not self._refresh_failed:
                log.warning("metrics: could not read the database for the gauges: %s", exc)
            self._refresh_failed = True
        response = await self._expose(request)
        log.debug("metrics scraped in %.1f ms", (time.perf_counter() - started) * 1000)
        return response


async def serve(port: int, read: Callable[[], Awaitable[Snapshot]], host: str | None = None) -> MetricsServer:
    """Start serving on `port`; raises OSError when the port can't be bound."""
    server = MetricsServer(port, read, host)
    await server.start()
    return server
