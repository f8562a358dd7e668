"""The expiry watch end to end: a real WardenBot against the Discord and useapi.net doubles,
time moved by a FakeClock, each scheduler pass driven by calling `run_pass` directly.

The background loop is switched off in these tests (`alerts_autostart=False`) so passes happen
exactly when a test says; `test_the_background_loop_…` runs it for real.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import WardenBot
from bot.expiry import Alert, Kind
from bot.models import TrackedAccount, WarningKey
from bot.watch import PassReport
from cogs.alerts import AlertsCog
from cogs.alerts._embeds import warning_embed
from cogs.register import renew_view
from tests.clock import FakeClock
from tests.conftest import services_marked
from tests.harness import DISCORD_TOKEN, Rig, modal_inputs, running_rig
from tests.passes import pass_with_details

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
EPHEMERAL = 64
EMAIL = "studio@example.com"
SESSION = "LumaSecretSess10nZ9xQ7wPq"


@pytest.fixture
async def rig(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    """A rig whose bot is not started yet: tests set upstream up first, then `start_bot()`."""
    services = services_marked(request)
    async with running_rig(
        tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False, **services
    ) as rig:
        yield rig


def clock(rig: Rig) -> FakeClock:
    assert isinstance(rig.clock, FakeClock)
    return rig.clock


def cog(rig: Rig, bot: WardenBot | None = None) -> AlertsCog:
    # Loading an extension executes cogs/alerts afresh: the class is not this module's AlertsCog.
    found = (bot or rig.bot).get_cog("AlertsCog")  # type: ignore[union-attr]
    assert type(found).__name__ == "AlertsCog"
    return found  # type: ignore[return-value]


async def run_pass(rig: Rig, bot: WardenBot | None = None) -> PassReport:
    """A pass and the live details reads beside it (tests/passes.py)."""
    report = await pass_with_details(cog(rig, bot))
    assert report.error is None
    return report


def posts(rig: Rig) -> list[Any]:
    """Every attempt to post in any channel, failed or not."""
    return rig.discord.requests_to("POST", r"/channels/\d+/messages")


def warnings(rig: Rig, channel_id: int | None = None) -> list[dict[str, Any]]:
    """Messages Discord accepted in the channel that carry an embed (notices have none)."""
    channel = channel_id or rig.discord.alert_channel_id
    return [m for m in rig.discord.channel_messages.get(channel, []) if m["embeds"]]


def stages_posted(rig: Rig) -> list[str]:
    return [m["embeds"][0]["title"] for m in warnings(rig)]


def key(service: str, account: str, expires: datetime, stage: str) -> WarningKey:
    return WarningKey(service, account, int(expires.timestamp()), stage)


async def grant(rig: Rig, user: int) -> None:
    cb = await rig.slash("access", "grant", user=rig.discord.admin_id, target=user)
    assert "may now register" in (await rig.answer(cb))["content"]


async def click(rig: Rig, custom_id: str, message: dict[str, Any], user: int) -> Any:
    """Press a button; the acknowledgement, once the member's answer is in (`Rig.answer`)."""
    payload = rig.discord.button_click(custom_id, int(message["id"]), user=user)
    return await rig.answered(
        await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(payload))
    )


def assert_every_post_is_mention_safe(rig: Rig, role_id: int | None = None) -> None:
    allowed_roles = {str(role_id)} if role_id else set()
    for rec in posts(rig):
        body = rec.json
        mentions = body["allowed_mentions"]
        assert mentions["parse"] == [], body
        assert not mentions.get("users")
        assert {str(r) for r in mentions.get("roles", [])} <= allowed_roles
        assert body.get("content") in (None, "", *(f"<@&{r}>" for r in allowed_roles))


# -- stages -------------------------------------------------------------------------------------


