"""Hostile input and broken surroundings, through the real bot and the doubles."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store import Store
from tests.harness import Rig, running_rig

EPHEMERAL = 64
SESSION = "HardenSess10nValue7Qx2Lp"
LT_TOKEN = "eyJhbGciOiJIUzI1NiJ9.HardenLtxTok3n.Sig"
EXPIRES = datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
OTHER_GUILD = 1399999999999999999


def member(rig: Rig) -> int:
    return rig.discord.member_ids[0]


def store_of(rig: Rig) -> Store:
    assert rig.bot is not None
    return rig.bot.store


async def approve(rig: Rig) -> None:
    assert rig.bot is not None
    await rig.bot.approvals.grant("user", member(rig), granted_by=rig.discord.admin_id, now=EXPIRES)


async def register(rig: Rig, pasted: str = SESSION) -> dict:
    opened = await rig.slash("luma", "register", user=member(rig))
    assert opened.type == 9
    submitted = await rig.submit(opened, {"cookie": pasted}, user=member(rig))
    if submitted.type == 4:
        return submitted.data
    return await rig.followup(submitted)


async def test_interaction_from_another_guild_is_refused_and_audited(rig: Rig) -> None:
    payload = rig.discord.slash_command("accounts", "list", user=rig.discord.admin_id)
    payload["guild_id"] = str(OTHER_GUILD)
    payload["guild"]["id"] = str(OTHER_GUILD)
    iid = await rig.discord.dispatch_interaction(payload)
    cb = await rig.discord.wait_for_callback(iid)
    assert cb.type == 4 and cb.data["flags"] & EPHEMERAL
    assert "not set up for this server" in cb.data["content"]
    entry = (await rig.audited(lambda e: e.outcome == "refused:outside"))[0]  # answered, then audited
    assert entry.outcome == "refused:outside" and entry.detail == f"guild {OTHER_GUILD}"


async def test_a_retry_right_after_a_402_goes_through(rig: Rig) -> None:
    """The fix for a failed submit is to submit again at once; the throttle must not refuse it."""
    rig.useapi.add_luma_session(SESSION, "a@example.com", expires=EXPIRES)
    await approve(rig)
    rig.useapi.inject("POST", "/v1/luma/accounts", status=402, body={"error": "subscription expired"})
    assert "subscription" in (await register(rig))["content"]
    assert (await register(rig))["embeds"]
    assert len(rig.useapi.requests_to("POST", "/v1/luma/accounts")) == 2
    assert [a.account for a in await store_of(rig).list_accounts()] == ["a@example.com"]


@pytest.mark.services("luma", "ltx")
async def test_three_luma_accounts_and_an_ltx_one_back_to_back(rig: Rig) -> None:
    """useapi.net load-balances across several Luma accounts: a team registers them in a row."""
    await approve(rig)
    for n in range(3):
        rig.useapi.add_luma_session(f"{SESSION}{n}", f"luma{n}@example.com", expires=EXPIRES)
        assert (await register(rig, f"{SESSION}{n}"))["embeds"], n
    rig.useapi.add_ltx_cookie(LT_TOKEN, "ltx@example.com", token_expire=EXPIRES, refresh_token_expire=None)
    opened = await rig.slash("ltx", "register", user=member(rig))
    pasted = f"lt_id=user1; lt_token={LT_TOKEN}; lt_refresh_token=HardenRefresh4Kq9"
    answer = await rig.followup(await rig.submit(opened, {"cookie": pasted}, user=member(rig)))
    assert answer["embeds"], answer
    accounts = sorted(a.account for a in await store_of(rig).list_accounts())
    assert accounts == ["ltx@example.com", "luma0@example.com", "luma1@example.com", "luma2@example.com"]


async def test_a_flood_of_registrations_is_throttled_and_says_when_to_retry(rig: Rig) -> None:
    """25 submits at once with the default REGISTER_RATE (5/1m): 5 reach useapi.net, the rest wait."""
    rig.useapi.add_luma_session(SESSION, "a@example.com", expires=EXPIRES)
    await approve(rig)
    started = time.monotonic()
    forms = [await rig.slash("luma", "register", user=member(rig)) for _ in range(25)]
    answers = await asyncio.gather(
        *(rig.submit(form, {"cookie": SESSION}, user=member(rig)) for form in forms)
    )
    elapsed = time.monotonic() - started
    refused = [a.data["content"] for a in answers if a.type == 4]
    deferred = [a for a in answers if a.type == 5]
    for done in await asyncio.gather(*(rig.followup(a) for a in deferred)):
        assert done["embeds"], done
    reached = len(rig.useapi.requests_to("POST", "/v1/luma/accounts"))
    # One more every 12 s: the test takes a few seconds, so at most one refill can land.
    assert 5 <= reached <= 5 + int(elapsed // 12), (reached, elapsed)
    assert len(refused) == 25 - reached
    for text in refused:
        match = re.fullmatch(
            r"You sent several registrations in a row\. Try again in (\d+) s; nothing was sent\.", text
        )
        assert match and 1 <= int(match.group(1)) <= 12, text
    # The throttled ones were answered at once (type 4, no deferral); the others were deferred.
    assert len(deferred) == reached
    # Another member is not held back by the first one's flood.
    other = rig.discord.member_ids[1]
    assert rig.bot is not None
    await rig.bot.approvals.grant("user", other, granted_by=rig.discord.admin_id, now=EXPIRES)
    opened = await rig.slash("luma", "register", user=other)
    assert (await rig.submit(opened, {"cookie": SESSION}, user=other)).type == 5


@pytest.mark.parametrize(
    "account",
    [
        "@everyone@example.com",
        "<@&1300000000000000401>@example.com",
        "`code`**bold**||spoiler||@example.com",
        "x" * 300 + "@example.com",
        "evil\u202e\u0000@example.com",
    ],
)
async def test_hostile_upstream_text_is_shown_literally_and_pings_nobody(rig: Rig, account: str) -> None:
    rig.useapi.inject(
        "POST",
        "/v1/luma/accounts",
        status=200,
        body={
            "account": account,
            "luma_session_expires": "2026-12-24 09:00:00 UTC",
            "error": "@here `drop` <@1300000000000000302> " + "y" * 2000,
        },
    )
    await approve(rig)
    answer = await register(rig)
    assert answer["allowed_mentions"]["parse"] == []
    notice = await rig.discord.wait_for(
        lambda r: r.method == "POST" and r.path == f"/channels/{rig.discord.alert_channel_id}/messages"
    )
    content = notice.json["content"]
    assert notice.json["allowed_mentions"]["parse"] == []
    assert "@everyone" not in content.replace("@\u200beveryone", "")
    assert "<@&" not in content and len(content) < 2000
    accounts = await rig.slash("accounts", "list", user=member(rig))
    embed = (await rig.answer(accounts))["embeds"][0]
    assert len(json.dumps(embed)) < 6000 and len(embed["description"]) <= 4096
    assert "\u0000" not in embed["description"]


async def test_oversized_and_malformed_upstream_answers(rig: Rig) -> None:
    await approve(rig)
    rig.useapi.inject("POST", "/v1/luma/accounts", body=rig.useapi.big_json())
    assert "could not read" in (await register(rig))["content"]
    rig.useapi.inject("POST", "/v1/luma/accounts", malformed=True)
    assert "could not read" in (await register(rig))["content"]
    rig.useapi.inject("POST", "/v1/luma/accounts", status=200, body={"account": 5, "concurrency": "x"})
    assert "could not read" in (await register(rig))["content"]
    assert await store_of(rig).list_accounts() == []


async def test_unreachable_useapi_is_explained(tmp_path: Path) -> None:
    async with running_rig(tmp_path, useapi_base_url="http://127.0.0.1:9") as rig:
        await approve(rig)
        assert "could not reach useapi.net" in (await register(rig))["content"]


async def test_read_only_database_keeps_the_bot_up_and_says_what_happened(rig: Rig) -> None:
    rig.useapi.add_luma_session(SESSION, "a@example.com", expires=EXPIRES)
    await approve(rig)
    await store_of(rig).db.execute("PRAGMA query_only = ON")
    answer = await register(rig)
    assert "could not record it" in answer["content"] and "a@example.com" in answer["content"]
    assert any("not recorded" in line for line in rig.raw_logs.lines)
    await store_of(rig).db.execute("PRAGMA query_only = OFF")
    # Still serving, and the next registration is recorded.
    assert (await register(rig))["embeds"]
    assert [a.account for a in await store_of(rig).list_accounts()] == ["a@example.com"]


async def test_full_disk_on_a_refusal_is_answered(rig: Rig) -> None:
    db = store_of(rig).db
    async with db.execute("PRAGMA page_count") as cur:
        pages = (await cur.fetchone())[0]  # type: ignore[index]
    await db.execute(f"PRAGMA max_page_count = {pages}")
    # Fill every free byte, big rows then small ones, so the next write hits SQLITE_FULL.
    n = 0
    for size in (3000, 300, 30, 1):
        for _ in range(500):
            n += 1
            try:
                await db.execute(
                    # Dated now: the scheduler's pruning must not make room again meanwhile.
                    "INSERT INTO audit (at, action, outcome, detail) "
                    "VALUES (CAST(strftime('%s', 'now') AS INTEGER), 'fill', 'fill', ?)",
                    ("z" * size,),
                )
                await db.commit()
            except sqlite3.OperationalError:
                await db.rollback()
                break
    # A refusal is answered at once, from memory; its audit entry then can't be written: logged.
    cb = await rig.slash("luma", "register", user=rig.discord.member_ids[1])
    assert cb.type == 4 and "not approved" in cb.data["content"]
    assert any("database or disk is full" in line for line in await until_logged(rig, "could not audit"))
    # A change is acknowledged, then answered: nothing could be written, and it says so.
    cb = await rig.slash("access", "grant", user=rig.discord.admin_id, target=rig.discord.member_ids[1])
    assert cb.type == 5 and "could not write to its database" in (await rig.answer(cb))["content"]
    assert any("database or disk is full" in line for line in rig.raw_logs.lines)
    assert not await store_of(rig).list_approvals()


async def until_logged(rig: Rig, text: str) -> list[str]:
    """The log lines with `text`, once there is one (an audit after the answer)."""
    for _ in range(250):
        lines = [line for line in rig.raw_logs.lines if text in line]
        if lines:
            return lines
        await asyncio.sleep(0.02)
    return []


async def test_missing_permission_on_the_alert_channel_is_reported(rig: Rig) -> None:
    rig.useapi.add_luma_session(SESSION, "a@example.com", expires=EXPIRES)
    rig.discord.fail_channel_messages(rig.discord.alert_channel_id, 403)
    await approve(rig)
    answer = await register(rig)
    assert "lacks permission in the alert channel" in answer["content"]


async def test_discord_rate_limit_on_the_notice_is_retried_by_discord_py(rig: Rig) -> None:
    rig.useapi.add_luma_session(SESSION, "a@example.com", expires=EXPIRES)
    rig.discord.fail_channel_messages(rig.discord.alert_channel_id, 429, times=1, retry_after=0.2)
    await approve(rig)
    answer = await register(rig)
    assert "⚠️" not in answer["content"]
    assert len(rig.discord.channel_messages[rig.discord.alert_channel_id]) == 1
