"""Flow Music: the form and answer parsers against the pages' shapes, registration through the real
bot and form, the documented errors, the list's empty shape, and the secret sweep with a token."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cookies import CookieError
from bot.models import UNREADABLE, FieldNote
from bot.services import REGISTRY, build_services
from bot.services.flowmusic import (
    FlowMusicService,
    created_for_status,
    parse_refresh_token,
)
from bot.store import Store
from bot.sync import sync_service
from bot.useapi import Failure, Transport, UseapiError
from bot.useapi.parsing import FieldError
from tests.doubles.useapi_double import UseapiDouble
from tests.harness import USEAPI_TOKEN, Rig, modal_inputs, running_rig, scenario_secrets

EPHEMERAL = 64
TOKEN = "l6eQ2mZp8wRt4vYxK3nz4v"  # shaped like the pages' "l6e…redacted…z4v"
EMAIL = "song@example.com"
SERVICES = ("luma", "flowmusic")

# The pages' examples, copied verbatim (post-/get-flowmusic-accounts*.txt, dated June 3, 2026).
RECORD: dict[str, Any] = {
    "email": "someone@example.com",
    "tier": "plus",
    "subscription_plan": "plus-monthly",
    "provider": "g1_entitlement",
    "user_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    "maxJobs": 12,
    "added": "2026-06-01T12:00:00.000Z",
    "refreshed_at": "2026-06-01T12:00:00.000Z",
    "refreshed_count": 0,
    "access_token": "eyJ…redacted…zmQ",
    "access_token_expires_at": "2026-06-01T13:00:00.000Z",
    "refresh_token": "l6e…redacted…z4v",
    "session_id": "f0e1d2c3-b4a5-4768-9a0b-1c2d3e4f5a6b",
}
ONE_ACCOUNT = {**RECORD, "credits_remaining": 5000, "tokens_remaining": 60000}
LIST = {"someone@example.com": RECORD}
NEEDS_YOU = "account needs re-authentication (re-run POST /accounts)"
ACCESS_EXPIRES = datetime(2026, 6, 1, 13, 0, tzinfo=UTC)


def service() -> FlowMusicService:
    return FlowMusicService(Transport(httpx.AsyncClient(), "https://api.useapi.net", "t", 2))


# -- (a) parsing the answers ---------------------------------------------------------------------


@pytest.mark.parametrize("example", [RECORD, ONE_ACCOUNT], ids=["POST 200/201", "GET one"])
def test_the_pages_record_reads_as_a_self_renewing_access_token_and_no_deadline(
    example: dict[str, Any],
) -> None:
    info = service().parse_account(example)
    assert info.service == "flowmusic" and info.account == "someone@example.com"
    assert info.self_renewing_expires_at == ACCESS_EXPIRES
    assert info.expires_at is None  # the refresh token's lifetime is not documented
    assert info.updated_at == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert (info.max_jobs, info.error, info.health) == (12, None, None)
    assert "redacted" not in repr(info)  # the redacted tokens are not read at all


def test_error_is_the_needs_a_person_signal() -> None:
    info = service().parse_account({**RECORD, "error": NEEDS_YOU})
    assert info.error == NEEDS_YOU and info.expires_at is None


def test_missing_fields_are_none_and_the_list_key_stands_in_for_the_email() -> None:
    info = service().parse_account({}, "keyed@example.com")
    assert info.account == "keyed@example.com"
    assert (info.self_renewing_expires_at, info.updated_at, info.max_jobs, info.error) == (None,) * 4
    assert service().parse_account({"email": None, "maxJobs": None}).account == ""


def test_a_numeric_expiry_is_read_too() -> None:
    seconds = int(ACCESS_EXPIRES.timestamp())
    info = service().parse_account({**RECORD, "access_token_expires_at": seconds})
    assert info.self_renewing_expires_at == ACCESS_EXPIRES


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("email", 42),
        ("maxJobs", "12"),
        ("maxJobs", True),
        ("access_token_expires_at", "in an hour"),
        ("access_token_expires_at", True),
        ("refreshed_at", ["2026-06-01"]),
        ("error", {"text": "x"}),
    ],
)
def test_a_present_field_of_the_wrong_type_is_a_field_error(name: str, value: object) -> None:
    with pytest.raises(FieldError):
        service().parse_account({**RECORD, name: value})


def test_created_follows_the_documented_statuses() -> None:
    assert created_for_status(201) is True
    assert created_for_status(200) is False
    assert created_for_status(204) is None


def test_the_account_path_url_encodes_the_email() -> None:
    assert (
        FlowMusicService.account_path("a+b/c@example.com") == "/v1/flowmusic/accounts/a%2Bb%2Fc%40example.com"
    )
    assert FlowMusicService.details_path == "/v1/flowmusic/accounts/{account}"


# -- (a) parsing the form ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pasted",
    [
        TOKEN,
        f"  {TOKEN}\n",
        f'"{TOKEN}"',
        f"'{TOKEN}'",
        f"refresh_token={TOKEN}",
        f"refresh_token: {TOKEN}",
        f'"refresh_token": "{TOKEN}",',
        json.dumps({"refresh_token": TOKEN}),
    ],
)
def test_the_token_is_accepted_as_people_paste_it(pasted: str) -> None:
    sub = service().parse_form({"refresh_token": pasted, "max_jobs": ""})
    assert sub.body == {"refresh_token": TOKEN}  # maxJobs left to the plan tier
    assert sub.secrets == (TOKEN,)


def test_a_whole_json_session_sends_only_the_refresh_token_and_scrubs_the_rest() -> None:
    access = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMDAw"
    session = {"access_token": access, "token_type": "bearer", "expires_in": 3600, "refresh_token": TOKEN}
    sub = service().parse_form({"refresh_token": json.dumps(session, indent=2), "max_jobs": "5"})
    assert sub.body == {"refresh_token": TOKEN, "maxJobs": 5}
    assert sub.secrets == (TOKEN, access)
    nested = json.dumps({"currentSession": session, "expiresAt": 1})
    assert service().parse_form({"refresh_token": nested}).body == {"refresh_token": TOKEN}


GOOGLE_STYLE = "1//0gFlowTok3n+Qw8/Xy=="  # slashes, a plus and padding: what URL-encoding changes


@pytest.mark.parametrize(
    "pasted",
    [
        GOOGLE_STYLE,
        f"refresh_token={quote(GOOGLE_STYLE, safe='+')}",  # from a form-encoded request body
        quote(GOOGLE_STYLE, safe="+"),
        quote(json.dumps({"access_token": "eyJ.a.b", "refresh_token": GOOGLE_STYLE}), safe=""),  # a cookie
    ],
)
def test_a_url_encoded_token_is_read_as_the_token_it_is(pasted: str) -> None:
    """A refresh token never holds `%`: escapes mean the paste was URL-encoded on its way."""
    assert service().parse_form({"refresh_token": pasted}).body == {"refresh_token": GOOGLE_STYLE}


def test_json_as_pasted_keeps_its_own_percent_signs() -> None:
    pasted = json.dumps({"refresh_token": TOKEN, "avatar": "https://example.com/a%22b"})
    assert service().parse_form({"refresh_token": pasted}).body == {"refresh_token": TOKEN}


@pytest.mark.parametrize(("raw", "expected"), [("", None), ("  ", None), ("1", 1), ("16", 16), (" 7 ", 7)])
def test_max_jobs_is_optional_and_within_one_to_sixteen(raw: str, expected: int | None) -> None:
    assert service().parse_form({"refresh_token": TOKEN, "max_jobs": raw}).body.get("maxJobs") == expected


@pytest.mark.parametrize("raw", ["0", "17", "-1", "x", "1.5", "100"])
def test_max_jobs_outside_the_range_is_refused(raw: str) -> None:
    with pytest.raises(CookieError, match="from 1 to 16"):
        service().parse_form({"refresh_token": TOKEN, "max_jobs": raw})


@pytest.mark.parametrize(
    ("pasted", "says"),
    [
        ("", "Nothing was pasted"),
        ("   ", "Nothing was pasted"),
        ('""', "is empty"),
        (f"{TOKEN}\n{TOKEN}", "line breaks"),
        (f"{TOKEN} {TOKEN}", "no spaces"),
        ("bdykxtrr5eaf...", "shortened"),
        ("l6e…redacted…z4v", "shortened"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "access token"),
        ("abc123xyz", "only 9 characters"),
        (f"{TOKEN};x", "characters a token can't hold"),
        (f"{TOKEN}é", "characters a token can't hold"),
        ("x" * 3001, "too long"),
        ("x" * 4001, "longer than any"),
        ('{"access_token": "eyJ.a.b"}', "no `refresh_token`"),
        ('{"refresh_token": 12345678901}', "not text"),
        ("{not json", "could not be read"),
        ("[1,2]", "characters a token can't hold"),
        ("{" + "[" * 3000, "could not be read"),
    ],
)
def test_bad_pastes_get_a_specific_sentence_that_never_repeats_the_token(pasted: str, says: str) -> None:
    with pytest.raises(CookieError) as caught:
        service().parse_form({"refresh_token": pasted})
    message = str(caught.value)
    assert says in message
    assert TOKEN not in message and "bdykxtrr5eaf" not in message and "l6e…" not in message


_TOKEN_ALPHABET = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-~+/=")
valid_tokens = st.text(_TOKEN_ALPHABET, min_size=10, max_size=300).filter(
    lambda t: not t.startswith("eyJ") and re.match(r"(?i)refresh[_-]?token", t) is None
)


@given(st.text(max_size=200))
def test_any_text_is_accepted_or_refused_with_a_cookie_error_only(pasted: str) -> None:
    try:
        token, _ = parse_refresh_token(pasted)
    except CookieError:
        return
    assert len(token) >= 10 and " " not in token and "\n" not in token
    assert parse_refresh_token(token)[0] == token  # what is accepted reads back the same


@given(valid_tokens)
def test_every_accepted_shape_of_a_token_round_trips(token: str) -> None:
    for pasted in (
        token,
        f'"{token}"',
        f"refresh_token={token}",
        f'"refresh_token": "{token}"',
        json.dumps({"refresh_token": token, "access_token": "a" * 20}),
    ):
        assert parse_refresh_token(pasted)[0] == token, pasted


# -- (b) registration end to end -----------------------------------------------------------------


def member(rig: Rig) -> int:
    return rig.discord.member_ids[0]


async def grant(rig: Rig) -> None:
    cb = await rig.slash("access", "grant", user=rig.discord.admin_id, target=member(rig))
    assert "may now register" in (await rig.answer(cb))["content"]


async def test_flowmusic_is_off_by_default_and_on_when_named_in_services(tmp_path: Path) -> None:
    assert REGISTRY["flowmusic"].on_by_default is False
    async with running_rig(tmp_path / "default") as rig:
        assert "flowmusic" not in {c["name"] for c in rig.discord.synced_guild_commands[rig.discord.guild_id]}
    async with running_rig(tmp_path / "on", services=SERVICES) as rig:
        commands = {c["name"]: c for c in rig.discord.synced_guild_commands[rig.discord.guild_id]}
        assert [o["name"] for o in commands["flowmusic"]["options"]] == ["register", "remove"]


async def test_registration_end_to_end_sends_the_documented_body(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=SERVICES) as rig:
        rig.useapi.flowmusic.teach_token(TOKEN, EMAIL, tier="starter")
        await grant(rig)
        opened = await rig.slash("flowmusic", "register", user=member(rig))
        assert opened.type == 9 and opened.data["title"] == "Register your Flow Music account"
        labels = {c["component"]["custom_id"]: c for c in opened.data["components"]}
        assert "flowmusic.app" in labels["refresh_token"]["description"]
        assert labels["max_jobs"]["component"]["required"] is False
        assert set(modal_inputs(opened)) == {"refresh_token", "max_jobs"}

        submitted = await rig.submit(
            opened, {"refresh_token": f' "{TOKEN}" ', "max_jobs": "5"}, user=member(rig)
        )
        assert submitted.type == 5 and submitted.data["flags"] & EPHEMERAL
        answer = await rig.followup(submitted)
        assert answer["flags"] & EPHEMERAL
        assert "accepted the Flow Music refresh token" in answer["content"]
        embed = answer["embeds"][0]
        assert EMAIL in embed["description"] and "Flow Music" in embed["title"]

        (post,) = rig.useapi.requests_to("POST", "/v1/flowmusic/accounts")
        assert post.json == {"refresh_token": TOKEN, "maxJobs": 5}
        assert post.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}"
        assert rig.useapi.flowmusic.accounts[EMAIL].max_jobs == 5

        store = rig.bot.store  # type: ignore[union-attr]
        stored = await store.get_account("flowmusic", EMAIL)
        assert stored is not None and stored.registered_by == member(rig)
        assert stored.expires_at is None and stored.max_jobs == 5 and stored.last_error is None
        # The sweep at the end of this block looks for the token.
        assert TOKEN in scenario_secrets(rig)


async def test_a_pasted_json_session_sends_only_the_refresh_token(tmp_path: Path) -> None:
    access = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzb25nIn0.QWNjZXNzU2lnbmF0dXJl"
    async with running_rig(tmp_path, services=SERVICES) as rig:
        rig.add_secret(access)
        rig.useapi.flowmusic.teach_token(TOKEN, EMAIL)
        await grant(rig)
        opened = await rig.slash("flowmusic", "register", user=member(rig))
        pasted = json.dumps({"access_token": access, "token_type": "bearer", "refresh_token": TOKEN})
        answer = await rig.followup(await rig.submit(opened, {"refresh_token": pasted}, user=member(rig)))
        assert EMAIL in answer["embeds"][0]["description"]
        (post,) = rig.useapi.requests_to("POST", "/v1/flowmusic/accounts")
        assert post.json == {"refresh_token": TOKEN}
        assert access.encode() not in post.raw_body
        assert {TOKEN, access} <= set(scenario_secrets(rig))


async def test_a_bad_paste_is_answered_privately_and_nothing_is_sent(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=SERVICES) as rig:
        await grant(rig)
        opened = await rig.slash("flowmusic", "register", user=member(rig))
        jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlU2VjcmV0"
        submitted = await rig.submit(opened, {"refresh_token": jwt}, user=member(rig))
        assert submitted.type == 4 and submitted.data["flags"] & EPHEMERAL
        assert "access token" in submitted.data["content"] and "Nothing was sent" in submitted.data["content"]
        assert jwt not in submitted.data["content"]
        assert rig.useapi.requests_to("POST", ".*") == []
        assert jwt in scenario_secrets(rig)  # typed into the form: the sweep looks for it


# -- (c) documented errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (
            400,
            {"error": "Parameter refresh_token is required", "code": 400},
            "Parameter refresh_token is required",
        ),
        (401, None, "USEAPI_TOKEN"),  # the double's own 401 (JSON)
        (401, "", "USEAPI_TOKEN"),  # the page shows no 401 body: an empty one
        (401, "Unauthorized", "USEAPI_TOKEN"),  # or plain text
    ],
)
async def test_documented_errors_are_explained_privately_and_store_nothing(
    tmp_path: Path, status: int, body: object, says: str
) -> None:
    async with running_rig(tmp_path, services=SERVICES) as rig:
        rig.useapi.flowmusic.teach_token(TOKEN, EMAIL)
        await grant(rig)
        if body is not None:
            rig.useapi.inject("POST", "/v1/flowmusic/accounts", status=status, body=body)
        elif status == 401:
            rig.useapi.token = "another-token"
        opened = await rig.slash("flowmusic", "register", user=member(rig))
        submitted = await rig.submit(opened, {"refresh_token": TOKEN}, user=member(rig))
        assert submitted.type == 5
        answer = await rig.followup(submitted)
        assert answer["flags"] & EPHEMERAL and says in answer["content"]
        assert TOKEN not in answer["content"]
        store = rig.bot.store  # type: ignore[union-attr]
        assert await store.list_accounts() == []
        assert (await store.recent_audit())[0].outcome.startswith("upstream:")
        assert rig.useapi.flowmusic.accounts == {}


async def test_a_token_useapi_cannot_refresh_is_refused_with_its_words(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=SERVICES) as rig:
        await grant(rig)  # nothing taught: the double answers 400 "Failed to refresh token"
        opened = await rig.slash("flowmusic", "register", user=member(rig))
        answer = await rig.followup(await rig.submit(opened, {"refresh_token": TOKEN}, user=member(rig)))
        assert "did not accept" in answer["content"] and "Failed to refresh token" in answer["content"]
        store = rig.bot.store  # type: ignore[union-attr]
        assert await store.list_accounts() == []
        (audit,) = [a for a in await store.recent_audit() if a.action == "register"]
        assert audit.outcome == "upstream:bad_request"


# -- (d) the list, one account, delete, against the double ---------------------------------------


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[UseapiDouble, FlowMusicService, Transport]]:
    async with UseapiDouble(token=USEAPI_TOKEN) as ua, httpx.AsyncClient() as http:
        services = build_services(
            http, base_url=ua.base_url, token=USEAPI_TOKEN, timeout=3, enabled=("flowmusic",)
        )
        flow = services["flowmusic"]
        assert isinstance(flow, FlowMusicService)
        yield ua, flow, Transport(http, ua.base_url, USEAPI_TOKEN, 3)


Upstream = tuple[UseapiDouble, FlowMusicService, Transport]


async def test_an_empty_object_is_no_accounts(upstream: Upstream) -> None:
    ua, flow, _ = upstream
    assert await flow.list_accounts() == []
    (get,) = ua.requests_to("GET", "/v1/flowmusic/accounts")
    assert get.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}"


async def test_the_list_reports_each_account_and_its_signals(upstream: Upstream) -> None:
    ua, flow, _ = upstream
    now = datetime.now(UTC).replace(microsecond=0)
    ua.flowmusic.set_account("ok@example.com", tier="free", refreshed_at=now)
    ua.flowmusic.set_account(
        "bad@example.com", error=NEEDS_YOU, access_token_expires_at=now - timedelta(hours=2)
    )
    accounts = {a.account: a for a in await flow.list_accounts()}
    assert set(accounts) == {"ok@example.com", "bad@example.com"}
    assert accounts["ok@example.com"].self_renewing_expires_at == now + timedelta(hours=1)
    assert accounts["ok@example.com"].max_jobs == 2 and accounts["ok@example.com"].error is None
    assert accounts["bad@example.com"].error == NEEDS_YOU
    assert all(a.expires_at is None for a in accounts.values())


async def test_the_pages_list_example_reads(upstream: Upstream) -> None:
    ua, flow, _ = upstream
    ua.inject("GET", "/v1/flowmusic/accounts", status=200, body=LIST)
    (info,) = await flow.list_accounts()
    assert info.account == "someone@example.com" and info.self_renewing_expires_at == ACCESS_EXPIRES


@pytest.mark.parametrize(
    ("status", "body", "failure"),
    [
        (200, [], Failure.BAD_RESPONSE),
        (200, "[]", Failure.BAD_RESPONSE),
        (200, '"none"', Failure.BAD_RESPONSE),
        (200, "null", Failure.BAD_RESPONSE),
        (200, "<html>maintenance</html>", Failure.BAD_RESPONSE),
        (200, {"a@example.com": "not an object"}, Failure.BAD_RESPONSE),
        # Not the documented empty shape: a 404 must never read as "every account is gone".
        (404, {"error": "Not found", "code": 404}, Failure.UNAVAILABLE),
        (404, "", Failure.UNAVAILABLE),
    ],
)
async def test_an_unreadable_list_is_a_failure_not_no_accounts(
    upstream: Upstream, status: int, body: object, failure: Failure
) -> None:
    ua, flow, _ = upstream
    ua.inject("GET", "/v1/flowmusic/accounts", status=status, body=body)
    with pytest.raises(UseapiError) as caught:
        await flow.list_accounts()
    assert caught.value.failure is failure


async def test_one_odd_field_is_unknown_not_a_failed_list(upstream: Upstream) -> None:
    """(Until issue 18 this list was a BAD_RESPONSE.)"""
    ua, flow, _ = upstream
    body = {RECORD["email"]: {**RECORD, "maxJobs": "12"}}
    ua.inject("GET", "/v1/flowmusic/accounts", status=200, body=body)
    (info,) = await flow.list_accounts()
    assert info.account == RECORD["email"] and info.max_jobs is None
    assert info.unreadable == (FieldNote("maxJobs", UNREADABLE),)


async def test_malformed_json_is_a_failure(upstream: Upstream) -> None:
    ua, flow, _ = upstream
    ua.inject("GET", "/v1/flowmusic/accounts", malformed=True)
    with pytest.raises(UseapiError) as caught:
        await flow.list_accounts()
    assert caught.value.failure is Failure.BAD_RESPONSE


async def test_a_failed_list_leaves_the_tracked_accounts_alone(upstream: Upstream, store: Store) -> None:
    ua, flow, _ = upstream
    ua.flowmusic.set_account("kept@example.com", error=NEEDS_YOU)
    now = datetime.now(UTC)
    first = await sync_service(flow, store, now)
    assert first.ok and first.seen == 1
    (tracked,) = await store.list_accounts("flowmusic")
    assert tracked.account == "kept@example.com" and tracked.last_error == NEEDS_YOU
    ua.inject("GET", "/v1/flowmusic/accounts", status=404, body={"error": "Not found"})
    second = await sync_service(flow, store, now + timedelta(minutes=5))
    assert not second.ok
    (still,) = await store.list_accounts("flowmusic")
    assert still.account == "kept@example.com" and still.gone_at is None


async def test_one_account_and_delete_use_the_url_encoded_email(upstream: Upstream) -> None:
    ua, flow, transport = upstream
    email = "a+b@example.com"
    ua.flowmusic.set_account(email)
    path = flow.account_path(email)
    one = await transport.request("GET", path, label=flow.label)
    info = flow.parse_account(one)
    assert info.account == email and one["credits_remaining"] == 5000
    (get,) = ua.requests_to("GET", "/v1/flowmusic/accounts/.+")
    assert path.endswith("/a%2Bb%40example.com") and get.path == f"/v1/flowmusic/accounts/{email}"
    assert await transport.request("DELETE", path, label=flow.label) is None  # 204, empty body
    assert ua.flowmusic.accounts == {}
    for method in ("GET", "DELETE"):
        with pytest.raises(UseapiError) as caught:
            await transport.request(method, path, label=flow.label)
        assert caught.value.status == 404


async def test_register_reads_a_201_and_a_200_alike(upstream: Upstream) -> None:
    ua, flow, _ = upstream
    ua.flowmusic.teach_token(TOKEN, EMAIL)
    first = await flow.register(flow.parse_form({"refresh_token": TOKEN}))
    second = await flow.register(flow.parse_form({"refresh_token": TOKEN, "max_jobs": "3"}))
    assert first.account == second.account == EMAIL
    assert second.max_jobs == 3
    assert [r.json for r in ua.requests_to("POST", "/v1/flowmusic/accounts")] == [
        {"refresh_token": TOKEN},
        {"refresh_token": TOKEN, "maxJobs": 3},
    ]


async def test_an_answer_without_an_email_but_with_an_error_is_a_refusal(upstream: Upstream) -> None:
    ua, flow, _ = upstream
    ua.inject("POST", "/v1/flowmusic/accounts", status=200, body={"error": f"bad token {TOKEN}"})
    with pytest.raises(UseapiError) as caught:
        await flow.register(flow.parse_form({"refresh_token": TOKEN}))
    assert caught.value.failure is Failure.BAD_REQUEST
    assert TOKEN not in str(caught.value) and "[redacted]" in str(caught.value)
