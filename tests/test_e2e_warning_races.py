"""A warning's message always ends up showing what the database says (issue 18 §4, issue 23's
follow-through fixes): claims, take-overs, lapses and resolutions racing each other while Discord
is slow to take the answers, claims answered by a standby instance, failed redraws retried, and
a reason that comes back shown as a new message.

The real bot against the Discord and useapi.net doubles, time moved by a FakeClock and each
scheduler pass driven by hand (as tests/test_followthrough.py). "Slow" is the Discord double's
`slow_interaction_answers` (a member's answers applied when they arrive, answered 2.5 s later)
and `slow_channel_answers(..., edits=True)` (the same for edits of the warning message).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import WardenBot
from bot.followup import How, PostedWarning
from bot.watch import FOLLOW_THROUGH_EVERY
from tests.clock import FakeClock
from tests.harness import DISCORD_TOKEN, Rig, running_rig
from tests.test_alerts import EMAIL, SESSION, START, H, clock, cog, grant, key, run_pass, warnings
from tests.test_followthrough import OTHER, buttons, edited, fields, live, renew_through_the_bot, warned

SLOW = 2.5  # seconds Discord takes to answer, in the races below
CLAIM = "warden:claim:luma"


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """Shipped defaults, a FakeClock, passes driven by hand (as in tests/test_followthrough.py)."""
    async with running_rig(tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False) as started:
        yield started


async def press(
    rig: Rig,
    custom_id: str,
    message_id: int,
    user: int,
    *,
    slow: float | None = None,
    seen: dict[str, Any] | None = None,
) -> str:
    """Press a button without waiting for anything; `slow`: Discord answers this press late;
    `seen`: the message as the member's screen still showed it (buttons and all)."""
    payload = rig.discord.button_click(custom_id, message_id, user=user)
    if seen is not None:
        payload["message"] = seen
    if slow is not None:
        rig.discord.slow_interaction_answers(slow, interaction_id=payload["id"])
    return await rig.discord.dispatch_interaction(payload)


async def finished(rig: Rig, iid: str, *, slow: float = SLOW) -> dict[str, Any]:
    """The member's answer to a press, once the press is over: Discord takes the answer `slow`
    s after it arrived, and the click's redraw (the stale one, before issue 18) comes right after."""
    callback = await rig.discord.wait_for_callback(iid, timeout=10)
    assert callback.latency < 3, callback.latency  # acknowledged within Discord's deadline
    answer = await rig.followup(callback, timeout=10)
    await asyncio.sleep(slow + 1.0)
    return answer


async def stored(rig: Rig, message: dict[str, Any]) -> PostedWarning:
    assert rig.bot is not None
    warning = await rig.bot.store.warning_by_message(int(message["id"]))
    assert warning is not None
    return warning


async def until_stored(rig: Rig, message: dict[str, Any], check: Any, timeout: float = 10) -> None:
    """Wait until the warning as stored satisfies `check` (a press is half-way through)."""
    for _ in range(int(timeout / 0.02)):
        if check(await stored(rig, message)):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the warning never reached the state waited for")


async def matches_database(rig: Rig, message: dict[str, Any]) -> PostedWarning:
    """The message Discord shows is the warning as stored, once no redraw is pending (one may
    still be waiting for a slow edit to be answered)."""
    await until_stored(rig, message, lambda w: w.drawn_version == w.state_version)
    warning = await stored(rig, message)
    shown = live(rig, message)
    title, said = shown["embeds"][0]["title"], fields(shown)
    if not warning.is_open:
        assert title.startswith("✅ Resolved") and "Resolved" in said, title
        assert shown["components"] == []  # no Renew, no I'm on it on a resolved warning
        assert "On it" not in said
    else:
        assert not title.startswith("✅") and "Resolved" not in said, title
        assert buttons(shown) == ["warden:renew:luma", CLAIM]
        if warning.claim is not None:
            assert said["On it"].startswith(f"<@{warning.claim.by}> since"), said
        else:
            assert "On it" not in said
            if warning.lapsed is not None:
                assert said["Claim"].startswith(f"<@{warning.lapsed.by}>'s claim lapsed"), said
    return warning


