"""The scheduler lease between two real bots on one database (issue 18, section 6).

In one test process two bots share the host name and the PID, exactly like two containers both
running as PID 1 with one host name (`--uts host`, a templated hostname): until issue 18 each took
the other's lease for "left by a previous run of this process", and both posted. Passes are
driven by hand on one FakeClock; the loop's own sleeping is covered in test_alerts.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot import watch as watch_module
from bot.app import WardenBot
from bot.lease import DEFAULT_TTL
from bot.watch import PassReport
from tests.clock import FakeClock
from tests.harness import DISCORD_TOKEN, Rig, running_rig
from tests.test_alerts import START, H, clock, cog, key

ACCOUNTS = [f"a{i:02d}@example.com" for i in range(12)]


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    async with running_rig(tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False) as rig:
        yield rig


@pytest.fixture
async def twins(rig: Rig) -> AsyncIterator[tuple[WardenBot, WardenBot]]:
    """Two deployments on one database; the second logs in to Discord (its REST) only."""
    for i, account in enumerate(ACCOUNTS):  # the 6h stage due at once, "expired" every 5 minutes
        rig.useapi.set_luma_account(account, START + (i + 1) * timedelta(minutes=5))
    first = await rig.start_bot()
    second = WardenBot(rig.settings, clock=rig.clock, guild_ready_timeout=0.1)
    await second.login(DISCORD_TOKEN)
    try:
        yield first, second
    finally:
        await second.close()


def posted_per_warning(rig: Rig) -> dict[str, int]:
    """How many messages each (account, stage) got in the alert channel."""
    counts: dict[str, int] = {}
    for message in rig.discord.channel_messages.get(rig.discord.alert_channel_id, []):
        for embed in message["embeds"]:
            name = f"{embed['description']} {embed['title']}"
            counts[name] = counts.get(name, 0) + 1
    return counts


async def test_two_live_instances_with_one_host_and_pid_never_both_lead(
    rig: Rig, twins: tuple[WardenBot, WardenBot]
) -> None:
    first, second = twins
    a, b = cog(rig, first).lease.instance_id, cog(rig, second).lease.instance_id
    assert a.rsplit(":", 1)[0] == b.rsplit(":", 1)[0] and a != b  # same host and pid, two runs
    leaders = []
    for turn in range(160):  # both pass every 25 s (a live scheduler: at most 30 s), in turn, 66 min
        reports: dict[str, PassReport] = {}
        for bot in (first, second) if turn % 2 else (second, first):
            reports[cog(rig, bot).lease.instance_id] = await cog(rig, bot).run_pass()
            clock(rig).advance(timedelta(seconds=1))
        assert all(r.error is None for r in reports.values())
        (leader,) = [who for who, report in reports.items() if report.leader]  # one, never both
        leaders.append(leader)
        clock(rig).advance(timedelta(seconds=23))
    assert leaders == [b] * 160  # the first to take it keeps it while it lives: no flapping
    counts = posted_per_warning(rig)
    assert len(counts) == 2 * len(ACCOUNTS) and set(counts.values()) == {1}  # 6h and expired, once each


async def test_a_container_restarted_in_place_takes_over_within_one_renewal_period(
    rig: Rig, twins: tuple[WardenBot, WardenBot]
) -> None:
    """The first run crashes (never releases, never renews again); the restarted one, same host
    and PID, stands by only until the dead run's lease lapses: 45 s after its last renewal."""
    first, restarted = twins
    report = await cog(rig, first).run_pass()
    assert report.leader and len(report.sent) == len(ACCOUNTS)  # every 6h warning
    crashed_at = clock(rig).now()  # its last renewal was at the end of that pass

    clock(rig).advance(timedelta(seconds=5))  # the container is back 5 s later
    standby = await cog(rig, restarted).run_pass()
    assert not standby.leader and standby.sent == []
    # It wakes when the dead run's lease lapses, not at the 90 s it used to wait.
    assert standby.next_due == crashed_at + DEFAULT_TTL == crashed_at + timedelta(seconds=45)
    clock(rig).set(standby.next_due)
    taken = await cog(rig, restarted).run_pass()
    assert taken.leader
    took = clock(rig).now() - crashed_at
    assert took == timedelta(seconds=45)  # 40 s after the restart
    assert taken.sent == []  # nothing new was due yet; the 6h warnings were the crashed run's
    clock(rig).set(START + 2 * H)
    later = await cog(rig, restarted).run_pass()
    assert key("luma", ACCOUNTS[-1], START + 60 * timedelta(minutes=1), "expired") in later.sent
    assert set(posted_per_warning(rig).values()) == {1} and len(posted_per_warning(rig)) == 2 * len(ACCOUNTS)


async def test_a_long_pass_keeps_the_lease_and_a_lost_lease_posts_nothing(
    rig: Rig, twins: tuple[WardenBot, WardenBot], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass waiting on a slow useapi.net for longer than the lease lasts keeps it (renewed every
    KEEP_EVERY, here shortened so the test runs in a second): the standby, trying every 10 s of
    its clock meanwhile, never takes over, and the warnings are posted once."""
    first, second = twins
    monkeypatch.setattr(watch_module, "KEEP_EVERY", timedelta(seconds=0.05))
    rig.useapi.inject("GET", "/v1/luma/accounts", delay=1.5)  # the first read of the list is slow
    slow = asyncio.create_task(cog(rig, first).run_pass())
    tries = 0
    while not slow.done():
        await asyncio.sleep(0.1)
        clock(rig).advance(timedelta(seconds=10))  # 150 s of the clock go by during the pass
        assert not (await cog(rig, second).run_pass()).leader
        tries += 1
    report = slow.result()
    assert report.error is None and report.leader and tries >= 10
    assert clock(rig).now() - START > 2 * DEFAULT_TTL
    assert set(posted_per_warning(rig).values()) == {1} and len(posted_per_warning(rig)) == len(ACCOUNTS)


async def test_an_instance_that_lost_the_lease_mid_pass_posts_nothing_more(
    rig: Rig, twins: tuple[WardenBot, WardenBot]
) -> None:
    """The fence: a holder stalled past its lease (a stopped container, a frozen VM) finds at its
    next post that another instance took over, and stops; the other posts each warning once."""
    first, second = twins
    rig.useapi.inject("GET", "/v1/luma/accounts", delay=3.0)  # longer than `hold` trusts a renewal
    stalled = asyncio.create_task(cog(rig, first).run_pass())
    await asyncio.sleep(0.3)  # first holds the lease and waits on the list
    store = first.store
    await store.db.execute("UPDATE scheduler_lease SET expires_at = 0")  # as if it had lapsed
    await store.db.commit()
    clock(rig).advance(timedelta(seconds=1))
    took = await cog(rig, second).run_pass()
    assert took.leader and len(took.sent) == len(ACCOUNTS)
    report = await stalled
    assert report.sent == [] and not report.leader  # it found out before posting
    assert any("lost to another instance" in line for line in rig.raw_logs.lines)
    counts = posted_per_warning(rig)
    assert set(counts.values()) == {1} and len(counts) == len(ACCOUNTS), json.dumps(counts)