async def test_each_stage_fires_once_when_it_falls_due(rig: Rig) -> None:
    expires = START + 80 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()

    first = await run_pass(rig)
    assert first.leader and first.synced["luma"].ok and first.synced["luma"].changes.added == (EMAIL,)
    assert first.sent == [] and first.next_due == expires - 72 * H
    stored = await rig.bot.store.get_account("luma", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.expires_at == expires and stored.registered_by is None

    for stage, lead in (("3d", 72), ("24h", 24), ("6h", 6), ("expired", 0)):
        clock(rig).set(expires - lead * H + timedelta(seconds=20))
        reads = len(rig.useapi.requests_to("GET", "/v1/luma/accounts"))
        report = await run_pass(rig)
        assert report.sent == [key("luma", EMAIL, expires, stage)]
        # The list was read again right before warning.
        assert len(rig.useapi.requests_to("GET", "/v1/luma/accounts")) > reads
        clock(rig).advance(timedelta(seconds=30))
        assert (await run_pass(rig)).sent == []

    assert stages_posted(rig) == [
        "Luma session expires within 72h",  # the key's stage is "3d"; people read hours, as the README
        "Luma session expires within 24h",
        "Luma session expires within 6h",
        "Luma session expired",
    ]
    # Log lines name the stages as the README does, too (72h, not the key's 3d).
    warned = [line for line in rig.raw_logs.lines if "warned about luma" in line]
    assert [line.rsplit(": ", 1)[1] for line in warned] == ["72h", "24h", "6h", "expired"]
    embed = warnings(rig)[1]["embeds"][0]
    text = json.dumps(embed)
    ts = int(expires.timestamp())
    assert f"<t:{ts}:F>" in text and f"<t:{ts}:R>" in text
    assert EMAIL in embed["description"] and "configured outside the bot" in text
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Service"] == "Luma" and fields["Stage"] == "expires within 24h"
    buttons = warnings(rig)[1]["components"][0]["components"]
    assert buttons[0]["custom_id"] == "warden:renew:luma"
    assert_every_post_is_mention_safe(rig)


async def test_catch_up_after_downtime_posts_only_the_most_urgent_stage(rig: Rig) -> None:
    expires = START + 80 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    await run_pass(rig)
    await rig.stop_bot()
    clock(rig).set(expires - 5 * H)  # down while the 3d and 24h moments passed
    await rig.start_bot()
    report = await run_pass(rig)
    assert report.sent == [key("luma", EMAIL, expires, "6h")]
    assert set(report.skipped) == {key("luma", EMAIL, expires, "3d"), key("luma", EMAIL, expires, "24h")}
    clock(rig).advance(H)
    assert (await run_pass(rig)).sent == []
    assert stages_posted(rig) == ["Luma session expires within 6h"]


async def test_no_warning_twice_across_a_restart_and_renew_survives_it(rig: Rig) -> None:
    expires = START + 20 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "24h")]
    (message,) = warnings(rig)

    await rig.stop_bot()  # a new bot on the same database
    await rig.start_bot()
    for _ in range(3):
        assert (await run_pass(rig)).sent == []
        clock(rig).advance(timedelta(minutes=20))  # syncs happen too
    assert len(warnings(rig)) == 1

    # The Renew button on the message posted before the restart still works.
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    opened = await click(rig, "warden:renew:luma", message, member)
    assert opened.type == 9 and "Luma" in opened.data["title"]
    assert "cookie" in modal_inputs(opened)


async def test_renewal_re_arms_every_stage(rig: Rig) -> None:
    expires = START + 20 * H
    renewed = START + 30 * 24 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=renewed)
    await rig.start_bot()
    await run_pass(rig)
    (message,) = warnings(rig)

    # A member renews from the warning: Renew → modal → submit the cookie.
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    opened = await click(rig, "warden:renew:luma", message, member)
    done = await rig.submit(opened, {"cookie": SESSION}, user=member)
    assert "accepted" in (await rig.followup(done))["content"]
    stored = await rig.bot.store.get_account("luma", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.expires_at == renewed and stored.registered_by == member

    clock(rig).advance(H)
    report = await run_pass(rig)
    assert report.sent == [] and report.next_due == renewed - 72 * H
    clock(rig).set(renewed - 72 * H + timedelta(seconds=5))
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, renewed, "3d")]
    latest = warnings(rig)[-1]["embeds"][0]
    assert f"<@{member}>" in json.dumps(latest)  # who renewed it last


