"""The weekly digest end to end (issue 23): the real bot, shipped defaults, a FakeClock and passes
driven by hand, against the Discord double.

Off by default; `/alerts digest <weekday> <time> [timezone]` sets it; it is posted once a week at
that local time (DST included), once even across a restart and across a post whose record was
lost (the week's nonce), and not at all in a week with nothing to say. Bad input is answered with
a specific sentence and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import settings
from bot.digest import DigestRecord, digest_nonce
from tests.clock import FakeClock
from tests.doubles._components import IS_COMPONENTS_V2, count_components, walk
from tests.harness import Rig, running_rig
from tests.test_alerts import EMAIL, SESSION, START, H, click, clock, grant, run_pass, warnings
from tests.test_followthrough import OTHER

MINUTE = timedelta(minutes=1)
# START is Monday 2026-11-23 12:00 UTC. Tuesday 09:00 in Berlin (CET, UTC+1) is 08:00 UTC.
TUESDAY_NINE_BERLIN = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with running_rig(tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False) as started:
        yield started


def digests(rig: Rig) -> list[dict[str, Any]]:
    """The components-v2 messages Discord holds in the alert channel (the digest is the only kind)."""
    return [
        m
        for m in rig.discord.channel_messages.get(rig.discord.alert_channel_id, [])
        if int(m["flags"]) & IS_COMPONENTS_V2
    ]


def text(message: dict[str, Any]) -> str:
    return "\n".join(c["content"] for c in walk(message["components"]) if c.get("type") == 10)


async def set_digest(rig: Rig, *words: str) -> str:
    options = dict(zip(("weekday", "time", "timezone"), words, strict=False))
    answer = await rig.slash("alerts", "digest", user=rig.discord.admin_id, **options)
    assert answer.data["flags"] & 64
    return str((await rig.answer(answer))["content"])


async def status(rig: Rig) -> str:
    answer = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    return {f["name"]: f["value"] for f in (await rig.answer(answer))["embeds"][0]["fields"]}["Weekly digest"]


async def passes_until(rig: Rig, until: datetime, step: timedelta = 6 * H) -> None:
    """Passes every `step` until `until` (the digest is checked after each)."""
    while clock(rig).now() + step <= until:
        clock(rig).advance(step)
        await run_pass(rig)


async def test_the_digest_is_off_by_default(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 3 * 24 * H)  # plenty to say
    await rig.start_bot()
    await run_pass(rig)
    await passes_until(rig, START + 15 * 24 * H)
    assert digests(rig) == []
    assert (await status(rig)).startswith("off")


async def test_once_a_week_at_its_local_time_across_a_restart(rig: Rig) -> None:
    member = rig.discord.member_ids[0]
    rig.useapi.set_luma_account(EMAIL, START + 20 * H)  # falls due, and gets a warning
    rig.useapi.set_luma_account(OTHER, START + 6 * 24 * H)  # falls due; nobody owns it
    await rig.start_bot()
    await run_pass(rig)
    (warning,) = warnings(rig)
    await grant(rig, member)
    await click(rig, "warden:claim:luma", warning, member)
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=START + 5 * 24 * H)  # renewed: still due this week
    opened = await click(rig, "warden:renew:luma", warning, member)
    assert (
        "accepted"
        in (await rig.followup(await rig.submit(opened, {"cookie": SESSION}, user=member)))["content"]
    )

    said = await set_digest(rig, "tuesday", "09:00", "Europe/Berlin")
    next_one = int(TUESDAY_NINE_BERLIN.timestamp())
    assert (
        said.startswith("✅ Weekly digest: Tuesdays at 09:00 (Europe/Berlin)") and f"<t:{next_one}:f>" in said
    )

    clock(rig).set(TUESDAY_NINE_BERLIN - 10 * timedelta(seconds=1))
    await run_pass(rig)
    assert digests(rig) == []  # not before its moment
    clock(rig).set(TUESDAY_NINE_BERLIN + 20 * timedelta(seconds=1))
    await run_pass(rig)
    (digest,) = digests(rig)
    body = rig.discord.requests_to("POST", rf"/channels/{rig.discord.alert_channel_id}/messages")[-1].json
    assert body["nonce"] == digest_nonce("2026-W48") and body["enforce_nonce"] is True
    assert body["allowed_mentions"]["parse"] == [] and body.get("content") is None
    assert count_components(digest["components"]) == 7
    shown = text(digest)
    assert "## Weekly digest · 2026-W48" in shown
    due = shown.split("### Falls due in the next 7 days")[1].split("###")[0]
    assert due.index(EMAIL) < due.index(OTHER)
    assert f"{EMAIL} · owner <@{member}>" in due and f"{OTHER} · no owner" in due
    renewed = shown.split("### Renewed through the bot in the last 7 days")[1].split("###")[0]
    assert f"Luma · {EMAIL} · by <@{member}>" in renewed
    assert "### Open warnings\nNone." in shown  # the renewal resolved it
    assert shown.split("### Accounts with no owner")[1].strip() == f"• Luma · {OTHER}"

    for _ in range(3):
        clock(rig).advance(10 * MINUTE)
        await run_pass(rig)
    await rig.stop_bot()  # a restart the same day: still one
    await rig.start_bot()
    await passes_until(rig, TUESDAY_NINE_BERLIN + 6 * 24 * H)
    assert len(digests(rig)) == 1
    assert "Last: 2026-W48, posted" in await status(rig)

    clock(rig).set(TUESDAY_NINE_BERLIN + 7 * 24 * H + MINUTE)  # the next Tuesday
    await run_pass(rig)
    assert len(digests(rig)) == 2 and "## Weekly digest · 2026-W49" in text(digests(rig)[1])


async def test_a_post_whose_record_was_lost_is_not_posted_twice(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 3 * 24 * H)
    await rig.start_bot()
    await set_digest(rig, "Tue", "9:00", "europe/berlin")
    clock(rig).set(TUESDAY_NINE_BERLIN + MINUTE)
    await run_pass(rig)
    assert len(digests(rig)) == 1
    # As if the bot died after Discord took the post, before it wrote the record down.
    await settings.DIGEST_RECORD.set(rig.bot.store, None)  # type: ignore[union-attr]
    await rig.stop_bot()
    await rig.start_bot()
    clock(rig).advance(MINUTE)
    await run_pass(rig)
    assert len(digests(rig)) == 1 and len(rig.discord.deduplicated) == 1  # Discord answered with the first
    stored = DigestRecord.from_json(await settings.DIGEST_RECORD.raw(rig.bot.store))  # type: ignore[union-attr]
    assert (
        stored is not None and stored.week == "2026-W48" and stored.message_id == int(digests(rig)[0]["id"])
    )


async def test_nothing_to_say_posts_nothing(rig: Rig) -> None:
    await rig.start_bot()  # no account at all
    await set_digest(rig, "tuesday", "09:00", "Europe/Berlin")
    await passes_until(rig, TUESDAY_NINE_BERLIN + 2 * H, step=30 * MINUTE)
    assert digests(rig) == []
    assert "Last: 2026-W48, nothing to say" in await status(rig)


async def test_nine_in_berlin_on_both_sides_of_the_autumn_change(rig: Rig) -> None:
    """Mondays 09:00 Berlin: 07:00 UTC on 19 October 2026 (CEST), 08:00 UTC on 26 October (CET)."""
    clock(rig).set(datetime(2026, 10, 17, 12, 0, tzinfo=UTC))
    rig.useapi.set_luma_account(EMAIL, datetime(2027, 1, 1, tzinfo=UTC))  # configured outside: no owner
    await rig.start_bot()
    await run_pass(rig)
    await set_digest(rig, "monday", "09:00", "Europe/Berlin")
    times = []
    while clock(rig).now() < datetime(2026, 10, 27, tzinfo=UTC):
        clock(rig).advance(30 * MINUTE)
        before = len(digests(rig))
        await run_pass(rig)
        if len(digests(rig)) > before:
            times.append(clock(rig).now())
    assert times == [datetime(2026, 10, 19, 7, 0, tzinfo=UTC), datetime(2026, 10, 26, 8, 0, tzinfo=UTC)]


async def test_bad_input_is_answered_specifically_and_changes_nothing(rig: Rig) -> None:
    await rig.start_bot()
    assert (await set_digest(rig, "friday", "17:30", "America/New_York")).startswith("✅")
    before = await settings.DIGEST_SCHEDULE.raw(rig.bot.store)  # type: ignore[union-attr]
    for words, sentence in (
        (("someday", "09:00"), "'someday' is not a weekday: use Monday, Tuesday, … Sunday"),
        (("monday", "25:00"), "'25:00' is not a time of day: use HH:MM on a 24-hour clock"),
        (("monday", "09:00", "Mars/Olympus_Mons"), "'Mars/Olympus_Mons' is not a time zone I know"),
        (("monday",), "Say at what time of day it comes"),
    ):
        said = (await set_digest(rig, *words)).replace("\\_", "_")  # typed text is shown escaped
        assert said.startswith("❌ ") and sentence in said and said.endswith("Nothing was changed."), said
        assert await settings.DIGEST_SCHEDULE.raw(rig.bot.store) == before  # type: ignore[union-attr]
    assert "Fridays at 17:30 (America/New_York)" in await status(rig)
    assert (await set_digest(rig, "off")) == "✅ The weekly digest is off."
    assert (await status(rig)).startswith("off")
    refused = await rig.slash("alerts", "digest", user=rig.discord.member_ids[0], weekday="monday")
    assert "Only server admins" in (await rig.answer(refused))["content"]


async def offered(rig: Rig, focus: str, **typed: str) -> list[str]:
    """What Discord's autocomplete shows while `focus` is being typed."""
    payload = rig.discord.slash_command("alerts", "digest", options=typed, user=rig.discord.admin_id)
    payload["type"] = 4  # APPLICATION_COMMAND_AUTOCOMPLETE
    for option in payload["data"]["options"][0]["options"]:
        option["focused"] = option["name"] == focus
    cb = await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(payload))
    assert cb.type == 8
    return [choice["value"] for choice in cb.data["choices"]]


async def test_weekdays_and_time_zones_are_offered_as_you_type(rig: Rig) -> None:
    await rig.start_bot()
    assert await offered(rig, "weekday", weekday="tu") == ["tuesday"]
    assert await offered(rig, "weekday", weekday="") == [*WEEKDAY_VALUES, "off"]
    assert (await offered(rig, "timezone", weekday="monday", time="09:00", timezone="berl"))[
        0
    ] == "Europe/Berlin"
    assert "America/New_York" in await offered(rig, "timezone", weekday="monday", timezone="new_y")
    assert len(await offered(rig, "timezone", weekday="monday", timezone="")) == 25  # Discord's most
    assert await offered(rig, "timezone", weekday="monday", timezone="no such place") == []


WEEKDAY_VALUES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