async def stays(rig: Rig, message: dict[str, Any]) -> None:
    """Later passes find nothing to redraw, and the message still matches."""
    for _ in range(2):
        clock(rig).advance(FOLLOW_THROUGH_EVERY)
        report = await run_pass(rig)
        assert report.edited == [] and report.edit_failed == []
    await matches_database(rig, message)


async def two_members(rig: Rig) -> tuple[int, int]:
    alice, bob = rig.discord.member_ids
    await grant(rig, alice)
    await grant(rig, bob)
    return alice, bob


# -- races with a slow Discord -----------------------------------------------------------------


async def test_a_claim_racing_a_renewal_leaves_the_warning_resolved(rig: Rig) -> None:
    """Alice presses I'm on it while Bob's renewal resolves the warning; Discord takes 2.5 s to
    take each of Alice's answers. Before issue 18 her click then redrew the message as claimed,
    Renew and I'm on it included, over the resolution, for good."""
    expires = START + 5 * H
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=START + 30 * 24 * H)
    message = await warned(rig, expires)
    alice, bob = await two_members(rig)

    pressed = await press(rig, CLAIM, int(message["id"]), alice, slow=SLOW)
    await until_stored(rig, message, lambda w: w.claim is not None)  # her answer is on its way
    await renew_through_the_bot(rig, message, bob)
    report = await run_pass(rig)
    assert report.resolved == [key("luma", EMAIL, expires, "6h")] and report.edited == report.resolved

    answer = await finished(rig, pressed)
    assert "You're on Luma" in answer["content"]  # the claim itself went through, before the renewal
    warning = await matches_database(rig, message)
    assert warning.resolution is not None and warning.resolution.how is How.RENEWED
    assert warning.resolution.by == bob
    await stays(rig, message)


async def test_a_claim_racing_a_lapse_ends_as_stored(rig: Rig) -> None:
    """Alice's claim lapses in a pass whose edit Discord answers late, while Bob presses I'm on
    it: whichever way the two land, the message shows what the database holds."""
    message = await warned(rig, START + 5 * H)
    alice, bob = await two_members(rig)
    await rig.answer(await press_and_wait(rig, CLAIM, message, alice))
    await edited(rig, message, 1)
    clock(rig).advance(2 * H)  # CLAIM_TIMEOUT's default: Alice's claim is due to lapse
    rig.discord.slow_channel_answers(rig.discord.alert_channel_id, SLOW, edits=True)

    passing = asyncio.create_task(run_pass(rig))
    pressed = await press(rig, CLAIM, int(message["id"]), bob, slow=1.0)
    report = await passing
    assert report.lapsed == [key("luma", EMAIL, START + 5 * H, "6h")]
    answer = await finished(rig, pressed, slow=1.0)
    warning = await matches_database(rig, message)
    rig.discord.clear_channel_faults()
    if "You're on Luma" in answer["content"]:  # Bob claimed after the lapse
        assert warning.claim is not None and warning.claim.by == bob
    else:  # Bob pressed while Alice still had it: offered to take it over; then it lapsed
        assert f"<@{alice}> is on" in answer["content"]
        assert warning.claim is None and warning.lapsed is not None and warning.lapsed.by == alice
    await stays(rig, message)


async def press_and_wait(
    rig: Rig, custom_id: str, message: dict[str, Any], user: int, *, seen: dict[str, Any] | None = None
) -> Any:
    iid = await press(rig, custom_id, int(message["id"]), user, seen=seen)
    return await rig.discord.wait_for_callback(iid)


async def test_two_claims_at_once_one_wins_and_the_message_shows_the_winner(rig: Rig) -> None:
    message = await warned(rig, START + 5 * H)
    alice, bob = await two_members(rig)
    presses = [await press(rig, CLAIM, int(message["id"]), who, slow=SLOW) for who in (alice, bob)]
    answers = await asyncio.gather(*(finished(rig, iid) for iid in presses))

    won = [who for who, answer in zip((alice, bob), answers, strict=True) if "You're on" in answer["content"]]
    assert len(won) == 1
    (winner,) = won
    (lost,) = [answer for answer in answers if "You're on" not in answer["content"]]
    assert f"<@{winner}> is on" in lost["content"] and "Take it over?" in lost["content"]
    warning = await matches_database(rig, message)
    assert warning.claim is not None and warning.claim.by == winner
    claims = [e for e in await rig.bot.store.recent_audit() if e.action == "claim"]  # type: ignore[union-attr]
    assert [(e.actor_id, e.outcome) for e in claims] == [(winner, "ok")]
    await stays(rig, message)