# -- check before warning -----------------------------------------------------------------------


@pytest.mark.services("luma", "ltx")
async def test_a_token_refreshed_upstream_suppresses_the_warning(rig: Rig) -> None:
    email = "maker@example.com"
    token = START + 30 * H
    rig.useapi.set_ltx_account(email, token, START + 30 * 24 * H)
    await rig.start_bot()
    assert (await run_pass(rig)).sent == [key("ltx", email, token, "3d")]

    # useapi.net refreshes the short-lived token by itself before the 24h moment.
    refreshed = START + 6 * H + 48 * H
    rig.useapi.set_ltx_expiry(email, token_expire=refreshed)
    clock(rig).set(token - 24 * H + timedelta(seconds=10))
    report = await run_pass(rig)
    assert report.sent == [] and report.suppressed == [key("ltx", email, token, "24h")]
    stored = await rig.bot.store.get_account("ltx", email)  # type: ignore[union-attr]
    assert stored is not None and stored.expires_at == refreshed
    assert len(warnings(rig)) == 1


@pytest.mark.services("luma", "ltx")
async def test_a_token_still_close_after_the_check_is_warned_with_its_refresh_expiry(rig: Rig) -> None:
    email = "maker@example.com"
    token = START + 30 * H
    refresh = START + 30 * 24 * H
    rig.useapi.ltx_list_refresh_expiry = True
    rig.useapi.set_ltx_account(email, token, refresh)
    await rig.start_bot()
    await run_pass(rig)
    clock(rig).set(token - 24 * H + timedelta(seconds=10))
    reads = len(rig.useapi.requests_to("GET", "/v1/ltxstudio/accounts"))
    report = await run_pass(rig)
    assert report.sent == [key("ltx", email, token, "24h")]
    assert len(rig.useapi.requests_to("GET", "/v1/ltxstudio/accounts")) == reads + 1
    embed = warnings(rig)[-1]["embeds"][0]
    assert embed["title"] == "LTX Studio token expires within 24h"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert f"<t:{int(refresh.timestamp())}:F>" in fields["Refresh token expires"]


async def test_when_the_re_check_fails_the_warning_still_goes_out_and_says_so(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 80 * H)
    await rig.start_bot()
    await run_pass(rig)
    clock(rig).set(START + 8 * H + timedelta(seconds=5))
    rig.useapi.inject("GET", "/v1/luma/accounts", status=503, times=None)
    report = await run_pass(rig)
    assert not report.synced["luma"].ok
    assert report.sent == [key("luma", EMAIL, START + 80 * H, "3d")]
    fields = {f["name"]: f["value"] for f in warnings(rig)[-1]["embeds"][0]["fields"]}
    assert "could not be re-checked" in fields["Note"]


# -- delivery failures --------------------------------------------------------------------------


