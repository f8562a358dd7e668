"""The METRICS_PORT endpoint: `GET /metrics` from the bot's event loop, with the gauges of what
the database holds read at each scrape.

Off unless METRICS_PORT is set. Then `serve()` (WardenBot.open_resources calls it, before the
first contact with Discord) answers on that port, on every interface, in Prometheus' text format
(OpenMetrics when the scraper asks for it): the counters of bot/metrics.py, the gauges below,
and the client library's process and Python metrics. A scrape reads the accounts by service and
state in one grouped COUNT query (`Store.count_by_state`), the heartbeat and each service's
stages from the settings, and asks the Deliverability whether a warning can be posted.

No label holds an account name, an email, a member, a channel or a secret (tests/test_metrics.py
scrapes and checks).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.aiohttp import make_aiohttp_handler
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot import metrics, settings
from bot.clock import Clock
from bot.durations import DurationError
from bot.expiry import DEFAULT_STAGES, horizon, parse_stages

if TYPE_CHECKING:
    from bot.deliverability import Deliverability
    from bot.store import Store

log = logging.getLogger(__name__)

ACCOUNT_STATES = ("fine", "due", "needs_person", "gone")


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
        for collector in metrics.COLLECTORS:
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
