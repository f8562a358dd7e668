"""The Discord double accepts what Discord accepts and refuses what it refuses, for message
bodies (tests/doubles/_components.py): components v2 (IS_COMPONENTS_V2, 40 components, 4000
characters, no content or embeds beside it, a flag an edit can't remove) and the older action
rows. Over HTTP, as a client sees it: a refusal is 400 Invalid Form Body (50035) with Discord's
error entry, and nothing is created or changed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.doubles._components import IS_COMPONENTS_V2, message_problem
from tests.doubles.discord_double import DiscordDouble, _Session

V2 = IS_COMPONENTS_V2


def text(content: str = "hello") -> dict[str, Any]:
    return {"type": 10, "content": content}


def button(custom_id: str = "b", label: str = "Go") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def row(*items: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(items)}


def container(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": 17, "components": list(items), **extra}


def code(body: dict[str, Any], existing: dict[str, Any] | None = None) -> str | None:
    problem = message_problem(body, existing)
    return problem.code if problem else None


# -- the rules ------------------------------------------------------------------------------------


def test_a_dashboard_like_v2_message_is_accepted() -> None:
    body = {
        "flags": V2,
        "content": None,  # discord.py sends content: null beside a LayoutView
        "components": [
            container(
                text("## Board"),
                {"type": 14, "divider": True, "spacing": 1},
                text("lines"),
                accent_color=0xFF0000,
            ),
            {"type": 9, "components": [text("a"), text("b")], "accessory": button("s")},
            row(button("x"), button("y")),
            text("-# footer"),
        ],
    }
    assert message_problem(body) is None


def test_v2_holds_only_components() -> None:
    components = [text()]
    assert code({"flags": V2, "components": components, "content": "hi"}) == (
        "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2"
    )
    assert code({"flags": V2, "components": components, "embeds": [{"title": "x"}]}) is not None
    assert code({"flags": V2, "components": components, "sticker_ids": ["1"]}) is not None
    assert code({"flags": V2, "components": components, "content": "", "embeds": []}) is None


def test_at_most_40_components_at_every_depth_and_4000_characters() -> None:
    forty = [container(*(text(str(n)) for n in range(39)))]  # the container counts too
    assert code({"flags": V2, "components": forty}) is None
    assert code({"flags": V2, "components": [*forty, text()]}) == "COMPONENT_MAX_TOTAL_COMPONENTS_EXCEEDED"
    buttons = [row(*(button(f"{r}-{n}") for n in range(5))) for r in range(7)]  # 7 rows + 35 buttons
    assert code({"flags": V2, "components": buttons}) == "COMPONENT_MAX_TOTAL_COMPONENTS_EXCEEDED"
    assert code({"flags": V2, "components": [text("x" * 2000), container(text("y" * 2000))]}) is None
    assert code({"flags": V2, "components": [text("x" * 2000), container(text("y" * 2001))]}) == (
        "COMPONENT_MAX_TEXT_LENGTH_EXCEEDED"
    )


def test_without_the_flag_only_action_rows_and_2000_characters() -> None:
    assert code({"components": [text()]}) == "COMPONENT_LAYOUT_V2_REQUIRED"
    assert code({"components": [container(text())]}) == "COMPONENT_LAYOUT_V2_REQUIRED"
    assert code({"content": "x", "components": [row(button())] * 1}) is None
    assert (
        code({"content": "x", "components": [row(button(str(n))) for n in range(6)]})
        == "BASE_TYPE_MAX_LENGTH"
    )
    assert code({"content": "x" * 2001}) == "BASE_TYPE_MAX_LENGTH"
    assert code({"content": "x" * 2000}) is None
    assert code({"embeds": [{"title": str(n)} for n in range(11)]}) == "BASE_TYPE_MAX_LENGTH"


def test_rows_buttons_sections_containers_and_ids() -> None:
    assert code({"components": [row(*(button(str(n)) for n in range(6)))]}) == "BASE_TYPE_MAX_LENGTH"
    assert code({"components": [row()]}) == "BASE_TYPE_REQUIRED"
    assert code({"components": [row(button("a"), {"type": 3, "custom_id": "s", "options": []})]}) is not None
    assert code({"components": [row({"type": 2, "style": 1, "label": "no id"})]}) == (
        "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED"
    )
    assert code({"components": [row(button("a", "x" * 81))]}) == "BASE_TYPE_MAX_LENGTH"
    assert (
        code({"components": [row({"type": 2, "style": 5, "label": "site", "url": "https://x.org"})]}) is None
    )
    assert code({"components": [row(button("same"), button("same"))]}) == "COMPONENT_CUSTOM_ID_DUPLICATED"
    assert (
        code({"flags": V2, "components": [{**text(), "id": 3}, {**text(), "id": 3}]})
        == "COMPONENT_ID_DUPLICATED"
    )
    assert code({"flags": V2, "components": [{"type": 9, "components": [text()]}]}) == "BASE_TYPE_REQUIRED"
    four = {"type": 9, "components": [text()] * 4, "accessory": button()}
    assert code({"flags": V2, "components": [four]}) == "BASE_TYPE_BAD_LENGTH"
    thumbnail = {"type": 11, "media": {"url": "https://x.org/a.png"}}
    assert code({"flags": V2, "components": [container(thumbnail)]}) == "UNION_TYPE_CHOICES"
    assert code({"flags": V2, "components": [container()]}) == "BASE_TYPE_REQUIRED"
    assert code({"flags": V2, "components": [container(text(), accent_color=0x1000000)]}) == "NUMBER_TYPE_MAX"
    assert code({"flags": V2, "components": [text("")]}) == "BASE_TYPE_REQUIRED"
    assert code({"flags": V2, "components": [{"type": 14, "spacing": 3}]}) == "BASE_TYPE_CHOICES"


def test_an_edit_keeps_the_flag_and_must_leave_no_content_beside_it() -> None:
    v2 = {"flags": V2, "content": "", "embeds": [], "components": [text()]}
    assert code({"components": [text("new")]}, existing=v2) is None
    assert code({"content": "hi"}, existing=v2) == "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2"
    assert code({"flags": 0, "content": "hi"}, existing=v2) is not None  # the flag can't be removed
    legacy = {"flags": 0, "content": "old", "embeds": [], "components": []}
    assert code({"flags": V2, "components": [text()]}, existing=legacy) is not None  # content left
    assert code({"flags": V2, "content": None, "components": [text()]}, existing=legacy) is None


# -- over HTTP ------------------------------------------------------------------------------------


@pytest.fixture
async def http() -> AsyncIterator[tuple[DiscordDouble, aiohttp.ClientSession]]:
    async with DiscordDouble() as dd, aiohttp.ClientSession(dd.api_base + "/") as session:
        yield dd, session


async def send(
    session: aiohttp.ClientSession, method: str, path: str, body: dict[str, Any]
) -> tuple[int, Any]:
    async with session.request(method, path.lstrip("/"), json=body) as answer:
        return answer.status, await answer.json() if answer.content_type == "application/json" else None


async def test_a_refused_body_is_a_50035_and_creates_or_changes_nothing(
    http: tuple[DiscordDouble, aiohttp.ClientSession],
) -> None:
    dd, session = http
    channel = dd.alert_channel_id
    status, error = await send(
        session,
        "POST",
        f"/channels/{channel}/messages",
        {"flags": V2, "content": "x", "components": [text()]},
    )
    assert status == 400 and error["code"] == 50035
    assert (
        error["errors"]["content"]["_errors"][0]["code"]
        == "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2"
    )
    too_many = [container(*(text(str(n)) for n in range(40)))]
    status, error = await send(
        session, "POST", f"/channels/{channel}/messages", {"flags": V2, "components": too_many}
    )
    assert status == 400 and error["code"] == 50035
    assert dd.channel_messages.get(channel, []) == []

    status, created = await send(
        session, "POST", f"/channels/{channel}/messages", {"flags": V2, "components": [text("v1")]}
    )
    assert status == 200 and created["flags"] == V2
    path = f"/channels/{channel}/messages/{created['id']}"
    status, error = await send(session, "PATCH", path, {"content": "sneaky"})
    assert status == 400 and error["code"] == 50035
    status, _ = await send(session, "PATCH", path, {"components": [text("x" * 4001)]})
    assert status == 400
    assert dd.messages[int(created["id"])]["components"] == [text("v1")] and dd.edits == []
    status, edited = await send(session, "PATCH", path, {"flags": 0, "components": [text("v2")]})
    assert status == 200 and edited["flags"] == V2 and edited["components"] == [text("v2")]


async def test_interaction_answers_and_follow_ups_follow_the_same_rules(
    http: tuple[DiscordDouble, aiohttp.ClientSession],
) -> None:
    dd, session = http
    dd._session = _Session(id="no client connected")  # the interaction is recorded, not delivered
    iid = await dd.dispatch_interaction(dd.slash_command("ping"))
    token = dd._interactions[int(iid)].payload["token"]
    callback = f"/interactions/{iid}/{token}/callback"
    status, _ = await send(
        session,
        "POST",
        callback,
        {"type": 4, "data": {"flags": V2 | 64, "content": "x", "components": [text()]}},
    )
    assert status == 400
    status, _ = await send(
        session, "POST", callback, {"type": 4, "data": {"flags": V2 | 64, "components": [text("ok")]}}
    )
    assert status == 204
    status, _ = await send(
        session, "POST", f"/webhooks/{dd.application_id}/{token}", {"components": [text()]}
    )
    assert status == 400  # a v2 component without the flag