async def test_a_failed_post_is_not_recorded_and_is_retried(rig: Rig) -> None:
    """A 403 is learned: the warning waits (not retried every pass, nothing re-read for it), the
    reason shows in /alerts status, and a successful /alerts test after the fix posts it."""
    expires = START + 5 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    channel = rig.discord.alert_channel_id
    rig.discord.fail_channel_messages(channel, 403)

    report = await run_pass(rig)
    due = key("luma", EMAIL, expires, "6h")
    assert report.sent == [] and [k for k, _ in report.failed] == [due]
    assert "permission" in report.failed[0][1]
    assert due not in await rig.bot.store.alert_keys()  # type: ignore[union-attr]
    assert any(
        "could not post the 6h warning" in line and "permission" in line for line in rig.raw_logs.lines
    )

    # The next pass knows the channel refuses: it neither posts nor re-reads useapi.net for it.
    attempts, reads = len(posts(rig)), len(rig.useapi.requests)
    clock(rig).advance(timedelta(seconds=90))
    report = await run_pass(rig)
    assert report.sent == [] and "permission" in (report.channel_problem or "")
    assert len(posts(rig)) == attempts and len(rig.useapi.requests) == reads
    (failure,) = await rig.bot.store.alert_failures()  # type: ignore[union-attr]
    assert failure.key == due and failure.attempts == 1 and "permission" in failure.reason

    status = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    assert status.data["flags"] & EPHEMERAL
    fields = {f["name"]: f["value"] for f in (await rig.answer(status))["embeds"][0]["fields"]}
    assert "due now" in fields["Next warnings"] and "permission" in fields["Next warnings"]
    assert "permission" in fields["⚠️ Warnings can't be posted"]

    rig.discord.clear_channel_faults()
    test = await rig.slash("alerts", "test", user=rig.discord.admin_id)
    assert "Posted a sample warning" in (await rig.followup(test))["content"]
    clock(rig).advance(timedelta(seconds=30))
    assert (await run_pass(rig)).sent == [due]
    assert await rig.bot.store.alert_failures() == []  # type: ignore[union-attr]
    assert [m["embeds"][0]["title"] for m in warnings(rig)][-1] == "Luma session expires within 6h"
    assert (await run_pass(rig)).sent == []


async def test_a_refused_channel_is_tried_again_after_an_hour(rig: Rig) -> None:
    """A fix the bot can't see (permissions given back, no /alerts test) is found by itself:
    posting is tried again RETRY_REFUSED after the refusal, and not before."""
    expires = START + 5 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    rig.discord.fail_channel_messages(rig.discord.alert_channel_id, 404)
    assert (await run_pass(rig)).sent == []
    attempts = len(posts(rig))
    rig.discord.clear_channel_faults()
    for _ in range(3):
        clock(rig).advance(timedelta(minutes=19))
        assert (await run_pass(rig)).sent == []
    assert len(posts(rig)) == attempts
    clock(rig).advance(timedelta(minutes=4))  # 61 minutes after the refusal
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "6h")]


async def test_a_deleted_channel_is_reported_and_a_new_channel_gets_the_warning(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 5 * H)
    rig.useapi.set_luma_account("second@example.com", START + 4 * H)
    await rig.start_bot()
    await rig.discord.delete_channel(rig.discord.alert_channel_id)
    attempts = len(posts(rig))
    report = await run_pass(rig)
    assert report.sent == [] and len(report.failed) == 2
    assert all("no longer exists" in reason for _, reason in report.failed)
    assert len(posts(rig)) == attempts + 1  # the second warning was not even tried

    general = rig.discord.general_channel_id
    answer = await rig.slash("alerts", "channel", user=rig.discord.admin_id, channel=general)
    assert f"<#{general}>" in (await rig.answer(answer))["content"]
    report = await run_pass(rig)
    assert len(report.sent) == 2 and len(warnings(rig, general)) == 2


async def test_a_discord_error_fails_one_warning_and_the_others_still_go(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 5 * H)
    rig.useapi.set_luma_account("second@example.com", START + 4 * H)
    await rig.start_bot()
    rig.discord.fail_channel_messages(rig.discord.alert_channel_id, 503, times=1)
    report = await run_pass(rig)
    assert len(report.sent) == 1 and len(report.failed) == 1 and "503" in report.failed[0][1]
    clock(rig).advance(timedelta(seconds=30))
    assert (await run_pass(rig)).sent == [report.failed[0][0]]


async def test_no_alert_channel_at_all_keeps_warnings_pending(tmp_path: Path) -> None:
    async with running_rig(
        tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False, alert_channel_id=None
    ) as rig:
        rig.useapi.set_luma_account(EMAIL, START + 5 * H)
        await rig.start_bot()
        report = await run_pass(rig)
        assert report.sent == [] and "no alert channel" in report.failed[0][1]
        channel = rig.discord.alert_channel_id
        await rig.slash("alerts", "channel", user=rig.discord.admin_id, channel=channel)
        assert len((await run_pass(rig)).sent) == 1


