"""A local double of Discord's REST API and gateway, good enough for a real discord.py 2.7 client.

Point a bot at it::

    async with DiscordDouble() as dd:
        discord.http.Route.BASE = dd.api_base                      # REST + interaction webhooks
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(dd.gateway_url)  # first gateway dial
        ...start the bot...; await dd.wait_until_ready()
        iid = await dd.dispatch_interaction(dd.slash_command("ping"))
        cb = await dd.wait_for_callback(iid)          # cb.type == 4, cb.data["flags"] == 64

Identity (class constants, each overridable in the constructor): APPLICATION_ID, BOT_USER_ID,
GUILD_ID, ALERT_CHANNEL_ID, GENERAL_CHANNEL_ID, OWNER_ID (guild + app owner), ADMIN_ID (has the
admin role with MANAGE_GUILD), MEMBER_IDS (plain members; the first one has ROLE_ID),
ADMIN_ROLE_ID, ROLE_ID, BOT_ROLE_ID. `dd.members` maps user id -> FakeMember.

Recording: `dd.requests` (list of Recorded, path relative to /api/v10), `requests_to(method,
path_regex)`, `await wait_for(predicate, timeout)`, `callbacks_for(iid)`, `await
wait_for_callback(iid, timeout)` -> CallbackResult(request, latency), `messages_for(iid)`,
`unknown_routes`, `gateway_received` (frames the client sent), `gateway_connections`.

State: `synced_commands` (global, last PUT), `synced_guild_commands[guild_id]`, `messages` (id ->
message), `channel_messages[channel_id]` (messages created by POST /channels/{id}/messages),
`channels`, `identify_count`, `resume_count`.

Gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeat ACK, RESUME -> replay + RESUMED,
REQUEST_GUILD_MEMBERS -> GUILD_MEMBERS_CHUNK. `?compress=zlib-stream` is honoured (zlib,
Z_SYNC_FLUSH per message); other compression values get plain text frames, which discord.py
also accepts. `await disconnect_gateway(code=4000, resumable=True)` (code=None drops the TCP
connection), `await wait_until_ready()`, `await dispatch(event, data)`.

Interactions: builders `slash_command(...)`, `modal_submit(...)`, `modal_submit_for(callback,
values)`, `button_click(...)` return complete payloads; `await dispatch_interaction(payload)`
returns the id. Initial responses later than `interaction_deadline` (3 s, like Discord) get 404
Unknown interaction. A modal (callback type 9) is checked as Discord checks it (`_modal_problem`:
1-5 top-level action rows, labels or text displays, within their limits); else 400.

Faults: `fail_channel_messages(channel_id, status, times=None, retry_after=None, code=None)`,
`clear_channel_faults()`, `await delete_channel(channel_id)`, `await go_away()` / `await
come_back()` (REST and gateway unreachable, then back on the same port),
`slow_channel_answers(channel_id, seconds, edits=False)` (the message is created, or with
`edits` edited, at once; the answer comes late), `slow_interaction_answers(seconds,
interaction_id=None)` (an interaction's callback, follow-ups and edits of its answer are applied
when they arrive and answered late: a slow Discord taking a button's answer).

Edits: PATCH /channels/{id}/messages/{id} updates only the fields sent (null clears one), 404
Unknown Message (10008) for a message it doesn't hold, and answers a channel fault first (so
`fail_channel_messages(channel, 403)` refuses edits too). `edits` lists the accepted ones.

Replies: a `message_reference` on create must name a message of that channel; otherwise 400
Invalid Form Body (50035, `errors.message_reference`), unless `fail_if_not_exists` is false:
then a plain message is created. A reply is type 19 with `referenced_message`.

Message bodies: every create and edit (channel messages, interaction responses, follow-ups) is
checked as Discord checks it (`_components.message_problem`): components v2 (IS_COMPONENTS_V2:
components only, at most 40 of them in all, 4000 characters of text), the older action rows,
content of at most 2000 characters; a refused body is 400 Invalid Form Body (50035) with
Discord's error entry, and nothing is created or changed.

Direct messages: POST /users/@me/channels opens (or finds) the bot's DM channel with a member
(`dm_channel_id(user)`); `close_dms(user)` makes sending there answer 403 Cannot send messages
to this user (50007), as Discord does for a member whose privacy settings close DMs (opening
the channel still works, as on Discord). `dm_messages(user)` lists what the member received.

Mentions: a created message's `mentions`, `mention_roles` and `mention_everyone` say whom Discord
would notify: a `<@id>` / `<@&id>` / `@everyone` / `@here` in the content that `allowed_mentions`
lets through (everything, without `allowed_mentions`). `allowed_mentions` naming a user or role
the content doesn't mention is fine (Discord ignores it); `parse` holding "users" (or "roles")
beside a `users` (or `roles`) list, an unknown `parse` value, or more than 100 ids answers 400
(50035), as Discord does. `pinged(message)` reads the three back.

Nonces: POST /channels/{id}/messages with `enforce_nonce` and a `nonce` (at most 25 characters,
else 400) that the bot already used in that channel within `nonce_window` seconds (300) answers
200 with that existing message and creates none, as Discord documents; such requests are listed
in `deduplicated`. Unknown routes answer 404 with a
Discord-style error and are listed in `unknown_routes`. With `token=` set, REST calls without
`Authorization: Bot <token>` get 401 (discord.py raises LoginFailure) and IDENTIFY is closed 4004.

Every JSON answer has Content-Type exactly `application/json`; discord.py parses nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import math
import re
import secrets
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import WSMsgType, web

from ._common import LocalServer, Recorded, Recorder, json_response, read_request
from ._components import IS_COMPONENTS_V2, message_problem

DISCORD_EPOCH_MS = 1420070400000

# Permission bits used below (see discord.Permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
EVERYONE_PERMS = (
    (1 << 0)
    | (1 << 6)
    | (1 << 10)
    | (1 << 11)
    | (1 << 14)
    | (1 << 15)
    | (1 << 16)
    | (1 << 18)
    | (1 << 20)
    | (1 << 21)
    | (1 << 26)
    | (1 << 31)
)  # create invite, reactions, view, send, embed, attach, history, ext emoji, connect, speak, nick, app cmds
BOT_PERMS = (
    EVERYONE_PERMS | (1 << 13) | (1 << 17) | (1 << 38)
)  # + manage messages, mention all, send in threads
ALL_PERMS = (1 << 53) - 1

JSONDict = dict[str, Any]


@dataclass
class FakeMember:
    id: int
    username: str
    roles: tuple[int, ...] = ()
    nick: str | None = None
    bot: bool = False


class CallbackResult(NamedTuple):
    request: Recorded
    latency: float  # seconds from dispatch_interaction to the callback's arrival

    @property
    def type(self) -> int:
        return int(self.request.json["type"])

    @property
    def data(self) -> JSONDict:
        return self.request.json.get("data") or {}


@dataclass
class _Interaction:
    payload: JSONDict
    dispatched_at: float
    acked: bool = False
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)


@dataclass
class _ChannelFault:
    status: int
    times: int | None
    retry_after: float | None
    code: int | None
    message: str | None


@dataclass
class GatewayConnection:
    """One websocket connection; `query` shows what discord.py asked for (v, encoding, compress)."""

    ws: web.WebSocketResponse
    request: web.Request
    query: dict[str, str]
    compression: str | None  # "zlib-stream" when frames are compressed, else None
    _zlib: Any = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, frame: JSONDict) -> None:
        text = json.dumps(frame)
        async with self._lock:  # compression state and frame order must stay in step
            if self.ws.closed:
                return
            try:
                if self._zlib is not None:
                    data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(text)
            except ConnectionError:  # peer vanished; dispatches stay buffered for a RESUME
                pass


@dataclass
class _Session:
    id: str
    seq: int = 0
    frames: list[JSONDict] = field(default_factory=list)  # every dispatch, for RESUME replay
    conn: GatewayConnection | None = None


def _snowflake_factory() -> Callable[[], int]:
    counter = 0

    def make() -> int:
        nonlocal counter
        counter = (counter + 1) % 4096
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (1 << 17) | counter

    return make


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _error(status: int, message: str, code: int = 0, headers: dict[str, str] | None = None) -> web.Response:
    return json_response({"message": message, "code": code}, status, headers)


_CHANNEL_ERRORS = {
    403: ("Missing Permissions", 50013),
    404: ("Unknown Channel", 10003),
    400: ("Cannot send an empty message", 50006),
    500: ("500: Internal Server Error", 0),
    503: ("503: Service Unavailable", 0),
}

Handler = Callable[..., Awaitable[web.StreamResponse]]

# Discord deduplicates message creation by nonce (with enforce_nonce) over "the past few minutes".
NONCE_WINDOW = 300.0
MAX_NONCE_LENGTH = 25


class DiscordDouble:
    APPLICATION_ID = 1300000000000000001
    BOT_USER_ID = 1300000000000000001  # Discord gives new bots the application's id
    GUILD_ID = 1300000000000000100
    ALERT_CHANNEL_ID = 1300000000000000200
    GENERAL_CHANNEL_ID = 1300000000000000201
    OWNER_ID = 1300000000000000300
    ADMIN_ID = 1300000000000000301
    MEMBER_IDS = (1300000000000000302, 1300000000000000303)
    ADMIN_ROLE_ID = 1300000000000000400
    ROLE_ID = 1300000000000000401
    BOT_ROLE_ID = 1300000000000000402
    ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

    def __init__(
        self,
        *,
        token: str | None = None,
        application_id: int = APPLICATION_ID,
        bot_user_id: int = BOT_USER_ID,
        guild_id: int = GUILD_ID,
        alert_channel_id: int = ALERT_CHANNEL_ID,
        general_channel_id: int = GENERAL_CHANNEL_ID,
        owner_id: int = OWNER_ID,
        admin_id: int = ADMIN_ID,
        member_ids: tuple[int, ...] = MEMBER_IDS,
        admin_role_id: int = ADMIN_ROLE_ID,
        role_id: int = ROLE_ID,
        bot_role_id: int = BOT_ROLE_ID,
        bot_name: str = "Session Warden",
        guild_name: str = "Warden Test Guild",
        heartbeat_interval: int = 41250,
        interaction_deadline: float | None = 3.0,
        allowed_intents: int | None = None,
        port: int = 0,
        nonce_window: float = NONCE_WINDOW,
    ) -> None:
        """`token`: if set, REST calls and IDENTIFY must carry it (else 401 / close 4004).
        `allowed_intents`: if set, IDENTIFY asking for other privileged intents is closed with 4014.
        `port`: listen there (known before `start`, so a bot can be pointed at it first), else
        on a random free port. `nonce_window`: seconds a message nonce is remembered for."""
        self.token = token
        self.application_id = application_id
        self.bot_user_id = bot_user_id
        self.guild_id = guild_id
        self.alert_channel_id = alert_channel_id
        self.general_channel_id = general_channel_id
        self.owner_id = owner_id
        self.admin_id = admin_id
        self.member_ids = tuple(member_ids)
        self.admin_role_id = admin_role_id
        self.role_id = role_id
        self.bot_role_id = bot_role_id
        self.bot_name = bot_name
        self.guild_name = guild_name
        self.heartbeat_interval = heartbeat_interval
        self.interaction_deadline = interaction_deadline
        self.allowed_intents = allowed_intents
        self.ack_heartbeats = True  # set False to simulate a zombied connection
        self.nonce_window = nonce_window
        # (channel id, author id, nonce) -> (time.monotonic() of creation, message id)
        self._nonces: dict[tuple[int, int, str], tuple[float, int]] = {}
        self.deduplicated: list[Recorded] = []  # message creates answered with an existing message
        self._slow_answers: dict[int, float] = {}  # channel id -> seconds between create and answer
        self._slow_edits: set[int] = set()  # channels whose message edits are answered late too
        # Interaction id (0: every interaction) -> seconds between applying and answering.
        self._slow_interactions: dict[int, float] = {}
        self._answer_now = asyncio.Event()  # set by clear_channel_faults: late answers go at once
        self.online = True

        self._snowflake = _snowflake_factory()
        self.members: dict[int, FakeMember] = {
            owner_id: FakeMember(owner_id, "guild_owner"),
            admin_id: FakeMember(admin_id, "warden_admin", (admin_role_id,)),
            bot_user_id: FakeMember(bot_user_id, bot_name, (bot_role_id,), bot=True),
        }
        for i, uid in enumerate(self.member_ids):
            self.members[uid] = FakeMember(uid, f"member{i + 1}", (role_id,) if i == 0 else ())
        self.roles: dict[int, JSONDict] = {
            guild_id: self._role(guild_id, "@everyone", EVERYONE_PERMS, 0),
            admin_role_id: self._role(admin_role_id, "Warden Admin", EVERYONE_PERMS | MANAGE_GUILD, 3),
            role_id: self._role(role_id, "Video Team", EVERYONE_PERMS, 1),
            bot_role_id: self._role(bot_role_id, bot_name, BOT_PERMS, 2, managed=True),
        }
        self.channels: dict[int, JSONDict] = {
            general_channel_id: self._text_channel(general_channel_id, "general", 0),
            alert_channel_id: self._text_channel(alert_channel_id, "warden-alerts", 1),
        }
        self.deleted_channels: set[int] = set()
        self._dm_by_user: dict[int, int] = {}
        self.dms_closed: set[int] = set()  # members whose DMs refuse the bot (50007)

        self._recorder = Recorder()
        self.requests = self._recorder.requests
        self.unknown_routes: list[Recorded] = []
        self.synced_commands: list[JSONDict] = []
        self.synced_guild_commands: dict[int, list[JSONDict]] = {}
        self.messages: dict[int, JSONDict] = {}
        self.channel_messages: dict[int, list[JSONDict]] = {}
        self._channel_faults: dict[int, _ChannelFault] = {}
        self.edits: list[Recorded] = []  # accepted PATCH /channels/{id}/messages/{id}
        self._interactions: dict[int, _Interaction] = {}
        self._by_token: dict[str, _Interaction] = {}

        self.gateway_connections: list[GatewayConnection] = []
        self.gateway_received: list[JSONDict] = []
        self.identify_count = 0
        self.resume_count = 0
        self._session: _Session | None = None
        self._ready = asyncio.Event()

        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._add_routes()
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/{version}/{tail:.*}", self._rest)
        app.router.add_route("*", "/{tail:.*}", self._rest)
        self._server = LocalServer(app, port)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        if not self.online:
            return
        for conn in self.gateway_connections:
            if not conn.ws.closed:
                await conn.ws.close(code=1001)
        await self._server.stop()

    async def __aenter__(self) -> DiscordDouble:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._server.port}/gateway"

    # ------------------------------------------------------------------ recording helpers

    def requests_to(self, method: str, path_regex: str) -> list[Recorded]:
        return self._recorder.requests_to(method, path_regex)

    async def wait_for(self, predicate: Callable[[Recorded], bool], timeout: float = 5) -> Recorded:
        return await self._recorder.wait_for(predicate, timeout)

    def callbacks_for(self, interaction_id: int | str) -> list[Recorded]:
        return self.requests_to("POST", rf"/interactions/{interaction_id}/[^/]+/callback")

    async def wait_for_callback(self, interaction_id: int | str, timeout: float = 5) -> CallbackResult:
        pattern = re.compile(rf"/interactions/{interaction_id}/[^/]+/callback")
        rec = await self.wait_for(lambda r: r.method == "POST" and bool(pattern.fullmatch(r.path)), timeout)
        inter = self._interactions[int(interaction_id)]
        return CallbackResult(rec, rec.at - inter.dispatched_at)

    def messages_for(self, interaction_id: int | str) -> list[JSONDict]:
        """The original response (if any) followed by follow-up messages, current state."""
        inter = self._interactions[int(interaction_id)]
        ids = ([inter.original_id] if inter.original_id else []) + inter.followup_ids
        return [self.messages[i] for i in ids if i in self.messages]

    # ------------------------------------------------------------------ faults

    def fail_channel_messages(
        self,
        channel_id: int,
        status: int,
        times: int | None = None,
        retry_after: float | None = None,
        code: int | None = None,
        message: str | None = None,
    ) -> None:
        """Make POST /channels/{id}/messages fail `times` times (None = until cleared).
        403 -> Missing Permissions (50013), 404 -> Unknown Channel (10003), 429 -> rate limited
        with `retry_after` seconds (default 0.1) in the body and headers, like Discord (discord.py
        sleeps and retries, up to 5 tries). Note discord.py also retries 500/502/504 with 1, 3, 5, 7 s
        sleeps; use 503 to get DiscordServerError at once. `code`/`message` override the body."""
        self._channel_faults[int(channel_id)] = _ChannelFault(status, times, retry_after, code, message)

    def clear_channel_faults(self) -> None:
        self._channel_faults.clear()
        self._slow_answers.clear()
        self._slow_edits.clear()
        self._slow_interactions.clear()
        self._answer_now.set()

    def slow_channel_answers(self, channel_id: int, seconds: float, *, edits: bool = False) -> None:
        """POST /channels/{id}/messages creates the message at once but answers `seconds` later:
        the window in which a client that dies has posted without knowing it. With `edits`,
        PATCH of the channel's messages too (applied at once, answered late)."""
        self._slow_answers[int(channel_id)] = seconds
        if edits:
            self._slow_edits.add(int(channel_id))
        self._answer_now.clear()

    def slow_interaction_answers(self, seconds: float, *, interaction_id: int | str | None = None) -> None:
        """Interaction callbacks, follow-ups and edits of an interaction's answers (of
        `interaction_id`, else of every interaction) are applied when they arrive, and answered
        `seconds` later. The 3-second deadline counts from the arrival, as Discord's does."""
        self._slow_interactions[int(interaction_id or 0)] = seconds
        self._answer_now.clear()

    async def _late(self, seconds: float | None) -> None:
        if seconds:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._answer_now.wait(), seconds)

    def _interaction_delay(self, inter: _Interaction | None) -> float | None:
        if inter is None:
            return None
        own = self._slow_interactions.get(int(inter.payload["id"]))
        return own if own is not None else self._slow_interactions.get(0)

    async def go_away(self) -> None:
        """Discord becomes unreachable, REST and gateway alike: live connections are cut without a
        close frame (as when the network goes) and the port refuses connections. State is kept,
        so a client can RESUME its session after `come_back`."""
        self.online = False
        if self._session is not None:
            self._session.conn = None
        self._ready.clear()
        for conn in self.gateway_connections:
            if conn.request.transport is not None:
                conn.request.transport.abort()
        await self._server.stop()

    async def come_back(self) -> None:
        """Listen again on the same port."""
        await self._server.start()
        self.online = True

    async def delete_channel(self, channel_id: int, notify: bool = True) -> None:
        """Delete a channel: REST calls on it answer 404 Unknown Channel; with `notify` a
        CHANNEL_DELETE goes out on the gateway (if a session is live) so the cache drops it."""
        channel = self.channels.pop(int(channel_id), None)
        self.deleted_channels.add(int(channel_id))
        if notify and channel is not None and self._session is not None:
            await self.dispatch("CHANNEL_DELETE", channel)

    # ------------------------------------------------------------------ data builders

    def _role(self, rid: int, name: str, perms: int, position: int, managed: bool = False) -> JSONDict:
        role: JSONDict = {
            "id": str(rid),
            "name": name,
            "permissions": str(perms),
            "position": position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": managed,
            "mentionable": False,
            "flags": 0,
        }
        if managed:
            role["tags"] = {"bot_id": str(self.bot_user_id)}
        return role

    def _text_channel(self, cid: int, name: str, position: int) -> JSONDict:
        return {
            "id": str(cid),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": name,
            "position": position,
            "permission_overwrites": [],
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }

    def user_payload(self, user_id: int) -> JSONDict:
        m = self.members.get(int(user_id)) or FakeMember(int(user_id), f"user{user_id}")
        data: JSONDict = {
            "id": str(m.id),
            "username": m.username,
            "discriminator": "0",
            "global_name": m.username.title(),
            "avatar": None,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "public_flags": 0,
            "flags": 0,
            "collectibles": None,
            "primary_guild": None,
        }
        if m.bot:
            data["bot"] = True
        return data

    def permissions_of(self, user_id: int) -> int:
        if int(user_id) == self.owner_id:
            return ALL_PERMS
        perms = int(self.roles[self.guild_id]["permissions"])
        for rid in self.members[int(user_id)].roles:
            perms |= int(self.roles[rid]["permissions"])
        return ALL_PERMS if perms & ADMINISTRATOR else perms

    def member_payload(self, user_id: int, with_permissions: bool = False) -> JSONDict:
        m = self.members[int(user_id)]
        data: JSONDict = {
            "user": self.user_payload(m.id),
            "roles": [str(r) for r in m.roles],
            "nick": m.nick,
            "avatar": None,
            "banner": None,
            "joined_at": "2025-01-01T00:00:00.000000+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
        }
        if with_permissions:
            data["permissions"] = str(self.permissions_of(m.id))
        return data

    def guild_payload(self) -> JSONDict:
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "features": [],
            "preferred_locale": "en-US",
            "system_channel_id": str(self.general_channel_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "max_presences": None,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "widget_enabled": False,
            "widget_channel_id": None,
            "application_id": None,
            "incidents_data": None,
            "roles": list(self.roles.values()),
            "emojis": [],
            "stickers": [],
        }

    def guild_create_payload(self) -> JSONDict:
        data = self.guild_payload()
        data.update(
            unavailable=False,
            large=False,
            lazy=True,
            joined_at="2025-01-01T00:00:00.000000+00:00",
            member_count=len(self.members),
            members=[self.member_payload(u) for u in self.members],
            channels=list(self.channels.values()),
            threads=[],
            presences=[],
            voice_states=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
            embedded_activities=[],
        )
        # GUILD_CREATE channels carry no guild_id.
        data["channels"] = [{k: v for k, v in c.items() if k != "guild_id"} for c in data["channels"]]
        return data

    def application_payload(self) -> JSONDict:
        bot = self.user_payload(self.bot_user_id)
        return {
            "id": str(self.application_id),
            "name": self.bot_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.user_payload(self.owner_id),
            "team": None,
            "flags": (1 << 15) | (1 << 19) | (1 << 23),
            "rpc_origins": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "tags": [],
            "install_params": None,
            "custom_install_url": None,
            "integration_types_config": {"0": {}},
            "approximate_guild_count": 1,
            "approximate_user_install_count": 0,
            "is_monetized": False,
            "bot": bot,
        }

    def _bot_user_payload(self) -> JSONDict:
        data = self.user_payload(self.bot_user_id)
        data.update(verified=True, mfa_enabled=False, email=None, locale="en-US", bio="")
        return data

    def dm_channel_id(self, user_id: int) -> int:
        """Id of the bot's DM channel with `user_id` (created on first use)."""
        user_id = int(user_id)
        if user_id not in self._dm_by_user:
            cid = self._snowflake()
            self._dm_by_user[user_id] = cid
            self.channels[cid] = {
                "id": str(cid),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self.user_payload(user_id)],
            }
        return self._dm_by_user[user_id]

    def close_dms(self, user_id: int, closed: bool = True) -> None:
        """The member's privacy settings refuse (or, with `closed=False`, allow again) DMs from the bot."""
        (self.dms_closed.add if closed else self.dms_closed.discard)(int(user_id))

    def dm_messages(self, user_id: int) -> list[JSONDict]:
        """Messages the bot created in its DM channel with `user_id`, current state."""
        cid = self._dm_by_user.get(int(user_id))
        return [
            self.messages[int(m["id"])]
            for m in self.channel_messages.get(cid or 0, [])
            if int(m["id"]) in self.messages
        ]

    def _dm_recipient(self, channel_id: int) -> int | None:
        for user_id, cid in self._dm_by_user.items():
            if cid == channel_id:
                return user_id
        return None

    def _pings(self, body: JSONDict) -> tuple[list[JSONDict], list[str], bool]:
        """Whom Discord notifies for a message: users, role ids, @everyone/@here."""
        content = str(body.get("content") or "")
        allowed = body.get("allowed_mentions")
        parse = (
            set(allowed.get("parse") or []) if isinstance(allowed, dict) else {"users", "roles", "everyone"}
        )
        users_ok = (
            {str(u) for u in (allowed or {}).get("users") or []} if isinstance(allowed, dict) else set()
        )
        roles_ok = (
            {str(r) for r in (allowed or {}).get("roles") or []} if isinstance(allowed, dict) else set()
        )
        users = [
            u for u in dict.fromkeys(re.findall(r"<@!?(\d+)>", content)) if "users" in parse or u in users_ok
        ]
        roles = [
            r for r in dict.fromkeys(re.findall(r"<@&(\d+)>", content)) if "roles" in parse or r in roles_ok
        ]
        everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
        return [self.user_payload(int(u)) for u in users], roles, everyone

    def _message(
        self,
        channel_id: int,
        body: JSONDict,
        files: list[JSONDict] | None = None,
        *,
        type_: int = 0,
        webhook: bool = False,
        extra: JSONDict | None = None,
    ) -> JSONDict:
        mid = self._snowflake()
        pings = self._pings(body)
        msg: JSONDict = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "type": type_,
            "content": body.get("content") or "",
            "author": self.user_payload(self.bot_user_id),
            "attachments": self._attachments(channel_id, body, files or []),
            "embeds": body.get("embeds") or [],
            "mentions": pings[0],
            "mention_roles": pings[1],
            "mention_everyone": pings[2],
            "pinned": False,
            "tts": bool(body.get("tts")),
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "flags": int(body.get("flags") or 0),
            "components": body.get("components") or [],
        }
        if body.get("message_reference"):
            msg["message_reference"] = body["message_reference"]
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        if webhook:
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
        if extra:
            msg.update(extra)
        self.messages[mid] = msg
        return msg

    def _attachments(self, channel_id: int, body: JSONDict, files: list[JSONDict]) -> list[JSONDict]:
        out = []
        for f in files:
            aid = self._snowflake()
            url = f"{self.base_url}/attachments/{channel_id}/{aid}/{f['filename']}"
            out.append(
                {
                    "id": str(aid),
                    "filename": f["filename"],
                    "size": len(f["data"]),
                    "url": url,
                    "proxy_url": url,
                    "content_type": f["content_type"],
                }
            )
        return out

    def _edit_message(self, msg: JSONDict, body: JSONDict, files: list[JSONDict]) -> JSONDict:
        # Discord's Edit Message: every field is optional and nullable; a field left out stays,
        # null clears it (content to "", embeds and components to []). Flags keep their value.
        for key, cleared in (("content", ""), ("embeds", []), ("components", [])):
            if key in body:
                msg[key] = cleared if body[key] is None else body[key]
        if body.get("flags") is not None:  # IS_COMPONENTS_V2 can be set, never removed
            msg["flags"] = int(body["flags"]) | (int(msg["flags"]) & IS_COMPONENTS_V2)
        if files:
            msg["attachments"] = self._attachments(int(msg["channel_id"]), body, files)
        elif "attachments" in body:
            keep = {str(a.get("id")) for a in body["attachments"] or []}
            msg["attachments"] = [a for a in msg["attachments"] if a["id"] in keep]
        msg["flags"] = int(msg["flags"]) & ~128  # editing a "thinking" message ends loading
        msg["edited_timestamp"] = _now_iso()
        return msg

    # ------------------------------------------------------------------ interaction builders

    def _base_interaction(
        self, itype: int, data: JSONDict, user: int | FakeMember | None, guild: bool, channel_id: int | None
    ) -> JSONDict:
        uid = int(user.id if isinstance(user, FakeMember) else user or self.admin_id)
        iid = self._snowflake()
        payload: JSONDict = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "token": "itok-" + secrets.token_urlsafe(48),
            "version": 1,
            "locale": "en-US",
            "attachment_size_limit": self.ATTACHMENT_SIZE_LIMIT,
            "entitlements": [],
            "entitlement_sku_ids": [],
        }
        if guild:
            cid = int(channel_id or self.general_channel_id)
            channel = dict(self.channels.get(cid) or self._text_channel(cid, "unknown", 9))
            channel["permissions"] = str(self.permissions_of(uid))
            payload.update(
                guild_id=str(self.guild_id),
                guild_locale="en-US",
                context=0,
                guild={"id": str(self.guild_id), "locale": "en-US", "features": []},
                channel=channel,
                channel_id=str(cid),
                member=self.member_payload(uid, with_permissions=True),
                app_permissions=str(self.permissions_of(self.bot_user_id)),
                authorizing_integration_owners={"0": str(self.guild_id)},
            )
        else:
            cid = int(channel_id or self.dm_channel_id(uid))
            payload.update(
                context=1,
                channel=dict(self.channels[cid]),
                channel_id=str(cid),
                user=self.user_payload(uid),
                app_permissions=str(EVERYONE_PERMS),
                authorizing_integration_owners={"0": "0"},
            )
        return payload

    def _find_command(self, name: str, guild: bool) -> tuple[JSONDict | None, bool]:
        if guild:
            for cmd in self.synced_guild_commands.get(self.guild_id, []):
                if cmd["name"] == name and cmd.get("type", 1) == 1:
                    return cmd, True
        for cmd in self.synced_commands:
            if cmd["name"] == name and cmd.get("type", 1) == 1:
                return cmd, False
        return None, False

    def _option_value(self, otype: int, value: Any, resolved: JSONDict) -> Any:
        if isinstance(value, FakeMember):
            value = value.id
        if otype in (6, 9) and int(value) in self.members:  # user / mentionable
            resolved.setdefault("users", {})[str(value)] = self.user_payload(int(value))
            member = self.member_payload(int(value), with_permissions=True)
            member.pop("user")  # resolved members come without their user
            resolved.setdefault("members", {})[str(value)] = member
        elif otype in (8, 9) and int(value) in self.roles:
            resolved.setdefault("roles", {})[str(value)] = self.roles[int(value)]
        elif otype == 7 and int(value) in self.channels:
            ch = self.channels[int(value)]
            resolved.setdefault("channels", {})[str(value)] = {
                "id": ch["id"],
                "name": ch.get("name"),
                "type": ch["type"],
                "parent_id": ch.get("parent_id"),
                "permissions": str(BOT_PERMS),
                "flags": 0,
            }
        return str(value) if otype in (6, 7, 8, 9) else value

    def slash_command(
        self,
        name: str,
        subcommand: str | None = None,
        group: str | None = None,
        options: dict[str, Any] | list[JSONDict] | None = None,
        user: int | FakeMember | None = None,
        guild: bool = True,
        channel_id: int | None = None,
    ) -> JSONDict:
        """An APPLICATION_COMMAND interaction. The command id, `data.guild_id` and option types
        come from the last synced command list when the command is there; otherwise option
        types are guessed from the Python values. `user` defaults to the admin."""
        cmd, is_guild_cmd = self._find_command(name, guild)
        defs: list[JSONDict] = (cmd or {}).get("options") or []
        for level in (group, subcommand):
            if level is not None:
                defs = next((o.get("options") or [] for o in defs if o["name"] == level), [])
        resolved: JSONDict = {}
        if isinstance(options, list):
            leaf: list[JSONDict] = options
        else:
            leaf = []
            for key, value in (options or {}).items():
                known = next((o for o in defs if o["name"] == key), None)
                if cmd is not None and known is None:
                    raise ValueError(f"/{name} has no option {key!r} in the synced definition")
                otype = known["type"] if known else _guess_option_type(value)
                leaf.append({"name": key, "type": otype, "value": self._option_value(otype, value, resolved)})
        top = leaf
        if subcommand is not None:
            top = [{"name": subcommand, "type": 1, "options": leaf}]
        if group is not None:
            top = [{"name": group, "type": 2, "options": top}]
        data: JSONDict = {
            "id": str(cmd["id"]) if cmd else str(self._snowflake()),
            "name": name,
            "type": 1,
        }
        if top:
            data["options"] = top
        if resolved:
            data["resolved"] = resolved
        if is_guild_cmd:
            data["guild_id"] = str(self.guild_id)
        return self._base_interaction(2, data, user, guild, channel_id)

    def modal_submit(
        self,
        custom_id: str,
        fields: dict[str, str],
        user: int | FakeMember | None = None,
        labels: bool = False,
        message_id: int | None = None,
        guild: bool = True,
        channel_id: int | None = None,
    ) -> JSONDict:
        """A MODAL_SUBMIT. `fields` maps text-input custom_id -> value. Components are action
        rows (type 1) around text inputs (type 4), or with `labels=True` the newer label (18) form."""
        components = []
        for n, (cid, value) in enumerate(fields.items()):
            text_input = {"type": 4, "id": 2 * n + 2, "custom_id": cid, "value": value}
            if labels:
                components.append({"type": 18, "id": 2 * n + 1, "component": text_input})
            else:
                components.append({"type": 1, "id": 2 * n + 1, "components": [text_input]})
        payload = self._base_interaction(
            5, {"custom_id": custom_id, "components": components}, user, guild, channel_id
        )
        if message_id is not None:
            payload["message"] = self._message_for_component(int(message_id))
        return payload

    def modal_submit_for(
        self,
        callback: CallbackResult | Recorded,
        values: dict[str, str],
        user: int | FakeMember | None = None,
    ) -> JSONDict:
        """A MODAL_SUBMIT answering the modal sent in a type 9 `callback`, mirroring its layout
        per component (action row or label). User, channel, guild/DM and message default to those
        of the interaction that opened the modal. Text inputs missing from `values` are submitted
        empty, as Discord does; a string select in a label submits `values: [value]` (a value that
        is not one of its options raises ValueError); a key that is not a text input or select of
        the modal raises KeyError. A text display (type 10) is answered as Discord does: `{type, id}`."""
        rec = callback.request if isinstance(callback, CallbackResult) else callback
        body = rec.json
        opener = self._interactions[int(rec.path.split("/")[2])].payload
        if body.get("type") != 9:
            raise ValueError(f"callback type {body.get('type')} is not a modal (9)")
        modal = body["data"]
        inputs = [c for c in _walk(modal["components"]) if c.get("type") in (3, 4)]
        unknown = set(values) - {c["custom_id"] for c in inputs}
        if unknown:
            raise KeyError(f"modal has no text inputs or selects {sorted(unknown)}")
        ids = iter(range(1, 1000))
        components: list[JSONDict] = []
        for top in modal["components"]:
            if top["type"] == 10:
                # A text display comes back with its type and id only: no content, no value.
                components.append({"type": 10, "id": next(ids)})
            elif top["type"] == 18 and top["component"].get("type") == 3:
                # A string select in a label: Discord sends the chosen option values.
                select = top["component"]
                allowed = {o["value"] for o in select.get("options", [])}
                chosen = values.get(select["custom_id"], "")
                if chosen and chosen not in allowed:
                    raise ValueError(f"{chosen!r} is not an option of select {select['custom_id']!r}")
                components.append(
                    {
                        "type": 18,
                        "id": next(ids),
                        "component": {
                            "type": 3,
                            "id": next(ids),
                            "custom_id": select["custom_id"],
                            "values": [chosen] if chosen else [],
                        },
                    }
                )
            elif top["type"] == 18 and top["component"].get("type") == 4:
                cid = top["component"]["custom_id"]
                components.append(
                    {
                        "type": 18,
                        "id": next(ids),
                        "component": {
                            "type": 4,
                            "id": next(ids),
                            "custom_id": cid,
                            "value": values.get(cid, ""),
                        },
                    }
                )
            elif top["type"] == 1:
                row_id = next(ids)
                inner = [
                    {
                        "type": 4,
                        "id": next(ids),
                        "custom_id": c["custom_id"],
                        "value": values.get(c["custom_id"], ""),
                    }
                    for c in top["components"]
                    if c.get("type") == 4
                ]
                components.append({"type": 1, "id": row_id, "components": inner})
        payload = self._base_interaction(
            5,
            {"custom_id": modal["custom_id"], "components": components},
            user or int(self._invoker(opener)["id"]),
            "guild_id" in opener,
            int(opener["channel_id"]),
        )
        if "message" in opener:
            payload["message"] = opener["message"]
        return payload

    def _message_for_component(self, message_id: int) -> JSONDict:
        msg = self.messages.get(message_id)
        if msg is None:  # a message the double never saw: a plain bot message in the alert channel
            msg = {
                "id": str(message_id),
                "channel_id": str(self.alert_channel_id),
                "type": 0,
                "content": "",
                "author": self.user_payload(self.bot_user_id),
                "attachments": [],
                "embeds": [],
                "mentions": [],
                "mention_roles": [],
                "mention_everyone": False,
                "pinned": False,
                "tts": False,
                "timestamp": _now_iso(),
                "edited_timestamp": None,
                "flags": 0,
                "components": [],
            }
        return dict(msg)

    def button_click(
        self,
        custom_id: str,
        message_id: int,
        user: int | FakeMember | None = None,
        component_type: int = 2,
        values: list[str] | None = None,
    ) -> JSONDict:
        """A MESSAGE_COMPONENT interaction on a message (stored or synthetic). Use
        component_type=3 and `values` for a string select."""
        msg = self._message_for_component(int(message_id))
        cid = int(msg["channel_id"])
        guild = self.channels.get(cid, {}).get("type", 0) != 1
        data: JSONDict = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        payload = self._base_interaction(3, data, user, guild, cid)
        payload["message"] = msg
        return payload

    async def dispatch_interaction(self, payload: JSONDict) -> str:
        """Send INTERACTION_CREATE over the gateway (buffered for RESUME if the client is
        momentarily disconnected). Returns the interaction id."""
        iid = int(payload["id"])
        inter = _Interaction(payload, time.monotonic())
        self._interactions[iid] = inter
        self._by_token[payload["token"]] = inter
        await self.dispatch("INTERACTION_CREATE", payload)
        return str(iid)

    # ------------------------------------------------------------------ gateway

    async def dispatch(self, event: str, data: JSONDict) -> None:
        """Send a DISPATCH (op 0) with the next sequence number to the live session."""
        session = self._session
        if session is None:
            raise RuntimeError("no gateway session: has the bot identified?")
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.frames.append(frame)
        if session.conn is not None:
            await session.conn.send(frame)

    async def wait_until_ready(self, timeout: float = 10) -> None:
        """Wait until a client has a live session (identified, or resumed after a disconnect).
        The default timeout exceeds the 5 s discord.py sleeps before every re-IDENTIFY
        (Client.before_identify_hook); override that hook in tests to skip the wait."""
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def disconnect_gateway(self, code: int | None = 4000, resumable: bool = True) -> None:
        """Close the live gateway connection with `code` (None: drop the TCP connection without a
        close frame). With resumable=False the session is forgotten, so a RESUME gets op 9."""
        session = self._session
        conn = session.conn if session else None
        if not resumable:
            self._session = None
        if session is not None:
            session.conn = None
        self._ready.clear()
        if conn is None:
            return
        if code is None:
            if conn.request.transport is not None:
                conn.request.transport.abort()
        else:
            await conn.ws.close(code=code)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(timeout=2.0, max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress")
        conn = GatewayConnection(
            ws, request, dict(request.query), "zlib-stream" if compress == "zlib-stream" else None
        )
        if conn.compression:
            conn._zlib = zlib.compressobj()
        self.gateway_connections.append(conn)
        await conn.send(
            {
                "op": 10,
                "s": None,
                "t": None,
                "d": {"heartbeat_interval": self.heartbeat_interval, "_trace": ['["double"]']},
            }
        )
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    frame = json.loads(msg.data)
                    self.gateway_received.append(frame)
                    await self._on_frame(conn, frame)
        finally:
            if self._session is not None and self._session.conn is conn:
                self._session.conn = None
                self._ready.clear()
        return ws

    async def _on_frame(self, conn: GatewayConnection, frame: JSONDict) -> None:
        op, d = frame.get("op"), frame.get("d") or {}
        if op == 1:
            if self.ack_heartbeats:
                await conn.send({"op": 11, "s": None, "t": None, "d": None})
        elif op == 2:
            await self._identify(conn, d)
        elif op == 6:
            await self._resume(conn, d)
        elif op == 8:
            await self._request_members(d)

    async def _identify(self, conn: GatewayConnection, d: JSONDict) -> None:
        if self.token is not None and d.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        privileged = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content
        wanted = int(d.get("intents", 0)) & privileged
        if self.allowed_intents is not None and wanted & ~self.allowed_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.identify_count += 1
        self._session = _Session(id=secrets.token_hex(16), conn=conn)
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": self._bot_user_payload(),
                "guilds": [{"id": str(self.guild_id), "unavailable": True}],
                "session_id": self._session.id,
                "resume_gateway_url": self.gateway_url,
                "session_type": "normal",
                "application": {"id": str(self.application_id), "flags": self.application_payload()["flags"]},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "user_settings": {},
                "geo_ordered_rtc_regions": ["local"],
                "auth_session_id_hash": "double",
                "_trace": ['["double"]'],
            },
        )
        await self.dispatch("GUILD_CREATE", self.guild_create_payload())
        self._ready.set()

    async def _resume(self, conn: GatewayConnection, d: JSONDict) -> None:
        session = self._session
        if session is None or d.get("session_id") != session.id:
            await conn.send({"op": 9, "s": None, "t": None, "d": False})
            return
        self.resume_count += 1
        session.conn = conn
        last = d.get("seq") or 0
        for frame in [f for f in session.frames if f["s"] > last]:
            await conn.send(frame)
        await self.dispatch("RESUMED", {"_trace": ['["double"]']})
        self._ready.set()

    async def _request_members(self, d: JSONDict) -> None:
        members = [self.member_payload(u) for u in self.members]
        wanted = d.get("user_ids")
        if wanted:
            ids = {int(u) for u in (wanted if isinstance(wanted, list) else [wanted])}
            members = [m for m in members if int(m["user"]["id"]) in ids]
        chunk = {"guild_id": str(self.guild_id), "members": members, "chunk_index": 0, "chunk_count": 1}
        if d.get("nonce"):
            chunk["nonce"] = d["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # ------------------------------------------------------------------ REST

    def _add_routes(self) -> None:
        r = self._routes.append
        r(("GET", re.compile(r"/users/@me"), self._get_me))
        r(("GET", re.compile(r"/users/(\d+)"), self._get_user))
        r(("POST", re.compile(r"/users/@me/channels"), self._create_dm))
        r(("GET", re.compile(r"/(?:oauth2/)?applications/@me"), self._get_application))
        r(("GET", re.compile(r"/gateway"), self._get_gateway))
        r(("GET", re.compile(r"/gateway/bot"), self._get_gateway_bot))
        r(("GET", re.compile(r"/applications/(\d+)/commands"), self._get_commands))
        r(("PUT", re.compile(r"/applications/(\d+)/commands"), self._put_commands))
        r(("GET", re.compile(r"/applications/(\d+)/guilds/(\d+)/commands"), self._get_commands))
        r(("PUT", re.compile(r"/applications/(\d+)/guilds/(\d+)/commands"), self._put_commands))
        r(("POST", re.compile(r"/interactions/(\d+)/([^/]+)/callback"), self._callback))
        r(("POST", re.compile(r"/webhooks/(\d+)/([^/]+)"), self._webhook_execute))
        r(("GET", re.compile(r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)"), self._webhook_message))
        r(("PATCH", re.compile(r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)"), self._webhook_message))
        r(("DELETE", re.compile(r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)"), self._webhook_message))
        r(("GET", re.compile(r"/channels/(\d+)"), self._get_channel))
        r(("POST", re.compile(r"/channels/(\d+)/messages"), self._post_message))
        r(("GET", re.compile(r"/channels/(\d+)/messages"), self._list_messages))
        r(("GET", re.compile(r"/channels/(\d+)/messages/(\d+)"), self._channel_message))
        r(("PATCH", re.compile(r"/channels/(\d+)/messages/(\d+)"), self._channel_message))
        r(("DELETE", re.compile(r"/channels/(\d+)/messages/(\d+)"), self._channel_message))
        r(("POST", re.compile(r"/channels/(\d+)/typing"), self._typing))
        r(("GET", re.compile(r"/guilds/(\d+)"), self._get_guild))
        r(("GET", re.compile(r"/guilds/(\d+)/channels"), self._get_guild_channels))
        r(("GET", re.compile(r"/guilds/(\d+)/roles"), self._get_roles))
        r(("GET", re.compile(r"/guilds/(\d+)/members"), self._list_members))
        r(("GET", re.compile(r"/guilds/(\d+)/members/(\d+)"), self._get_member))

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info.get("tail", "")
        rec = await read_request(request, path)
        self._recorder.add(rec)
        if request.match_info.get("version") is None:  # not under /api/vN
            self.unknown_routes.append(rec)
            return _error(404, "404: Not Found")
        for method, pattern, handler in self._routes:
            m = pattern.fullmatch(path)
            if m and method == request.method:
                # Interaction callbacks and webhooks authenticate by the token in the URL, not a header.
                by_url = path.startswith(("/interactions/", "/webhooks/"))
                if not by_url and self.token and rec.headers.get("Authorization") != f"Bot {self.token}":
                    return _error(401, "401: Unauthorized")
                return await handler(rec, *m.groups())
        self.unknown_routes.append(rec)
        return _error(404, "404: Not Found")

    async def _get_me(self, rec: Recorded) -> web.Response:
        return json_response(self._bot_user_payload())

    async def _get_user(self, rec: Recorded, uid: str) -> web.Response:
        if int(uid) not in self.members:
            return _error(404, "Unknown User", 10013)
        return json_response(self.user_payload(int(uid)))

    async def _create_dm(self, rec: Recorded) -> web.Response:
        uid = int((rec.json or {}).get("recipient_id", 0))
        if uid not in self.members:
            return _error(400, "Invalid Recipient(s)", 50033)
        return json_response(self.channels[self.dm_channel_id(uid)])

    async def _get_application(self, rec: Recorded) -> web.Response:
        return json_response(self.application_payload())

    async def _get_gateway(self, rec: Recorded) -> web.Response:
        return json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, rec: Recorded) -> web.Response:
        return json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86400000,
                    "max_concurrency": 1,
                },
            }
        )

    def _command_store(self, guild_id: str | None) -> list[JSONDict]:
        if guild_id is None:
            return self.synced_commands
        return self.synced_guild_commands.setdefault(int(guild_id), [])

    async def _get_commands(self, rec: Recorded, app_id: str, guild_id: str | None = None) -> web.Response:
        if int(app_id) != self.application_id:
            return _error(404, "Unknown Application", 10002)
        return json_response(self._command_store(guild_id))

    async def _put_commands(self, rec: Recorded, app_id: str, guild_id: str | None = None) -> web.Response:
        if int(app_id) != self.application_id:
            return _error(404, "Unknown Application", 10002)
        if not isinstance(rec.json, list):
            return _error(400, "Invalid Form Body", 50035)
        old = {(c["name"], c.get("type", 1)): c["id"] for c in self._command_store(guild_id)}
        echoed = []
        for cmd in rec.json:
            out = {
                "type": 1,
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
                "contexts": None,
                "integration_types": [0],
                "options": [],
                **cmd,
            }
            out.update(
                id=old.get((cmd["name"], cmd.get("type", 1))) or str(self._snowflake()),
                application_id=str(self.application_id),
                version=str(self._snowflake()),
            )
            if guild_id is not None:
                out["guild_id"] = guild_id
            echoed.append(out)
        if guild_id is None:
            self.synced_commands = echoed
        else:
            self.synced_guild_commands[int(guild_id)] = echoed
        return json_response(echoed)

    async def _callback(self, rec: Recorded, iid: str, token: str) -> web.Response:
        inter = self._interactions.get(int(iid))
        if inter is None or inter.payload["token"] != token:
            return _error(404, "Unknown interaction", 10062)
        if inter.acked:
            return _error(400, "Interaction has already been acknowledged.", 40060)
        if self.interaction_deadline is not None and rec.at - inter.dispatched_at > self.interaction_deadline:
            return _error(404, "Unknown interaction", 10062)
        body = rec.json or {}
        rtype, data = int(body.get("type", 0)), body.get("data") or {}
        payload = inter.payload
        channel_id = int(payload["channel_id"])
        resource: JSONDict = {"type": rtype}
        msg = None
        if rtype == 4 or (rtype == 7 and "message" in payload):
            stored_message = self.messages.get(int(payload["message"]["id"])) if rtype == 7 else None
            existing = (stored_message or payload["message"]) if rtype == 7 else None
            problem = message_problem(data, existing=existing)
            if problem is not None:
                return json_response(problem.body(), 400)
        if rtype in (4, 5):
            flags = int(data.get("flags") or 0)
            if rtype == 5:
                data = {"flags": (flags & 64) | 128}  # a "thinking..." placeholder
            meta = {
                "id": iid,
                "type": payload["type"],
                "user": self._invoker(payload),
                "authorizing_integration_owners": payload["authorizing_integration_owners"],
            }
            msg = self._message(
                channel_id,
                data,
                rec.files,
                type_=20 if payload["type"] == 2 else 0,
                webhook=True,
                extra={"interaction_metadata": meta},
            )
            inter.original_id = int(msg["id"])
        elif rtype in (6, 7) and "message" in payload:
            # For component interactions "@original" is the message the component sits on.
            inter.original_id = int(payload["message"]["id"])
            stored = self.messages.setdefault(inter.original_id, dict(payload["message"]))
            if rtype == 7:
                msg = self._edit_message(stored, data, rec.files)
        elif (rtype == 9 and _modal_problem(data) is not None) or rtype not in (1, 6, 8, 9, 10, 12):
            return _error(400, "Invalid Form Body", 50035)
        inter.acked = True
        if msg is not None:
            resource["message"] = msg
        answer = {
            "interaction": {
                "id": iid,
                "type": payload["type"],
                "response_message_id": msg["id"] if msg else None,
                "response_message_loading": rtype == 5,
                "response_message_ephemeral": bool(msg and int(msg["flags"]) & 64),
            },
            "resource": resource,
        }
        await self._late(self._interaction_delay(inter))
        if rec.query.get("with_response") in ("1", "true", "True"):
            return json_response(answer)
        return web.Response(status=204)

    def _invoker(self, payload: JSONDict) -> JSONDict:
        user: JSONDict = payload["member"]["user"] if "member" in payload else payload["user"]
        return user

    async def _webhook_execute(self, rec: Recorded, app_id: str, token: str) -> web.Response:
        inter = self._by_token.get(token)
        if int(app_id) != self.application_id or inter is None or not inter.acked:
            return _error(404, "Unknown Webhook", 10015)
        body = rec.json or {}
        if not (
            body.get("content")
            or body.get("embeds")
            or body.get("components")
            or rec.files
            or body.get("poll")
        ):
            return _error(400, "Cannot send an empty message", 50006)
        problem = message_problem(body)
        if problem is not None:
            return json_response(problem.body(), 400)
        msg = self._message(int(inter.payload["channel_id"]), body, rec.files, webhook=True)
        inter.followup_ids.append(int(msg["id"]))
        await self._late(self._interaction_delay(inter))
        if rec.query.get("wait") in ("1", "true", "True"):
            return json_response(msg)
        return web.Response(status=204)

    async def _webhook_message(self, rec: Recorded, app_id: str, token: str, mid: str) -> web.Response:
        inter = self._by_token.get(token)
        if int(app_id) != self.application_id or inter is None:
            return _error(404, "Unknown Webhook", 10015)
        msg_id = inter.original_id if mid == "@original" else int(mid)
        if (
            msg_id is None
            or msg_id not in self.messages
            or (mid != "@original" and msg_id not in inter.followup_ids and msg_id != inter.original_id)
        ):
            return _error(404, "Unknown Message", 10008)
        if rec.method == "DELETE":
            del self.messages[msg_id]
            return web.Response(status=204)
        msg = self.messages[msg_id]
        if rec.method == "PATCH":
            problem = message_problem(rec.json or {}, existing=msg)
            if problem is not None:
                return json_response(problem.body(), 400)
            msg = self._edit_message(msg, rec.json or {}, rec.files)
            await self._late(self._interaction_delay(inter))
        return json_response(msg)

    def _channel_or_error(self, cid: str) -> tuple[JSONDict | None, web.Response | None]:
        ch = self.channels.get(int(cid))
        if ch is None or int(cid) in self.deleted_channels:
            return None, _error(404, "Unknown Channel", 10003)
        return ch, None

    async def _get_channel(self, rec: Recorded, cid: str) -> web.Response:
        ch, err = self._channel_or_error(cid)
        return err or json_response(ch)

    def _channel_fault(self, cid: int) -> web.Response | None:
        fault = self._channel_faults.get(cid)
        if fault is None:
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                del self._channel_faults[cid]
        if fault.status == 429:
            retry = 0.1 if fault.retry_after is None else fault.retry_after
            headers = {
                "Retry-After": str(max(1, math.ceil(retry))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                "X-RateLimit-Reset-After": f"{retry:.3f}",
                "X-RateLimit-Bucket": "double-channel-bucket",
                "X-RateLimit-Scope": "user",
                "Via": "1.1 google",  # discord.py needs Via to trust a 429
            }
            body = {
                "message": fault.message or "You are being rate limited.",
                "retry_after": retry,
                "global": False,
            }
            if fault.code is not None:
                body["code"] = fault.code
            return json_response(body, 429, headers)
        message, code = _CHANNEL_ERRORS.get(fault.status, (f"{fault.status}: Error", 0))
        return _error(fault.status, fault.message or message, fault.code if fault.code is not None else code)

    async def _post_message(self, rec: Recorded, cid: str) -> web.Response:
        ch, err = self._channel_or_error(cid)
        if err or ch is None:
            return err or _error(404, "Unknown Channel", 10003)
        fault = self._channel_fault(int(cid))
        if fault:
            return fault
        recipient = self._dm_recipient(int(cid))
        if recipient is not None and recipient in self.dms_closed:
            return _error(403, "Cannot send messages to this user", 50007)
        body = rec.json or {}
        if not (
            body.get("content")
            or body.get("embeds")
            or body.get("components")
            or rec.files
            or body.get("sticker_ids")
            or body.get("poll")
        ):
            return _error(400, "Cannot send an empty message", 50006)
        problem = message_problem(body)
        if problem is not None:
            return json_response(problem.body(), 400)
        problem = _allowed_mentions_problem(body.get("allowed_mentions"))
        if problem is not None:
            return json_response(
                {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {"allowed_mentions": {"_errors": [problem]}},
                },
                400,
            )
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > MAX_NONCE_LENGTH:
            return _error(400, "Invalid Form Body (nonce: Must be 25 or fewer in length.)", 50035)
        seen_key = (int(cid), self.bot_user_id, str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get(seen_key)
            if seen is not None and rec.at - seen[0] <= self.nonce_window and seen[1] in self.messages:
                # Discord: the same author's nonce seen within the past few minutes returns that
                # message instead of creating another.
                self.deduplicated.append(rec)
                return json_response(self.messages[seen[1]])
        reference = body.get("message_reference")
        if reference:
            problem = self._reference_problem(int(cid), reference)
            if problem is not None and reference.get("fail_if_not_exists", True) is not False:
                return json_response(
                    {
                        "message": "Invalid Form Body",
                        "code": 50035,
                        "errors": {"message_reference": {"_errors": [problem]}},
                    },
                    400,
                )
            if problem is not None:  # Discord then sends a plain message, not a reply
                body = {k: v for k, v in body.items() if k != "message_reference"}
                reference = None
            else:
                reference = {**reference, "message_id": str(reference["message_id"]), "channel_id": cid}
                body = {**body, "message_reference": {**reference, "guild_id": str(self.guild_id)}}
        msg = self._message(int(cid), body, rec.files, type_=19 if reference else 0)
        if reference:
            msg["referenced_message"] = dict(self.messages[int(reference["message_id"])])
        if nonce is not None:
            self._nonces[seen_key] = (rec.at, int(msg["id"]))
        self.channel_messages.setdefault(int(cid), []).append(msg)
        ch["last_message_id"] = msg["id"]
        if int(cid) in self._slow_answers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._answer_now.wait(), self._slow_answers[int(cid)])
        return json_response(msg)

    def _reference_problem(self, cid: int, reference: JSONDict) -> JSONDict | None:
        """Why a reply's `message_reference` can't be honoured (Discord's error entry), or None."""
        mid = reference.get("message_id")
        target = self.messages.get(int(mid)) if str(mid or "").isdigit() else None
        where = str(reference.get("channel_id") or cid)
        if target is None or target["channel_id"] != where or where != str(cid):
            return {"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}
        return None

    async def _list_messages(self, rec: Recorded, cid: str) -> web.Response:
        _, err = self._channel_or_error(cid)
        if err:
            return err
        limit = int(rec.query.get("limit", 50))
        live = [m for m in self.channel_messages.get(int(cid), []) if int(m["id"]) in self.messages]
        return json_response(list(reversed(live))[:limit])

    async def _channel_message(self, rec: Recorded, cid: str, mid: str) -> web.Response:
        _, err = self._channel_or_error(cid)
        if err:
            return err
        if rec.method == "PATCH":
            fault = self._channel_fault(int(cid))
            if fault:
                return fault
        msg = self.messages.get(int(mid))
        if msg is None or msg["channel_id"] != cid:
            return _error(404, "Unknown Message", 10008)
        if rec.method == "DELETE":
            del self.messages[int(mid)]
            return web.Response(status=204)
        if rec.method == "PATCH":
            problem = message_problem(rec.json or {}, existing=msg)
            if problem is not None:
                return json_response(problem.body(), 400)
            msg = self._edit_message(msg, rec.json or {}, rec.files)
            self.edits.append(rec)
            if int(cid) in self._slow_edits:
                await self._late(self._slow_answers.get(int(cid)))
        return json_response(msg)

    async def _typing(self, rec: Recorded, cid: str) -> web.Response:
        _, err = self._channel_or_error(cid)
        return err or web.Response(status=204)

    def _guild_or_error(self, gid: str) -> web.Response | None:
        return None if int(gid) == self.guild_id else _error(404, "Unknown Guild", 10004)

    async def _get_guild(self, rec: Recorded, gid: str) -> web.Response:
        err = self._guild_or_error(gid)
        if err:
            return err
        data = self.guild_payload()
        if rec.query.get("with_counts") in ("1", "true", "True"):
            data.update(approximate_member_count=len(self.members), approximate_presence_count=0)
        return json_response(data)

    async def _get_guild_channels(self, rec: Recorded, gid: str) -> web.Response:
        return self._guild_or_error(gid) or json_response(
            [c for c in self.channels.values() if c.get("guild_id") == gid]
        )

    async def _get_roles(self, rec: Recorded, gid: str) -> web.Response:
        return self._guild_or_error(gid) or json_response(list(self.roles.values()))

    async def _list_members(self, rec: Recorded, gid: str) -> web.Response:
        err = self._guild_or_error(gid)
        if err:
            return err
        after, limit = int(rec.query.get("after", 0)), int(rec.query.get("limit", 1))
        ids = sorted(u for u in self.members if u > after)[:limit]
        return json_response([self.member_payload(u) for u in ids])

    async def _get_member(self, rec: Recorded, gid: str, uid: str) -> web.Response:
        err = self._guild_or_error(gid)
        if err:
            return err
        if int(uid) not in self.members:
            return _error(404, "Unknown Member", 10007)
        return json_response(self.member_payload(int(uid)))


def _allowed_mentions_problem(allowed: Any) -> JSONDict | None:
    """Why Discord would refuse these `allowed_mentions` (400, 50035), or None."""
    if allowed is None:
        return None
    if not isinstance(allowed, dict):
        return {"code": "MODEL_TYPE_CONVERT", "message": "Only dictionaries may be used in a ModelType"}
    parse = allowed.get("parse") or []
    if any(kind not in ("users", "roles", "everyone") for kind in parse):
        return {"code": "ENUM_TYPE_COERCE", "message": "Value must be one of ('users', 'roles', 'everyone')"}
    for kind in ("users", "roles"):
        ids = allowed.get(kind) or []
        if ids and kind in parse:
            return {
                "code": "ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                "message": f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            }
        if len(ids) > 100:
            return {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 100 or fewer in length."}
    return None


def pinged(message: JSONDict) -> tuple[set[int], set[int], bool]:
    """Whom Discord notified for a message the double created: user ids, role ids, @everyone/@here."""
    return (
        {int(u["id"]) for u in message.get("mentions") or []},
        {int(r) for r in message.get("mention_roles") or []},
        bool(message.get("mention_everyone")),
    )


def _guess_option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    if isinstance(value, FakeMember):
        return 6
    return 3


# What Discord accepts at the top of a modal (components reference, "Using modal components"):
# an action row holding one text input (the older layout), a Label around one input, or a Text
# Display (type 10, markdown `content`, at most 4000 characters). 1-5 of them, title <= 45.
_MODAL_INPUTS = (3, 4, 5, 6, 7, 8)
MODAL_MAX_COMPONENTS = 5
TEXT_DISPLAY_MAX = 4000


def _modal_problem(data: JSONDict) -> str | None:
    """Why Discord would refuse this modal (a 400 Invalid Form Body), or None."""
    if not {"custom_id", "title", "components"} <= set(data):
        return "custom_id, title and components are required"
    if not isinstance(data["title"], str) or not 1 <= len(data["title"]) <= 45:
        return "title must be 1-45 characters"
    top = data["components"]
    if not isinstance(top, list) or not 1 <= len(top) <= MODAL_MAX_COMPONENTS:
        return "a modal has 1 to 5 components"
    for component in top:
        kind = component.get("type") if isinstance(component, dict) else None
        if kind == 10:
            content = component.get("content")
            if not isinstance(content, str) or not 1 <= len(content) <= TEXT_DISPLAY_MAX:
                return "a text display needs content of 1-4000 characters"
        elif kind == 18:
            inner = component.get("component")
            label, description = component.get("label"), component.get("description")
            if not isinstance(label, str) or not 1 <= len(label) <= 45:
                return "a label needs a label of 1-45 characters"
            if description is not None and (not isinstance(description, str) or len(description) > 100):
                return "a label's description is at most 100 characters"
            if not isinstance(inner, dict) or inner.get("type") not in _MODAL_INPUTS:
                return "a label holds one input"
        elif kind == 1:
            inner_list = component.get("components")
            if not isinstance(inner_list, list) or len(inner_list) != 1 or inner_list[0].get("type") != 4:
                return "an action row in a modal holds one text input"
        else:
            return f"component type {kind!r} is not allowed at the top of a modal"
    return None


def _walk(components: list[JSONDict]) -> list[JSONDict]:
    out: list[JSONDict] = []
    for c in components:
        out.append(c)
        out.extend(_walk(c.get("components") or []))
        if c.get("component"):
            out.extend(_walk([c["component"]]))
    return out
