"""Owners (issue 23): a warning names and pings its account's owner beside the role, and nobody
else; `/alerts owner` and a claim choose one; `/notify me` sends an owner the early stages by
direct message, with the same buttons, followed through by edit there; a refused DM falls back
to the channel at once and is said once, after the member's next command.

The real bot against the Discord and useapi.net doubles, shipped defaults, a FakeClock, each
scheduler pass driven by hand (see tests/test_alerts.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.owners import owner_of
from tests.clock import FakeClock
from tests.doubles.discord_double import pinged
from tests.harness import Rig, running_rig
from tests.test_alerts import (
    EMAIL,
    EPHEMERAL,
    SESSION,
    START,
    H,
    click,
    clock,
    grant,
    key,
    run_pass,
    warnings,
)

RENEWED_SESSION = "LumaRenewedSess10nT4kq9Wz"
OTHER = "second@example.com"


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with running_rig(tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False) as started:
        yield started


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}


def live(rig: Rig, message: dict[str, Any]) -> dict[str, Any]:
    return rig.discord.messages[int(message["id"])]


async def register(rig: Rig, member: int, session: str = SESSION) -> None:
    opened = await rig.slash("luma", "register", user=member)
    done = await rig.submit(opened, {"cookie": session}, user=member)
    assert "accepted" in (await rig.followup(done))["content"]


async def answer(rig: Rig, name: str, sub: str | None = None, *, user: int, **options: Any) -> str:
    """A command's private answer (deferred first, then a follow-up)."""
    callback = await rig.slash(name, sub, user=user, **options)
    assert callback.type == 5 and callback.data["flags"] & EPHEMERAL
    return str((await rig.answer(callback))["content"])


async def owner_choices(rig: Rig, typed: str) -> list[str]:
    payload = rig.discord.slash_command("accounts", "owner", options={"service": "luma", "account": typed})
    payload["type"] = 4  # APPLICATION_COMMAND_AUTOCOMPLETE
    next(o for o in payload["data"]["options"][0]["options"] if o["name"] == "account")["focused"] = True
    callback = await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(payload))
    assert callback.type == 8
    return [c["value"] for c in callback.data["choices"]]


def every_post_pings_at_most(rig: Rig, users: set[int], roles: set[int]) -> None:
    """Nothing the bot created anywhere pinged anyone else, or @everyone."""
    for message in rig.discord.messages.values():
        got_users, got_roles, everyone = pinged(message)
        assert got_users <= users and got_roles <= roles and not everyone, message


# -- whom a warning pings ----------------------------------------------------------------------


async def test_a_warning_names_and_pings_its_owner_beside_the_role_and_nobody_else(rig: Rig) -> None:
    member, bystander = rig.discord.member_ids
    expires = START + 5 * H
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=expires)
    await rig.start_bot()
    admin, role = rig.discord.admin_id, rig.discord.role_id
    await rig.slash("alerts", "mention", user=admin, role=role)
    await grant(rig, member)
    await register(rig, member)

    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "6h")]
    (message,) = warnings(rig)
    assert message["content"] == f"<@&{role}> <@{member}>"
    assert pinged(message) == ({member}, {role}, False)
    allowed = rig.discord.requests_to("POST", r"/channels/\d+/messages")[-1].json["allowed_mentions"]
    assert allowed["parse"] == [] and [int(u) for u in allowed["users"]] == [member]
    assert [int(r) for r in allowed["roles"]] == [role]
    assert fields(message)["Owner"] == f"<@{member}>"

    # Upstream text naming someone else, or @everyone, pings nobody: only the owner and the role.
    rig.useapi.set_luma_error(EMAIL, f"<@{bystander}> @everyone please look")
    clock(rig).advance(timedelta(minutes=16))
    assert [k.stage[:6] for k in (await run_pass(rig)).sent] == ["error:"]
    error = warnings(rig)[-1]
    assert error["content"] == f"<@&{role}> <@{member}>" and pinged(error) == ({member}, {role}, False)
    every_post_pings_at_most(rig, {member}, {role})


