"""Registration as Discord drives it: the real bot against the Discord and useapi.net doubles."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.approvals import ApprovalCache
from bot.store import Store
from tests.harness import DISCORD_TOKEN, USEAPI_TOKEN, Rig, modal_inputs, running_rig

EPHEMERAL = 64
SESSION = "LumaSecretSess10nZ9xQ7wPq"
LT_TOKEN = "eyJhbGciOiJIUzI1NiJ9.LtxSecretTok3n.Sig"
LT_REFRESH = "LtxSecretRefresh7Qp2Lm"
EXPIRES = datetime(2026, 12, 20, 8, 30, 0, tzinfo=UTC)


def member(rig: Rig) -> int:
    return rig.discord.member_ids[0]


def outsider(rig: Rig) -> int:
    return rig.discord.member_ids[1]


async def grant(rig: Rig, target: int) -> None:
    cb = await rig.slash("access", "grant", user=rig.discord.admin_id, target=target)
    assert cb.type == 5 and cb.data["flags"] & EPHEMERAL  # acknowledged privately, then answered
    assert "may now register" in (await rig.answer(cb))["content"]


def secrets_in(text: str) -> list[str]:
    return [s for s in (SESSION, LT_TOKEN, LT_REFRESH, DISCORD_TOKEN, USEAPI_TOKEN) if s in text]


async def assert_no_secret_leaked(rig: Rig) -> None:
    """The cookie and both tokens appear in no Discord request, no log line, no database byte."""
    sent = "\n".join(
        r.raw_body.decode("utf-8", "replace") + r.path + json.dumps(r.query) for r in rig.discord.requests
    )
    assert secrets_in(sent) == []
    assert secrets_in("\n".join(rig.raw_logs.lines)) == []
    assert secrets_in(rig.log_output.getvalue()) == []
    db_bytes = b"".join(p.read_bytes() for p in rig.settings.database_path.parent.glob("warden.sqlite3*"))
    for secret in (SESSION, LT_TOKEN, LT_REFRESH, DISCORD_TOKEN, USEAPI_TOKEN):
        assert secret.encode() not in db_bytes


@pytest.mark.services("luma", "ltx")
async def test_command_tree_is_synced_to_the_guild(rig: Rig) -> None:
    commands = {c["name"]: c for c in rig.discord.synced_guild_commands[rig.discord.guild_id]}
    assert {"luma", "ltx", "accounts", "access"} <= set(commands)
    assert [o["name"] for o in commands["luma"]["options"]] == ["register", "remove"]
    assert str(commands["access"]["default_member_permissions"]) == str(1 << 5)  # Manage Server
    assert commands["luma"]["default_member_permissions"] is None
    assert rig.discord.synced_commands == []  # no duplicate global copies


async def test_luma_registration_end_to_end(rig: Rig) -> None:
    rig.useapi.add_luma_session(SESSION, "studio@example.com", expires=EXPIRES)
    await grant(rig, member(rig))

    opened = await rig.slash("luma", "register", user=member(rig))
    assert opened.type == 9  # a modal, answered at once
    (cookie_input,) = modal_inputs(opened).values()
    assert cookie_input["max_length"] <= 4000

    submitted = await rig.submit(
        opened, {cookie_input["custom_id"]: f"Cookie: _ga=1; luma_session={SESSION}"}, user=member(rig)
    )
    assert submitted.type == 5 and submitted.data["flags"] & EPHEMERAL  # deferred privately first
    answer = await rig.followup(submitted)
    assert answer["flags"] & EPHEMERAL
    embed = answer["embeds"][0]
    assert "studio@example.com" in embed["description"]
    ts = int(EXPIRES.timestamp())
    assert f"<t:{ts}:F>" in json.dumps(embed) and f"<t:{ts}:R>" in json.dumps(embed)

    # Upstream got exactly the documented body with the team's token.
    (post,) = rig.useapi.requests_to("POST", "/v1/luma/accounts")
    assert post.json == {"session": SESSION}
    assert post.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}"

    # The team sees a one-line public notice that pings no one.
    notice = await rig.discord.wait_for(
        lambda r: r.method == "POST" and r.path == f"/channels/{rig.discord.alert_channel_id}/messages"
    )
    assert "studio@example.com" in notice.json["content"] and f"<t:{ts}:" in notice.json["content"]
    assert notice.json["allowed_mentions"]["parse"] == []

    accounts = await rig.slash("accounts", "list", user=member(rig))
    assert accounts.data["flags"] & EPHEMERAL
    assert "studio@example.com" in (await rig.answer(accounts))["embeds"][0]["description"]
    await assert_no_secret_leaked(rig)


@pytest.mark.services("luma", "ltx")
async def test_ltx_registration_end_to_end_with_max_jobs(rig: Rig) -> None:
    rig.useapi.add_ltx_cookie(
        LT_TOKEN, "maker@example.com", token_expire=EXPIRES, refresh_token_expire=EXPIRES + timedelta(days=30)
    )
    await grant(rig, member(rig))
    opened = await rig.slash("ltx", "register", user=member(rig))
    inputs = modal_inputs(opened)
    assert len(inputs) == 2 and inputs["cookie"]["style"] == 2  # paragraph
    pasted = f"other=1; lt_id=user123; lt_token={LT_TOKEN}; lt_refresh_token={LT_REFRESH}"
    submitted = await rig.submit(opened, {"cookie": pasted, "max_jobs": "7"}, user=member(rig))
    assert submitted.type == 5
    answer = await rig.followup(submitted)
    assert "maker@example.com" in answer["embeds"][0]["description"]
    (post,) = rig.useapi.requests_to("POST", "/v1/ltxstudio/accounts")
    assert post.json == {
        "cookie": f"lt_id=user123; lt_token={LT_TOKEN}; lt_refresh_token={LT_REFRESH}",
        "maxJobs": 7,
    }
    store = rig.bot.store  # type: ignore[union-attr]
    account = await store.get_account("ltx", "maker@example.com")
    assert account is not None and account.expires_at == EXPIRES and account.registered_by == member(rig)
    await assert_no_secret_leaked(rig)


async def test_unapproved_member_gets_no_modal_and_nothing_is_stored(rig: Rig) -> None:
    cb = await rig.slash("luma", "register", user=outsider(rig))
    assert cb.type == 4 and cb.data["flags"] & EPHEMERAL
    assert "not approved" in cb.data["content"] and "/access grant" in cb.data["content"]
    entries = await rig.audited(lambda e: e.outcome.startswith("refused"))  # answered, then audited
    assert entries[0].outcome == "refused:not_approved"
    assert rig.useapi.requests_to("POST", ".*") == []


async def test_role_approval_and_revocation_while_the_modal_is_open(rig: Rig) -> None:
    rig.useapi.add_luma_session(SESSION, "studio@example.com", expires=EXPIRES)
    await grant(rig, rig.discord.role_id)  # member(rig) has this role
    opened = await rig.slash("luma", "register", user=member(rig))
    assert opened.type == 9
    revoked = await rig.slash("access", "revoke", user=rig.discord.admin_id, target=rig.discord.role_id)
    assert "no longer" in (await rig.answer(revoked))["content"]
    submitted = await rig.submit(opened, {"cookie": SESSION}, user=member(rig))
    assert submitted.type == 4 and "not approved" in submitted.data["content"]
    assert rig.useapi.requests_to("POST", ".*") == []


async def test_access_commands_refuse_non_admins(rig: Rig) -> None:
    cb = await rig.slash("access", "grant", user=member(rig), target=outsider(rig))
    assert (
        cb.type == 4
        and cb.data["flags"] & EPHEMERAL
        and "Only server admins" in (await rig.answer(cb))["content"]
    )
    listing = await rig.slash("access", "list", user=rig.discord.admin_id)
    assert "Nobody has been approved yet" in (await rig.answer(listing))["embeds"][0]["description"]


@pytest.mark.parametrize(
    ("pasted", "says"),
    [
        ("", "Nothing was pasted"),
        ("a=1; b=2", "no `luma_session`"),
        (f"{SESSION}\nagain", "line breaks"),
        ("x" * 3999 + " ", "too long"),
    ],
)
async def test_bad_luma_input_is_answered_without_calling_upstream(rig: Rig, pasted: str, says: str) -> None:
    await grant(rig, member(rig))
    opened = await rig.slash("luma", "register", user=member(rig))
    submitted = await rig.submit(opened, {"cookie": pasted}, user=member(rig))
    assert submitted.type == 4 and submitted.data["flags"] & EPHEMERAL
    assert says in submitted.data["content"] and "Nothing was sent" in submitted.data["content"]
    assert rig.useapi.requests_to("POST", ".*") == []


@pytest.mark.services("luma", "ltx")
async def test_missing_ltx_cookie_is_named(rig: Rig) -> None:
    await grant(rig, member(rig))
    opened = await rig.slash("ltx", "register", user=member(rig))
    submitted = await rig.submit(opened, {"cookie": f"lt_id=a; lt_token={LT_TOKEN}"}, user=member(rig))
    assert "No `lt_refresh_token` in what you pasted" in submitted.data["content"]
    assert rig.useapi.requests_to("POST", ".*") == []
    await assert_no_secret_leaked(rig)


@pytest.mark.parametrize(
    ("status", "body", "headers", "says"),
    [
        (400, {"error": "Parameter session is required"}, None, "did not accept"),
        (401, {"error": "Unauthorized"}, None, "operator"),
        (402, {"error": "Account has no subscription or subscription expired"}, None, "subscription"),
        (404, None, None, "not available on useapi.net right now"),
        (429, {"error": "slow down"}, {"Retry-After": "42"}, "Try again in 42 s"),
        (
            500,
            {"error": "Session refreshed but validation failed. Please try again."},
            None,
            "validation failed",
        ),
        (503, "<html>down</html>", None, "HTTP 503"),
    ],
)
async def test_upstream_failures_are_explained_privately_and_store_nothing(
    rig: Rig, status: int, body: object, headers: dict[str, str] | None, says: str
) -> None:
    await grant(rig, member(rig))
    rig.useapi.inject("POST", "/v1/luma/accounts", status=status, body=body, headers=headers)
    opened = await rig.slash("luma", "register", user=member(rig))
    submitted = await rig.submit(opened, {"cookie": SESSION}, user=member(rig))
    assert submitted.type == 5
    answer = await rig.followup(submitted)
    assert answer["flags"] & EPHEMERAL and says in answer["content"]
    store = rig.bot.store  # type: ignore[union-attr]
    assert await store.list_accounts() == []
    assert (await store.recent_audit())[0].outcome.startswith("upstream:")
    assert rig.discord.channel_messages.get(rig.discord.alert_channel_id, []) == []
    await assert_no_secret_leaked(rig)


async def test_slow_upstream_is_still_acknowledged_within_discords_deadline(rig: Rig) -> None:
    rig.useapi.add_luma_session(SESSION, "studio@example.com", expires=EXPIRES)
    rig.useapi.inject("POST", "/v1/luma/accounts", delay=2.5)
    await grant(rig, member(rig))
    opened = await rig.slash("luma", "register", user=member(rig))
    submitted = await rig.submit(opened, {"cookie": SESSION}, user=member(rig))
    assert submitted.type == 5 and submitted.latency < 1.0
    answer = await rig.followup(submitted, timeout=10)
    assert "studio@example.com" in answer["embeds"][0]["description"]


async def test_timeout_upstream_gives_a_clear_answer(tmp_path: Path) -> None:
    async with running_rig(tmp_path, useapi_timeout=timedelta(seconds=1)) as rig:
        rig.useapi.inject("POST", "/v1/luma/accounts", hang=True)
        await grant(rig, member(rig))
        opened = await rig.slash("luma", "register", user=member(rig))
        submitted = await rig.submit(opened, {"cookie": SESSION}, user=member(rig))
        answer = await rig.followup(submitted, timeout=10)
        assert "did not answer in time" in answer["content"]


async def test_deleted_alert_channel_does_not_break_registration(rig: Rig) -> None:
    rig.useapi.add_luma_session(SESSION, "studio@example.com", expires=EXPIRES)
    rig.discord.fail_channel_messages(rig.discord.alert_channel_id, 404)
    await grant(rig, member(rig))
    opened = await rig.slash("luma", "register", user=member(rig))
    submitted = await rig.submit(opened, {"cookie": SESSION}, user=member(rig))
    answer = await rig.followup(submitted)
    assert "alert channel no longer exists" in answer["content"]
    store = rig.bot.store  # type: ignore[union-attr]
    assert [a.account for a in await store.list_accounts()] == ["studio@example.com"]


async def test_switched_off_service_registers_no_commands(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma",)) as rig:
        names = {c["name"] for c in rig.discord.synced_guild_commands[rig.discord.guild_id]}
        assert "luma" in names and "ltx" not in names


async def test_commands_from_dms_are_refused(rig: Rig) -> None:
    payload = rig.discord.slash_command("accounts", "list", user=member(rig), guild=False)
    iid = await rig.discord.dispatch_interaction(payload)
    cb = await rig.discord.wait_for_callback(iid)
    assert cb.type == 4 and cb.data["flags"] & EPHEMERAL  # refused at once, before any database work


async def test_restart_keeps_accounts_and_approvals(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:
        rig.useapi.add_luma_session(SESSION, "studio@example.com", expires=EXPIRES)
        await grant(rig, member(rig))
        opened = await rig.slash("luma", "register", user=member(rig))
        await rig.followup(await rig.submit(opened, {"cookie": SESSION}, user=member(rig)))
        await rig.stop_bot()
        store = await Store.open(rig.settings.database_path)
        try:
            assert await ApprovalCache(store, max_age=0).is_approved(member(rig), [])
            assert len(await store.list_accounts()) == 1
        finally:
            await store.close()


async def test_a_form_opened_before_a_restart_still_registers(rig: Rig) -> None:
    """A deploy between opening the form and submitting it must not lose the member's paste."""
    rig.useapi.add_luma_session(SESSION, "studio@example.com", expires=EXPIRES)
    await grant(rig, member(rig))
    opened = await rig.slash("luma", "register", user=member(rig))
    assert opened.data["custom_id"].startswith("warden:register:luma:")
    await rig.stop_bot()
    await rig.start_bot()  # a new process knows nothing of that modal
    submitted = await rig.submit(opened, {"cookie": SESSION}, user=member(rig))
    assert submitted.type == 5 and submitted.data["flags"] & EPHEMERAL
    answer = await rig.followup(submitted)
    assert "studio@example.com" in answer["embeds"][0]["description"]
    assert len(rig.useapi.requests_to("POST", "/v1/luma/accounts")) == 1


