"""Prove the doubles have the shapes real clients need: a bare discord.py bot against the
Discord double, and httpx against the useapi.net double."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import time
from collections.abc import AsyncIterator

import aiohttp
import discord
import httpx
import pytest
import pytest_asyncio
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket

from tests.doubles.discord_double import DiscordDouble
from tests.doubles.useapi_double import UseapiDouble

BOT_TOKEN = "bot-token-for-tests"
UTC = dt.UTC

# --------------------------------------------------------------------------- a bare bot


class RegisterModal(discord.ui.Modal, title="Register Luma"):
    session = discord.ui.TextInput(label="Session cookie", custom_id="session")
    note = discord.ui.Label(text="Note", component=discord.ui.TextInput(custom_id="note", required=False))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        note = self.note.component.value  # type: ignore[attr-defined]
        interaction.client.submitted.put_nowait((self.session.value, note))  # type: ignore[attr-defined]
        await interaction.response.send_message("saved", ephemeral=True)


class RenewView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Renew", custom_id="renew")
    async def renew(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="renewing", view=None)


class SmokeBot(commands.Bot):
    def __init__(self, guild_id: int) -> None:
        # guild_ready_timeout: discord.py waits this long after the last GUILD_CREATE before on_ready.
        super().__init__(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1)
        self.guild_id = guild_id
        self.submitted: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.errors: asyncio.Queue[Exception] = asyncio.Queue()
        self.seen: list[discord.Interaction] = []

        @self.tree.command(description="Is the bot alive?")
        async def ping(interaction: discord.Interaction) -> None:
            self.seen.append(interaction)
            await interaction.response.send_message("pong", ephemeral=True)

        @self.tree.command(description="Open the registration modal")
        async def register(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(RegisterModal())

        @self.tree.command(description="Defer, then follow up")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            followup = await interaction.followup.send("done", ephemeral=True, wait=True)
            await followup.edit(content="done!")
            await interaction.edit_original_response(content="finished")
            assert (await interaction.original_response()).content == "finished"

        @self.tree.command(description="Answer too late")
        @app_commands.describe(delay="seconds to wait")
        async def late(interaction: discord.Interaction, delay: float) -> None:
            await asyncio.sleep(delay)
            try:
                await interaction.response.send_message("too late")
            except discord.HTTPException as exc:
                self.errors.put_nowait(exc)

        access = app_commands.Group(name="access", description="Who may use the bot")

        @access.command(description="Allow a member")
        async def grant(
            interaction: discord.Interaction, member: discord.Member, note: str | None = None
        ) -> None:
            self.seen.append(interaction)
            await interaction.response.send_message(f"granted {member.id} {note}", ephemeral=True)

        self.tree.add_command(access)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        pass  # discord.py sleeps 5 s before every re-IDENTIFY; not needed against the double

    async def setup_hook(self) -> None:
        self.add_view(RenewView())
        guild = discord.Object(self.guild_id)
        self.tree.copy_global_to(guild=guild)
        await self.tree.sync(guild=guild)


@pytest_asyncio.fixture
async def env() -> AsyncIterator[tuple[DiscordDouble, SmokeBot]]:
    old_base, old_gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    try:
        async with DiscordDouble(token=BOT_TOKEN) as dd:
            discord.http.Route.BASE = dd.api_base
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(dd.gateway_url)
            bot = SmokeBot(dd.guild_id)
            task = asyncio.create_task(bot.start(BOT_TOKEN))
            ready = asyncio.create_task(bot.wait_until_ready())
            try:
                done, _ = await asyncio.wait({task, ready}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
                if task in done:
                    task.result()  # start() ended early: raise its error instead of a timeout
                assert ready in done, "the bot did not become ready within 5 s"
                yield dd, bot
            finally:
                ready.cancel()
                await bot.close()
                await asyncio.wait_for(task, 5)
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


async def eventually(condition, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


# --------------------------------------------------------------------------- Discord double


@pytest.mark.asyncio
async def test_login_identify_and_sync(env: tuple[DiscordDouble, SmokeBot]) -> None:
    dd, bot = env
    me = dd.requests_to("GET", "/users/@me")[0]
    assert me.headers["Authorization"] == f"Bot {BOT_TOKEN}"
    assert dd.requests_to("GET", "/oauth2/applications/@me")
    sync = dd.requests_to("PUT", rf"/applications/{dd.application_id}/guilds/{dd.guild_id}/commands")
    assert [c["name"] for c in sync[0].json] == ["ping", "register", "slow", "late", "access"]
    assert all(c["id"] and c["guild_id"] == str(dd.guild_id) for c in dd.synced_guild_commands[dd.guild_id])
    identify = next(f for f in dd.gateway_received if f["op"] == 2)
    assert identify["d"]["token"] == BOT_TOKEN
    assert dd.gateway_connections[0].query == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    assert dd.gateway_connections[0].compression == "zlib-stream"
    assert bot.user.id == dd.bot_user_id
    guild = bot.get_guild(dd.guild_id)
    assert guild is not None and guild.get_channel(dd.alert_channel_id) is not None
    assert guild.me is not None and guild.get_role(dd.admin_role_id).permissions.manage_guild
    assert dd.unknown_routes == []


@pytest.mark.asyncio
async def test_ephemeral_reply(env: tuple[DiscordDouble, SmokeBot]) -> None:
    dd, bot = env
    payload = dd.slash_command("ping")
    assert payload["data"]["guild_id"] == str(dd.guild_id)  # resolved from the synced guild command
    iid = await dd.dispatch_interaction(payload)
    cb = await dd.wait_for_callback(iid)
    assert cb.request.query == {"with_response": "1"}
    assert (cb.type, cb.data["flags"], cb.data["content"]) == (4, 64, "pong")
    assert 0 <= cb.latency < 1
    assert dd.messages_for(iid)[0]["content"] == "pong"
    admin = bot.seen[-1]
    assert admin.user.id == dd.admin_id and admin.permissions.manage_guild and admin.channel is not None

    await dd.wait_for_callback(await dd.dispatch_interaction(dd.slash_command("ping", user=dd.member_ids[0])))
    member = bot.seen[-1]
    assert not member.permissions.manage_guild and dd.role_id in [r.id for r in member.user.roles]


@pytest.mark.asyncio
async def test_subcommand_with_member_option(env: tuple[DiscordDouble, SmokeBot]) -> None:
    dd, bot = env
    target = dd.member_ids[0]
    payload = dd.slash_command("access", subcommand="grant", options={"member": target, "note": "hi"})
    option = payload["data"]["options"][0]
    assert option["type"] == 1 and option["options"][0] == {"name": "member", "type": 6, "value": str(target)}
    assert str(target) in payload["data"]["resolved"]["members"]
    cb = await dd.wait_for_callback(await dd.dispatch_interaction(payload))
    assert cb.data["content"] == f"granted {target} hi"
    member = bot.seen[-1].namespace.member
    assert isinstance(member, discord.Member) and member.id == target
    with pytest.raises(ValueError):
        dd.slash_command("access", subcommand="grant", options={"typo": 1})


@pytest.mark.asyncio
async def test_modal_open_and_submit(env: tuple[DiscordDouble, SmokeBot]) -> None:
    dd, bot = env
    iid = await dd.dispatch_interaction(dd.slash_command("register", user=dd.member_ids[0]))
    cb = await dd.wait_for_callback(iid)
    assert cb.type == 9
    rows = cb.data["components"]
    assert rows[0]["type"] == 1 and rows[0]["components"][0]["custom_id"] == "session"
    assert rows[1]["type"] == 18 and rows[1]["component"]["custom_id"] == "note"

    submit = dd.modal_submit_for(cb, {"session": "mK8jP2xZc9AfQw3LnT7vYbE1R"})
    assert submit["member"]["user"]["id"] == str(dd.member_ids[0])
    sid = await dd.dispatch_interaction(submit)
    assert await asyncio.wait_for(bot.submitted.get(), 5) == ("mK8jP2xZc9AfQw3LnT7vYbE1R", "")
    assert (await dd.wait_for_callback(sid)).data["content"] == "saved"

    # Hand-built submits reach on_submit too, in both layouts. A modal is gone once submitted,
    # so open a fresh one each time.
    for labels in (False, True):
        opened = await dd.wait_for_callback(await dd.dispatch_interaction(dd.slash_command("register")))
        again = dd.modal_submit(
            opened.data["custom_id"], {"session": f"s{labels}", "note": "n"}, labels=labels
        )
        await dd.dispatch_interaction(again)
        assert await asyncio.wait_for(bot.submitted.get(), 5) == (f"s{labels}", "n")
    with pytest.raises(KeyError):
        dd.modal_submit_for(cb, {"nope": "x"})


@pytest.mark.asyncio
async def test_defer_then_followup(env: tuple[DiscordDouble, SmokeBot]) -> None:
    dd, _ = env
    iid = await dd.dispatch_interaction(dd.slash_command("slow"))
    cb = await dd.wait_for_callback(iid)
    assert (cb.type, cb.data["flags"]) == (5, 64)
    token = cb.request.path.split("/")[3]
    follow = await dd.wait_for(
        lambda r: r.method == "POST" and r.path == f"/webhooks/{dd.application_id}/{token}"
    )
    assert follow.json["content"] == "done" and follow.json["flags"] == 64
    await dd.wait_for(lambda r: r.method == "GET" and r.path.endswith("/messages/@original"))
    assert [m["content"] for m in dd.messages_for(iid)] == ["finished", "done!"]
    assert dd.messages_for(iid)[0]["flags"] == 64  # loading flag cleared by the edit
    assert dd.unknown_routes == []


@pytest.mark.asyncio
async def test_late_response_is_unknown_interaction(env: tuple[DiscordDouble, SmokeBot]) -> None:
    dd, bot = env
    dd.interaction_deadline = 0.05
    await dd.dispatch_interaction(dd.slash_command("late", options={"delay": 0.15}))
    err = await asyncio.wait_for(bot.errors.get(), 5)
    assert isinstance(err, discord.NotFound) and err.code == 10062


@pytest.mark.asyncio
async def test_dm_command(env: tuple[DiscordDouble, SmokeBot]) -> None:
    dd, _ = env
    payload = dd.slash_command("ping", guild=False, user=dd.member_ids[1])
    assert "guild_id" not in payload and payload["context"] == 1 and payload["user"]
    cb = await dd.wait_for_callback(await dd.dispatch_interaction(payload))
    assert cb.type == 4


@pytest.mark.asyncio
async def test_channel_messages_and_faults(env: tuple[DiscordDouble, SmokeBot]) -> None:
    dd, bot = env
    channel = bot.get_channel(dd.alert_channel_id)
    sent = await channel.send("expiry soon")
    assert dd.channel_messages[dd.alert_channel_id][0]["id"] == str(sent.id)

    dd.fail_channel_messages(dd.alert_channel_id, 403, times=1)
    with pytest.raises(discord.Forbidden) as forbidden:
        await channel.send("x")
    assert forbidden.value.code == 50013

    posts = rf"/channels/{dd.alert_channel_id}/messages"
    before = len(dd.requests_to("POST", posts))
    dd.fail_channel_messages(dd.alert_channel_id, 429, times=1, retry_after=0.05)
    await channel.send("after rate limit")  # discord.py sleeps retry_after and retries
    assert len(dd.requests_to("POST", posts)) == before + 2
    assert [m["content"] for m in dd.channel_messages[dd.alert_channel_id]] == [
        "expiry soon",
        "after rate limit",
    ]

    await channel.send("with file", file=discord.File(io.BytesIO(b"\x00\xffdata"), filename="log.bin"))
    upload = dd.requests_to("POST", posts)[-1]
    assert upload.headers["Content-Type"].startswith("multipart/form-data")
    assert upload.json["content"] == "with file" and upload.files[0]["data"] == b"\x00\xffdata"
    assert dd.channel_messages[dd.alert_channel_id][-1]["attachments"][0]["filename"] == "log.bin"

    dd.fail_channel_messages(dd.alert_channel_id, 404, times=1)
    with pytest.raises(discord.NotFound) as missing:
        await channel.send("x")
    assert missing.value.code == 10003

    await dd.delete_channel(dd.alert_channel_id)  # CHANNEL_DELETE reaches the cache
    await eventually(lambda: bot.get_channel(dd.alert_channel_id) is None)
    with pytest.raises(discord.NotFound):
        await channel.send("x")


@pytest.mark.asyncio
async def test_a_repeated_nonce_returns_the_first_message_within_the_window(
    env: tuple[DiscordDouble, SmokeBot],
) -> None:
    dd, bot = env
    channel = bot.get_channel(dd.alert_channel_id)
    first = await channel.send("warning", nonce="w-same-warning")  # discord.py sets enforce_nonce
    again = await channel.send("warning", nonce="w-same-warning")
    assert again.id == first.id and len(dd.channel_messages[dd.alert_channel_id]) == 1
    assert len(dd.deduplicated) == 1 and dd.deduplicated[0].json["enforce_nonce"] is True

    other = await channel.send("warning", nonce="w-other-warning")
    elsewhere = await bot.get_channel(dd.general_channel_id).send("warning", nonce="w-same-warning")
    assert len({first.id, other.id, elsewhere.id}) == 3  # per nonce, per channel

    dd.nonce_window = 0  # Discord forgets nonces after a few minutes
    await asyncio.sleep(0.01)
    later = await channel.send("warning", nonce="w-same-warning")
    assert later.id != first.id

    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("warning", nonce="n" * 26)
    assert too_long.value.status == 400 and too_long.value.code == 50035


@pytest.mark.asyncio
async def test_button_click_updates_message(env: tuple[DiscordDouble, SmokeBot]) -> None:
    dd, bot = env
    sent = await bot.get_channel(dd.alert_channel_id).send("Session expires soon", view=RenewView())
    stored = dd.messages[sent.id]
    assert stored["components"][0]["components"][0]["custom_id"] == "renew"
    cb = await dd.wait_for_callback(await dd.dispatch_interaction(dd.button_click("renew", sent.id)))
    assert cb.type == 7
    assert dd.messages[sent.id]["content"] == "renewing" and dd.messages[sent.id]["components"] == []


@pytest.mark.asyncio
async def test_gateway_resume_and_reidentify(env: tuple[DiscordDouble, SmokeBot]) -> None:
    dd, _ = env
    dispatched = []
    for code in (4000, 1000, None):  # close codes discord.py resumes after; None drops the TCP link
        await dd.disconnect_gateway(code)
        dispatched.append(await dd.dispatch_interaction(dd.slash_command("ping")))  # replayed on RESUME
        await dd.wait_until_ready()
        dispatched.append(await dd.dispatch_interaction(dd.slash_command("ping")))
    for iid in dispatched:
        assert (await dd.wait_for_callback(iid)).type == 4
        assert len(dd.callbacks_for(iid)) == 1
    assert (dd.identify_count, dd.resume_count) == (1, 3)

    await dd.disconnect_gateway(4000, resumable=False)  # RESUME gets op 9 -> a fresh IDENTIFY
    await dd.wait_until_ready()
    cb = await dd.wait_for_callback(await dd.dispatch_interaction(dd.slash_command("ping")))
    assert cb.type == 4 and dd.identify_count == 2


@pytest.mark.asyncio
async def test_gateway_without_compression_sends_text() -> None:
    async with (
        DiscordDouble() as dd,
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{dd.gateway_url}?v=10&encoding=json") as ws,  # no compress= asked
    ):
        hello = await ws.receive(timeout=2)
        assert hello.type is aiohttp.WSMsgType.TEXT and hello.json()["op"] == 10
        await ws.send_json({"op": 1, "d": None})
        assert (await ws.receive(timeout=2)).json() == {"op": 11, "s": None, "t": None, "d": None}


@pytest.mark.asyncio
async def test_unknown_route_is_recorded() -> None:
    old_base = discord.http.Route.BASE
    async with DiscordDouble() as dd:
        discord.http.Route.BASE = dd.api_base
        http = discord.http.HTTPClient(asyncio.get_running_loop())
        try:
            await http.static_login("any-token")
            with pytest.raises(discord.NotFound) as exc:
                await http.request(discord.http.Route("GET", "/stickers/{sticker_id}", sticker_id=1))
            assert exc.value.code == 0 and "404" in exc.value.text
            assert [(r.method, r.path) for r in dd.unknown_routes] == [("GET", "/stickers/1")]
        finally:
            await http.close()
            discord.http.Route.BASE = old_base


@pytest.mark.asyncio
async def test_bad_token_fails_login() -> None:
    old_base = discord.http.Route.BASE
    async with DiscordDouble(token="right") as dd:
        discord.http.Route.BASE = dd.api_base
        http = discord.http.HTTPClient(asyncio.get_running_loop())
        try:
            with pytest.raises(discord.LoginFailure):
                await http.static_login("wrong")
        finally:
            await http.close()
            discord.http.Route.BASE = old_base


# --------------------------------------------------------------------------- useapi.net double

SESSION = "mK8jP2xZc9AfQw3LnT7vYbE1R"
LUMA_EXPIRES = dt.datetime(2026, 5, 27, 0, 28, 17, tzinfo=UTC)
LTX_TOKEN_EXPIRE = dt.datetime(2025, 8, 26, 8, 37, 0, tzinfo=UTC)
LTX_REFRESH_EXPIRE = dt.datetime(2025, 9, 25, 8, 37, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def ua() -> AsyncIterator[tuple[UseapiDouble, httpx.AsyncClient]]:
    async with UseapiDouble() as double:
        headers = {"Authorization": f"Bearer {double.token}"}
        async with httpx.AsyncClient(base_url=double.base_url, headers=headers, timeout=5) as client:
            yield double, client


@pytest.mark.asyncio
async def test_useapi_bearer_check(ua: tuple[UseapiDouble, httpx.AsyncClient]) -> None:
    double, client = ua
    for bad in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": double.token}):
        async with httpx.AsyncClient(base_url=double.base_url, headers=bad) as anon:
            luma = await anon.get("/v1/luma/accounts")
            ltx = await anon.post("/v1/ltxstudio/accounts", json={"cookie": "x"})
        assert (luma.status_code, luma.json()) == (401, {"error": "Unauthorized"})
        assert (ltx.status_code, ltx.json()) == (401, {"error": "Unauthorized", "code": 401})
    await client.post("/v1/luma/accounts", json={"session": SESSION})
    assert double.requests[-1].headers["Authorization"] == f"Bearer {double.token}"
    assert double.requests[-1].json == {"session": SESSION}


@pytest.mark.asyncio
async def test_useapi_luma_routes(ua: tuple[UseapiDouble, httpx.AsyncClient]) -> None:
    double, client = ua
    empty = await client.get("/v1/luma/accounts")
    assert (empty.status_code, empty.content) == (404, b"")

    double.add_luma_session(
        SESSION,
        "user@example.com",
        LUMA_EXPIRES,
        concurrency=4,
        user_id="9ecac364-4b63-5b61-9241-297345710d63",
    )
    first = await client.post("/v1/luma/accounts", json={"session": SESSION})
    assert first.status_code == 200
    assert first.json() == {
        "account": "user@example.com",
        "user_id": "9ecac364-4b63-5b61-9241-297345710d63",
        "concurrency": 4,
        "luma_session_expires": "2026-05-27 00:28:17 UTC",
        "credits": {"usage": 20, "limit": 10000},
        "created": True,
    }
    assert (await client.post("/v1/luma/accounts", json={"session": SESSION})).json()["created"] is False
    multipart = await client.post("/v1/luma/accounts", files={"session": (None, SESSION)})
    assert multipart.status_code == 200 and double.requests[-1].json == {"session": SESSION}

    unknown = await client.post("/v1/luma/accounts", json={"session": "not-registered"})
    assert (unknown.status_code, unknown.json()) == UseapiDouble.LUMA_INVALID_SESSION
    missing = await client.post("/v1/luma/accounts", json={})
    assert (missing.status_code, missing.json()) == (400, {"error": "Parameter session is required"})

    listing = (await client.get("/v1/luma/accounts")).json()
    entry = listing["user@example.com"]
    assert entry["account"] == entry["email"] == "user@example.com"
    assert entry["luma_session_expires"] == "2026-05-27 00:28:17 UTC" and entry["refresh_count"] == 0
    assert {"updated", "executing", "concurrency", "user_id"} <= set(entry)

    later = LUMA_EXPIRES + dt.timedelta(days=30)
    double.set_luma_expiry("user@example.com", later)  # useapi.net refreshed the session
    double.set_luma_error("user@example.com", "Session expired")
    one = (await client.get("/v1/luma/accounts/user%40example.com")).json()
    assert one["luma_session_expires"] == "2026-06-26 00:28:17 UTC" and one["refresh_count"] == 1
    assert (
        one["error"] == "Session expired" and one["sessionValid"] is False and SESSION not in one["session"]
    )

    double.set_luma_account("other@example.com", LUMA_EXPIRES)  # configured outside the bot
    deleted = await client.delete("/v1/luma/accounts/user@example.com")
    assert deleted.json() == {"account": "user@example.com", "deleted": True, "remaining": 1}
    gone = await client.delete("/v1/luma/accounts/user@example.com")
    assert (gone.status_code, gone.content) == (404, b"")
    assert (await client.get("/v1/luma/accounts/user@example.com")).status_code == 404


@pytest.mark.asyncio
async def test_useapi_ltx_routes(ua: tuple[UseapiDouble, httpx.AsyncClient]) -> None:
    double, client = ua
    none = await client.get("/v1/ltxstudio/accounts")
    assert none.status_code == 404 and none.json()["code"] == 404

    double.add_ltx_cookie("eyJtoken", "ltx@example.com", LTX_TOKEN_EXPIRE, LTX_REFRESH_EXPIRE)
    cookie = "lt_id=user123; lt_token=eyJtoken; lt_refresh_token=abc123"
    posted = await client.post("/v1/ltxstudio/accounts", json={"cookie": cookie, "maxJobs": 5})
    body = posted.json()
    assert posted.status_code == 200
    assert body["email"] == "ltx@example.com" and body["maxJobs"] == 5
    assert body["cookie"] == {"lt_id": "user123", "lt_token": "…secured…", "lt_refresh_token": "…secured…"}
    assert body["tokenExpire"] == 1756197420000 and body["tokenExpireUTC"] == "2025-08-26T08:37:00.000Z"
    assert body["refreshTokenExpire"] == 1758789420000
    assert body["refreshTokenExpireUTC"] == "2025-09-25T08:37:00.000Z"
    assert isinstance(body["updated"], int) and body["updatedUTC"].endswith("Z")

    bad = await client.post("/v1/ltxstudio/accounts", json={"cookie": "lt_id=user123"})
    assert bad.json() == {"error": "Missing required cookie fields: lt_token | lt_refresh_token", "code": 400}
    half = await client.post("/v1/ltxstudio/accounts", json={"cookie": "lt_token=eyJtoken"})
    assert half.json()["error"] == "Missing required cookie fields: lt_refresh_token"

    listing = (await client.get("/v1/ltxstudio/accounts")).json()
    assert listing["ltx@example.com"]["tokenExpireUTC"] == "2025-08-26T08:37:00.000Z"
    assert "refreshTokenExpire" not in listing["ltx@example.com"]  # as the documented GET model

    double.set_ltx_expiry("ltx@example.com", token_expire=LTX_TOKEN_EXPIRE + dt.timedelta(days=1))
    one = (await client.get("/v1/ltxstudio/accounts/ltx@example.com")).json()
    assert one["tokenExpireUTC"] == "2025-08-27T08:37:00.000Z" and one["balance"] == {"LTXStudio_token": 150}
    assert (await client.get("/v1/ltxstudio/accounts/nobody@example.com")).status_code == 404

    double.retire_ltx()
    retired = await client.post("/v1/ltxstudio/accounts", json={"cookie": cookie})
    assert retired.status_code == 404 and retired.headers["content-type"].startswith("text/plain")
    double.retire_ltx(410)
    assert (await client.get("/v1/ltxstudio/accounts")).status_code == 410
    double.restore_ltx()
    assert (await client.get("/v1/ltxstudio/accounts")).status_code == 200


@pytest.mark.asyncio
async def test_useapi_faults(ua: tuple[UseapiDouble, httpx.AsyncClient]) -> None:
    double, client = ua
    path = "/v1/luma/accounts"
    double.set_luma_account("a@example.com", LUMA_EXPIRES)

    double.inject("GET", path, status=429, headers={"Retry-After": "7"})
    limited = await client.get(path)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    assert (await client.get(path)).status_code == 200  # times=1: back to normal

    double.inject("GET", path, status=500, times=2)
    assert [(await client.get(path)).status_code for _ in range(3)] == [500, 500, 200]
    for status in (502, 503):
        double.inject("GET", path, status=status)
        answer = await client.get(path)
        assert answer.status_code == status and answer.headers["content-type"].startswith("text/html")

    double.inject("GET", path, malformed=True)
    broken = await client.get(path)
    assert broken.status_code == 200 and broken.text == "{not json"

    double.inject("GET", path, body={"a@example.com": {"luma_session_expires": 12345, "concurrency": "four"}})
    assert (await client.get(path)).json()["a@example.com"]["concurrency"] == "four"

    double.inject("*", r"/v1/luma/.*", body=UseapiDouble.big_json(5 * 1024 * 1024))
    assert len((await client.get(path)).content) > 5 * 1024 * 1024

    double.inject("GET", path, delay=0.2)
    started = time.monotonic()
    assert (await client.get(path)).status_code == 200
    assert time.monotonic() - started >= 0.2

    double.inject("GET", path, hang=True)
    with pytest.raises(httpx.ReadTimeout):
        await client.get(path, timeout=0.2)
    assert len(double.requests_to("GET", path)) == 12


@pytest.mark.asyncio
async def test_replies_and_edits_behave_like_discord(env: tuple[DiscordDouble, SmokeBot]) -> None:
    dd, bot = env
    channel = bot.get_channel(dd.alert_channel_id)
    first = await channel.send("warning", embed=discord.Embed(title="Expires soon"), view=RenewView())

    # Edit Message: only the fields sent change; null clears; an unknown message is 404 10008.
    edited = await first.edit(content="resolved")
    assert edited.content == "resolved" and dd.messages[first.id]["embeds"][0]["title"] == "Expires soon"
    assert dd.messages[first.id]["components"] and dd.messages[first.id]["edited_timestamp"]
    await first.edit(view=None, embed=None)
    assert dd.messages[first.id]["components"] == [] and dd.messages[first.id]["embeds"] == []
    with pytest.raises(discord.NotFound) as unknown:
        await channel.get_partial_message(first.id + 1).edit(content="x")
    assert unknown.value.code == 10008
    dd.fail_channel_messages(dd.alert_channel_id, 403, times=1)
    with pytest.raises(discord.Forbidden):
        await first.edit(content="refused")
    assert dd.messages[first.id]["content"] == "resolved"

    # Replies: type 19 with the reference; an unknown message is 400 50035 unless told otherwise.
    answer = await channel.send("reminder", reference=first)
    stored = dd.messages[answer.id]
    assert stored["type"] == 19 and stored["message_reference"]["message_id"] == str(first.id)
    assert stored["referenced_message"]["id"] == str(first.id)
    missing = discord.MessageReference(message_id=first.id + 1, channel_id=dd.alert_channel_id)
    with pytest.raises(discord.HTTPException) as bad:
        await channel.send("reminder", reference=missing)
    assert bad.value.status == 400 and bad.value.code == 50035
    lenient = discord.MessageReference(
        message_id=first.id + 1, channel_id=dd.alert_channel_id, fail_if_not_exists=False
    )
    plain = await channel.send("reminder", reference=lenient)
    assert dd.messages[plain.id]["type"] == 0 and "message_reference" not in dd.messages[plain.id]


async def test_direct_messages_and_mentions_behave_like_discord(env: tuple[DiscordDouble, SmokeBot]) -> None:
    from tests.doubles.discord_double import pinged

    dd, bot = env
    member, other = dd.member_ids
    # A DM to a member: the channel opens; sending works until the member closes their DMs (50007).
    dm = await bot.create_dm(discord.Object(member))
    sent = await dm.send("early warning")
    assert [m["id"] for m in dd.dm_messages(member)] == [str(sent.id)]
    dd.close_dms(member)
    with pytest.raises(discord.Forbidden) as closed:
        await dm.send("again")
    assert closed.value.status == 403 and closed.value.code == 50007
    assert len(dd.dm_messages(member)) == 1
    dd.close_dms(member, closed=False)
    await dm.send("open again")

    channel = bot.get_channel(dd.alert_channel_id)
    # Only what allowed_mentions lets through pings; naming a user the content lacks is fine.
    only = discord.AllowedMentions(
        everyone=False, users=[discord.Object(member), discord.Object(other)], roles=False
    )
    message = await channel.send(f"<@&{dd.role_id}> <@{member}> @everyone", allowed_mentions=only)
    assert pinged(dd.messages[message.id]) == ({member}, set(), False)
    # Without allowed_mentions, everything in the content pings (so the bot always sends them).
    loud = await channel.send(f"<@&{dd.role_id}> @here", allowed_mentions=discord.AllowedMentions.all())
    assert pinged(dd.messages[loud.id]) == (set(), {dd.role_id}, True)
    # parse "users" beside a users list is refused, as Discord does.
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=dd.alert_channel_id)
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.request(
            route,
            json={
                "content": f"<@{member}>",
                "allowed_mentions": {"parse": ["users"], "users": [str(member)]},
            },
        )
    assert refused.value.status == 400 and refused.value.code == 50035