# -- what a warning may ping --------------------------------------------------------------------


async def test_warnings_ping_the_chosen_role_only_and_data_pings_nobody(rig: Rig) -> None:
    hostile = "@everyone@example.com"
    victim = rig.discord.member_ids[1]
    rig.useapi.set_luma_account(
        hostile, START + 5 * H, error=f"<@&{rig.discord.role_id}> @here **bold** <@{victim}>"
    )
    await rig.start_bot()
    role = rig.discord.role_id
    answer = await rig.slash("alerts", "mention", user=rig.discord.admin_id, role=role)
    assert f"<@&{role}>" in (await rig.answer(answer))["content"]

    report = await run_pass(rig)
    assert len(report.sent) == 2  # the upstream error and the 6h stage
    for message in warnings(rig):
        assert message["content"] == f"<@&{role}>"
        embed_text = json.dumps(message["embeds"])
        assert "@everyone" not in embed_text and "@here" not in embed_text
        assert f"<@{victim}>" not in embed_text and f"<@&{role}>" not in embed_text
    error_embed = warnings(rig)[0]["embeds"][0]
    assert error_embed["title"].startswith("useapi.net reports a problem")
    assert_every_post_is_mention_safe(rig, role)

    # Without a role, nobody at all.
    await rig.slash("alerts", "mention", user=rig.discord.admin_id)
    clock(rig).set(START + 5 * H + timedelta(seconds=1))
    await run_pass(rig)
    last = posts(rig)[-1].json
    assert last["allowed_mentions"] == {"parse": []} and not last.get("content")

    refused = await rig.slash("alerts", "mention", user=rig.discord.admin_id, role=rig.discord.guild_id)
    assert "never ping @everyone" in (await rig.answer(refused))["content"]


# -- errors and disappearances ------------------------------------------------------------------


