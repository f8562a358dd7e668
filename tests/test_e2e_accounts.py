"""`/accounts`: a service filter and pages once the list passes one embed (issue 13)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.registration import record_registration
from bot.useapi import AccountInfo
from tests.harness import Rig

EPHEMERAL = 64
NOW = datetime.now(UTC).replace(microsecond=0)


async def grant(rig: Rig, user: int) -> None:
    cb = await rig.slash("access", "grant", user=rig.discord.admin_id, target=user)
    assert "may now register" in (await rig.answer(cb))["content"]


async def track(rig: Rig, service: str, count: int) -> None:
    assert rig.bot is not None
    for n in range(count):
        info = AccountInfo(service, f"{service}-{n:03d}@example.com", expires_at=NOW + timedelta(hours=n + 1))
        await record_registration(rig.bot.store, info, user_id=4242, now=NOW)


def response_message_id(rig: Rig, callback_path: str) -> int:
    interaction = rig.discord._interactions[int(callback_path.split("/")[2])]
    assert interaction.original_id is not None
    return interaction.original_id


def buttons(data: dict[str, object]) -> dict[str, dict[str, object]]:
    rows = data.get("components") or []
    assert isinstance(rows, list)
    return {b["label"]: b for row in rows for b in row["components"]}  # type: ignore[index]


@pytest.mark.services("luma", "kling")
async def test_a_long_list_is_paged_and_each_page_fits_discord(rig: Rig) -> None:
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    await track(rig, "luma", 70)
    await track(rig, "kling", 5)
    first = await rig.slash("accounts", "list", user=member)
    assert first.type == 5 and first.data["flags"] & EPHEMERAL  # acknowledged privately, then answered
    answer = await rig.answer(first)
    embed = answer["embeds"][0]
    assert len(embed["description"]) <= 4096 and len(json.dumps(embed)) < 6000
    pages = int(embed["footer"]["text"].rsplit(" of ", 1)[1])
    assert pages >= 2 and "75 account(s)" in embed["footer"]["text"]
    shown = embed["description"]
    controls = buttons(answer)
    assert controls["Previous"]["disabled"] is True and not controls["Next"].get("disabled")

    message_id = response_message_id(rig, first.request.path)
    for page in range(2, pages + 1):
        click = rig.discord.button_click(str(controls["Next"]["custom_id"]), message_id, user=member)
        turned = await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(click))
        assert turned.type == 6  # acknowledged; then the same private message, edited
        page_shown = await rig.answer(turned)
        embed = page_shown["embeds"][0]
        assert f"page {page} of {pages}" in embed["footer"]["text"] and len(embed["description"]) <= 4096
        shown += embed["description"]
        controls = buttons(page_shown)
    assert controls["Next"]["disabled"] is True
    # Every account is on exactly one page; none is cut off as "…and N more".
    for n in range(70):
        assert shown.count(f"luma-{n:03d}@example.com") == 1
    assert "more." not in shown


@pytest.mark.services("luma", "kling")
async def test_the_service_filter_lists_that_service_only_and_offers_switched_on_ones(rig: Rig) -> None:
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    await track(rig, "luma", 2)
    await track(rig, "kling", 3)
    synced = {c["name"]: c for c in rig.discord.synced_guild_commands[rig.discord.guild_id]}
    (listing,) = [o for o in synced["accounts"]["options"] if o["name"] == "list"]
    (option,) = listing["options"]
    assert [c["value"] for c in option["choices"]] == ["luma", "kling"]
    only = await rig.slash("accounts", "list", user=member, service="kling")
    embed = (await rig.answer(only))["embeds"][0]
    assert embed["title"] == "Tracked Kling accounts" and "3 account(s)" in embed["footer"]["text"]
    assert "kling-000@example.com" in embed["description"] and "luma-" not in embed["description"]
    assert not (await rig.answer(only)).get("components")  # one page: no buttons


async def test_an_unapproved_member_sees_no_accounts(rig: Rig) -> None:
    await track(rig, "luma", 2)
    refused = await rig.slash("accounts", "list", user=rig.discord.member_ids[1], service="luma")
    assert refused.type == 4 and "not approved" in (await rig.answer(refused))["content"]
    assert "luma-000" not in json.dumps(refused.data)
