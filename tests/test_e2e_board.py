"""The live status board end to end (issue 23): the real bot, shipped defaults, a FakeClock and
passes driven by hand, against the Discord double, which refuses what Discord refuses (a
components-v2 message over 40 components or 4000 characters, content beside the v2 flag, …).

`/alerts board` posts one components-v2 message; after each pass the lease holder edits that
message in place when what it shows changed, at most once a minute; it survives a restart; a
deleted message, a deleted channel or a refusal stops it (said by `/alerts status`), and nothing
is ever posted again by itself."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import settings
from bot.board import BoardState
from bot.services import KNOWN_SERVICES
from tests.clock import FakeClock
from tests.doubles._components import IS_COMPONENTS_V2, count_components, text_length, walk
from tests.harness import Rig, running_rig
from tests.test_alerts import EMAIL, SESSION, START, H, click, clock, grant, run_pass, warnings
from tests.test_followthrough import OTHER, edited

SECOND = timedelta(seconds=1)


@pytest.fixture
async def rig(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    """Shipped defaults (SERVICES only where a test is about services), a FakeClock, passes by hand."""
    marker = request.node.get_closest_marker("services")
    extra = {"services": tuple(marker.args)} if marker else {}
    async with running_rig(
        tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False, **extra
    ) as started:
        yield started


def boards(rig: Rig, channel_id: int | None = None) -> list[dict[str, Any]]:
    """The components-v2 messages Discord holds in the channel (the board is the only kind here)."""
    channel = channel_id or rig.discord.alert_channel_id
    return [
        m
        for m in rig.discord.channel_messages.get(channel, [])
        if int(m["flags"]) & IS_COMPONENTS_V2 and int(m["id"]) in rig.discord.messages
    ]


def text(rig: Rig, message: dict[str, Any]) -> str:
    """Every text display of the message as Discord holds it now."""
    live = rig.discord.messages[int(message["id"])]
    return "\n".join(c["content"] for c in walk(live["components"]) if c.get("type") == 10)


def board_edits(rig: Rig, message: dict[str, Any]) -> list[Any]:
    return [r for r in rig.discord.edits if r.path.endswith(f"/messages/{message['id']}")]


async def post_board(rig: Rig, **options: Any) -> dict[str, Any]:
    before = {m["id"] for m in boards(rig, options.get("channel"))}
    answer = await rig.slash("alerts", "board", user=rig.discord.admin_id, **options)
    assert answer.type == 5 and answer.data["flags"] & 64  # deferred, privately
    said = (await rig.followup(answer))["content"]
    assert said.startswith("✅ Posted the status board"), said
    (message,) = [m for m in boards(rig, options.get("channel")) if m["id"] not in before]
    return message


async def status(rig: Rig) -> dict[str, str]:
    answer = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    return {f["name"]: f["value"] for f in (await rig.answer(answer))["embeds"][0]["fields"]}


async def test_the_board_is_one_v2_message_edited_in_place_at_most_once_a_minute(rig: Rig) -> None:
    expires = START + 20 * H  # inside 72h and past the 24h stage: a warning
    rig.useapi.set_luma_account(EMAIL, expires)
    rig.useapi.set_luma_account(OTHER, START + 10 * 24 * H)
    await rig.start_bot()
    assert len((await run_pass(rig)).sent) == 1
    (warning,) = warnings(rig)

    message = await post_board(rig)
    assert message["flags"] == IS_COMPONENTS_V2 and message["content"] == "" and message["embeds"] == []
    assert count_components(message["components"]) == 9 and text_length(message["components"]) <= 4000
    shown = text(rig, message)
    assert "⏳ **Luma** · 1 fine · 1 due within 72h · 0 need a person" in shown
    assert "No accounts yet" not in shown  # the shipped SERVICES: Luma alone
    assert shown.index(EMAIL) < shown.index(OTHER)  # the next deadlines, soonest first
    assert f"<t:{int(expires.timestamp())}:R>" in shown
    assert f"{EMAIL} · expires within 24h · since <t:" in shown and "nobody on it yet" in shown
    assert "useapi.net subscription: **active**" in shown  # the double's GET /v2/account
    assert f"Last successful sync with useapi.net: <t:{int(START.timestamp())}:R>" in shown
    assert message["components"][0]["accent_color"] == 0xE74C3C  # red: a warning is open

    for _ in range(3):  # nothing changed: never edited, however often the pass runs
        await run_pass(rig)
        clock(rig).advance(61 * SECOND)
    assert board_edits(rig, message) == []

    # A burst within one minute: claimed, then renewed through the bot (which resolves the warning).
    first, second = rig.discord.member_ids
    await grant(rig, first)
    await grant(rig, second)
    await click(rig, "warden:claim:luma", warning, first)
    await edited(rig, warning, 1)
    await run_pass(rig)  # more than a minute since the last try: edited at once
    assert len(board_edits(rig, message)) == 1
    assert f"🙋 <@{first}> since <t:" in text(rig, message)
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=START + 30 * 24 * H)
    opened = await click(rig, "warden:renew:luma", warning, second)
    done = await rig.submit(opened, {"cookie": SESSION}, user=second)
    assert "accepted" in (await rig.followup(done))["content"]
    for _ in range(3):  # the renewal, then its resolution: nothing more within the minute
        clock(rig).advance(15 * SECOND)
        await run_pass(rig)
    assert len(board_edits(rig, message)) == 1 and "🙋" in text(rig, message)
    clock(rig).advance(16 * SECOND)  # a minute after the edit: one edit with all of it
    await run_pass(rig)
    assert len(board_edits(rig, message)) == 2
    shown = text(rig, message)
    assert "✅ **Luma** · 2 fine · 0 due within 72h · 0 need a person" in shown
    assert "None: nothing needs a person." in shown
    assert rig.discord.messages[int(message["id"])]["components"][0]["accent_color"] == 0x2ECC71  # green
    for _ in range(3):
        clock(rig).advance(2 * 60 * SECOND)
        await run_pass(rig)
    assert len(board_edits(rig, message)) == 2  # unchanged since

    # Every edit went to the one message, as a v2 payload pinging nobody; nothing else was posted.
    assert len(boards(rig)) == 1
    for edit in board_edits(rig, message):
        assert edit.json["flags"] & IS_COMPONENTS_V2 and "content" not in edit.json
        assert edit.json["allowed_mentions"]["parse"] == [] and not edit.json["allowed_mentions"].get("users")


async def test_the_board_survives_a_restart_and_is_never_posted_again(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    message = await post_board(rig)
    stored = BoardState.from_json(await settings.BOARD.raw(rig.bot.store))  # type: ignore[union-attr]
    assert stored is not None and stored.message_id == int(message["id"])

    await rig.stop_bot()
    clock(rig).advance(5 * 60 * SECOND)
    await rig.start_bot()
    await run_pass(rig)  # the same board: no edit, no post
    assert board_edits(rig, message) == [] and len(boards(rig)) == 1

    rig.useapi.set_luma_error(EMAIL, "Session refresh failed")
    clock(rig).advance(16 * 60 * SECOND)  # the next sync reads the error
    await run_pass(rig)
    assert len(board_edits(rig, message)) == 1 and len(boards(rig)) == 1
    assert "🚨 **Luma** · 0 fine · 0 due within 72h · **1 needs a person**" in text(rig, message)


async def test_a_deleted_board_stops_says_so_and_is_not_reposted_until_asked(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    message = await post_board(rig)
    del rig.discord.messages[int(message["id"])]  # someone deleted it

    rig.useapi.set_luma_error(EMAIL, "Session refresh failed")
    clock(rig).advance(16 * 60 * SECOND)
    await run_pass(rig)  # the edit answers 10008: stopped
    patches = rig.discord.requests_to("PATCH", rf"/channels/\d+/messages/{message['id']}")
    assert len(patches) == 1
    board = (await status(rig))["Status board"]
    assert "stopped" in board and "its message was deleted" in board and "/alerts board" in board
    assert any("the status board stopped: its message was deleted" in line for line in rig.raw_logs.lines)

    rig.useapi.set_luma_error(EMAIL, None)
    for _ in range(5):  # changes keep coming; the board stays stopped: no edit, no post
        clock(rig).advance(16 * 60 * SECOND)
        await run_pass(rig)
    assert len(rig.discord.requests_to("PATCH", rf"/channels/\d+/messages/{message['id']}")) == 1
    assert boards(rig) == []

    again = await post_board(rig)  # asked for: a new board, which runs again
    assert again["id"] != message["id"] and "Status board" in text(rig, again)
    assert (await status(rig))["Status board"].startswith("[in <#")


async def test_a_refused_or_deleted_channel_stops_the_board(rig: Rig) -> None:
    general = rig.discord.general_channel_id
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    message = await post_board(rig, channel=general)
    assert boards(rig) == [] and len(boards(rig, general)) == 1  # not in the alert channel

    rig.discord.fail_channel_messages(general, 403)  # the bot's permission there was removed
    rig.useapi.set_luma_error(EMAIL, "Session refresh failed")
    clock(rig).advance(16 * 60 * SECOND)
    await run_pass(rig)
    assert "Discord refused the bot" in (await status(rig))["Status board"]
    tried = len(rig.discord.requests_to("PATCH", rf"/channels/{general}/messages/\d+"))
    rig.discord.clear_channel_faults()
    rig.useapi.set_luma_error(EMAIL, None)
    clock(rig).advance(16 * 60 * SECOND)
    await run_pass(rig)
    assert len(rig.discord.requests_to("PATCH", rf"/channels/{general}/messages/\d+")) == tried == 1

    await post_board(rig, channel=general)  # back, then its channel is deleted
    await rig.discord.delete_channel(general)
    rig.useapi.set_luma_error(EMAIL, "Session refresh failed")
    clock(rig).advance(16 * 60 * SECOND)
    await run_pass(rig)
    assert f"its channel <#{general}> no longer exists" in (await status(rig))["Status board"]
    assert int(message["id"]) not in rig.discord.messages  # the first board was deleted when replaced


async def test_board_off_stops_and_deletes_it_and_a_new_board_replaces_the_old(rig: Rig) -> None:
    await rig.start_bot()
    assert (await status(rig))["Status board"].startswith("off")
    first = await post_board(rig)
    second = await post_board(rig)  # asked again: a new board, the old one deleted
    assert int(first["id"]) not in rig.discord.messages and len(boards(rig)) == 1
    answer = await rig.slash("alerts", "board", user=rig.discord.admin_id, off=True)
    assert "stopped and its message deleted" in (await rig.followup(answer))["content"]
    assert int(second["id"]) not in rig.discord.messages and boards(rig) == []
    assert (await status(rig))["Status board"].startswith("off")
    clock(rig).advance(16 * 60 * SECOND)
    await run_pass(rig)
    assert boards(rig) == [] and rig.discord.edits == []
    answer = await rig.slash("alerts", "board", user=rig.discord.admin_id, off=True)
    assert (await rig.followup(answer))["content"] == "There is no status board to stop."


async def test_a_board_that_cannot_be_posted_changes_nothing_and_members_may_not_ask(rig: Rig) -> None:
    await rig.start_bot()
    rig.discord.fail_channel_messages(rig.discord.alert_channel_id, 403)
    answer = await rig.slash("alerts", "board", user=rig.discord.admin_id)
    said = (await rig.followup(answer))["content"]
    assert said.startswith(f"❌ The board could not be posted in <#{rig.discord.alert_channel_id}>")
    assert "lacks permission there" in said and "Nothing was changed" in said
    assert await settings.BOARD.raw(rig.bot.store) is None  # type: ignore[union-attr]
    refused = await rig.slash("alerts", "board", user=rig.discord.member_ids[0])
    assert "Only server admins" in (await rig.answer(refused))["content"]


@pytest.mark.services(*KNOWN_SERVICES)
async def test_with_all_thirteen_services_the_board_fits_discords_limits(rig: Rig) -> None:
    """Every service switched on, a few accounts each, long names full of markdown: Discord (the
    double applies its limits) accepts the post and every edit; 9 components."""
    await rig.start_bot()
    bot = rig.bot
    assert bot is not None and len(bot.services) == len(KNOWN_SERVICES) == 13
    now = START
    from bot.registration import record_registration
    from bot.useapi import AccountInfo

    for n, service in enumerate(KNOWN_SERVICES):
        for k in range(3):
            name = f"*_{service}~`|{k}|`~_*" + "x" * 150 + f"{n}-{k}@example.com"
            info = AccountInfo(service, name, expires_at=now + (n * 7 + k * 20 + 1) * H)
            await record_registration(bot.store, info, user_id=rig.discord.member_ids[0], now=now)
    message = await post_board(rig)
    assert count_components(message["components"]) == 9
    assert text_length(message["components"]) <= 4000
    shown = text(rig, message)
    assert all(f"**{svc.label}**" in shown for svc in (bot.services[k] for k in KNOWN_SERVICES))
    assert "…and" not in shown.split("### Services")[1].split("### Next")[0]  # every service shown
    clock(rig).advance(61 * SECOND)
    await run_pass(rig)  # every service synced: the board changed, and Discord took the edit
    patches = rig.discord.requests_to("PATCH", rf"/channels/\d+/messages/{message['id']}")
    assert len(patches) == 1 and board_edits(rig, message) == patches
    assert count_components(rig.discord.messages[int(message["id"])]["components"]) == 9


async def test_a_board_that_fails_to_draw_stops_neither_the_pass_nor_the_digest(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cogs.alerts import _board

    rig.useapi.set_luma_account(EMAIL, START + 3 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    await post_board(rig)
    answer = await rig.slash(
        "alerts", "digest", user=rig.discord.admin_id, weekday="monday", time="12:01", timezone="UTC"
    )
    assert (await rig.answer(answer))["content"].startswith("✅")

    def broken(board: Any) -> Any:
        raise RuntimeError("a bug drawing the board")

    monkeypatch.setattr(_board, "draw_board", broken)
    for _ in range(3):
        clock(rig).advance(61 * SECOND)
        report = await run_pass(rig)  # no error: the pass itself went through
        assert report.leader
    said = [line for line in rig.raw_logs.lines if "the status board failed after the pass" in line]
    assert len(said) == 1  # once while it lasts
    digests = [
        m
        for m in rig.discord.channel_messages[rig.discord.alert_channel_id]
        if "Weekly digest" in json.dumps(m["components"])
    ]
    assert len(digests) == 1  # the digest went out all the same


async def test_only_the_lease_holder_edits_the_board_and_posts_the_digest(rig: Rig) -> None:
    from bot.app import WardenBot
    from tests.harness import DISCORD_TOKEN
    from tests.test_alerts import cog

    rig.useapi.set_luma_account(EMAIL, START + 3 * 24 * H)
    await rig.start_bot()
    first = rig.bot
    assert first is not None
    await run_pass(rig, first)
    message = await post_board(rig)
    answer = await rig.slash("alerts", "digest", user=rig.discord.admin_id, weekday="monday", time="12:01")
    assert (await rig.answer(answer))["content"].startswith("✅")
    second = WardenBot(rig.settings, clock=rig.clock, guild_ready_timeout=0.1, alerts_autostart=False)
    await second.login(DISCORD_TOKEN)  # a second deployment on the same database
    cog(rig, second).lease.instance_id = "other-host:7:0000"  # (one test process: same host:pid)
    try:
        await second.store.db.execute("UPDATE accounts SET last_error = 'x'")  # a change to show
        await second.store.db.commit()
        for _ in range(6):  # two minutes: the board could be edited, the digest is due
            clock(rig).advance(20 * SECOND)
            await cog(rig, first).lease.renew(clock(rig).now())  # the holder is alive
            assert not (await run_pass(rig, second)).leader
        assert (
            board_edits(rig, message) == [] and len(boards(rig)) == 1
        )  # the standby neither edits nor posts
        assert (await run_pass(rig, first)).leader
        assert len(board_edits(rig, message)) == 1 and len(boards(rig)) == 2  # the edit, and the digest
    finally:
        await second.close()
