"""Discord goes away (REST and gateway) while the bot runs, then comes back.

discord.py reconnects the gateway by itself; what is ours must live through it: the scheduler
loop keeps running its passes and writing its heartbeat (so `healthcheck` stays truthful), a
warning that falls due meanwhile fails with a reason, is not tried again (nor re-read from
useapi.net) while Discord is known to be out of reach, and once the gateway is back it is posted
exactly once. The real background loop runs here, woken by `wake()`; a FakeClock says
what time it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.settings import HEARTBEAT
from tests.clock import FakeClock
from tests.harness import Rig, running_rig

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EMAIL = "outage@example.com"


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with running_rig(tmp_path, clock=FakeClock(START), start=False) as rig:
        yield rig


async def pass_at(rig: Rig, moment: datetime) -> None:
    """Wake the running scheduler loop and wait until it has finished a pass at `moment`."""
    assert rig.bot is not None
    cog = rig.bot.get_cog("AlertsCog")
    assert cog is not None
    cog.wake()  # type: ignore[attr-defined]
    async with asyncio.timeout(10):
        while True:
            report = cog.last_report  # type: ignore[attr-defined]
            if report is not None and report.at >= moment:
                return
            await asyncio.sleep(0.02)


async def test_a_discord_outage_keeps_the_scheduler_beating_and_the_warning_is_posted_after(
    rig: Rig,
) -> None:
    clock = rig.clock
    assert isinstance(clock, FakeClock)
    expires = START + timedelta(hours=72, minutes=10)  # the first stage (72h) falls due in 10 min
    rig.useapi.set_luma_account(EMAIL, expires)
    bot = await rig.start_bot()
    await pass_at(rig, START)
    assert rig.discord.channel_messages.get(rig.discord.alert_channel_id, []) == []

    await rig.discord.go_away()
    clock.advance(timedelta(minutes=11))  # the warning is due while Discord is unreachable
    clock.advance(timedelta(seconds=30))
    await pass_at(rig, clock.now())
    reads = len(rig.useapi.requests)
    for _ in range(2):
        clock.advance(timedelta(seconds=30))
        await pass_at(rig, clock.now())
        assert await bot.store.get_setting(HEARTBEAT.key) == str(int(clock.now().timestamp()))
    (failure,) = await bot.store.alert_failures()
    # Tried once: Discord out of reach is learned, so the passes after it neither post nor
    # re-read useapi.net for the warning (bot/deliverability.py) until the gateway is back.
    assert failure.attempts == 1 and "could not reach Discord" in failure.reason
    assert len(rig.useapi.requests) == reads
    cog = bot.get_cog("AlertsCog")
    assert cog is not None and cog.scheduler.is_running()  # type: ignore[attr-defined]
    assert not bot.is_closed()

    await rig.discord.come_back()
    await rig.discord.wait_until_ready(timeout=30)  # discord.py resumed its session by itself
    assert rig.discord.resume_count == 1 and rig.discord.identify_count == 1
    clock.advance(timedelta(seconds=30))
    await pass_at(rig, clock.now())
    posted = rig.discord.channel_messages[rig.discord.alert_channel_id]
    assert len(posted) == 1 and EMAIL in str(posted[0]["embeds"])
    assert await bot.store.alert_failures() == []
    clock.advance(timedelta(seconds=30))
    await pass_at(rig, clock.now())
    assert len(rig.discord.channel_messages[rig.discord.alert_channel_id]) == 1  # and only once
    assert any(
        f"warning for luma {EMAIL}: could not reach Discord" in line and "(will retry)" in line
        for line in rig.raw_logs.lines
    )
    # discord.py's reconnect attempts: one readable line each, not a traceback.
    output = rig.log_output.getvalue()
    assert "WARNING discord.client: Discord connection lost (" in output and "Traceback" not in output
