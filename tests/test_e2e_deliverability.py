"""Nothing hammers useapi.net while no warning can be posted (issue 20, item 1).

The real bot against the doubles, with the shipped defaults (no ALERT_CHANNEL_ID: the setting
these tests are about) and a FakeClock; passes are run every 30 s of simulated time, as the
scheduler loop runs them when nothing is scheduled sooner (cogs/alerts/_cog.py MAX_SLEEP).
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import ops
from bot.watch import PassReport
from tests.clock import FakeClock
from tests.harness import Rig, running_rig
from tests.passes import pass_with_details

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EMAIL = "due@example.com"
LIST = r"/v1/luma/accounts"
DETAILS = r"/v1/luma/accounts/due(@|%40)example\.com"
TICK = timedelta(seconds=30)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with running_rig(
        tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False, alert_channel_id=None
    ) as rig:
        yield rig


def clock(rig: Rig) -> FakeClock:
    assert isinstance(rig.clock, FakeClock)
    return rig.clock


async def run_pass(rig: Rig) -> PassReport:
    """A pass, and the live details reader beside it (bot/details.py), as the running bot's loops
    run them."""
    assert rig.bot is not None
    report = await pass_with_details(rig.bot.get_cog("AlertsCog"))
    assert report.error is None and report.leader
    return report


def reads(rig: Rig, path: str) -> int:
    return len(rig.useapi.requests_to("GET", path))


def said(rig: Rig, text: str) -> list[str]:
    return [line for line in rig.raw_logs.lines if text in line]


async def hour_of_passes(rig: Rig) -> list[PassReport]:
    """A pass now and every 30 s for an hour (120 passes), each followed by a round of the live
    details reader beside the passes (bot/details.py), as in the running bot."""
    reports = []
    for _ in range(120):
        reports.append(await run_pass(rig))
        await rig.bot.get_cog("AlertsCog").watch.read_details()  # type: ignore[union-attr]
        clock(rig).advance(TICK)
    return reports


async def test_without_an_alert_channel_an_hour_reads_only_the_regular_syncs(rig: Rig) -> None:
    assert rig.settings.sync_interval == timedelta(minutes=15)  # the shipped default
    rig.useapi.set_luma_account(EMAIL, START + timedelta(hours=5))  # its 6h warning is due
    await rig.start_bot()

    reports = await hour_of_passes(rig)

    # The list every SYNC_INTERVAL (at 0, 15, 30 and 45 minutes), the account's details once
    # (its regular read, every 4 h): nothing re-read for the warning that can't be posted.
    assert reads(rig, LIST) == 4
    assert reads(rig, DETAILS) == 1
    assert all(
        r.sent == [] and r.channel_problem and "no alert channel" in r.channel_problem for r in reports
    )
    assert not rig.discord.requests_to("POST", r"/channels/\d+/messages")
    # Said once, not at every pass; no per-warning line either.
    assert len(said(rig, "no warning can be posted: no alert channel is set")) == 1
    assert said(rig, "could not post the") == []

    status = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    fields = {f["name"]: f["value"] for f in (await rig.answer(status))["embeds"][0]["fields"]}
    assert "No alert channel is set" in fields["⚠️ Warnings can't be posted"]
    assert "due now" in fields["Next warnings"]

    # Set a channel: the next pass re-reads the list before the stage warning, then posts it.
    lists, details = reads(rig, LIST), reads(rig, DETAILS)
    channel = rig.discord.alert_channel_id
    answer = await rig.slash("alerts", "channel", user=rig.discord.admin_id, channel=channel)
    assert f"<#{channel}>" in (await rig.answer(answer))["content"]
    report = await run_pass(rig)
    assert len(report.sent) == 1 and report.sent[0].stage == "6h"
    assert reads(rig, LIST) == lists + 1 and reads(rig, DETAILS) == details + 1
    (post,) = rig.discord.requests_to("POST", rf"/channels/{channel}/messages")
    assert rig.useapi.requests_to("GET", LIST)[-1].at < post.at  # the re-check came first
    assert "Luma session expires within 6h" in str(post.json["embeds"])
    assert said(rig, f"posting to channel {channel} works again")
    status = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    assert "⚠️ Warnings can't be posted" not in {
        f["name"] for f in (await rig.answer(status))["embeds"][0]["fields"]
    }


async def test_a_forbidden_channel_is_tried_once_then_held_and_check_says_why(rig: Rig) -> None:
    channel = rig.discord.alert_channel_id
    rig.useapi.set_luma_account(EMAIL, START + timedelta(hours=5))
    await rig.start_bot()
    await rig.slash("alerts", "channel", user=rig.discord.admin_id, channel=channel)
    rig.discord.fail_channel_messages(channel, 403)

    reports = await hour_of_passes(rig)

    # One attempt (with its re-check), then nothing until the hour is up: the list stays on
    # SYNC_INTERVAL, the details on their own schedule.
    assert len(rig.discord.requests_to("POST", rf"/channels/{channel}/messages")) == 1
    # The details once: the pre-warning read, which the reader beside the passes counts as the
    # account's regular read (bot/details.py: an account read this recently is not due).
    assert reads(rig, LIST) == 4 and reads(rig, DETAILS) == 1
    assert all("lacks permission" in (r.channel_problem or "") for r in reports[1:])
    assert len(said(rig, "no warning can be posted: the bot lacks permission")) == 1
    assert len(said(rig, "could not post the 6h warning")) == 1

    # `check` (no Discord) reads what the running bot learned, from the database.
    out = io.StringIO()
    status = await ops.check(rig.settings, out, now=clock(rig).now())
    line = next(line for line in out.getvalue().splitlines() if line.startswith("alert channel"))
    assert status == 1 and re.match(r"alert channel +FAIL +\d+ \(set with /alerts channel\): ", line)
    assert "lacks permission" in line and "tries again at 2026-11-23T13:00:00Z" in line

    # An hour after the refusal it is tried once more (one re-check with it), and still refused.
    await run_pass(rig)
    assert len(rig.discord.requests_to("POST", rf"/channels/{channel}/messages")) == 2
    assert len(said(rig, "no warning can be posted: the bot lacks permission")) == 1  # not news

    # Fixed and checked with /alerts test: the warning goes at the next pass.
    rig.discord.clear_channel_faults()
    test = await rig.slash("alerts", "test", user=rig.discord.admin_id)
    assert "Posted a sample warning" in (await rig.followup(test))["content"]
    clock(rig).advance(TICK)
    assert [k.stage for k in (await run_pass(rig)).sent] == ["6h"]
    out = io.StringIO()
    assert await ops.check(rig.settings, out, now=clock(rig).now()) == 0
    assert re.search(r"^alert channel +ok +\d+ \(set with /alerts channel\)", out.getvalue(), re.M)


async def test_check_notes_a_missing_channel_without_failing(rig: Rig) -> None:
    await rig.start_bot()
    await run_pass(rig)
    out = io.StringIO()
    assert await ops.check(rig.settings, out, now=clock(rig).now()) == 0
    assert re.search(r"^alert channel +note +not set: no warning can be posted", out.getvalue(), re.M)