async def test_a_take_over_racing_a_resolution_leaves_the_warning_resolved(rig: Rig) -> None:
    expires = START + 5 * H
    message = await warned(rig, expires)
    alice, bob = await two_members(rig)
    await rig.answer(await press_and_wait(rig, CLAIM, message, alice))
    asking = await press(rig, CLAIM, int(message["id"]), bob)
    offered = await rig.answer(await rig.discord.wait_for_callback(asking))
    (take_over,) = [c for row in offered["components"] for c in row["components"]]
    (private,) = rig.discord.messages_for(asking)

    pressed = await press(rig, take_over["custom_id"], int(private["id"]), bob, slow=SLOW)
    await until_stored(rig, message, lambda w: w.claim is not None and w.claim.by == bob)
    rig.useapi.set_luma_expiry(EMAIL, START + 9 * 24 * H)  # refreshed upstream meanwhile
    clock(rig).advance(timedelta(minutes=16))  # the next sync reads it
    report = await run_pass(rig)
    assert report.resolved == [key("luma", EMAIL, expires, "6h")]

    answer = await finished(rig, pressed)
    assert f"took Luma **{EMAIL}** over from <@{alice}>" in answer["content"]
    warning = await matches_database(rig, message)
    assert warning.resolution is not None and warning.resolution.how is How.REFRESHED
    await stays(rig, message)


async def test_a_claim_on_a_resolved_warning_changes_nothing_and_redraws_nothing(rig: Rig) -> None:
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=START + 30 * 24 * H)
    message = await warned(rig, START + 5 * H)
    seen = copy.deepcopy(message)  # Alice's screen, before the resolution reached it
    alice, bob = await two_members(rig)
    await renew_through_the_bot(rig, message, bob)
    await run_pass(rig)
    edits = len(rig.discord.edits)
    answer = await rig.answer(await press_and_wait(rig, CLAIM, message, alice, seen=seen))
    assert "resolved already" in answer["content"]
    assert len(rig.discord.edits) == edits
    await matches_database(rig, message)


# -- two instances -----------------------------------------------------------------------------


async def test_a_claim_answered_by_a_standby_is_drawn_by_the_lease_holder(rig: Rig) -> None:
    """Buttons are answered by whichever instance Discord hands them to; only the scheduler
    lease holder edits warning messages (bot/redraw.py), so two never edit one at once."""
    rig.useapi.set_luma_account(EMAIL, START + 5 * H)
    rig.useapi.set_luma_account(OTHER, START + 60 * 24 * H)
    standby = await rig.start_bot()  # connected to the gateway: it gets the button presses
    holder = WardenBot(rig.settings, clock=rig.clock, guild_ready_timeout=0.1, alerts_autostart=False)
    await holder.login(DISCORD_TOKEN)  # a second deployment on the same database
    try:
        first = await cog(rig, holder).run_pass()  # the holder takes the lease and warns
        assert first.leader and len(first.sent) == 1
        (message,) = warnings(rig)
        alice = rig.discord.member_ids[0]
        await grant(rig, alice)

        answer = await rig.answer(await press_and_wait(rig, CLAIM, message, alice))
        assert "You're on Luma" in answer["content"]
        await asyncio.sleep(0.5)
        assert rig.discord.edits == []  # the standby stored the claim and left the message alone
        assert not cog(rig, standby).lease.held_recently()

        clock(rig).advance(FOLLOW_THROUGH_EVERY)
        report = await cog(rig, holder).run_pass()
        assert report.leader and report.edited == [key("luma", EMAIL, START + 5 * H, "6h")]
        warning = await matches_database(rig, message)
        assert warning.claim is not None and warning.claim.by == alice
    finally:
        await holder.close()


# -- failed redraws are retried (issue 23) ------------------------------------------------------


