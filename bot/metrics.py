"""Prometheus metrics: what the bot counts (METRICS_PORT; bot/metrics_server.py serves them).

The counters and the histogram are moved by the small `record_*` functions below, called where
things happen: a scheduler pass (the alerts cog), a post, reply or edit in the alert channel
(cogs/_alert_channel.py), a useapi.net call (bot/useapi/base.py), a registration
(cogs/register/_form.py, bot/registration.py), and every error answer from Discord's REST API
(an aiohttp trace handed to discord.py). They are counted whether or not METRICS_PORT is set (a
few dictionary updates); the gauges of what the database holds are bot/metrics_server.py's, read
at each scrape. This module imports nothing of the bot's, so anything may record.

No label holds an account name, an email, a member, a channel or a secret: labels are service
keys, HTTP statuses and words from fixed sets (tests/test_metrics.py scrapes and checks).

The subscription gauge follows the team account watch (GET /v2/account, bot/team_watch.py): it
calls `record_subscription(state)` whenever its state changes; before any answer, "unknown".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import aiohttp
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.registry import Collector

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
    return _SERVICE_OF_SEGMENT.get(match.group(1), "other")


_SERVICE_OF_SEGMENT: dict[str, str] = {"account": "account"}


def name_useapi_routes(routes: Mapping[str, str]) -> None:
    """Each service's route (`/v1/google-flow/accounts`) -> its key; bot/services registers them."""
    for route, key in routes.items():
        found = _API_SEGMENT.match(route)
        if found:
            _SERVICE_OF_SEGMENT[found.group(1)] = key


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
