"""The scheduler pass without Discord (bot.watch), what wakes the loop, and when a pass's report
is published."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.delivery import DeliveryError
from bot.expiry import Alert
from bot.services import build_services
from bot.store import Store
from bot.sync import Notice, SyncState
from bot.watch import ExpiryWatch
from tests.clock import FakeClock
from tests.harness import running_rig
from tests.test_alerts import EMAIL, SESSION, START, H, cog, grant, key, stages_posted, until
from tests.test_sync import TOKEN, Upstream, luma_entry


class Channel:
    """Stands in for Discord: collects what the watch posts, or refuses with `problem`."""

    def __init__(self) -> None:
        self.warnings: list[tuple[Alert, bool]] = []
        self.notices: list[tuple[str, Notice]] = []
        self.problem: DeliveryError | None = None

    async def send_warning(self, alert: Alert, rechecked: bool) -> int:
        if self.problem is not None:
            raise self.problem
        self.warnings.append((alert, rechecked))
        return 1000 + len(self.warnings)

    async def send_notice(self, service: str, notice: Notice, state: SyncState) -> None:
        if self.problem is not None:
            raise self.problem
        self.notices.append((service, notice))


@dataclass
class Watched:
    """An ExpiryWatch on a fresh database, useapi.net faked with httpx.MockTransport."""

    watch: ExpiryWatch
    store: Store
    upstream: Upstream
    channel: Channel
    clock: FakeClock


@pytest.fixture
async def watched(tmp_path: Path) -> AsyncIterator[Watched]:
    store = await Store.open(tmp_path / "warden.sqlite3")
    upstream, channel, clock = Upstream(), Channel(), FakeClock(START)
    try:
        async with httpx.AsyncClient(transport=httpx.MockTransport(upstream.handler)) as http:
            services = build_services(
                http, base_url="https://api.useapi.net", token=TOKEN, timeout=5, enabled=("luma",)
            )
            watch = ExpiryWatch(
                store, services, clock, sync_interval=timedelta(minutes=15),
                send_warning=channel.send_warning, send_notice=channel.send_notice,
            )  # fmt: skip
            yield Watched(watch, store, upstream, channel, clock)
    finally:
        await store.close()


async def test_a_pass_syncs_warns_and_keeps_the_books_without_discord(watched: Watched) -> None:
    watch, store, channel = watched.watch, watched.store, watched.channel
    expires = START + 5 * H
    watched.upstream.luma = {EMAIL: luma_entry(EMAIL, expires)}
    # The first pass reads the list (a new account 5 h from expiry) and warns once, 6h.
    report = await watch.run_pass()
    assert report.leader and report.synced["luma"].changes.added == (EMAIL,)
    assert report.sent == [key("luma", EMAIL, expires, "6h")]
    assert set(report.skipped) == {key("luma", EMAIL, expires, "3d"), key("luma", EMAIL, expires, "24h")}
    assert [(a.key, rechecked) for a, rechecked in channel.warnings] == [(report.sent[0], True)]
    assert report.next_due == expires
    async with store.db.execute("SELECT message_id FROM alert_warnings WHERE status = 'sent'") as cur:
        assert [r[0] for r in await cur.fetchall()] == [1001]
    assert (await watch.run_pass()).sent == []

    # Expired, and the channel refuses: recorded as a failure, retried on the next pass.
    watched.clock.set(expires + timedelta(seconds=1))
    channel.problem = DeliveryError("the alert channel no longer exists", channel_wide=True)
    report = await watch.run_pass()
    expired = key("luma", EMAIL, expires, "expired")
    assert report.sent == [] and report.failed == [(expired, "the alert channel no longer exists")]
    assert report.channel_problem == "the alert channel no longer exists"
    assert [f.key for f in await store.alert_failures()] == [expired]
    channel.problem = None
    assert (await watch.run_pass()).sent == [expired]
    assert await store.alert_failures() == []
    assert len(channel.warnings) == 2 and channel.notices == []


async def test_the_pass_reads_only_the_window(watched: Watched) -> None:
    """With 300 accounts a month away and one inside a stage, a pass reads that one (and the
    earliest of the others' expiries), and still knows when the next stage falls due."""
    watch, now = watched.watch, START
    far = {f"far{i:03d}@x.com": START + (30 + i) * 24 * H for i in range(300)}
    watched.upstream.luma = {name: luma_entry(name, expires) for name, expires in far.items()}
    watched.upstream.luma[EMAIL] = luma_entry(EMAIL, START + 20 * H)
    assert (await watch.run_pass()).sent == [key("luma", EMAIL, START + 20 * H, "24h")]
    window = await watch.plan_window(now)
    assert window.due == () and window.upcoming[0].key.account == EMAIL
    assert window.next_due == START + 14 * H  # its 6h stage
    read = await watched.store.watch_window({"luma": START + 72 * H}, now=now)
    assert [a.account for a in read.accounts] == [EMAIL]
    assert read.later_expiries == {"luma": START + 30 * 24 * H}
    everything = await watch.plan_everything(now, upcoming_limit=8)
    assert everything.next_due == window.next_due and everything.more_upcoming == 301 * 4 - 2 - 8


# -- waking the loop ----------------------------------------------------------------------------


async def test_a_registration_wakes_the_scheduler(tmp_path: Path) -> None:
    """An account registered with an expiry inside a stage is warned about at once, not at the
    loop's next tick (MAX_SLEEP, 30 s, with nothing scheduled)."""
    async with running_rig(tmp_path, clock=FakeClock(START), start=False) as rig:
        await rig.start_bot()
        alerts = cog(rig)
        await until(lambda: alerts.last_report is not None)
        assert alerts.last_report is not None and alerts.last_report.next_due is None  # sleeping 30 s

        member = rig.discord.member_ids[0]
        await grant(rig, member)
        rig.useapi.add_luma_session(SESSION, EMAIL, expires=START + 5 * H)
        opened = await rig.slash("luma", "register", user=member)
        submitted_at = time.monotonic()
        done = await rig.submit(opened, {"cookie": SESSION}, user=member)
        assert "accepted" in (await rig.followup(done))["content"]
        warning = await rig.discord.wait_for(
            lambda r: r.method == "POST" and "expires within 6h" in json.dumps(r.json), timeout=5
        )
        assert warning.at - submitted_at < 5
        assert stages_posted(rig) == ["Luma session expires within 6h"]


async def test_registration_works_without_the_alerts_cog(tmp_path: Path) -> None:
    async with running_rig(tmp_path, clock=FakeClock(START)) as rig:
        assert rig.bot is not None
        await rig.bot.unload_extension("cogs.alerts")
        member = rig.discord.member_ids[0]
        await grant(rig, member)
        rig.useapi.add_luma_session(SESSION, EMAIL, expires=START + 5 * H)
        opened = await rig.slash("luma", "register", user=member)
        done = await rig.submit(opened, {"cookie": SESSION}, user=member)
        assert "accepted" in (await rig.followup(done))["content"]
        assert (await rig.bot.store.get_account("luma", EMAIL)) is not None


async def test_the_report_is_published_when_the_pass_ends(tmp_path: Path) -> None:
    async with running_rig(tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False) as rig:
        rig.useapi.set_luma_account(EMAIL, START + 5 * H)
        await rig.start_bot()
        alerts = cog(rig)
        lists = "/v1/luma/accounts"

        async def mid_pass() -> Any:
            """Start a pass and return it once it is waiting on a slow account list."""
            reads = len(rig.useapi.requests_to("GET", lists))
            rig.useapi.inject("GET", lists, delay=0.5)
            task = asyncio.create_task(alerts.run_pass())
            await rig.useapi.wait_for(lambda _: len(rig.useapi.requests_to("GET", lists)) > reads)
            return task

        task = await mid_pass()
        assert alerts.last_report is None  # no pass has ended yet
        first = await task
        assert alerts.last_report is first and first.leader and len(first.sent) == 1

        await rig.bot.store.set_setting("sync:luma", None)  # type: ignore[union-attr]
        task = await mid_pass()
        assert alerts.last_report is first  # still the last complete one, not an empty one
        second = await task
        assert alerts.last_report is second and second.synced["luma"].ok