async def test_an_admin_chooses_an_owner_and_a_claim_adopts_an_account_nobody_owned(rig: Rig) -> None:
    member, other = rig.discord.member_ids
    expires = START + 5 * H
    rig.useapi.set_luma_account(EMAIL, expires)  # configured outside the bot: no owner
    rig.useapi.set_luma_account(OTHER, expires)
    await rig.start_bot()
    admin = rig.discord.admin_id
    assert len((await run_pass(rig)).sent) == 2
    by_account = {m["embeds"][0]["description"]: m for m in warnings(rig)}
    first, second = by_account[f"**{EMAIL}**"], by_account[f"**{OTHER}**"]
    assert fields(first)["Owner"].startswith("nobody yet") and not first["content"]
    assert pinged(first) == (set(), set(), False)

    # /alerts owner: the account offered as typed, like /… remove; admins only.
    assert await owner_choices(rig, "studio") == [EMAIL]
    said = await answer(rig, "accounts", "owner", user=admin, service="luma", account=EMAIL, member=other)
    assert f"<@{other}> owns Luma account **{EMAIL}** now" in said
    assert owner_of(await rig.bot.store.get_account("luma", EMAIL)) == other  # type: ignore[union-attr,arg-type]
    untracked = await answer(
        rig, "accounts", "owner", user=admin, service="luma", account="x@y.z", member=other
    )
    assert "No Luma account **x@y.z** is tracked, so nothing was changed" in untracked
    bot_owner = await answer(
        rig, "accounts", "owner", user=admin, service="luma", account=EMAIL, member=rig.discord.bot_user_id
    )
    assert "A bot can't own" in bot_owner
    refused = await rig.slash("accounts", "owner", user=member, service="luma", account=EMAIL, member=member)
    assert "Only server admins" in (await rig.answer(refused))["content"]
    audit = await rig.bot.store.recent_audit()  # type: ignore[union-attr]
    assert any(e.action == "account_owner" and e.target == EMAIL and e.actor_id == admin for e in audit)

    # A claim of a warning about an account nobody owns makes the claimer its owner; a claim of an
    # owned one does not.
    await grant(rig, member)
    claimed = await click(rig, "warden:claim:luma", second, member)
    assert "Nobody owned this account, so you do now" in (await rig.answer(claimed))["content"]
    claimed = await click(rig, "warden:claim:luma", first, member)
    assert "you do now" not in (await rig.answer(claimed))["content"]
    store = rig.bot.store  # type: ignore[union-attr]
    assert owner_of(await store.get_account("luma", OTHER)) == member  # type: ignore[arg-type]
    assert owner_of(await store.get_account("luma", EMAIL)) == other  # type: ignore[arg-type]

    # The expiry warnings ping each account's owner.
    clock(rig).set(expires + timedelta(seconds=5))
    assert len((await run_pass(rig)).sent) == 2
    pings = {m["embeds"][0]["description"]: pinged(m)[0] for m in warnings(rig)[-2:]}
    assert pings == {f"**{EMAIL}**": {other}, f"**{OTHER}**": {member}}
    # /accounts shows the owner an admin chose.
    listed = (await rig.answer(await rig.slash("accounts", "list", user=member)))["embeds"][0]["description"]
    assert f"owner <@{other}>" in listed


# -- /notify me: direct messages --------------------------------------------------------------


async def test_an_owner_gets_the_early_stages_by_dm_and_the_last_in_the_channel_and_dms_follow_through(
    rig: Rig,
) -> None:
    member = rig.discord.member_ids[0]  # approved through their role: a DM carries no role, the bot asks
    expires, renewed = START + 80 * H, START + 30 * 24 * H
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=expires)
    rig.useapi.add_luma_session(RENEWED_SESSION, EMAIL, expires=renewed)
    await rig.start_bot()
    granted = await rig.slash("access", "grant", user=rig.discord.admin_id, target=rig.discord.role_id)
    assert "may now register" in (await rig.answer(granted))["content"]
    await register(rig, member)
    assert (await run_pass(rig)).sent == []

    said = await answer(rig, "notify", "me", user=member, dm="on")
    assert "come to you by direct message" in said and f"You own Luma **{EMAIL}**" in said

    for stage, lead in (("3d", 72), ("24h", 24)):
        clock(rig).set(expires - lead * H + timedelta(seconds=20))
        assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, stage)]
    direct = rig.discord.dm_messages(member)
    assert [m["embeds"][0]["title"] for m in direct] == [
        "Luma session expires within 72h",
        "Luma session expires within 24h",
    ]
    assert all("/notify me" in m["content"] and pinged(m) == (set(), set(), False) for m in direct)
    assert [c["custom_id"] for c in direct[1]["components"][0]["components"]] == [
        "warden:renew:luma",
        "warden:claim:luma",
    ]
    assert warnings(rig) == []  # nothing early in the channel

    # The last stage and the expiry go to the channel, pinging the owner there.
    clock(rig).set(expires - 6 * H + timedelta(seconds=20))
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "6h")]
    (last,) = warnings(rig)
    assert last["embeds"][0]["title"] == "Luma session expires within 6h" and pinged(last)[0] == {member}
    assert len(rig.discord.dm_messages(member)) == 2

    # I'm on it in the DM claims the warning there, and the DM message shows it.
    claimed = await click(rig, "warden:claim:luma", direct[1], member)
    assert "You're on Luma" in (await rig.answer(claimed))["content"]
    await until_edited(rig, direct[1])
    assert fields(live(rig, direct[1]))["On it"].startswith(f"<@{member}>")

    # Renew in the DM opens the same form; the renewal resolves the DM warnings by edit, there.
    opened = await click(rig, "warden:renew:luma", direct[0], member)
    assert opened.type == 9 and "Luma" in opened.data["title"]
    done = await rig.submit(opened, {"cookie": RENEWED_SESSION}, user=member)
    assert "accepted" in (await rig.followup(done))["content"]
    report = await run_pass(rig)
    assert len(report.edited) == 3
    for message in (*direct, last):
        now = live(rig, message)
        assert now["embeds"][0]["title"].startswith("✅ Resolved") and now["components"] == []
        assert fields(now)["Resolved"].startswith(f"Renewed by <@{member}>")
    dm_channel = rig.discord.dm_channel_id(member)
    assert {int(live(rig, m)["channel_id"]) for m in direct} == {dm_channel}

    off = await answer(rig, "notify", "me", user=member, dm="off")
    assert "go to the team's channel" in off