@pytest.mark.services("luma", "ltx")
async def test_a_stale_form_is_still_checked_and_validated(rig: Rig) -> None:
    await grant(rig, member(rig))
    opened = await rig.slash("ltx", "register", user=member(rig))
    await rig.stop_bot()
    await rig.start_bot()
    bad = await rig.submit(
        opened, {"cookie": f"lt_id=a; lt_token={LT_TOKEN}", "max_jobs": "7"}, user=member(rig)
    )
    assert bad.type == 4 and "No `lt_refresh_token`" in bad.data["content"]
    stranger = await rig.submit(opened, {"cookie": "x"}, user=outsider(rig))
    assert stranger.type == 4 and "not approved" in stranger.data["content"]
    assert rig.useapi.requests_to("POST", ".*") == []


async def test_a_live_form_is_handled_once(rig: Rig) -> None:
    rig.useapi.add_luma_session(SESSION, "studio@example.com", expires=EXPIRES)
    await grant(rig, member(rig))
    opened = await rig.slash("luma", "register", user=member(rig))
    submitted = await rig.submit(opened, {"cookie": SESSION}, user=member(rig))
    await rig.followup(submitted)
    await asyncio.sleep(0.3)
    assert len(rig.discord.callbacks_for(submitted.request.path.split("/")[2])) == 1
    assert len(rig.useapi.requests_to("POST", "/v1/luma/accounts")) == 1


