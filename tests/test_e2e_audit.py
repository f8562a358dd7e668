"""`/access audit` end to end: the real bot against the Discord double; its pages, filters,
limits and refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.doubles.discord_double import CallbackResult
from tests.harness import Rig

EPHEMERAL = 64
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


async def command(rig: Rig, user: int, **options: Any) -> tuple[str, CallbackResult]:
    payload = rig.discord.slash_command("access", "audit", options=options or None, user=user)
    iid = await rig.discord.dispatch_interaction(payload)
    return iid, await rig.answered(await rig.discord.wait_for_callback(iid))


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """label -> button of a message's components."""
    return {b["label"]: b for row in message["components"] for b in row["components"]}


def entry_ids(embed: dict[str, Any]) -> list[int]:
    return [int(n) for n in re.findall(r"`#(\d+)`", embed["description"])]


async def click(rig: Rig, message: dict[str, Any], label: str, user: int) -> CallbackResult:
    button = buttons(message)[label]
    payload = rig.discord.button_click(button["custom_id"], int(message["id"]), user=user)
    return await rig.answered(
        await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(payload))
    )


async def seed(rig: Rig, count: int, **fields: Any) -> None:
    assert rig.bot is not None
    for i in range(count):
        await rig.bot.store.audit(
            now=T0 + timedelta(minutes=i),
            actor_id=fields.get("actor_id", 4242),
            action=fields.get("action", "register"),
            service=fields.get("service", "luma"),
            target=fields.get("target", f"user{i}@example.com"),
            outcome=fields.get("outcome", "ok"),
            detail=fields.get("detail"),
        )


async def test_audit_pages_newest_first_with_older_and_newer_buttons(rig: Rig) -> None:
    await seed(rig, 25)
    iid, cb = await command(rig, rig.discord.admin_id)
    assert cb.type == 5 and cb.data["flags"] & EPHEMERAL  # acknowledged privately, then answered
    message = rig.discord.messages_for(iid)[0]
    first = entry_ids(message["embeds"][0])
    assert first == list(range(25, 15, -1))
    assert "<t:" in message["embeds"][0]["description"]  # discord.utils.format_dt
    assert buttons(message)["Newer"].get("disabled") is True
    assert not buttons(message)["Older"].get("disabled")

    seen = [first]
    for _ in range(2):
        cb = await click(rig, message, "Older", rig.discord.admin_id)
        assert cb.type == 6  # acknowledged; then the same private message, edited in place
        message = rig.discord.messages[int(message["id"])]
        seen.append(entry_ids(message["embeds"][0]))
    assert seen[1] == list(range(15, 5, -1)) and seen[2] == [5, 4, 3, 2, 1]
    assert buttons(message)["Older"].get("disabled") is True

    await click(rig, message, "Newer", rig.discord.admin_id)
    message = rig.discord.messages[int(message["id"])]
    assert entry_ids(message["embeds"][0]) == list(range(15, 5, -1))
    assert not buttons(message)["Newer"].get("disabled")


async def test_audit_pages_survive_a_restart(rig: Rig) -> None:
    await seed(rig, 12)
    iid, _ = await command(rig, rig.discord.admin_id)
    message = rig.discord.messages_for(iid)[0]
    await rig.stop_bot()
    await rig.start_bot()
    await click(rig, message, "Older", rig.discord.admin_id)
    message = rig.discord.messages[int(message["id"])]
    assert entry_ids(message["embeds"][0]) == [2, 1]


async def test_audit_filters_by_member_and_service(rig: Rig) -> None:
    member = rig.discord.member_ids[0]
    await seed(rig, 3, actor_id=member, service="luma")
    await seed(rig, 3, actor_id=999, service="luma")
    # An access change about the member counts as "about" them.
    cb = await rig.slash("access", "grant", user=rig.discord.admin_id, target=member)
    assert "may now register" in (await rig.answer(cb))["content"]

    iid, _ = await command(rig, rig.discord.admin_id, member=member)
    embed = rig.discord.messages_for(iid)[0]["embeds"][0]
    assert entry_ids(embed) == [7, 3, 2, 1]
    assert f"<@{member}>" in embed["description"] and "999" not in embed["description"]
    assert "access grant" in embed["description"]

    iid, _ = await command(rig, rig.discord.admin_id, member=member, service="luma")
    assert entry_ids(rig.discord.messages_for(iid)[0]["embeds"][0]) == [3, 2, 1]

    iid, _ = await command(rig, rig.discord.admin_id, member=rig.discord.member_ids[1])
    embed = rig.discord.messages_for(iid)[0]["embeds"][0]
    assert entry_ids(embed) == [] and "No audit entry matches" in embed["description"]


async def test_audit_offers_only_switched_on_services(rig: Rig) -> None:
    commands = rig.discord.synced_guild_commands[rig.discord.guild_id]
    access = next(c for c in commands if c["name"] == "access")
    audit = next(o for o in access["options"] if o["name"] == "audit")
    service = next(o for o in audit["options"] if o["name"] == "service")
    # SERVICES=auto (the default) switched on what useapi.net lists: the bot's services.
    assert [c["value"] for c in service["choices"]] == list(rig.bot.services)  # type: ignore[union-attr]


async def test_audit_escapes_upstream_text_and_stays_within_embed_limits(rig: Rig) -> None:
    await seed(rig, 12, target="@everyone **bold** " + "x" * 400, detail="<@&1> `tick` " + "y" * 900)
    iid, _ = await command(rig, rig.discord.admin_id)
    embed = rig.discord.messages_for(iid)[0]["embeds"][0]
    text = embed["description"]
    assert len(text) <= 4096 and len(embed["title"]) + len(text) + len(embed["footer"]["text"]) <= 6000
    assert "@everyone" not in text.replace("@\u200beveryone", "")
    assert "**bold**" not in text and "\\*\\*bold" in text
    assert len(entry_ids(embed)) == 10


async def test_only_admins_may_read_the_audit_and_only_the_invoker_may_page(rig: Rig) -> None:
    member = rig.discord.member_ids[0]
    await seed(rig, 15)
    _, cb = await command(rig, member)
    assert cb.data["flags"] & EPHEMERAL and "Only server admins" in cb.data["content"]
    assert "embeds" not in cb.data or not cb.data["embeds"]

    iid, _ = await command(rig, rig.discord.admin_id)
    message = rig.discord.messages_for(iid)[0]
    for user in (member, rig.discord.owner_id):  # even another admin: the pages are the invoker's
        cb = await click(rig, message, "Older", user)
        assert cb.type == 4 and cb.data["flags"] & EPHEMERAL
        assert "belong to whoever ran" in cb.data["content"]
    assert entry_ids(rig.discord.messages[int(message["id"])]["embeds"][0])[0] == 15
