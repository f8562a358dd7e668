"""Mureka: every generation of account shape on its pages, the two-way login form (hypothesis),
the double's routes and the profile's credits, registration through the form with each
documented error, and its warnings end to end."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cookies import CookieError
from bot.services import REGISTRY
from bot.services.mureka import MurekaService, mureka_expiry, parse_tokens, profile_credits
from bot.signals import UNREFRESHED_GRACE
from bot.useapi import Credit, CreditSource, EmptyList, Failure, UseapiError
from bot.useapi.parsing import FieldError
from tests.catalogue import (
    START,
    H,
    clock,
    grant,
    manual_rig,
    open_form,
    refused_locally,
    refused_upstream,
    register,
    renew_buttons,
    run_pass,
    service_on_double,
    sync_again,
    titles,
    warnings,
)
from tests.doubles.services.mureka import TOKENS_REFUSED, MurekaDouble
from tests.harness import bot_vocabulary, modal_inputs, running_rig, runs, scenario_secrets, sweep

EMAIL = "mu@re.ka"  # shorter than the sweep's 8 characters: shown back on purpose
PASSWORD = "Mureka-Passw0rd-7Qp2"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtdXJla2EifQ.MurekaTok3nSig"
REFRESH = "mrk-refresh-Lm9PqW1xKq3Zt9Vb7"
ACCOUNT = "64532357578753"

# The pages' examples ("[email protected]" is the store's rendering of an address).
LIST_JAN_2026 = {
    "123456789": {
        "account": "123456789",
        "token": "abc…secured…xyz",
        "updated": 1724514995,
        "updatedUTC": "2024-10-24T15:56:35.000Z",
        "tokenIssuedDaysAgo": 29,
        "hasAutoRefresh": True,
        "email": "[email protected]",
        "sessionCookie": {
            "name": "__Secure-3PSID",
            "value": "g.a000abc…secured…12345",
            "domain": ".google.com",
            "path": "/",
            "expires": "2026-02-15T12:00:00.000Z",
            "httpOnly": True,
            "secure": True,
            "sameSite": "None",
            "added": "2026-01-15T10:30:00.000Z",
        },
    },
    "987654321": {
        "account": "987654321",
        "token": "def…secured…uvw",
        "updated": 1724514995,
        "updatedUTC": "2024-10-24T15:56:35.000Z",
        "tokenIssuedDaysAgo": 1,
        "hasAutoRefresh": False,
        "error": "Session refresh failed 2026-01-19T14:31:15.000Z, manual update required",
    },
}
LIST_DEC_2024 = {
    "123456789": {
        "updated": 1724514995,
        "account": "123456789",
        "token": "<token a>",
        "updatedUTC": "2024-10-24T15:56:35.000Z ",
    },
    "987654321": {
        "updated": 1724514995,
        "account": "987654321",
        "token": "<token b>",
        "updatedUTC": "2024-10-24T15:56:35.000Z ",
    },
}
GET_ACCOUNT_LEGACY = {
    "updated": 1724514995,
    "account": "123456789",
    "token": "<token a>",
    "updatedUTC": "2024-10-24T15:56:35.000Z ",
    "tokenIssuedDaysAgo": 30,
}
POST_JAN_2026 = {
    "64532357578753": {
        "account": "64532357578753",
        "token": "JfE...secured...2sWc",
        "hasAutoRefresh": True,
        "tokenIssuedDaysAgo": 0,
        "updatedUTC": "2026-01-19T04:38:16.000Z",
        "sessionCookie": {
            "name": "__Secure-3PSID",
            "value": "g.a0005wi...secured...90076",
            "domain": ".google.com",
            "path": "/",
            "expires": "2027-02-23T04:38:16.033Z",
            "httpOnly": True,
            "secure": True,
            "sameSite": "None",
            "added": "2026-01-19T04:38:16.000Z",
        },
        "user": {"id": "64532357578753", "name": "User", "avatar": "https://...", "gold": 40, "vip_type": 2},
    }
}
POST_LEGACY_201 = {
    "updated": 1724514995,
    "account": "123456789",
    "token": "<token>",
    "updatedUTC": "2024-10-24T15:56:35.000Z",
    "email": "user@gmail.com",
}
PROFILE_FEB_2026 = {
    "user": {
        "id": "987654321",
        "user_id": 987654321,
        "stage_name": "useapi.net",
        "is_vip": True,
        "vip_level": 2,
        "created_on": 1756353867,
        "vip_end": 1771632412,
        "vip_name": "Monthly Pro",
        "created_on_UTC": "2025-08-28T04:04:27.000Z",
        "vip_end_UTC": "2026-02-21T00:06:52.000Z",
    },
    "country_code": "US",
    "credits": 500,
    "feed_list_count": 574,
    "credits_silver": 4,
    "free_download_mp3_models": ["V8"],
}
PROFILE_DEC_2024 = {
    "user": {"id": "987654321", "vip_end": 123456789},
    "credits": 15879,
    "feed_list_count": 9272,
}
LEGACY_DEADLINE = datetime(2024, 11, 23, 15, 56, 35, tzinfo=UTC)  # updatedUTC + 30 days


@pytest.fixture
def mureka() -> MurekaService:
    return MurekaService(transport=None)  # type: ignore[arg-type]  # parsing only


# -- (a) the account shapes, every generation --------------------------------------------------------


def test_the_january_2026_list_cookie_mode_and_a_failed_refresh(mureka: MurekaService) -> None:
    cookie, failed = (mureka.parse_account(v, k) for k, v in LIST_JAN_2026.items())
    assert cookie.account == "123456789" and cookie.service == "mureka"
    assert cookie.expires_at == datetime(2026, 2, 15, 12, 0, tzinfo=UTC)  # sessionCookie.expires
    assert cookie.self_renewing_expires_at is None and cookie.error is None
    assert cookie.updated_at == datetime(2024, 10, 24, 15, 56, 35, tzinfo=UTC)  # updatedUTC wins
    assert failed.account == "987654321"
    assert failed.error == "Session refresh failed 2026-01-19T14:31:15.000Z, manual update required"
    assert failed.expires_at == LEGACY_DEADLINE  # no auto-refresh: the token's 30 days


def test_the_2024_legacy_shapes_have_the_tokens_thirty_days(mureka: MurekaService) -> None:
    listed = [mureka.parse_account(v, k) for k, v in LIST_DEC_2024.items()]
    assert [(a.account, a.expires_at, a.error) for a in listed] == [
        ("123456789", LEGACY_DEADLINE, None),
        ("987654321", LEGACY_DEADLINE, None),
    ]
    assert mureka.parse_account(GET_ACCOUNT_LEGACY).expires_at == LEGACY_DEADLINE
    posted = mureka.parse_account(POST_LEGACY_201)
    assert (posted.account, posted.expires_at) == ("123456789", LEGACY_DEADLINE)


def test_the_january_2026_registration_answer_is_keyed_by_the_account(mureka: MurekaService) -> None:
    info = mureka.parse_account(POST_JAN_2026)
    assert info.account == ACCOUNT and info.expires_at == datetime(2027, 2, 23, 4, 38, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("obj", "deadline", "renewing"),
    [
        # July 2026, email and password: useapi.net signs in again by itself.
        ({"authMode": "email", "tokenExpiresUTC": "2026-12-01T00:00:00Z", "updatedUTC": "2026-07-21T00:00:00Z"}, None, None),
        ({"authMode": "Email", "sessionCookie": {"expires": "2027-01-01T00:00:00Z"}}, None, None),
        # Token and refresh token: the token renews itself; the refresh token's life is the deadline.
        ({"authMode": "token", "tokenExpiresUTC": "2026-12-01T00:00:00Z"}, None, "2026-12-01T00:00:00Z"),
        ({"authMode": "token", "tokenExpireUTC": "2026-12-01T00:00:00Z", "refreshTokenExpiresUTC": "2027-01-01T00:00:00Z"},
         "2027-01-01T00:00:00Z", "2026-12-01T00:00:00Z"),
        ({"hasAutoRefresh": True, "tokenExpires": 1795000000}, None, "2026-11-18T11:06:40Z"),
        ({"authMode": "token", "refresh_token_expires_at": "1798000000000"}, "2026-12-23T04:26:40Z", None),
        # No auto-refresh: the token's own expiry, where shown, is the deadline.
        ({"hasAutoRefresh": False, "tokenExpiresAt": "2026-12-01T00:00:00+01:00"}, "2026-11-30T23:00:00Z", None),
        # Nothing said at all: unknown, not a guess.
        ({"account": "1"}, None, None),
        ({"authMode": "token"}, None, None),
    ],
)  # fmt: skip
def test_the_deadline_by_sign_in_mode(
    obj: dict[str, Any], deadline: str | None, renewing: str | None
) -> None:
    def at(text: str | None) -> datetime | None:
        return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))

    assert mureka_expiry(obj) == (at(deadline), at(renewing))


@pytest.mark.parametrize(
    ("obj", "key", "account"),
    [
        ({"account": "1"}, "2", "1"),
        ({}, "2", "2"),
        ({"user": {"id": 64532357578753}}, None, "64532357578753"),
        ({"account": 123456789}, None, "123456789"),
        ({"email": "a@b.co"}, None, ""),  # no id: the base refuses to track it under a guess
    ],
)
def test_the_account_id(mureka: MurekaService, obj: dict[str, Any], key: str | None, account: str) -> None:
    assert mureka.parse_account(obj, key).account == account


@pytest.mark.parametrize(
    ("obj", "health", "error"),
    [
        ({"health": "OK"}, "OK", None),
        (
            {"health": "error", "error": "Sign-in failed: wrong password"},
            "error",
            "Sign-in failed: wrong password",
        ),
        ({"health": "healthy"}, "OK", None),
    ],
)
def test_health_and_error_are_the_act_now_signals(
    mureka: MurekaService, obj: dict[str, Any], health: str | None, error: str | None
) -> None:
    info = mureka.parse_account(obj, ACCOUNT)
    assert (info.health, info.error) == (health, error)


def test_a_documented_time_of_the_wrong_shape_is_a_field_error(mureka: MurekaService) -> None:
    with pytest.raises(FieldError):
        mureka.parse_account({"sessionCookie": {"expires": "next month"}}, ACCOUNT)


def test_the_profiles_credits() -> None:
    assert profile_credits(PROFILE_FEB_2026) == (
        Credit(key="credits", label="credits", unit="credits", remaining=500),
        Credit(key="silver", label="silver credits", unit="credits", remaining=4),
    )
    assert [c.remaining for c in profile_credits(PROFILE_DEC_2024)] == [15879]
    gold = profile_credits({"user": POST_JAN_2026[ACCOUNT]["user"]})
    assert gold == (Credit(key="gold", label="Gold", unit="credits", remaining=40),)
    assert profile_credits({"credits": "many", "user": "x"}) == ()


SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
NAMES = st.sampled_from(
    ["account", "authMode", "hasAutoRefresh", "sessionCookie", "tokenExpiresUTC", "refreshTokenExpiresUTC",
     "updated", "updatedUTC", "token", "tokenIssuedDaysAgo", "error", "health", "user", "email"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(NAMES, JSON | st.sampled_from(["email", "token", "2026-12-01T00:00:00Z"]), max_size=8))
def test_account_parsing_raises_only_field_errors(obj: dict[str, Any]) -> None:
    try:
        info = MurekaService(transport=None).parse_account(obj, ACCOUNT)  # type: ignore[arg-type]
    except FieldError:
        return
    assert info.expires_at is None or info.expires_at.year >= 2000


def test_the_registry_entry() -> None:
    cls = REGISTRY["mureka"]
    assert cls is MurekaService and cls.on_by_default is False
    assert (cls.command_group, cls.label, cls.credential_noun) == ("mureka", "Mureka", "login")
    assert cls.empty_list is EmptyList.NOT_FOUND and cls.reads_details is True
    assert cls.credit_source is CreditSource.DETAILS
    assert cls.details_path == cls.delete_path == "/v1/mureka/accounts/{account}"


# -- (a) the two-way form --------------------------------------------------------------------------------


def form(email: str = "", password: str = "", token: str = "", refresh: str = "") -> dict[str, str]:
    return {"email": email, "password": password, "token": token, "refresh_token": refresh}


def test_email_and_password_or_the_two_tokens_make_the_documented_bodies(mureka: MurekaService) -> None:
    by_login = mureka.parse_form(form(f" {EMAIL} ", PASSWORD))
    assert by_login.body == {"email": EMAIL, "password": PASSWORD} and by_login.secrets == (PASSWORD,)
    by_tokens = mureka.parse_form(form(token=f" Bearer {TOKEN} ", refresh=f'"{REFRESH}"'))
    assert by_tokens.body == {"token": TOKEN, "refresh_token": REFRESH}
    assert set(by_tokens.secrets) == {TOKEN, REFRESH}


@pytest.mark.parametrize(
    "pasted",
    [
        f'{{"access_token": "{TOKEN}", "refresh_token": "{REFRESH}", "expires_at": 1795000000}}',
        f'{{"currentSession": {{"token": "{TOKEN}", "refresh_token": "{REFRESH}"}}}}',
    ],
)
def test_a_pasted_session_object_gives_both_tokens(mureka: MurekaService, pasted: str) -> None:
    submission = mureka.parse_form(form(token=pasted))
    assert submission.body == {"token": TOKEN, "refresh_token": REFRESH}


@pytest.mark.parametrize(
    ("values", "says"),
    [
        (form(), "Nothing was filled in"),
        (form(EMAIL, PASSWORD, TOKEN, REFRESH), "not both"),
        (form(EMAIL), "The password is empty"),
        (form(password=PASSWORD), "The email is empty"),
        (form("not-an-email", PASSWORD), "not an email address"),
        (form(token=TOKEN), "The refresh token is empty"),
        (form(refresh=REFRESH), "The token is empty"),
        (form(token=TOKEN, refresh=TOKEN), "the same value"),
        (form(token="eyJhbGci...xyz", refresh=REFRESH), "shortened"),
        (form(token=f"{TOKEN} {TOKEN}", refresh=REFRESH), "no spaces"),
        (form(token=TOKEN, refresh="short"), "only 5 characters"),
        (form(token=TOKEN, refresh=f"{REFRESH};x"), "can't hold"),
        (form(token='{"expires_at": 1}', refresh=REFRESH), "no `access_token`"),
        (form(token="{not json", refresh=REFRESH), "could not be read"),
    ],
)
def test_bad_input_gets_a_sentence_that_never_repeats_a_secret(
    mureka: MurekaService, values: dict[str, str], says: str
) -> None:
    with pytest.raises(CookieError, match=says) as caught:
        mureka.parse_form(values)
    assert not any(secret in str(caught.value) for secret in (PASSWORD, TOKEN, REFRESH))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60), st.text(max_size=80), st.text(max_size=80))
def test_form_parsing_raises_only_cookie_errors(email: str, password: str, token: str, refresh: str) -> None:
    try:
        submission = MurekaService(transport=None).parse_form(form(email, password, token, refresh))  # type: ignore[arg-type]
    except CookieError as exc:
        # No run of 8 typed characters comes back, but the bot's own words ("mureka.ai session").
        for secret in (password, token, refresh):
            assert not (runs(secret) & runs(str(exc))) - bot_vocabulary()
        return
    assert set(submission.body) in ({"email", "password"}, {"token", "refresh_token"})
    assert all(s and any(s in typed for typed in (password, token, refresh)) for s in submission.secrets)


@settings(max_examples=150, deadline=None)
@given(
    st.from_regex(r"[A-Za-z0-9_\-.]{10,80}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_\-.]{10,80}", fullmatch=True),
)
def test_plausible_tokens_round_trip(token: str, refresh: str) -> None:
    if token == refresh or "..." in token or "..." in refresh:
        return
    assert parse_tokens(token, refresh)[:2] == (token, refresh)


# -- (c, d) the routes, against the double ----------------------------------------------------------


async def test_the_empty_list_is_the_documented_404_and_a_plain_text_one_is_not() -> None:
    async with service_on_double("mureka") as (ua, mureka):
        assert await mureka.list_accounts() == []
        ua.mureka.empty_list = "text"
        with pytest.raises(UseapiError) as caught:
            await mureka.list_accounts()
        assert caught.value.failure is Failure.UNAVAILABLE


async def test_the_list_of_every_mode() -> None:
    async with service_on_double("mureka") as (ua, mureka):
        double: MurekaDouble = ua.mureka
        now = datetime.now(UTC).replace(microsecond=0)
        double.set_account("1", mode="email", email=EMAIL)
        double.set_account("2", mode="token", token_expires=now + timedelta(days=30))
        double.set_account("3", mode="cookie", cookie_expires=now + timedelta(days=40))
        double.set_account("4", mode="legacy", updated=now - timedelta(days=10))
        double.set_account("5", mode="email", email="x@re.ka", error="Sign-in failed")
        listed = {a.account: a for a in await mureka.list_accounts()}
        assert listed["1"].expires_at is None and listed["1"].health == "OK"
        assert listed["2"].expires_at is None  # the list has no token expiry; the details do
        assert listed["3"].expires_at == now + timedelta(days=40)
        assert listed["4"].expires_at == now + timedelta(days=20)
        assert (listed["5"].health, listed["5"].error) == ("error", "Sign-in failed")


async def test_details_add_the_token_expiry_and_the_profiles_credits() -> None:
    async with service_on_double("mureka") as (ua, mureka):
        double: MurekaDouble = ua.mureka
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        double.set_account(ACCOUNT, mode="token", token_expires=expires, credits=321, silver=None)
        info = await mureka.account_details(ACCOUNT)
        assert info.self_renewing_expires_at == expires and info.expires_at is None
        assert info.credits == (Credit(key="credits", label="credits", unit="credits", remaining=321),)
        (profile,) = ua.requests_to("GET", "/v1/mureka/profile")
        assert profile.query == {"account": ACCOUNT}
        double.profile_fails = True  # the account is still read; its credits are unknown this time
        info = await mureka.account_details(ACCOUNT)
        assert info.self_renewing_expires_at == expires and info.credits == ()
        with pytest.raises(UseapiError) as caught:
            await mureka.account_details("404404")
        assert caught.value.failure is Failure.UNAVAILABLE


@pytest.mark.parametrize("answer", ["200-empty", "204", "200-json"])
async def test_any_2xx_delete_is_a_deletion(answer: str) -> None:
    async with service_on_double("mureka") as (ua, mureka):
        ua.mureka.delete_answer = answer
        ua.mureka.set_account(ACCOUNT)
        assert await mureka.delete_account(ACCOUNT) is True and ua.mureka.accounts == {}
        assert await mureka.delete_account(ACCOUNT) is False  # the documented "Configuration not found" 404


# -- (b) registration end to end -----------------------------------------------------------------------


async def test_mureka_registration_by_email_end_to_end(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "mureka")) as rig:
        rig.useapi.mureka.teach_login(EMAIL, PASSWORD, account=ACCOUNT)
        await grant(rig)
        opened = await open_form(rig, "mureka")
        intro, *labels = opened.data["components"]
        assert intro["type"] == 10 and "Email and password" in intro["content"]
        assert len(labels) == 4 and list(modal_inputs(opened)) == [
            "email",
            "password",
            "token",
            "refresh_token",
        ]
        assert all(i["required"] is False for i in modal_inputs(opened).values())
        _, answer = await register(rig, "mureka", form(EMAIL, PASSWORD))
        assert "useapi.net accepted the Mureka login" in answer["content"]
        assert ACCOUNT in answer["embeds"][0]["description"]
        (post,) = rig.useapi.requests_to("POST", "/v1/mureka/accounts")
        assert post.json == {"email": EMAIL, "password": PASSWORD}
        stored = await rig.bot.store.get_account("mureka", ACCOUNT)  # type: ignore[union-attr]
        assert stored is not None and stored.expires_at is None
        assert PASSWORD in scenario_secrets(rig)


async def test_mureka_registration_by_tokens_end_to_end(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "mureka")) as rig:
        refresh_expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        rig.useapi.mureka.teach_tokens(TOKEN, REFRESH, account=ACCOUNT, refresh_expires=refresh_expires)
        rig.useapi.mureka.post_shape = "flat"
        await grant(rig)
        _, answer = await register(rig, "mureka", form(token=TOKEN, refresh=REFRESH))
        assert f"<t:{int(refresh_expires.timestamp())}:F>" in str(answer["embeds"][0])
        (post,) = rig.useapi.requests_to("POST", "/v1/mureka/accounts")
        assert post.json == {"token": TOKEN, "refresh_token": REFRESH}
        stored = await rig.bot.store.get_account("mureka", ACCOUNT)  # type: ignore[union-attr]
        assert stored is not None and stored.expires_at == refresh_expires
        assert {TOKEN, REFRESH} <= set(scenario_secrets(rig))


async def test_an_email_answer_without_an_account_id_is_found_in_the_list(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "mureka")) as rig:
        rig.useapi.mureka.teach_login(EMAIL, PASSWORD, account=ACCOUNT)
        rig.useapi.mureka.post_shape = "no-id"
        await grant(rig)
        _, answer = await register(rig, "mureka", form(EMAIL, PASSWORD))
        assert "accepted the Mureka login" in answer["content"]
        assert await rig.bot.store.get_account("mureka", ACCOUNT) is not None  # type: ignore[union-attr]


async def test_a_wrong_password_is_the_members_login_not_the_bots_token(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "mureka")) as rig:
        rig.useapi.mureka.teach_login(EMAIL, "the-real-password")
        await grant(rig)
        said = await refused_upstream(rig, "mureka", form(EMAIL, PASSWORD))
        assert "could not sign in to Mureka with that email and password" in said
        assert '"Wrong username/password combination."' in said and "USEAPI_TOKEN" not in said


async def test_refused_tokens_say_to_copy_them_again(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "mureka")) as rig:
        await grant(rig)
        said = await refused_upstream(rig, "mureka", form(token=TOKEN, refresh=REFRESH))
        assert "did not accept that Mureka token and refresh token" in said and TOKENS_REFUSED in said


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (401, {"error": "Unauthorized", "code": 401}, "ask the bot's operator to check USEAPI_TOKEN"),
        (400, {"error": "<Error message>", "code": 400}, "could not sign in to Mureka"),
        (402, {"error": "Subscription required", "code": 402}, "subscription"),
        (404, "Not Found", "Mureka is not available on useapi.net right now"),
        (503, {"error": "maintenance"}, "useapi.net had an error (HTTP 503)"),
        (200, {"token": "x"}, "could not read"),
    ],
)
async def test_documented_errors_are_answered_privately_and_store_nothing(
    tmp_path: Path, status: int, body: object, says: str
) -> None:
    async with running_rig(tmp_path, services=("luma", "mureka")) as rig:
        rig.useapi.mureka.teach_login(EMAIL, PASSWORD)
        rig.useapi.inject("POST", "/v1/mureka/accounts", status=status, body=body)
        await grant(rig)
        said = await refused_upstream(rig, "mureka", form(EMAIL, PASSWORD))
        assert says in said, said


async def test_bad_input_is_answered_at_once(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "mureka")) as rig:
        await grant(rig)
        said = await refused_locally(rig, "mureka", form(EMAIL, PASSWORD, TOKEN, REFRESH))
        assert "not both" in said and PASSWORD not in said and TOKEN not in said
        said = await refused_locally(rig, "mureka", form(token=TOKEN))
        assert "refresh token is empty" in said


async def test_secrets_echoed_in_an_upstream_error_are_scrubbed(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "mureka")) as rig:
        rig.useapi.inject(
            "POST",
            "/v1/mureka/accounts",
            status=400,
            body={"error": f"token {TOKEN} / {REFRESH} revoked", "code": 400},
        )
        await grant(rig)
        said = await refused_upstream(rig, "mureka", form(token=TOKEN, refresh=REFRESH))
        assert TOKEN not in said and REFRESH not in said and "[redacted]" in said


# -- its warnings, end to end -------------------------------------------------------------------------


async def test_email_mode_never_warns_but_its_error_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with manual_rig(tmp_path, monkeypatch, "luma", "mureka") as rig:
        double: MurekaDouble = rig.useapi.mureka
        double.set_account(ACCOUNT, mode="email", email=EMAIL, token_expires=START + 2 * 24 * H)
        await rig.start_bot()
        for day in range(40):  # its token expiry passes: useapi.net signs in again, no one is needed
            clock(rig).set(START + day * 24 * H)
            await run_pass(rig)
        assert warnings(rig) == []
        double.set_error(ACCOUNT, "Mureka refused the stored password")
        await sync_again(rig)
        (warning,) = warnings(rig)
        assert "refused the stored password" in str(warning["embeds"][0])
        assert renew_buttons(warning) == ["warden:renew:mureka"]


async def test_token_mode_warns_by_the_refresh_tokens_life_and_a_token_left_unrefreshed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with manual_rig(tmp_path, monkeypatch, "luma", "mureka") as rig:
        double: MurekaDouble = rig.useapi.mureka
        refresh = START + 20 * 24 * H
        double.set_account(ACCOUNT, mode="token", token_expires=START + 24 * H, refresh_expires=refresh)
        await rig.start_bot()
        await run_pass(rig)
        for day in range(1, 5):  # useapi.net refreshes the token every day: nothing to say
            double.set_token_expiry(ACCOUNT, START + (day + 1) * 24 * H)
            clock(rig).set(START + day * 24 * H)
            await run_pass(rig)
        assert warnings(rig) == []
        # The refresh stops: once the token is well past its expiry, a person is needed.
        clock(rig).set(START + 5 * 24 * H + UNREFRESHED_GRACE + rig.settings.sync_interval + H)
        for _ in range(2):
            clock(rig).advance(timedelta(hours=5))
            await run_pass(rig)
        assert any("has not refreshed it" in str(m["embeds"][0]) for m in warnings(rig))
        clock(rig).set(refresh - 72 * H + timedelta(minutes=1))
        await run_pass(rig)
        assert "Mureka session token expires within 72h" in titles(rig)


async def test_a_legacy_token_warns_before_its_thirty_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with manual_rig(tmp_path, monkeypatch, "luma", "mureka") as rig:
        rig.useapi.mureka.set_account("123456789", mode="legacy", updated=START - 28 * 24 * H)
        await rig.start_bot()
        await run_pass(rig)
        assert titles(rig) == ["Mureka session token expires within 72h"]  # 2 days left


async def test_the_sweep_catches_a_leaked_token_and_refresh_token(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "mureka"), sweep_secrets=False) as rig:
        rig.useapi.mureka.teach_tokens(TOKEN, REFRESH, account=ACCOUNT)
        await grant(rig)
        await register(rig, "mureka", form(token=TOKEN, refresh=REFRESH))
        logging.getLogger("cogs.register").info("leaked %s and %s", TOKEN, REFRESH)
    leaks = sweep(rig).leaks
    assert sum("taught to the mureka double" in leak and "log record" in leak for leak in leaks) == 2, leaks
