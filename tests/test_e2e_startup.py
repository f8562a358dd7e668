"""Start-up and the access journey, end to end: the real bot against the Discord and useapi.net doubles.

What test_e2e_register.py checks piece by piece is walked here as one story, the way a team
meets the bot: an unapproved member is refused, an admin approves them, they register, the
approval is withdrawn while their form is open, and the submit is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.store import Store
from tests.harness import Rig, modal_inputs

EPHEMERAL = 64
MANAGE_GUILD = str(1 << 5)
SESSION = "JourneyLumaSess10nQw7Zx3Rt"
LT_TOKEN = "eyJhbGciOiJIUzI1NiJ9.JourneyLtxTok3n.Sig"
LT_REFRESH = "JourneyLtxRefresh9Kd2Vb"
EXPIRES = datetime(2026, 12, 20, 8, 30, tzinfo=UTC)


def store_of(rig: Rig) -> Store:
    assert rig.bot is not None
    return rig.bot.store


def alert_posts(rig: Rig) -> list[Any]:
    return rig.discord.requests_to("POST", rf"/channels/{rig.discord.alert_channel_id}/messages")


@pytest.mark.services("luma", "ltx")
async def test_start_up_syncs_every_command_to_the_guild_with_the_right_permissions(rig: Rig) -> None:
    synced = {c["name"]: c for c in rig.discord.synced_guild_commands[rig.discord.guild_id]}
    assert set(synced) == {"luma", "ltx", "accounts", "access", "alerts", "notify"}

    def subcommands(name: str) -> dict[str, dict[str, Any]]:
        return {o["name"]: o for o in synced[name]["options"] if o["type"] == 1}

    assert set(subcommands("luma")) == {"register", "remove"} and set(subcommands("ltx")) == {
        "register",
        "remove",
    }
    # One optional filter (issue 13): the switched-on services only.
    assert set(subcommands("accounts")) == {"list", "owner"}
    (option,) = subcommands("accounts")["list"]["options"]
    assert option["name"] == "service" and option["required"] is False
    assert {c["value"] for c in option["choices"]} == {"luma", "ltx"}
    assert set(subcommands("access")) == {"grant", "revoke", "list", "audit"}
    alerts = subcommands("alerts")
    assert set(alerts) == {
        "channel", "stages", "reminders", "mention", "credits", "status", "test", "board", "digest",
        "quiet", "escalate",
    }  # fmt: skip
    assert set(subcommands("notify")) == {"me"}
    service = next(o for o in alerts["stages"]["options"] if o["name"] == "service")
    assert {c["value"] for c in service["choices"]} == {"luma", "ltx"}

    # Members see the register commands and /accounts (its owner subcommand checks for admins); only Manage Server sees the admin groups.
    for name in ("luma", "ltx", "accounts", "notify"):
        assert synced[name]["default_member_permissions"] is None, name
    for name in ("access", "alerts"):
        assert str(synced[name]["default_member_permissions"]) == MANAGE_GUILD, name
    for name, command in synced.items():
        assert command["contexts"] == [0] and command["dm_permission"] is False, name  # guild only

    # Synced to the guild only (instantly visible), and global copies cleared, so nothing twice.
    assert rig.discord.synced_commands == []
    puts = [r.path for r in rig.discord.requests if r.method == "PUT"]
    app = rig.discord.application_id
    assert puts == [
        f"/applications/{app}/guilds/{rig.discord.guild_id}/commands",
        f"/applications/{app}/commands",
    ]
    assert "bot.app: synced 6 application commands" in rig.raw_logs.lines
    assert rig.discord.unknown_routes == []


@pytest.mark.services("luma", "ltx")
async def test_refused_then_approved_then_registers_then_revoked_with_the_form_open(rig: Rig) -> None:
    member = rig.discord.member_ids[1]  # has no role: only a personal approval counts
    admin = rig.discord.admin_id
    rig.useapi.add_luma_session(SESSION, "studio@example.com", expires=EXPIRES)
    rig.useapi.add_ltx_cookie(LT_TOKEN, "maker@example.com", EXPIRES, EXPIRES + timedelta(days=30))

    # 1. Not approved: a private refusal and no form at all.
    refused = await rig.slash("luma", "register", user=member)
    assert refused.type == 4 and refused.data["flags"] & EPHEMERAL
    assert "not approved" in refused.data["content"] and "/access grant" in refused.data["content"]
    entries = await rig.audited(lambda e: e.outcome.startswith("refused"))  # answered, then audited
    assert entries[0].outcome == "refused:not_approved"

    # 2. An admin approves the member.
    granted = await rig.slash("access", "grant", user=admin, target=member)
    assert (
        granted.data["flags"] & EPHEMERAL
        and f"<@{member}> may now register" in (await rig.answer(granted))["content"]
    )

    # 3. The member registers Luma and LTX Studio: form, deferral, upstream, private answer, notice.
    opened = await rig.slash("luma", "register", user=member)
    assert opened.type == 9 and opened.latency < 1.0
    submitted = await rig.submit(opened, {"cookie": f"luma_session={SESSION}"}, user=member)
    assert submitted.type == 5 and submitted.data["flags"] & EPHEMERAL
    answer = await rig.followup(submitted)
    assert answer["flags"] & EPHEMERAL and "studio@example.com" in answer["embeds"][0]["description"]
    assert [r.json for r in rig.useapi.requests_to("POST", "/v1/luma/accounts")] == [{"session": SESSION}]
    notice = await rig.discord.wait_for(lambda r: r in alert_posts(rig))
    assert f"<@{member}>" in notice.json["content"] and "studio@example.com" in notice.json["content"]
    assert notice.json["allowed_mentions"]["parse"] == [] and not notice.json.get("flags")

    opened = await rig.slash("ltx", "register", user=member)
    assert opened.type == 9 and set(modal_inputs(opened)) == {"cookie", "max_jobs"}
    cookie = f"lt_id=u1; lt_token={LT_TOKEN}; lt_refresh_token={LT_REFRESH}"
    submitted = await rig.submit(opened, {"cookie": cookie, "max_jobs": ""}, user=member)
    assert submitted.type == 5
    answer = await rig.followup(submitted)
    assert "maker@example.com" in answer["embeds"][0]["description"]
    notice = await rig.discord.wait_for(lambda r: r in alert_posts(rig) and "maker@" in r.json["content"])
    assert "LTX" in notice.json["content"]

    # 4. The member opens the form again; the admin revokes meanwhile; the submit is refused.
    opened = await rig.slash("luma", "register", user=member)
    assert opened.type == 9
    revoked = await rig.slash("access", "revoke", user=admin, target=member)
    assert "no longer register" in (await rig.answer(revoked))["content"]
    late = await rig.submit(opened, {"cookie": SESSION}, user=member)
    assert late.type == 4 and late.data["flags"] & EPHEMERAL and "not approved" in late.data["content"]
    assert len(rig.useapi.requests_to("POST", "/v1/luma/accounts")) == 1  # nothing sent upstream
    assert len(alert_posts(rig)) == 2  # and no third notice

    # 5. And the command itself refuses again, with no form.
    again = await rig.slash("luma", "register", user=member)
    assert again.type == 4 and "not approved" in again.data["content"]
    entries = await rig.audited(lambda e: e.outcome.startswith("refused"), count=3)  # answered, then audited
    outcomes = [(e.action, e.outcome) for e in reversed(entries)]
    assert outcomes == [
        ("open_register", "refused:not_approved"),
        ("access_grant", "ok"),
        ("register", "ok"),
        ("register", "ok"),
        ("access_revoke", "ok"),
        ("register", "refused:not_approved"),
        ("open_register", "refused:not_approved"),
    ]
    listing = await rig.slash("access", "list", user=admin)
    assert "Nobody has been approved yet" in (await rig.answer(listing))["embeds"][0]["description"]
    accounts = {a.account: a for a in await store_of(rig).list_accounts()}
    assert set(accounts) == {"studio@example.com", "maker@example.com"}
    assert all(a.registered_by == member for a in accounts.values())


def command_puts(rig: Rig) -> int:
    return sum(r.method == "PUT" and r.path.endswith("/commands") for r in rig.discord.requests)


async def test_a_restart_with_the_same_commands_does_not_sync_them_again(rig: Rig) -> None:
    """Discord allows a limited number of command updates a day; restarts must not spend them."""
    first = command_puts(rig)
    assert first == 2  # the guild's commands, and clearing the global copies
    await rig.stop_bot()
    await rig.start_bot()
    assert command_puts(rig) == first
    assert "bot.app: application commands unchanged since the last sync; not syncing" in rig.raw_logs.lines
    assert {c["name"] for c in rig.discord.synced_guild_commands[rig.discord.guild_id]} >= {"luma", "alerts"}
    # A different set of commands (a service switched on) is synced at the next start.
    await rig.stop_bot()
    await rig.start_bot(services=("luma", "kling"))
    assert command_puts(rig) == first + 2
    assert "kling" in {c["name"] for c in rig.discord.synced_guild_commands[rig.discord.guild_id]}
