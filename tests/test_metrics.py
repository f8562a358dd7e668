"""METRICS_PORT (bot/metrics.py): the endpoint scraped with a real HTTP GET from the running bot,
its names and types, counters that move with what the bot does, gauges read from the database,
and no account name, email or secret anywhere in it."""

from __future__ import annotations

import asyncio
import math
import signal
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.config import ConfigError, load_settings
from bot.metrics_server import ACCOUNT_STATES
from bot.watch import PassReport
from tests.clock import FakeClock
from tests.doubles.discord_double import DiscordDouble
from tests.doubles.useapi_double import UseapiDouble
from tests.harness import DISCORD_TOKEN, USEAPI_TOKEN, Rig, running_rig, scenario_secrets
from tests.process import StderrLines, bot_env, free_port, start_bot_process

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EMAIL = "metrics-member@example.com"
SESSION = "LumaMetricsSecretSess10nQ7wPz"

# name -> type, as Prometheus reads them (a counter's family name has no _total)
EXPECTED = {
    "session_warden_passes": "counter",
    "session_warden_pass_duration_seconds": "histogram",
    "session_warden_warnings_sent": "counter",
    "session_warden_warning_edits": "counter",
    "session_warden_delivery_failures": "counter",
    "session_warden_useapi_calls": "counter",
    "session_warden_discord_errors": "counter",
    "session_warden_registrations": "counter",
    "session_warden_subscription": "gauge",
    "session_warden_accounts": "gauge",
    "session_warden_heartbeat_age_seconds": "gauge",
    "session_warden_warnings_deliverable": "gauge",
}


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class Scrape:
    """One GET /metrics, parsed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.types = {f.name: f.type for f in text_string_to_metric_families(text)}
        self.samples: Samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text)
            for s in f.samples
        }

    def value(self, name: str, **labels: str) -> float:
        return self.samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(port: int) -> Scrape:
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return Scrape(answer.text)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with running_rig(
        tmp_path,
        clock=FakeClock(START),
        start=False,
        alerts_autostart=False,
        metrics_port=free_port(),  # the setting under test; everything else as shipped
    ) as rig:
        yield rig


def port_of(rig: Rig) -> int:
    assert rig.settings.metrics_port is not None
    return rig.settings.metrics_port


async def run_pass(rig: Rig) -> PassReport:
    assert rig.bot is not None
    report: PassReport = await rig.bot.get_cog("AlertsCog").run_pass()  # type: ignore[union-attr]
    return report


async def register(rig: Rig, member: int, cookie: str) -> str:
    opened = await rig.slash("luma", "register", user=member)
    done = await rig.submit(opened, {"cookie": cookie}, user=member)
    return str((await rig.followup(done))["content"])


async def test_the_endpoint_serves_every_metric_and_counters_move(rig: Rig) -> None:
    await rig.start_bot()
    port = port_of(rig)
    before = await scrape(port)
    for name, kind in EXPECTED.items():
        assert before.types.get(name) == kind, (name, before.types.get(name))
    assert any(name.startswith("process_") for name in before.types)
    assert math.isnan(before.value("session_warden_heartbeat_age_seconds"))  # no pass yet
    # SERVICES=auto read GET /v2/account at start-up, before any pass: the double's is active.
    assert before.value("session_warden_subscription", state="active") == 1
    assert before.value("session_warden_subscription", state="unknown") == 0
    for state in ACCOUNT_STATES:  # every state of every switched-on service, 0 or not
        assert ("session_warden_accounts", (("service", "luma"), ("state", state))) in before.samples

    # A registration (its useapi.net call, its public notice), then a pass that posts a warning.
    member = rig.discord.member_ids[0]
    granted = await rig.slash("access", "grant", user=rig.discord.admin_id, target=member)
    assert "may now register" in (await rig.answer(granted))["content"]
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=START + timedelta(hours=5))
    assert "accepted" in await register(rig, member, SESSION)
    opened = await rig.slash("luma", "register", user=member)
    invalid = await rig.submit(opened, {"cookie": "a=1; b=2"}, user=member)
    assert "Nothing was sent" in invalid.data["content"]
    report = await run_pass(rig)
    assert report.sent and report.sent[0].stage == "6h"
    rig.clock.advance(timedelta(seconds=42))  # type: ignore[union-attr]

    after = await scrape(port)

    def moved(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    assert moved("session_warden_registrations_total", service="luma", outcome="ok") == 1
    assert moved("session_warden_registrations_total", service="luma", outcome="invalid_input") == 1
    assert (
        moved("session_warden_useapi_calls_total", service="luma", method="POST", status="201")
        + moved("session_warden_useapi_calls_total", service="luma", method="POST", status="200")
        == 1
    )
    assert moved("session_warden_useapi_calls_total", service="luma", method="GET", status="200") >= 1
    assert moved("session_warden_passes_total", outcome="led") == 1
    assert moved("session_warden_pass_duration_seconds_count") == 1
    assert after.value("session_warden_pass_duration_seconds_sum") > before.value(
        "session_warden_pass_duration_seconds_sum"
    )
    assert moved("session_warden_warnings_sent_total", service="luma", kind="stage") == 1
    assert after.value("session_warden_accounts", service="luma", state="due") == 1
    assert after.value("session_warden_accounts", service="luma", state="fine") == 0
    assert after.value("session_warden_heartbeat_age_seconds") == 42
    assert after.value("session_warden_warnings_deliverable") == 1

    # A Discord error: the channel refuses a post (/alerts test), counted by code and by kind.
    rig.discord.fail_channel_messages(rig.discord.alert_channel_id, 403)
    test = await rig.slash("alerts", "test", user=rig.discord.admin_id)
    assert "could not be posted" in (await rig.followup(test))["content"]
    refused = await scrape(port)
    assert (
        refused.value("session_warden_discord_errors_total", code="403")
        - after.value("session_warden_discord_errors_total", code="403")
        == 1
    )
    assert (
        refused.value("session_warden_delivery_failures_total", action="post", kind="forbidden")
        - after.value("session_warden_delivery_failures_total", action="post", kind="forbidden")
        == 1
    )
    assert refused.value("session_warden_warnings_deliverable") == 0

    # The team account watch read the double's GET /v2/account: an active subscription.
    assert refused.value("session_warden_subscription", state="active") == 1
    assert refused.value("session_warden_subscription", state="unknown") == 0

    # Nothing tracked or typed in: no account name, email, member id or secret in the text.
    text = refused.text
    for secret in scenario_secrets(rig):
        assert secret not in text
    for forbidden in (EMAIL, "metrics-member", str(member), str(rig.discord.alert_channel_id)):
        assert forbidden not in text


async def test_accounts_by_state_and_an_unset_channel(tmp_path: Path) -> None:
    """Each state counted (one grouped query), and no channel set: deliverable is 0."""
    async with running_rig(
        tmp_path,
        clock=FakeClock(START),
        start=False,
        alerts_autostart=False,
        metrics_port=free_port(),
        alert_channel_id=None,
    ) as rig:
        rig.useapi.set_luma_account("fine@example.com", START + timedelta(days=30))
        rig.useapi.set_luma_account("due@example.com", START + timedelta(hours=30))
        rig.useapi.set_luma_account("expired@example.com", START - timedelta(hours=1))
        rig.useapi.set_luma_account(
            "broken@example.com", START + timedelta(days=30), error="Session refresh failed"
        )
        await rig.start_bot()
        await run_pass(rig)
        found = await scrape(port_of(rig))
        counts = {
            state: found.value("session_warden_accounts", service="luma", state=state)
            for state in ACCOUNT_STATES
        }
        assert counts == {"fine": 1, "due": 1, "needs_person": 2, "gone": 0}
        # Gone from useapi.net: counted as gone at the next sync (SYNC_INTERVAL later).
        del rig.useapi.luma_accounts["fine@example.com"]
        rig.clock.advance(timedelta(minutes=16))  # type: ignore[union-attr]
        await run_pass(rig)
        found = await scrape(port_of(rig))
        assert found.value("session_warden_accounts", service="luma", state="gone") == 1
        assert found.value("session_warden_accounts", service="luma", state="fine") == 0
        assert found.value("session_warden_warnings_deliverable") == 0
        assert "@example.com" not in found.text and "Session refresh" not in found.text


async def test_unset_means_no_endpoint_and_a_taken_port_is_logged(tmp_path: Path) -> None:
    async with running_rig(tmp_path, clock=FakeClock(START)) as rig:
        assert rig.settings.metrics_port is None and rig.bot is not None
        assert rig.bot.metrics_server is None  # the shipped default: nothing listens
        with socket.socket() as taken:
            taken.bind(("0.0.0.0", 0))  # every interface, as the endpoint binds
            taken.listen()
            port = taken.getsockname()[1]
            await rig.stop_bot()
            bot = await rig.start_bot(metrics_port=port)
            assert bot.metrics_server is None and not bot.is_closed()
        assert any(f"could not serve metrics on METRICS_PORT {port}" in line for line in rig.raw_logs.lines)


def test_metrics_port_is_checked_like_every_variable() -> None:
    base = {"DISCORD_TOKEN": DISCORD_TOKEN, "USEAPI_TOKEN": USEAPI_TOKEN}
    assert load_settings(base, read_dotenv=False).metrics_port is None
    assert load_settings({**base, "METRICS_PORT": "9108"}, read_dotenv=False).metrics_port == 9108
    for bad in ("0", "70000", "http", "-1"):
        with pytest.raises(ConfigError) as caught:
            load_settings({**base, "METRICS_PORT": bad}, read_dotenv=False)
        assert "METRICS_PORT must be a TCP port number" in str(caught.value)


def test_a_useapi_path_becomes_a_service_key_never_an_account() -> None:
    assert metrics.useapi_service("/v1/luma/accounts/someone%40example.com") == "luma"
    assert metrics.useapi_service("/v1/google-flow/accounts") == "googleflow"
    assert metrics.useapi_service("/v2/pixverse/features?email=a@b.c") == "pixverse"
    assert metrics.useapi_service("/v2/account") == "account"
    assert metrics.useapi_service("/v1/someone@example.com/x") == "other"
    assert metrics.useapi_service("/elsewhere") == "other"


async def test_a_running_bot_process_serves_metrics_and_stops_serving(tmp_path: Path) -> None:
    """`python -m bot` with METRICS_PORT: a real GET while it runs; SIGTERM closes the port."""
    port = free_port()
    async with DiscordDouble(token=DISCORD_TOKEN) as dd, UseapiDouble(token=USEAPI_TOKEN) as ua:
        ua.set_luma_account("process@example.com", datetime.now(UTC) + timedelta(days=10))
        env = bot_env(
            dd, ua, tmp_path / "warden.sqlite3", discord_token=DISCORD_TOKEN, useapi_token=USEAPI_TOKEN,
            METRICS_PORT=str(port),
        )  # fmt: skip
        proc = await start_bot_process(env, tmp_path)
        stderr = StderrLines(proc)
        try:
            await stderr.wait_for(f"serving Prometheus metrics on port {port}")
            await stderr.wait_for("sync luma: ok")
            async with asyncio.timeout(20):
                while True:
                    found = await scrape(port)
                    if found.value("session_warden_passes_total", outcome="led") >= 1:
                        break
                    await asyncio.sleep(0.1)
            assert found.value("session_warden_accounts", service="luma", state="fine") == 1
            assert 0 <= found.value("session_warden_heartbeat_age_seconds") < 60
            assert (
                found.value("session_warden_useapi_calls_total", service="luma", method="GET", status="200")
                >= 1
            )
            assert "process@example.com" not in found.text and DISCORD_TOKEN not in found.text
        finally:
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proc.wait(), 20) == 0
            await stderr.finish()
        with pytest.raises(httpx.ConnectError):
            await scrape(port)


def test_the_subscription_gauge_says_what_the_team_state_says() -> None:
    from dataclasses import replace

    from bot.team_account import TeamState
    from bot.team_watch import subscription_label
    from bot.useapi.account import AccountSummary

    assert subscription_label(TeamState()) is None
    assert subscription_label(TeamState(summary=AccountSummary())) is None
    lapsed = TeamState(summary=AccountSummary(subscription_active=False))
    assert subscription_label(lapsed) == "inactive"
    assert subscription_label(replace(lapsed, summary=AccountSummary(subscription_active=True))) == "active"