async def test_a_claim_and_a_lapse_whose_edits_fail_are_redrawn_at_the_next_pass(rig: Rig) -> None:
    message = await warned(rig, START + 5 * H)
    alice, _ = await two_members(rig)
    channel = rig.discord.alert_channel_id

    rig.discord.fail_channel_messages(channel, 503, times=1)  # the claim's edit fails once
    answer = await rig.answer(await press_and_wait(rig, CLAIM, message, alice))
    assert "You're on Luma" in answer["content"]
    await until_stored(rig, message, lambda w: w.edit_attempts == 1)
    assert "On it" not in fields(live(rig, message))
    report = await run_pass(rig)  # followed through at once: the claim's edit had failed
    assert report.edited == [key("luma", EMAIL, START + 5 * H, "6h")]
    await matches_database(rig, message)

    clock(rig).advance(2 * H)
    rig.discord.fail_channel_messages(channel, 503, times=1)  # the lapse's edit fails once
    report = await run_pass(rig)
    assert report.lapsed and report.edited == [] and len(report.edit_failed) == 1
    assert fields(live(rig, message))["On it"].startswith(f"<@{alice}>")  # not yet redrawn
    clock(rig).advance(FOLLOW_THROUGH_EVERY)
    report = await run_pass(rig)
    assert report.edited == [key("luma", EMAIL, START + 5 * H, "6h")]
    warning = await matches_database(rig, message)
    assert warning.claim is None and warning.lapsed is not None
    await stays(rig, message)


async def test_a_deleted_claimed_message_is_given_up_at_once(rig: Rig) -> None:
    message = await warned(rig, START + 5 * H)
    alice, _ = await two_members(rig)
    seen = copy.deepcopy(message)  # Alice's screen, before the deletion reached it
    del rig.discord.messages[int(message["id"])]  # someone deleted the warning
    await rig.answer(await press_and_wait(rig, CLAIM, message, alice, seen=seen))
    await until_stored(rig, message, lambda w: w.redraw_given_up)
    clock(rig).advance(FOLLOW_THROUGH_EVERY)
    assert (await run_pass(rig)).edit_failed == []  # a deleted message is not retried


# -- a reason that comes back (issue 23) -------------------------------------------------------


async def test_a_reason_back_within_minutes_is_a_new_message(rig: Rig) -> None:
    """An error that clears and comes back within Discord's nonce window (a few minutes of real
    time: every step below takes well under a second) is posted as a new message, not answered
    with the old, resolved one."""
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    rig.useapi.set_luma_account(OTHER, START + 60 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    for error in ("Session refresh failed", None, "Session refresh failed"):
        rig.useapi.set_luma_error(EMAIL, error)
        clock(rig).advance(timedelta(minutes=16))  # the next sync reads the list
        await run_pass(rig)
    first, again = warnings(rig)
    assert first["id"] != again["id"] and rig.discord.deduplicated == []
    assert live(rig, first)["embeds"][0]["title"].startswith("✅ Resolved")  # the first stays resolved
    assert buttons(live(rig, again)) == ["warden:renew:luma", CLAIM]  # the second is open
    warning = await matches_database(rig, again)
    assert warning.is_open and warning.key.stage.startswith("error:")


async def test_a_re_armed_warning_keeps_its_own_nonce_across_a_retry(rig: Rig) -> None:
    """The nonce of a re-armed warning is its own, and the same at every try, so a post whose
    answer was lost is still answered with the message it created."""
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    rig.useapi.set_luma_account(OTHER, START + 60 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    channel = rig.discord.alert_channel_id
    for error in ("Session refresh failed", None):
        rig.useapi.set_luma_error(EMAIL, error)
        clock(rig).advance(timedelta(minutes=16))
        await run_pass(rig)
    rig.useapi.set_luma_error(EMAIL, "Session refresh failed")
    rig.discord.fail_channel_messages(channel, 503, times=1)  # the re-armed post fails once
    clock(rig).advance(timedelta(minutes=16))
    assert len((await run_pass(rig)).failed) == 1
    clock(rig).advance(timedelta(seconds=30))
    assert len((await run_pass(rig)).sent) == 1
    posts = [
        r.json
        for r in rig.discord.requests_to("POST", rf"/channels/{channel}/messages")
        if r.json.get("embeds")
    ]
    first, failed, retried = posts
    assert failed["nonce"] == retried["nonce"] != first["nonce"]
    assert len(warnings(rig)) == 2