async def test_upstream_errors_and_disappearances_are_warned_once(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    rig.useapi.set_luma_error(EMAIL, "Session refresh failed")
    clock(rig).advance(timedelta(minutes=16))
    report = await run_pass(rig)
    assert [k.stage[:6] for k in report.sent] == ["error:"]
    clock(rig).advance(timedelta(minutes=16))
    assert (await run_pass(rig)).sent == []

    rig.useapi.remove_luma_account(EMAIL)
    clock(rig).advance(timedelta(minutes=16))
    report = await run_pass(rig)
    assert [k.stage for k in report.sent] == ["gone"]
    clock(rig).advance(timedelta(minutes=16))
    assert (await run_pass(rig)).sent == []
    titles = stages_posted(rig)
    assert titles == [
        "useapi.net reports a problem with a Luma account",
        "Luma account no longer on useapi.net",
    ]
    fields = {f["name"]: f["value"] for f in warnings(rig)[0]["embeds"][0]["fields"]}
    assert fields["useapi.net says"] == "Session refresh failed"


# -- sync failures ------------------------------------------------------------------------------


async def test_repeated_sync_failures_are_said_once_and_so_is_the_recovery(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    before = await rig.bot.store.list_accounts()  # type: ignore[union-attr]
    rig.useapi.inject("GET", "/v1/luma/accounts", status=503, times=None)
    failures = []
    clock(rig).advance(timedelta(minutes=15))
    for _ in range(5):
        report = await run_pass(rig)
        failures.append((report.synced["luma"].ok, [n for _, n in report.notices]))
        # Backing off: no read until the next attempt is due.
        clock(rig).advance(timedelta(seconds=30))
        assert "luma" not in (await run_pass(rig)).synced
        state = json.loads(await rig.bot.store.get_setting("sync:luma") or "{}")  # type: ignore[union-attr]
        clock(rig).set(datetime.fromtimestamp(state["next_at"], UTC))
    assert failures == [(False, []), (False, []), (False, ["failing"]), (False, []), (False, [])]
    assert await rig.bot.store.list_accounts() == before  # type: ignore[union-attr]

    rig.useapi.clear_faults()
    report = await run_pass(rig)
    assert report.synced["luma"].ok and report.notices == [("luma", "recovered")]
    titles = stages_posted(rig)
    assert titles == ["Can't read useapi.net's Luma accounts", "useapi.net's Luma accounts can be read again"]

    status = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    fields = {f["name"]: f["value"] for f in (await rig.answer(status))["embeds"][0]["fields"]}
    assert "ok, 1 account(s)" in fields["Last sync"]


# -- two instances ------------------------------------------------------------------------------


async def test_only_the_lease_holder_sends(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.lease")
    expires = START + 5 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    first = rig.bot
    assert first is not None
    second = WardenBot(rig.settings, clock=rig.clock, guild_ready_timeout=0.1, alerts_autostart=False)
    await second.login(DISCORD_TOKEN)  # a second deployment on the same database
    # In one test process both bots share host:pid; a real second deployment has its own.
    cog(rig, second).lease.instance_id = "other-host:7:0000"
    try:
        # One failed post leaves the warning pending (a 503: a 403 would hold posting back for an
        # hour, see test_a_refused_channel_is_tried_again_after_an_hour).
        rig.discord.fail_channel_messages(rig.discord.alert_channel_id, 503, times=1)
        report = await run_pass(rig, first)
        assert report.leader and len(report.failed) == 1

        attempts = len(posts(rig))
        for _ in range(3):
            clock(rig).advance(timedelta(seconds=10))
            standby = await run_pass(rig, second)
            assert not standby.leader and standby.sent == [] and standby.failed == []
        assert len(posts(rig)) == attempts
        says = [r.getMessage() for r in caplog.records if "another instance" in r.getMessage()]
        assert len(says) == 1 and cog(rig, first).lease.instance_id in says[0]
        status = await cog(rig, second).status_embed()
        assert any("standing by" in f.value for f in status.fields if f.value)

        assert (await run_pass(rig, first)).sent == [key("luma", EMAIL, expires, "6h")]

        await rig.stop_bot()  # the old deployment shuts down and releases the lease
        clock(rig).set(expires + timedelta(seconds=5))
        taken = await run_pass(rig, second)
        assert taken.leader and taken.sent == [key("luma", EMAIL, expires, "expired")]
        assert any("taken over" in r.getMessage() for r in caplog.records)
        assert len(warnings(rig)) == 2
    finally:
        await second.close()


# -- the loop itself ----------------------------------------------------------------------------


async def test_the_background_loop_warns_by_itself_survives_a_failing_pass_and_stops(tmp_path: Path) -> None:
    async with running_rig(tmp_path, clock=FakeClock(START), start=False) as rig:
        rig.useapi.set_luma_account(EMAIL, START + 5 * H)
        await rig.start_bot()
        alerts = cog(rig)
        assert alerts.scheduler.is_running()
        await rig.discord.wait_for(lambda r: r.method == "POST" and r.path.endswith("/messages"), timeout=5)
        assert stages_posted(rig) == ["Luma session expires within 6h"]
        store = rig.bot.store  # type: ignore[union-attr]
        assert await store.get_setting("scheduler_heartbeat") == str(int(START.timestamp()))

        # A pass that blows up is logged, and the loop carries on.
        await asyncio.to_thread(rename_table, rig.settings.database_path, "alert_warnings", "hidden")
        clock(rig).advance(timedelta(minutes=1))
        alerts.wake()
        await until(lambda: alerts.last_report is not None and alerts.last_report.error is not None)
        assert any("scheduler pass failed" in line for line in rig.raw_logs.lines)
        await asyncio.to_thread(rename_table, rig.settings.database_path, "hidden", "alert_warnings")
        clock(rig).set(START + 5 * H + timedelta(seconds=1))
        alerts.wake()
        await until(lambda: len(warnings(rig)) == 2)
        assert alerts.scheduler.is_running()

        await rig.bot.unload_extension("cogs.alerts")  # type: ignore[union-attr]
        assert not alerts.scheduler.is_running()
        async with store.db.execute("SELECT COUNT(*) FROM scheduler_lease") as cur:
            assert (await cur.fetchone())[0] == 0  # type: ignore[index]


class SteadyClock:
    """Real time, moved to START: the loop's sleeps are real."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def now(self) -> datetime:
        return START + timedelta(seconds=time.monotonic() - self.t0)


async def test_the_loop_sleeps_until_the_next_warning_falls_due(tmp_path: Path) -> None:
    steady = SteadyClock()
    lead = 2  # the 6h stage falls due this many seconds after START (expiries are whole seconds)
    expires = START + 6 * H + timedelta(seconds=lead)
    async with running_rig(tmp_path, clock=steady, start=False) as rig:
        rig.useapi.set_luma_account(EMAIL, expires)
        await rig.start_bot()

        def posted(stage: str) -> Any:
            return lambda r: (
                r.method == "POST" and r.path.endswith("/messages") and stage in json.dumps(r.json)
            )

        await rig.discord.wait_for(posted("within 24h"), timeout=5)  # crossed already: at once
        six = await rig.discord.wait_for(posted("within 6h"), timeout=5)
        due_at = steady.t0 + lead
        assert due_at <= six.at < due_at + 0.5  # not at the next 30 s tick
        assert stages_posted(rig) == ["Luma session expires within 24h", "Luma session expires within 6h"]


def rename_table(path: Path, old: str, new: str) -> None:
    """Another connection's write; run off the event loop so the bot's transactions can finish."""
    with sqlite3.connect(path, timeout=10) as db:
        db.execute(f"ALTER TABLE {old} RENAME TO {new}")


async def until(predicate: Any, timeout: float = 5) -> None:
    """Wait for state another task (the scheduler loop) changes; nothing to await there."""

    async def poll() -> None:
        while not predicate():  # noqa: ASYNC110 - the loop exposes no event to wait on
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


# -- /alerts commands ---------------------------------------------------------------------------


async def test_alerts_commands_are_admin_only_and_synced_that_way(rig: Rig) -> None:
    await rig.start_bot()
    synced = {c["name"]: c for c in rig.discord.synced_guild_commands[rig.discord.guild_id]}
    assert str(synced["alerts"]["default_member_permissions"]) == str(1 << 5)
    assert {o["name"] for o in synced["alerts"]["options"]} == {
        "channel",
        "stages",
        "reminders",
        "mention",
        "credits",
        "status",
        "test",
        "board",
        "digest",
        "quiet",
        "escalate",
    }
    refused = await rig.slash("alerts", "status", user=rig.discord.member_ids[0])
    assert (
        refused.data["flags"] & EPHEMERAL and "Only server admins" in (await rig.answer(refused))["content"]
    )


@pytest.mark.services("luma", "ltx")
async def test_thresholds_are_validated_stored_and_used(rig: Rig) -> None:
    expires = START + 100 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    admin = rig.discord.admin_id
    bad = await rig.slash("alerts", "stages", user=admin, service="luma", stages="7d,2x")
    assert bad.data["flags"] & EPHEMERAL and "not a duration" in (await rig.answer(bad))["content"]
    assert await rig.bot.store.get_setting("stages:luma") is None  # type: ignore[union-attr]

    good = await rig.slash("alerts", "stages", user=admin, service="luma", stages="7d, 2d,12h")
    assert (
        "7d, 48h, 12h" in (await rig.answer(good))["content"]
    )  # as the README writes stages: hours up to 72h
    # Stored as shown (parsed again at every pass); the warnings' keys still name the stage "2d".
    assert await rig.bot.store.get_setting("stages:luma") == "7d,48h,12h"  # type: ignore[union-attr]
    report = await run_pass(rig)
    assert report.sent == [key("luma", EMAIL, expires, "7d")]
    assert report.next_due == expires - 48 * H

    status = await rig.slash("alerts", "status", user=admin)
    fields = {f["name"]: f["value"] for f in (await rig.answer(status))["embeds"][0]["fields"]}
    assert (
        "Luma: 7d, 48h, 12h, expired" in fields["Stages"]
        and "LTX Studio: 72h, 24h, 6h, expired" in fields["Stages"]
    )
    assert f"<t:{int((expires - 48 * H).timestamp())}:R>" in fields["Next warnings"]
    assert "expires within 48h" in fields["Next warnings"]
    assert f"<#{rig.discord.alert_channel_id}>" in fields["Channel"] and fields["Mention"] == "nobody"

    reset = await rig.slash("alerts", "stages", user=admin, service="luma", stages="default")
    assert "72h, 24h, 6h" in (await rig.answer(reset))["content"]
    assert await rig.bot.store.get_setting("stages:luma") is None  # type: ignore[union-attr]


async def test_alerts_test_posts_a_sample_and_reports_failures(rig: Rig) -> None:
    await rig.start_bot()
    admin = rig.discord.admin_id
    done = await rig.slash("alerts", "test", user=admin)
    assert done.type == 5
    answer = await rig.followup(done)
    assert "Posted a sample warning" in answer["content"]
    (sample,) = warnings(rig)
    assert sample["embeds"][0]["title"].startswith("[Test]")
    assert sample["components"][0]["components"][0]["custom_id"] == "warden:renew:luma"

    rig.discord.fail_channel_messages(rig.discord.alert_channel_id, 403, times=1)
    done = await rig.slash("alerts", "test", user=admin)
    answer = await rig.followup(done)
    assert "could not be posted" in answer["content"] and "permission" in answer["content"]
    assert_every_post_is_mention_safe(rig)


# -- the Renew button ---------------------------------------------------------------------------


async def test_renew_opens_the_modal_for_approved_members_and_refuses_others(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 5 * H)
    await rig.start_bot()
    await run_pass(rig)
    (message,) = warnings(rig)
    approved, outsider = rig.discord.member_ids
    await grant(rig, approved)

    opened = await click(rig, "warden:renew:luma", message, approved)
    assert opened.type == 9

    refused = await click(rig, "warden:renew:luma", message, outsider)
    assert refused.type == 4 and refused.data["flags"] & EPHEMERAL
    assert "not approved" in refused.data["content"]
    audit = await rig.audited(lambda e: e.actor_id == outsider)  # answered first, audited after
    assert any(e.actor_id == outsider and e.outcome == "refused:not_approved" for e in audit)


async def test_renew_for_a_switched_off_service_says_so(tmp_path: Path) -> None:
    async with running_rig(
        tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False, services=("luma",)
    ) as rig:
        await rig.start_bot()
        # A warning from when LTX Studio was still switched on.
        message = await cog(rig).post(embed=ltx_warning_embed(), view=renew_view("ltx"))
        answer = await click(rig, "warden:renew:ltx", rig.discord.messages[message.id], rig.discord.admin_id)
        assert answer.type == 4 and answer.data["flags"] & EPHEMERAL
        assert "switched off" in answer.data["content"]


def ltx_warning_embed() -> Any:
    acc = TrackedAccount(
        service="ltx", account="x@example.com", expires_at=START + H, refresh_expires_at=None,
        concurrency=None, credits_usage=None, credits_limit=None, max_jobs=None, registered_by=None,
        registered_at=None, last_error=None, upstream_updated_at=None, first_seen_at=START,
        synced_at=START, gone_at=None,
    )  # fmt: skip
    return warning_embed(Alert(key("ltx", acc.account, START + H, "6h"), Kind.STAGE, acc, START, 6 * H))
