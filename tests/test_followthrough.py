"""Warnings that follow through (issue 14): resolution edits, "I'm on it", reminders, status,
removal, pruning. The real bot against the Discord and useapi.net doubles, time moved by a
FakeClock, each scheduler pass driven by hand (see tests/test_alerts.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.events import ACCOUNT_REMOVED
from bot.followup import MAX_EDIT_ATTEMPTS
from bot.watch import FOLLOW_THROUGH_EVERY
from tests.clock import FakeClock
from tests.harness import Rig, running_rig
from tests.test_alerts import (
    EMAIL,
    EPHEMERAL,
    SESSION,
    START,
    H,
    click,
    clock,
    cog,
    grant,
    key,
    run_pass,
    warnings,
)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """Shipped defaults, a FakeClock, passes driven by hand (as in tests/test_alerts.py)."""
    async with running_rig(tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False) as started:
        yield started


GREEN = 0x2ECC71  # discord.Colour.green()
OTHER = "second@example.com"


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}


def live(rig: Rig, message: dict[str, Any]) -> dict[str, Any]:
    """The message as Discord holds it now (after edits)."""
    return rig.discord.messages[int(message["id"])]


async def edited(rig: Rig, message: dict[str, Any], times: int) -> None:
    """A click answers first and edits the public message right after: wait for that edit."""
    from tests.test_alerts import until

    def count() -> int:
        return sum(1 for r in rig.discord.edits if r.path.endswith(f"/messages/{message['id']}"))

    await until(lambda: count() >= times)


def buttons(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message["components"] for c in row["components"]]


async def renew_through_the_bot(rig: Rig, message: dict[str, Any], member: int) -> None:
    opened = await click(rig, "warden:renew:luma", message, member)
    done = await rig.submit(opened, {"cookie": SESSION}, user=member)
    assert "accepted" in (await rig.followup(done))["content"]


async def warned(rig: Rig, expires: Any) -> dict[str, Any]:
    """Start the bot with one Luma account expiring at `expires`; the first pass warns once."""
    rig.useapi.set_luma_account(EMAIL, expires)
    rig.useapi.set_luma_account(OTHER, START + 60 * 24 * H)  # so one disappearance is not held back
    await rig.start_bot()
    report = await run_pass(rig)
    assert len(report.sent) == 1
    (message,) = warnings(rig)
    return message


# -- resolution ---------------------------------------------------------------------------------


async def test_a_renewal_through_the_bot_resolves_the_warning_message(rig: Rig) -> None:
    expires, renewed = START + 20 * H, START + 30 * 24 * H
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=renewed)
    message = await warned(rig, expires)
    assert buttons(message) == ["warden:renew:luma", "warden:claim:luma"]
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    await renew_through_the_bot(rig, message, member)

    report = await run_pass(rig)
    assert report.resolved == [key("luma", EMAIL, expires, "24h")] and report.edited == report.resolved
    now = live(rig, message)
    embed = now["embeds"][0]
    assert embed["title"] == "✅ Resolved · Luma session expires within 24h" and embed["color"] == GREEN
    assert fields(now)["Resolved"].startswith(f"Renewed by <@{member}>")
    assert f"<t:{int(renewed.timestamp())}:F>" in fields(now)["Expires now"]
    assert now["components"] == []  # the Renew button is gone
    assert EMAIL in embed["description"]  # the rest of the warning stays readable
    clock(rig).advance(H)
    assert (await run_pass(rig)).edited == []  # edited once


async def test_a_later_expiry_in_the_list_resolves_it_as_refreshed(rig: Rig) -> None:
    expires = START + 5 * H
    message = await warned(rig, expires)
    rig.useapi.set_luma_expiry(EMAIL, START + 9 * 24 * H)
    clock(rig).advance(timedelta(minutes=16))  # the next sync reads the list
    report = await run_pass(rig)
    assert report.resolved == [key("luma", EMAIL, expires, "6h")]
    assert fields(live(rig, message))["Resolved"].startswith(
        "Renewed outside the bot or refreshed by useapi.net"
    )


async def test_a_cleared_error_and_a_returning_account_resolve_their_warnings(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    rig.useapi.set_luma_account(OTHER, START + 60 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    rig.useapi.set_luma_error(EMAIL, "Session refresh failed")
    clock(rig).advance(timedelta(minutes=16))
    assert [k.stage[:6] for k in (await run_pass(rig)).sent] == ["error:"]
    rig.useapi.set_luma_error(EMAIL, None)
    clock(rig).advance(timedelta(minutes=16))
    report = await run_pass(rig)
    (error_message,) = warnings(rig)
    assert [k.stage[:6] for k in report.edited] == ["error:"]
    assert fields(live(rig, error_message))["Resolved"].startswith("useapi.net no longer reports a problem")
    # The same error coming back is warned about again (the cleared one re-armed).
    rig.useapi.set_luma_error(EMAIL, "Session refresh failed")
    clock(rig).advance(timedelta(minutes=16))
    assert [k.stage[:6] for k in (await run_pass(rig)).sent] == ["error:"]
    rig.useapi.set_luma_error(EMAIL, None)

    rig.useapi.remove_luma_account(EMAIL)
    clock(rig).advance(timedelta(minutes=16))
    assert [k.stage for k in (await run_pass(rig)).sent] == ["gone"]
    gone_message = warnings(rig)[-1]
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    clock(rig).advance(timedelta(minutes=16))
    report = await run_pass(rig)
    assert "gone" in [k.stage for k in report.edited]
    assert fields(live(rig, gone_message))["Resolved"].startswith("The account is listed on useapi.net again")


async def test_an_edit_that_fails_is_logged_and_given_up_without_blocking_warnings(rig: Rig) -> None:
    expires = START + 5 * H
    message = await warned(rig, expires)
    del rig.discord.messages[int(message["id"])]  # someone deleted the warning
    rig.useapi.set_luma_expiry(EMAIL, START + 9 * 24 * H)
    rig.useapi.set_luma_expiry(OTHER, START + 4 * H)  # and another account falls due meanwhile
    clock(rig).advance(timedelta(minutes=16))
    report = await run_pass(rig)
    assert report.resolved == [key("luma", EMAIL, expires, "6h")] and report.edited == []
    assert "deleted" in report.edit_failed[0][1]
    assert [k.account for k in report.sent] == [OTHER]  # the failed edit blocked nothing
    assert any("could not mark the 6h warning" in line and "given up" in line for line in rig.raw_logs.lines)
    clock(rig).advance(H)
    assert (await run_pass(rig)).edit_failed == []  # a deleted message is not retried


async def test_an_edit_refused_by_the_channel_is_retried_a_few_times_then_given_up(rig: Rig) -> None:
    message = await warned(rig, START + 5 * H)
    rig.useapi.set_luma_expiry(EMAIL, START + 9 * 24 * H)
    clock(rig).advance(timedelta(minutes=16))
    rig.discord.fail_channel_messages(rig.discord.alert_channel_id, 403)
    attempts = 0
    for _ in range(MAX_EDIT_ATTEMPTS + 2):
        attempts += len((await run_pass(rig)).edit_failed)
        clock(rig).advance(timedelta(minutes=1))
    assert attempts == MAX_EDIT_ATTEMPTS
    assert "permission" in " ".join(rig.raw_logs.lines)
    rig.discord.clear_channel_faults()
    assert (await run_pass(rig)).edited == []
    assert "Resolved" not in fields(live(rig, message))


async def test_removing_an_account_resolves_its_warnings_as_removed_by_the_admin(rig: Rig) -> None:
    message = await warned(rig, START + 5 * H)
    admin = rig.discord.admin_id
    bot = rig.bot
    assert bot is not None
    # What `/<service> remove` does (part B): stop tracking, then tell the other extensions.
    await bot.store.db.execute("DELETE FROM accounts WHERE service = 'luma' AND account = ?", (EMAIL,))
    await bot.store.db.commit()
    rig.useapi.remove_luma_account(EMAIL)
    bot.dispatch(ACCOUNT_REMOVED, "luma", EMAIL, admin)
    await until_resolved(rig)
    report = await run_pass(rig)
    assert [k.account for k in report.edited] == [EMAIL]
    assert fields(live(rig, message))["Resolved"].startswith(f"Removed by <@{admin}>")


async def until_resolved(rig: Rig) -> None:
    """The listener runs as its own task: wait until the warning is marked resolved."""
    for _ in range(100):
        if not await rig.bot.store.posted_warnings():  # type: ignore[union-attr]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the removal did not resolve the warning")


# -- I'm on it ----------------------------------------------------------------------------------


async def test_claim_take_over_and_lapse(rig: Rig) -> None:
    message = await warned(rig, START + 5 * H)
    first, second = rig.discord.member_ids[0], rig.discord.member_ids[1]
    await grant(rig, first)

    refused = await click(rig, "warden:claim:luma", message, second)  # not approved yet
    assert refused.data["flags"] == EPHEMERAL and "Only members approved" in refused.data["content"]
    assert "On it" not in fields(live(rig, message))
    await grant(rig, second)

    claimed = await click(rig, "warden:claim:luma", message, first)  # acknowledged, then answered
    assert claimed.data["flags"] == EPHEMERAL and "You're on Luma" in (await rig.answer(claimed))["content"]
    await edited(rig, message, 1)
    assert fields(live(rig, message))["On it"].startswith(f"<@{first}> since <t:")
    assert buttons(live(rig, message)) == ["warden:renew:luma", "warden:claim:luma"]
    again = await click(rig, "warden:claim:luma", message, first)
    assert "already" in (await rig.answer(again))["content"]

    asking = await rig.discord.dispatch_interaction(
        rig.discord.button_click("warden:claim:luma", int(message["id"]), user=second)
    )
    asked = await rig.discord.wait_for_callback(asking)
    answer = await rig.answer(asked)
    assert asked.data["flags"] == EPHEMERAL and f"<@{first}> is on" in answer["content"]
    (take_over,) = [c for row in answer["components"] for c in row["components"]]
    assert take_over["custom_id"] == f"warden:takeover:{message['id']}:{first}"
    (private,) = rig.discord.messages_for(asking)  # the button is pressed on the private answer
    payload = rig.discord.button_click(take_over["custom_id"], int(private["id"]), user=second)
    took = await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(payload))
    assert f"took Luma **{EMAIL}** over from <@{first}>" in (await rig.answer(took))["content"]
    await edited(rig, message, 2)
    assert fields(live(rig, message))["On it"].endswith(f"took over from <@{first}>")
    assert fields(live(rig, message))["On it"].startswith(f"<@{second}>")

    clock(rig).advance(2 * H)  # CLAIM_TIMEOUT's default
    report = await run_pass(rig)
    assert report.lapsed == [key("luma", EMAIL, START + 5 * H, "6h")]
    now = fields(live(rig, message))
    assert "On it" not in now and now["Claim"].startswith(f"<@{second}>'s claim lapsed")


async def test_a_claim_survives_a_restart(rig: Rig) -> None:
    message = await warned(rig, START + 5 * H)
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    await rig.stop_bot()
    await rig.start_bot()
    claimed = await click(rig, "warden:claim:luma", message, member)
    assert "You're on Luma" in (await rig.answer(claimed))["content"]


# -- reminders ----------------------------------------------------------------------------------


async def test_a_reminder_after_the_interval_as_a_reply_once_and_none_across_a_restart(rig: Rig) -> None:
    expires = START + H
    message = await warned(rig, expires)  # the 6h stage, the last lead stage
    clock(rig).set(expires + timedelta(seconds=5))
    (expired,) = (await run_pass(rig)).sent
    expired_message = warnings(rig)[-1]
    clock(rig).advance(23 * H)
    assert (await run_pass(rig)).reminded == []
    clock(rig).advance(H)
    report = await run_pass(rig)
    assert [k.stage for k in report.reminded] == ["remind:1"]
    reminder = warnings(rig)[-1]
    assert reminder["type"] == 19 and reminder["message_reference"]["message_id"] == expired_message["id"]
    assert "Reminder" in reminder["embeds"][0]["title"] and EMAIL in reminder["embeds"][0]["description"]
    assert (await run_pass(rig)).reminded == []

    await rig.stop_bot()
    await rig.start_bot()
    clock(rig).advance(H)
    assert (await run_pass(rig)).reminded == []
    clock(rig).advance(23 * H)
    assert [k.stage for k in (await run_pass(rig)).reminded] == ["remind:2"]
    assert message["id"] != expired_message["id"] and expired.stage == "expired"


async def test_a_reminder_posted_but_not_recorded_is_not_posted_twice(rig: Rig) -> None:
    expires = START + H
    await warned(rig, expires)
    clock(rig).set(expires + timedelta(seconds=5))
    await run_pass(rig)
    clock(rig).advance(24 * H)
    assert len((await run_pass(rig)).reminded) == 1
    bot = rig.bot
    assert bot is not None
    count = len(warnings(rig))
    # A crash between the post and its record: the record is missing, the message is not.
    await bot.store.db.execute("DELETE FROM alert_warnings WHERE stage LIKE 'remind:%'")
    await bot.store.db.commit()
    # The next follow-through (a restarted bot runs one at its first pass; a running one within
    # FOLLOW_THROUGH_EVERY).
    clock(rig).advance(FOLLOW_THROUGH_EVERY)
    report = await run_pass(rig)
    assert [k.stage for k in report.reminded] == ["remind:1"]
    assert len(warnings(rig)) == count and rig.discord.deduplicated  # Discord returned the first


async def test_no_reminder_while_claimed_when_off_or_for_a_switched_off_service(rig: Rig) -> None:
    expires = START + H
    await warned(rig, expires)
    clock(rig).set(expires + timedelta(seconds=5))
    await run_pass(rig)
    expired_message = warnings(rig)[-1]
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    await click(rig, "warden:claim:luma", expired_message, member)
    await edited(rig, expired_message, 1)
    clock(rig).advance(H)
    await rig.slash("alerts", "reminders", user=rig.discord.admin_id, service="luma", interval="90m")
    assert (await run_pass(rig)).reminded == []  # claimed
    clock(rig).advance(H)  # the claim lapses (2h)
    assert (await run_pass(rig)).lapsed
    clock(rig).advance(89 * timedelta(minutes=1))
    assert (await run_pass(rig)).reminded == []  # 90 min after the lapse, not before
    clock(rig).advance(2 * timedelta(minutes=1))
    assert len((await run_pass(rig)).reminded) == 1

    off = await rig.slash("alerts", "reminders", user=rig.discord.admin_id, service="luma", interval="off")
    assert "reminders: off" in (await rig.answer(off))["content"]
    clock(rig).advance(3 * 24 * H)
    assert (await run_pass(rig)).reminded == []
    bad = await rig.slash("alerts", "reminders", user=rig.discord.admin_id, service="luma", interval="soon")
    assert "Nothing was changed" in (await rig.answer(bad))["content"]
    back = await rig.slash(
        "alerts", "reminders", user=rig.discord.admin_id, service="luma", interval="default"
    )
    assert "every 1d (the default)" in (await rig.answer(back))["content"]
    assert len((await run_pass(rig)).reminded) == 1


# -- /alerts status -----------------------------------------------------------------------------


async def test_status_lists_open_warnings_with_their_claim(rig: Rig) -> None:
    message = await warned(rig, START + 5 * H)
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    await click(rig, "warden:claim:luma", message, member)
    await edited(rig, message, 1)
    cb = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    embed = (await rig.answer(cb))["embeds"][0]
    text = {f["name"]: f["value"] for f in embed["fields"]}["Open warnings"]
    assert EMAIL in text and "expires within 6h" in text and f"<@{member}>" in text
    assert json.dumps(embed).count("since <t:") >= 2


# -- pruning ------------------------------------------------------------------------------------


async def test_old_records_are_pruned_but_the_current_expiry_keeps_its_stages(rig: Rig) -> None:
    expires = START + 5 * H
    await warned(rig, expires)
    bot = rig.bot
    assert bot is not None
    store = bot.store
    old = int((START - 400 * 24 * H).timestamp())
    await store.db.execute(
        "INSERT INTO audit (at, actor_id, action, outcome) VALUES (?, 1, 'register', 'ok')", (old,)
    )
    await store.db.execute(
        "INSERT INTO alert_warnings (service, account, epoch, stage, status, recorded_at) "
        "VALUES ('luma', ?, 1, '24h', 'skipped', ?)",
        (EMAIL, old),
    )
    # An ancient record about the current expiry stays: without it the stage would fire again.
    await store.db.execute(
        "UPDATE alert_warnings SET recorded_at = ? WHERE epoch = ?", (old, int(expires.timestamp()))
    )
    await store.db.commit()
    watch = cog(rig).watch
    watch._next_prune = None
    report = await run_pass(rig)
    assert report.pruned == (1, 1)
    keys = await store.alert_keys()
    assert key("luma", EMAIL, expires, "6h") in keys
    assert (await run_pass(rig)).sent == []
