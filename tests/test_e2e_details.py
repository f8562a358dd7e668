"""Live account details beside the scheduler pass (bot/details.py), end to end: a pass reads none,
the reader reads at a global rate whatever the number of services (never read first, the
services taking turns, then the longest waiting), a read that changes a reason wakes the
scheduler, a standby reads nothing, one account's failing read is its own fault, and a stage
warning is still preceded by a fresh read of that account. Passes and reader rounds are driven
by hand on a FakeClock, except in the last test (the bot's own loops, real time)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.details import DETAILS_INTERVAL, READS_PER_ROUND
from bot.watch import RECHECK_MAX_AGE
from tests.harness import Rig, running_rig
from tests.test_alerts import START, H, clock, cog, key, rig, run_pass, warnings

__all__ = ["rig"]  # a fixture, imported for pytest

DETAILS = r"/v1/(luma|google-flow)/accounts/.+"


def details_reads(rig: Rig) -> list[str]:
    """The accounts whose live details were read, in order (Luma's and Google Flow's)."""
    return [re.sub(r"%40", "@", r.path.rsplit("/", 1)[1]) for r in rig.useapi.requests_to("GET", DETAILS)]


def flow_account(rig: Rig, email: str) -> None:
    rig.useapi.google_flow.set_account(  # type: ignore[attr-defined]
        email,
        account_expires=[START + 40 * 24 * H],
        session_expires=START + 20 * H,
        next_refresh=START + 19 * H,
    )


@pytest.mark.services("luma", "googleflow")
async def test_a_pass_reads_no_details_and_the_reader_reads_a_few_at_a_time(rig: Rig) -> None:
    for n in (1, 2, 3):
        rig.useapi.set_luma_account(f"l{n}@x.com", START + 20 * 24 * H)
        flow_account(rig, f"f{n}@x.com")
    await rig.start_bot()
    watch = cog(rig).watch

    report = await cog(rig).run_pass()
    assert set(report.synced) == {"luma", "googleflow"} and details_reads(rig) == []

    # A round reads READS_PER_ROUND accounts whatever the number of services: never read first,
    # the services taking turns; then the rest; then nothing until DETAILS_INTERVAL has passed.
    assert READS_PER_ROUND == 3
    assert (await watch.read_details()).read == 3
    assert details_reads(rig) == ["f1@x.com", "l1@x.com", "f2@x.com"]
    assert (await watch.read_details()).read == 3
    assert details_reads(rig)[3:] == ["f3@x.com", "l2@x.com", "l3@x.com"]
    assert (await watch.read_details()).read == 0
    await cog(rig).run_pass()
    assert len(details_reads(rig)) == 6

    clock(rig).advance(timedelta(minutes=10))
    await watch.details.read_one("luma", "l3@x.com")  # as before a stage warning: read again
    clock(rig).advance(DETAILS_INTERVAL - timedelta(minutes=5))
    assert (await watch.read_details()).read == 3  # the five read longest ago, oldest first
    assert details_reads(rig)[7:] == ["f1@x.com", "f2@x.com", "f3@x.com"]
    assert (await watch.read_details()).read == 2
    assert details_reads(rig)[10:] == ["l1@x.com", "l2@x.com"]
    assert watch.details.reads == 12


async def test_a_read_that_changes_a_reason_wakes_the_pass_that_warns(rig: Rig) -> None:
    rig.useapi.set_luma_account("a@x.com", START + 20 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    rig.useapi.luma_accounts["a@x.com"].revoked = True
    clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))

    report = await cog(rig).run_pass()
    assert report.sent == [] and warnings(rig) == []  # the pass itself reads no details
    done = await cog(rig).watch.read_details()
    assert (done.read, done.changed) == (1, 1)
    report = await cog(rig).run_pass()
    (warning,) = warnings(rig)
    assert "no longer valid" in str(warning["embeds"][0]) and len(report.sent) == 1


async def test_an_instance_standing_by_reads_no_details(rig: Rig) -> None:
    rig.useapi.set_luma_account("a@x.com", START + 20 * 24 * H)
    await rig.start_bot()
    watch = cog(rig).watch
    assert (await watch.read_details()).read == 0  # no pass yet: not known to lead
    await rig.bot.store.claim_lease("scheduler", "elsewhere:1:ab", now=START, ttl_seconds=3600)  # type: ignore[union-attr]
    report = await cog(rig).run_pass()
    assert not report.leader
    assert (await watch.read_details()).read == 0 and details_reads(rig) == []


async def test_a_read_that_raises_is_that_accounts_fault_said_once(
    rig: Rig, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.details")
    for name in ("a@x.com", "b@x.com"):
        rig.useapi.set_luma_account(name, START + 20 * 24 * H)
    await rig.start_bot()
    watch = cog(rig).watch
    luma = watch.details.services["luma"]
    read = luma.account_details

    async def broken(account: str) -> Any:
        if account == "a@x.com":
            raise TypeError("a bug in reading this one")
        return await read(account)

    monkeypatch.setattr(luma, "account_details", broken)
    await cog(rig).run_pass()
    assert (await watch.read_details()).read == 2
    stored = await rig.bot.store.get_account("luma", "b@x.com")  # type: ignore[union-attr]
    assert stored is not None and stored.session_valid is True  # the other one was read
    for _ in range(2):
        clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
        report = await cog(rig).run_pass()
        assert [(f.step, f.account) for f in report.faults] == [("details", "a@x.com")]
        await watch.read_details()
    assert len([r for r in caplog.records if "details of luma a@x.com failed" in r.getMessage()]) == 1

    monkeypatch.setattr(luma, "account_details", read)
    clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
    await watch.read_details()
    assert (await cog(rig).run_pass()).faults == []


async def test_a_stage_warning_is_preceded_by_a_read_unless_one_was_just_made(rig: Rig) -> None:
    stale, fresh = "stale@x.com", "fresh@x.com"
    rig.useapi.set_luma_account(stale, START + 80 * H)
    rig.useapi.set_luma_account(fresh, START + 100 * H)
    await rig.start_bot()
    await run_pass(rig)  # both read by the reader at START
    assert sorted(details_reads(rig)) == [fresh, stale]

    # Revoked since: read again right before its 72h warning, which then says so.
    rig.useapi.luma_accounts[stale].revoked = True
    clock(rig).set(START + 8 * H + timedelta(seconds=5))
    report = await cog(rig).run_pass()
    assert details_reads(rig)[2:] == [stale]
    assert report.sent and all(k.account == stale for k in report.sent)
    assert any("no longer valid" in str(w["embeds"][0]) for w in warnings(rig))

    # Read by the reader moments ago: not read again before its warning.
    clock(rig).set(START + 28 * H - RECHECK_MAX_AGE / 2)
    await cog(rig).watch.details.read_one("luma", fresh)
    clock(rig).set(START + 28 * H + timedelta(seconds=5))
    reads = len(details_reads(rig))
    report = await cog(rig).run_pass()
    assert report.sent == [key("luma", fresh, START + 100 * H, "3d")] and len(details_reads(rig)) == reads


async def test_the_bots_own_loops_read_a_revoked_session_and_warn_at_once(tmp_path: Path) -> None:
    """No pass driven by hand: the reader's first round follows the first pass that took the
    lease, and its finding wakes the scheduler."""
    async with running_rig(tmp_path, start=False) as rig:
        rig.useapi.set_luma_account("a@x.com", datetime.now(UTC) + 20 * 24 * H, revoked=True)
        await rig.start_bot()
        await rig.discord.wait_for(
            lambda r: (
                r.method == "POST" and r.path.endswith("/messages") and "no longer valid" in str(r.json)
            ),
            timeout=10,
        )