async def until_edited(rig: Rig, message: dict[str, Any]) -> None:
    from tests.test_alerts import until

    await until(lambda: any(r.path.endswith(f"/messages/{message['id']}") for r in rig.discord.edits))


async def test_a_refused_dm_falls_back_to_the_channel_at_once_and_is_said_once(rig: Rig) -> None:
    member = rig.discord.member_ids[0]
    expires = START + 80 * H
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=expires)
    await rig.start_bot()
    await grant(rig, member)
    await register(rig, member)
    await answer(rig, "notify", "me", user=member, dm="on")
    rig.discord.close_dms(member)
    dm_channel = rig.discord.dm_channel_id(member)

    clock(rig).set(expires - 72 * H + timedelta(seconds=20))
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "3d")]  # in the same pass
    refused = rig.discord.requests_to("POST", rf"/channels/{dm_channel}/messages")
    assert len(refused) == 1 and rig.discord.dm_messages(member) == []
    (fallback,) = warnings(rig)
    assert fallback["embeds"][0]["title"] == "Luma session expires within 72h" and pinged(fallback)[0] == {
        member
    }
    assert "refused" in rig.log_output.getvalue()

    # Said once: after the answer to the member's next command, privately.
    listed = await rig.slash("accounts", "list", user=member)
    assert listed.type == 5 and (await rig.answer(listed))["embeds"]
    token = listed.request.path.split("/")[3]
    note = (
        await rig.discord.wait_for(
            lambda r: (
                r.method == "POST"
                and r.path.startswith("/webhooks/")
                and token in r.path
                and "direct messages" in str(r.json)
            ),
            5,
        )
    ).json  # a follow-up of its own, after the answer
    assert note["flags"] & EPHEMERAL and "refused the bot's direct messages" in note["content"]
    assert "/notify me off" in note["content"]
    await no_note_after(rig, "accounts", member, "list")

    # The next early stage is refused again: the channel again, and no second note.
    clock(rig).set(expires - 24 * H + timedelta(seconds=20))
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "24h")]
    assert len(warnings(rig)) == 2
    await no_note_after(rig, "accounts", member, "list")
    status = await answer(rig, "notify", "me", user=member)
    assert "refused the bot's last direct message" in status


async def no_note_after(rig: Rig, command: str, member: int, subcommand: str | None = None) -> None:
    """The command is answered and no note follows it."""
    callback = await rig.slash(command, subcommand, user=member)
    token = callback.request.path.split("/")[3]
    await asyncio.sleep(0.3)  # a note is sent right after the answer: give it the time to show
    await rig.answer(callback)
    # The answer fills the deferral in (PATCH @original); a note would be a follow-up (POST).
    assert not [
        r
        for r in rig.discord.requests
        if r.method == "POST" and r.path.startswith("/webhooks/") and token in r.path
    ]
    assert await rig.bot.store.take_note(member) is None  # type: ignore[union-attr]