@pytest.mark.services("luma", "ltx")
async def test_the_form_uses_labels_that_say_where_each_value_comes_from(rig: Rig) -> None:
    """Discord's current modal layout: each input in a Label (type 18) with a description."""
    await grant(rig, member(rig))
    opened = await rig.slash("ltx", "register", user=member(rig))
    top = opened.data["components"]
    assert [c["type"] for c in top] == [18, 18]
    cookie, max_jobs = top
    assert cookie["label"] == "LTX Studio cookie" and "developer tools" in cookie["description"]
    assert cookie["component"]["custom_id"] == "cookie" and cookie["component"]["style"] == 2
    assert max_jobs["component"]["required"] is False and "20" in max_jobs["description"]
    luma = await rig.slash("luma", "register", user=member(rig))
    (label,) = luma.data["components"]
    assert "luma_session" in label["description"] and "lumalabs.ai" in label["description"]


async def test_a_submit_in_the_old_action_row_layout_still_registers(rig: Rig) -> None:
    """A form opened before the upgrade to labels comes back as action rows around text inputs."""
    rig.useapi.add_luma_session(SESSION, "studio@example.com", expires=EXPIRES)
    await grant(rig, member(rig))
    opened = await rig.slash("luma", "register", user=member(rig))
    await rig.stop_bot()
    await rig.start_bot()
    payload = rig.discord.modal_submit(
        opened.data["custom_id"], {"cookie": SESSION}, user=member(rig), labels=False
    )
    submitted = await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(payload))
    assert submitted.type == 5
    answer = await rig.followup(submitted)
    assert "studio@example.com" in answer["embeds"][0]["description"]
    (post,) = rig.useapi.requests_to("POST", "/v1/luma/accounts")
    assert post.json == {"session": SESSION}
