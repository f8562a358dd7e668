"""Quiet hours (issue 23) end to end: `/alerts quiet 22:00 07:00 Europe/Berlin` holds a stage
warning until they end (across a restart, and on the days the clocks change), never holds an
expiry or an act-now warning, pings nothing inside them but those, and holds reminders.

The real bot against the doubles, shipped defaults, a FakeClock, passes driven by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.models import WarningKey
from tests.clock import FakeClock
from tests.doubles.discord_double import pinged
from tests.harness import Rig, running_rig
from tests.test_alerts import EMAIL, SESSION, START, H, clock, grant, key, run_pass, warnings
from tests.test_e2e_owners import answer, register

BERLIN_NIGHT = {"from": "22:00", "to": "07:00", "timezone": "Europe/Berlin"}
# START is 23 November 2026, 12:00 UTC (13:00 in Berlin, CET): tonight is quiet from 21:00 UTC
# to 06:00 UTC tomorrow.
TONIGHT = datetime(2026, 11, 23, 21, tzinfo=UTC)
MORNING = datetime(2026, 11, 24, 6, tzinfo=UTC)
OTHER = "second@example.com"


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with running_rig(tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False) as started:
        yield started


async def set_quiet(rig: Rig, **hours: str) -> str:
    return await answer(rig, "alerts", "quiet", user=rig.discord.admin_id, **(hours or BERLIN_NIGHT))


async def with_role(rig: Rig) -> int:
    role = rig.discord.role_id
    await rig.slash("alerts", "mention", user=rig.discord.admin_id, role=role)
    return role


async def recorded(rig: Rig) -> set[WarningKey]:
    return await rig.bot.store.alert_keys()  # type: ignore[union-attr]


def last(rig: Rig) -> dict[str, Any]:
    return warnings(rig)[-1]


async def test_a_stage_is_held_until_the_quiet_hours_end_even_across_a_restart(rig: Rig) -> None:
    expires = datetime(2026, 11, 24, 22, tzinfo=UTC)  # its 24h stage falls due at 23:00 in Berlin
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    role = await with_role(rig)
    said = await set_quiet(rig)
    assert "22:00 to 07:00 Europe/Berlin" in said and "It is 13:00 in Europe/Berlin now" in said
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "3d")]  # 13:00: not quiet

    held = key("luma", EMAIL, expires, "24h")
    clock(rig).set(expires - 24 * H + timedelta(seconds=20))
    report = await run_pass(rig)
    assert report.sent == [] and report.held == [held]
    assert report.next_due == MORNING  # the scheduler wakes when the quiet hours end
    assert held not in await recorded(rig)  # neither sent nor skipped: planned again
    status = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    fields = {f["name"]: f["value"] for f in (await rig.answer(status))["embeds"][0]["fields"]}
    assert f"**held until <t:{int(MORNING.timestamp())}:t>** (quiet hours)" in fields["Next warnings"]
    assert "🌙 now" in fields["Quiet hours"]

    # A restart inside the quiet hours loses nothing held.
    await rig.stop_bot()
    clock(rig).set(datetime(2026, 11, 24, 2, tzinfo=UTC))
    await rig.start_bot()
    report = await run_pass(rig)
    assert report.sent == [] and report.held == [held] and len(warnings(rig)) == 1

    clock(rig).set(MORNING - timedelta(seconds=1))
    assert (await run_pass(rig)).sent == []
    clock(rig).set(MORNING)
    report = await run_pass(rig)
    assert report.sent == [held] and report.held == []
    assert last(rig)["embeds"][0]["title"] == "Luma session expires within 24h"
    assert pinged(last(rig)) == (set(), {role}, False)  # the quiet hours are over: it pings
    assert held in await recorded(rig)


async def test_an_expiry_and_an_act_now_warning_are_not_held_and_ping_a_near_deadline_does_not_wait(
    rig: Rig,
) -> None:
    expires = datetime(2026, 11, 24, 3, tzinfo=UTC)  # 04:00 in Berlin: inside tonight's quiet hours
    rig.useapi.set_luma_account(EMAIL, expires)
    rig.useapi.set_luma_account(OTHER, START + 30 * 24 * H)
    await rig.start_bot()
    role = await with_role(rig)
    await set_quiet(rig)
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "24h")]

    # The last stage falls due inside the quiet hours with its deadline before their end: posted
    # at once, without a ping.
    clock(rig).set(expires - 6 * H + timedelta(seconds=20))
    assert clock(rig).now() > TONIGHT
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "6h")]
    assert last(rig)["embeds"][0]["title"] == "Luma session expires within 6h"
    assert not last(rig)["content"] and pinged(last(rig)) == (set(), set(), False)

    # The expiry inside the quiet hours: at once, and it pings.
    clock(rig).set(expires + timedelta(seconds=5))
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "expired")]
    assert last(rig)["embeds"][0]["title"] == "Luma session expired"
    assert pinged(last(rig)) == (set(), {role}, False)

    # A reason a person is needed now: at once, and it pings.
    rig.useapi.set_luma_error(OTHER, "Session refresh failed")
    clock(rig).advance(timedelta(minutes=16))
    assert [k.stage[:6] for k in (await run_pass(rig)).sent] == ["error:"]
    assert last(rig)["embeds"][0]["title"].startswith("useapi.net reports a problem")
    assert pinged(last(rig)) == (set(), {role}, False)


@pytest.mark.parametrize(
    ("start", "night_ends", "naive_end"),
    [
        # 29 March 2026: Berlin's clocks jump from 02:00 to 03:00; 07:00 CEST is 05:00 UTC.
        (datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 29, 5, tzinfo=UTC), timedelta(hours=1)),
        # 25 October 2026: they fall back from 03:00 to 02:00; 07:00 CET is 06:00 UTC.
        (datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 25, 6, tzinfo=UTC), -timedelta(hours=1)),
    ],
    ids=["spring-forward", "fall-back"],
)
async def test_on_the_day_the_clocks_change_the_quiet_hours_end_at_seven_local_time(
    rig: Rig, start: datetime, night_ends: datetime, naive_end: timedelta
) -> None:
    clock(rig).set(start)
    expires = night_ends + 20 * H  # its 24h stage falls due in the night
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    await set_quiet(rig)
    await run_pass(rig)  # the 3d stage, in the afternoon
    held = key("luma", EMAIL, expires, "24h")
    clock(rig).set(expires - 24 * H + timedelta(seconds=20))
    report = await run_pass(rig)
    assert report.held == [held] and report.next_due == night_ends
    # Held to the second before 07:00 local time, and posted at it: with the evening's offset the
    # night would end an hour off (`naive_end`), later in spring, earlier in autumn.
    assert night_ends + naive_end != night_ends
    clock(rig).set(night_ends - timedelta(seconds=1))
    assert (await run_pass(rig)).held == [held]
    clock(rig).set(night_ends)
    assert (await run_pass(rig)).sent == [held]


async def test_reminders_and_escalations_wait_for_the_end_of_the_quiet_hours(rig: Rig) -> None:
    expires = datetime(2026, 11, 23, 21, 30, tzinfo=UTC)  # 22:30 in Berlin
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    await set_quiet(rig)
    escalation_role = rig.discord.admin_role_id
    await answer(rig, "alerts", "escalate", user=rig.discord.admin_id, role=escalation_role, after="2h")
    await run_pass(rig)
    clock(rig).set(expires + timedelta(seconds=5))
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "expired")]
    # Nobody took it for two hours, in the night: the escalation waits for the morning.
    clock(rig).set(expires + 2 * H + timedelta(seconds=10))
    assert (await run_pass(rig)).escalated == []
    clock(rig).set(MORNING - timedelta(seconds=30))
    assert (await run_pass(rig)).escalated == []
    clock(rig).set(MORNING + timedelta(seconds=30))
    assert (await run_pass(rig)).escalated == [key("luma", EMAIL, expires, "expired")]
    assert pinged(last(rig)) == (set(), {escalation_role}, False)
    # REMINDER_INTERVAL (24h) later it is 22:30 in Berlin again: quiet, so the reminder waits.
    clock(rig).set(expires + 24 * H + timedelta(seconds=10))
    assert (await run_pass(rig)).reminded == []
    clock(rig).set(MORNING + 24 * H - timedelta(seconds=30))
    assert (await run_pass(rig)).reminded == []
    clock(rig).set(MORNING + 24 * H + timedelta(seconds=30))
    assert [k.stage for k in (await run_pass(rig)).reminded] == ["remind:1"]


async def test_quiet_hours_are_validated_shown_and_switched_off(rig: Rig) -> None:
    await rig.start_bot()
    for hours, problem in (
        ({"from": "25:00", "to": "07:00", "timezone": "UTC"}, "not a time of day"),
        ({"from": "22:00", "to": "7pm", "timezone": "UTC"}, "not a time of day"),
        ({"from": "22:00", "to": "07:00", "timezone": "Mars/Olympus"}, "not a time zone this bot knows"),
        ({"from": "08:00", "to": "08:00", "timezone": "UTC"}, "begin when they end"),
        ({"from": "22:00"}, "Give when quiet hours begin and end"),
    ):
        said = await set_quiet(rig, **hours)
        assert problem in said and "Nothing was changed" in said, said
        assert await rig.bot.store.get_setting("quiet_hours") is None  # type: ignore[union-attr]
    await set_quiet(rig)
    assert await rig.bot.store.get_setting("quiet_hours") == "22:00-07:00 Europe/Berlin"  # type: ignore[union-attr]
    status = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    fields = {f["name"]: f["value"] for f in (await rig.answer(status))["embeds"][0]["fields"]}
    assert fields["Quiet hours"].startswith("22:00 to 07:00 Europe/Berlin · next from")
    off = await set_quiet(rig, **{"from": "off"})
    assert "No quiet hours" in off and await rig.bot.store.get_setting("quiet_hours") is None  # type: ignore[union-attr]

    # The time zone is offered as typed.
    payload = rig.discord.slash_command("alerts", "quiet", options={"from": "22:00", "timezone": "berl"})
    payload["type"] = 4
    zone = next(o for o in payload["data"]["options"][0]["options"] if o["name"] == "timezone")
    zone["focused"] = True
    callback = await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(payload))
    assert [c["value"] for c in callback.data["choices"]] == ["Europe/Berlin"]


async def test_inside_quiet_hours_an_early_stage_due_at_once_goes_to_the_channel_silently_not_by_dm(
    rig: Rig,
) -> None:
    member = rig.discord.member_ids[0]
    expires = datetime(2026, 11, 24, 5, tzinfo=UTC)  # 06:00 in Berlin, before the night ends
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=expires)
    await rig.start_bot()
    admin = rig.discord.admin_id
    # Only stages shorter than the night let an early one fall due with its deadline inside it.
    await rig.slash("alerts", "stages", user=admin, service="luma", stages="8h,2h")
    await grant(rig, member)
    await register(rig, member)
    await set_quiet(rig)
    await answer(rig, "notify", "me", user=member, dm="on")
    assert (await run_pass(rig)).sent == []

    clock(rig).set(expires - 8 * H + timedelta(seconds=20))  # 22:00 in Berlin: quiet
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "8h")]
    assert rig.discord.dm_messages(member) == []  # a DM would notify in the night
    (posted,) = warnings(rig)
    assert posted["embeds"][0]["title"] == "Luma session expires within 8h"
    assert not posted["content"] and pinged(posted) == (set(), set(), False)
