"""Kling on useapi.net: the parsers against the pages' shapes, and registration through the real bot."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cookies import CookieError
from bot.logins import MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH, parse_email
from bot.models import IMPLAUSIBLE, UNREADABLE, FieldNote
from bot.services import build_services
from bot.services.kling import (
    KlingLoginRefused,
    KlingService,
    kling_session_expiry,
)
from bot.useapi import Failure, UseapiError
from bot.useapi.parsing import FieldError
from tests.doubles.useapi_double import UseapiDouble
from tests.harness import USEAPI_TOKEN, Rig, modal_inputs, running_rig, scenario_secrets

EPHEMERAL = 64
# Shorter than the sweep's 8 characters on purpose: the harness treats every value typed into a
# form as a secret, and an email is an account key the bot must store and show.
EMAIL = "k@kl.ai"
PASSWORD = "Kl1ng-Secret-Passw0rd!"
EXPIRES = datetime(2026, 12, 20, 8, 30, 0, tzinfo=UTC)
PAGE_EXPIRES = datetime(2025, 1, 1, 12, 13, 14, tzinfo=UTC)  # "2025-01-01T12:13:14.000Z"

# The JSON examples of the pages, as printed ("[email protected]" is the store's rendering of an address).
POST_201 = {
    "email": "[email protected]",
    "session": {"userId": "user12345", "ExpireTime": 123456789, "ExpireTimeUTC": "2025-01-01T12:13:14.000Z"},
    "maxJobs": 50,
    "password": "…secured…",
}
LIST_200 = {
    "<email #1>": {
        "email": "<email #1>",
        "session": {
            "userId": "user12345",
            "ExpireTime": 123456789,
            "ExpireTimeUTC": "2025-01-01T12:13:14.000Z",
        },
        "maxJobs": 8,
        "password": "…secured…",
    },
    "<email #2>": {
        "email": "<email #2>",
        "session": {
            "userId": "user67890",
            "ExpireTime": 123456789,
            "ExpireTimeUTC": "2025-01-01T12:13:14.000Z",
        },
        "maxJobs": 3,
        "password": "…secured…",
    },
}
GET_ONE_200 = {
    "email": "[email protected]",
    "session": {"userId": "user12345", "ExpireTime": 123456789, "ExpireTimeUTC": "2025-01-01T12:13:14.000Z"},
    "maxJobs": 5,
    "password": "…secured…",
    "balance": {
        "points": [
            {
                "orderId": "123456789",
                "type": "plan",
                "amount": 66000,
                "balance": 56000,
                "startTime": 123456789,
                "endTime": 123456789,
            }
        ],
        "tickets": [],
        "nextApplyTime": 123456789,
        "total": 56000,
    },
}


def service() -> KlingService:
    return KlingService.__new__(KlingService)  # parsing needs no transport


# -- (a) parsers ------------------------------------------------------------------------------


def test_the_pages_examples_parse() -> None:
    kling = service()
    posted = kling.parse_account(POST_201)
    assert (posted.account, posted.expires_at, posted.max_jobs, posted.error) == (
        "[email protected]",
        PAGE_EXPIRES,
        50,
        None,
    )
    listed = [kling.parse_account(v, k) for k, v in LIST_200.items()]
    assert [(a.account, a.max_jobs, a.expires_at) for a in listed] == [
        ("<email #1>", 8, PAGE_EXPIRES),
        ("<email #2>", 3, PAGE_EXPIRES),
    ]
    one = kling.parse_account(GET_ONE_200)
    assert one.expires_at == PAGE_EXPIRES and one.max_jobs == 5
    assert all(a.service == "kling" for a in [posted, *listed, one])


def test_missing_fields_are_unknown_and_the_list_key_names_the_account() -> None:
    kling = service()
    bare = kling.parse_account({}, "a@b.io")
    assert (bare.account, bare.expires_at, bare.max_jobs, bare.error) == ("a@b.io", None, None, None)
    assert kling.parse_account({"session": None}, "a@b.io").expires_at is None
    assert kling.parse_account({"session": {"userId": "u"}}, "a@b.io").expires_at is None
    assert kling.parse_account({"email": "x@y.io"}, "other@y.io").account == "x@y.io"


def test_error_on_an_account_is_the_act_now_signal() -> None:
    info = service().parse_account({**POST_201, "error": "Login failed, update password"})
    assert info.error == "Login failed, update password" and info.expires_at == PAGE_EXPIRES


SECONDS = int(EXPIRES.timestamp())


@pytest.mark.parametrize(
    ("session", "expected"),
    [
        ({"ExpireTime": 123456789, "ExpireTimeUTC": "2025-01-01T12:13:14.000Z"}, PAGE_EXPIRES),
        ({"ExpireTime": 123456789}, None),  # the placeholder alone: unknown, not a 1973 date
        ({"ExpireTime": 0}, None),
        ({"ExpireTime": -5}, None),
        ({"ExpireTime": "123456789"}, None),
        ({"ExpireTime": SECONDS}, EXPIRES),
        ({"ExpireTime": SECONDS * 1000}, EXPIRES),
        ({"ExpireTime": str(SECONDS)}, EXPIRES),
        ({"ExpireTime": "soon", "ExpireTimeUTC": "2025-01-01T12:13:14.000Z"}, PAGE_EXPIRES),
        ({"ExpireTimeUTC": "not a date", "ExpireTime": SECONDS}, EXPIRES),
        ({"ExpireTimeUTC": None, "ExpireTime": None}, None),
        ({"ExpireTimeUTC": "2026-12-20T08:30:00Z"}, EXPIRES),
        ({"ExpireTimeUTC": "2026-12-20T09:30:00+01:00"}, EXPIRES),
    ],
)
def test_session_expiry_prefers_utc_and_treats_an_implausible_number_as_unknown(
    session: dict[str, Any], expected: datetime | None
) -> None:
    assert kling_session_expiry(session) == expected


@pytest.mark.parametrize(
    "obj",
    [
        {"session": "2025-01-01"},
        {"session": [1]},
        {"session": {"ExpireTime": "soon"}},
        {"session": {"ExpireTime": True}},
        {"session": {"ExpireTime": {"s": 1}}},
        {"session": {"ExpireTimeUTC": "garbage", "ExpireTime": 123456789}},
        {"session": {"ExpireTimeUTC": "2025-13-45T00:00:00Z"}},
        {"maxJobs": "5"},
        {"maxJobs": True},
        {"email": 5},
        {"error": {"message": "x"}},
    ],
)
def test_a_present_field_of_the_wrong_shape_is_a_field_error(obj: dict[str, Any]) -> None:
    with pytest.raises(FieldError):
        service().parse_account(obj, "a@b.io")


SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
JSON = SCALAR | st.lists(SCALAR, max_size=2) | st.dictionaries(st.text(max_size=3), SCALAR, max_size=2)
INSTANT = st.integers(-1, 10**13) | st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
SESSION = st.dictionaries(
    st.sampled_from(["ExpireTime", "ExpireTimeUTC", "userId"]), JSON | INSTANT, max_size=3
)


@given(
    st.fixed_dictionaries(
        {}, optional={"email": JSON, "maxJobs": JSON, "error": JSON, "session": JSON | SESSION}
    )
)
def test_account_parsing_raises_only_field_errors(obj: dict[str, Any]) -> None:
    try:
        info = service().parse_account(obj, "key@b.io")
    except FieldError:
        return
    assert info.expires_at is None or datetime(2000, 1, 1, tzinfo=UTC) <= info.expires_at


def test_the_account_key_is_url_encoded_in_paths() -> None:
    kling = service()
    assert kling.account_path("a+b/c@x.io") == "/v1/kling/accounts/a%2Bb%2Fc%40x.io"
    assert kling.account_path("x#y?z@kl.ai") == "/v1/kling/accounts/x%23y%3Fz%40kl.ai"


# -- credential parsing -------------------------------------------------------------------------


def form(email: str = EMAIL, password: str = PASSWORD, max_jobs: str = "5") -> dict[str, str]:
    return {"email": email, "password": password, "max_jobs": max_jobs}


def test_a_valid_form_becomes_the_documented_body_with_the_password_as_its_secret() -> None:
    submission = service().parse_form(form(email="  Maker+kling@Example.COM ", max_jobs=" 50 "))
    assert submission.body == {"email": "Maker+kling@Example.COM", "password": PASSWORD, "maxJobs": 50}
    assert submission.secrets == (PASSWORD,)
    assert PASSWORD not in repr(submission)
    # A password is taken exactly as typed: spaces can be part of it.
    assert service().parse_form(form(password=" pass word ")).body["password"] == " pass word "
    assert service().parse_form(form(email="name@gmail.com")).body["email"] == "name@gmail.com"


@pytest.mark.parametrize(
    ("values", "says"),
    [
        (form(email=""), "The email is empty"),
        (form(email="   "), "The email is empty"),
        (form(email="not-an-email"), "not an email address"),
        (form(email="a@b"), "not an email address"),
        (form(email="a b@example.com"), "not an email address"),
        (form(email="a@exa_mple.com"), "not an email address"),
        (form(email="a@1.2.3.4"), "not an email address"),
        (form(email="a..b@example.com"), "not an email address"),
        (form(email="x" * 65 + "@example.com"), "not an email address"),
        (form(email="a@" + "b" * 320 + ".com"), "at most 320"),
        (form(password=""), "password is empty"),
        (form(password="   "), "password is empty"),
        (form(password="line1\nline2"), "line break"),
        (form(password="tab\there"), "control characters"),
        (form(password="p" * (MAX_PASSWORD_LENGTH + 1)), "longer than the 256"),
        (form(max_jobs=""), "Max jobs is required"),
        (form(max_jobs="0"), "from 1 to 50"),
        (form(max_jobs="51"), "from 1 to 50"),
        (form(max_jobs="-3"), "from 1 to 50"),
        (form(max_jobs="five"), "from 1 to 50"),
        (form(max_jobs="٣"), "from 1 to 50"),  # an Arabic-Indic digit is a digit, but not ASCII
    ],
)
def test_bad_input_gets_a_specific_sentence(values: dict[str, str], says: str) -> None:
    with pytest.raises(CookieError, match=says) as caught:
        service().parse_form(values)
    assert values["password"] not in str(caught.value) or not values["password"].strip()


@given(st.text(max_size=400), st.text(max_size=300), st.text(max_size=5))
def test_form_parsing_raises_only_cookie_errors_and_round_trips(email: str, password: str, jobs: str) -> None:
    try:
        submission = service().parse_form({"email": email, "password": password, "max_jobs": jobs})
    except CookieError as exc:
        if len(password) >= 12:
            assert password not in str(exc)
        return
    assert submission.body == {"email": email.strip(), "password": password, "maxJobs": int(jobs)}
    assert 1 <= submission.body["maxJobs"] <= 50 and submission.secrets == (password,)
    assert len(email.strip()) <= MAX_EMAIL_LENGTH and "\n" not in password


@given(st.emails())
def test_generated_addresses_are_kept_verbatim_or_refused_with_a_sentence(address: str) -> None:
    try:
        assert parse_email(address, site="klingai.com") == address
    except CookieError as exc:
        assert "email" in str(exc)


SIMPLE_EMAILS = st.builds(
    "{}@{}.{}".format,
    st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]", fullmatch=True).filter(lambda s: ".." not in s),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
    st.sampled_from(["com", "io", "ai", "co.uk"]),
)


@given(SIMPLE_EMAILS)
def test_ordinary_addresses_are_accepted(address: str) -> None:
    assert parse_email(address, site="klingai.com") == address


# -- (d) the list against the double --------------------------------------------------------------


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[UseapiDouble, KlingService]]:
    async with UseapiDouble(token=USEAPI_TOKEN) as ua, httpx.AsyncClient() as http:
        services = build_services(
            http, base_url=ua.base_url, token=USEAPI_TOKEN, timeout=5, enabled=("kling",)
        )
        kling = services["kling"]
        assert isinstance(kling, KlingService)
        yield ua, kling


@pytest.mark.parametrize("body", ["json", "empty"])
async def test_a_404_with_an_empty_or_json_body_is_no_accounts(
    upstream: tuple[UseapiDouble, KlingService], body: str
) -> None:
    ua, kling = upstream
    ua.kling.empty_list_body = body
    assert await kling.list_accounts() == []
    (get,) = ua.requests_to("GET", "/v1/kling/accounts")
    assert get.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}"


async def test_a_plain_text_404_is_unavailable_not_an_empty_list(
    upstream: tuple[UseapiDouble, KlingService],
) -> None:
    ua, kling = upstream
    ua.kling.empty_list_body = "text"
    with pytest.raises(UseapiError) as caught:
        await kling.list_accounts()
    assert caught.value.failure is Failure.UNAVAILABLE


@pytest.mark.parametrize(
    "body",
    [
        [],
        ["k@kl.ai"],
        "a string",
        {"k@kl.ai": "not an object"},
    ],
)
async def test_an_unreadable_list_is_a_failure_not_no_accounts(
    upstream: tuple[UseapiDouble, KlingService], body: object
) -> None:
    ua, kling = upstream
    ua.inject("GET", "/v1/kling/accounts", status=200, body=json.dumps(body))
    with pytest.raises(UseapiError) as caught:
        await kling.list_accounts()
    assert caught.value.failure is Failure.BAD_RESPONSE


async def test_one_accounts_unreadable_session_is_unknown_not_a_failed_list(
    upstream: tuple[UseapiDouble, KlingService],
) -> None:
    """(Until issue 18 this list was a BAD_RESPONSE; an ExpireTimeUTC of 42 was a FieldError.)"""
    ua, kling = upstream
    body = {
        "k@kl.ai": {"email": "k@kl.ai", "session": {"ExpireTime": "tomorrow"}},
        "j@kl.ai": {"email": "j@kl.ai", "session": {"ExpireTimeUTC": 42}},
    }
    ua.inject("GET", "/v1/kling/accounts", status=200, body=json.dumps(body))
    accounts = {a.account: a for a in await kling.list_accounts()}
    assert accounts["k@kl.ai"].expires_at is None and accounts["j@kl.ai"].expires_at is None
    assert accounts["k@kl.ai"].unreadable == (FieldNote("session", UNREADABLE),)
    assert accounts["j@kl.ai"].unreadable == (FieldNote("session.ExpireTimeUTC", IMPLAUSIBLE),)


async def test_a_placeholder_expiry_does_not_fail_the_account_or_the_list(
    upstream: tuple[UseapiDouble, KlingService],
) -> None:
    ua, kling = upstream
    ua.kling.set_account("placeholder@kl.ai", EXPIRES, utc=False)  # only ExpireTime: 123456789
    ua.kling.set_account("both@kl.ai", EXPIRES, max_jobs=9)  # placeholder beside a good UTC string
    ua.kling.set_account("broken@kl.ai", EXPIRES, error="Kling session ended, password needed")
    accounts = {a.account: a for a in await kling.list_accounts()}
    assert accounts["placeholder@kl.ai"].expires_at is None
    assert accounts["both@kl.ai"].expires_at == EXPIRES and accounts["both@kl.ai"].max_jobs == 9
    assert accounts["broken@kl.ai"].error == "Kling session ended, password needed"
    ua.kling.expire_time = "seconds"
    accounts = {a.account: a for a in await kling.list_accounts()}
    assert accounts["placeholder@kl.ai"].expires_at == EXPIRES  # a real number in seconds is used


async def test_one_account_is_fetched_on_its_url_encoded_path(
    upstream: tuple[UseapiDouble, KlingService],
) -> None:
    ua, kling = upstream
    odd = "x#y?z@kl.ai"  # unencoded, `#` and `?` would cut the path short
    ua.kling.set_account(odd, EXPIRES, max_jobs=4)
    info = await kling.account_details(odd)
    assert (info.account, info.expires_at, info.max_jobs) == (odd, EXPIRES, 4)
    assert ua.unknown_routes == []
    with pytest.raises(UseapiError) as caught:
        await kling.account_details("nobody@kl.ai")
    assert caught.value.failure is Failure.UNAVAILABLE


# -- (b) registration end-to-end ------------------------------------------------------------------


def member(rig: Rig) -> int:
    return rig.discord.member_ids[0]


async def grant(rig: Rig) -> None:
    cb = await rig.slash("access", "grant", user=rig.discord.admin_id, target=member(rig))
    assert "may now register" in (await rig.answer(cb))["content"]


async def open_form(rig: Rig) -> Any:
    await grant(rig)
    opened = await rig.slash("kling", "register", user=member(rig))
    assert opened.type == 9
    return opened


async def test_kling_is_off_by_default_and_on_when_named_in_services(tmp_path: Path) -> None:
    async with running_rig(tmp_path / "default") as rig:
        names = {c["name"] for c in rig.discord.synced_guild_commands[rig.discord.guild_id]}
        assert "luma" in names and "kling" not in names
    async with running_rig(tmp_path / "on", services=("luma", "kling")) as rig:
        commands = {c["name"]: c for c in rig.discord.synced_guild_commands[rig.discord.guild_id]}
        assert [o["name"] for o in commands["kling"]["options"]] == ["register", "remove"]


async def test_kling_registration_end_to_end(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "kling")) as rig:
        rig.useapi.kling.teach_login(EMAIL, PASSWORD, EXPIRES)
        opened = await open_form(rig)
        labels = opened.data["components"]
        assert [c["type"] for c in labels] == [18, 18, 18]
        assert "Google/Apple" in labels[0]["description"] and "klingai.com" in labels[0]["description"]
        inputs = modal_inputs(opened)
        assert list(inputs) == ["email", "password", "max_jobs"]
        assert all(i["required"] is True for i in inputs.values())
        assert inputs["password"]["max_length"] == 256 and inputs["max_jobs"]["max_length"] == 2

        submitted = await rig.submit(
            opened, {"email": f" {EMAIL} ", "password": PASSWORD, "max_jobs": "7"}, user=member(rig)
        )
        assert submitted.type == 5 and submitted.data["flags"] & EPHEMERAL  # deferred privately first
        answer = await rig.followup(submitted)
        assert answer["flags"] & EPHEMERAL
        assert "useapi.net accepted the Kling login" in answer["content"]
        embed = json.dumps(answer["embeds"][0])
        assert EMAIL in embed and f"<t:{int(EXPIRES.timestamp())}:F>" in embed
        assert {"name": "Max jobs", "value": "7", "inline": True} in answer["embeds"][0]["fields"]

        (post,) = rig.useapi.requests_to("POST", "/v1/kling/accounts")
        assert post.json == {"email": EMAIL, "password": PASSWORD, "maxJobs": 7}
        assert post.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}"

        store = rig.bot.store  # type: ignore[union-attr]
        account = await store.get_account("kling", EMAIL)
        assert account is not None and account.expires_at == EXPIRES
        assert account.registered_by == member(rig)
        notice = await rig.discord.wait_for(
            lambda r: r.method == "POST" and r.path == f"/channels/{rig.discord.alert_channel_id}/messages"
        )
        assert EMAIL in notice.json["content"]
        # The sweep at the end of this block has the password to look for, from three places.
        found = scenario_secrets(rig)
        assert PASSWORD in found


async def test_a_renewal_answered_201_says_renewed_not_added(tmp_path: Path) -> None:
    """Kling answers 201 to every registration, a renewal of a tracked account included (issue
    23): the bot says "added" only for an account it did not track."""
    async with running_rig(tmp_path, services=("luma", "kling")) as rig:
        rig.useapi.kling.teach_login(EMAIL, PASSWORD, EXPIRES)
        values = {"email": EMAIL, "password": PASSWORD, "max_jobs": "7"}
        first = await rig.followup(await rig.submit(await open_form(rig), values, user=member(rig)))
        assert first["embeds"][0]["title"] == "Kling account added"
        again = await rig.slash("kling", "register", user=member(rig))
        second = await rig.followup(await rig.submit(again, values, user=member(rig)))
        assert second["embeds"][0]["title"] == "Kling account renewed"
        posts = rig.useapi.requests_to("POST", "/v1/kling/accounts")
        assert len(posts) == 2  # both answered 201 by useapi.net
        account = await rig.bot.store.get_account("kling", EMAIL)  # type: ignore[union-attr]
        assert account is not None and account.registered_by == member(rig)


async def test_a_session_expiry_given_only_as_the_placeholder_registers_with_expiry_unknown(
    tmp_path: Path,
) -> None:
    async with running_rig(tmp_path, services=("luma", "kling")) as rig:
        rig.useapi.kling.teach_login(EMAIL, PASSWORD, EXPIRES, utc=False)
        opened = await open_form(rig)
        answer = await rig.followup(await rig.submit(opened, form(max_jobs="3"), user=member(rig)))
        assert "accepted the Kling login" in answer["content"]
        account = await rig.bot.store.get_account("kling", EMAIL)  # type: ignore[union-attr]
        assert account is not None and account.expires_at is None


@pytest.mark.parametrize(
    ("values", "says"),
    [
        (form(email="someone"), "not an email address"),
        (form(password=" "), "password is empty"),
        (form(max_jobs=""), "Max jobs is required"),
        (form(max_jobs="99"), "from 1 to 50"),
    ],
)
async def test_bad_input_is_answered_privately_without_calling_upstream(
    tmp_path: Path, values: dict[str, str], says: str
) -> None:
    async with running_rig(tmp_path, services=("luma", "kling")) as rig:
        opened = await open_form(rig)
        submitted = await rig.submit(opened, values, user=member(rig))
        assert submitted.type == 4 and submitted.data["flags"] & EPHEMERAL
        assert says in submitted.data["content"] and "Nothing was sent" in submitted.data["content"]
        assert rig.useapi.requests_to("POST", ".*") == []
        assert await rig.bot.store.list_accounts() == []  # type: ignore[union-attr]


# -- (c) documented errors --------------------------------------------------------------------------


async def answer_to_refused_registration(rig: Rig, values: dict[str, str] | None = None) -> str:
    opened = await open_form(rig)
    submitted = await rig.submit(opened, values or form(), user=member(rig))
    assert submitted.type == 5
    answer = await rig.followup(submitted)
    assert answer["flags"] & EPHEMERAL
    store = rig.bot.store  # type: ignore[union-attr]
    assert await store.list_accounts() == []
    assert (await store.recent_audit())[0].outcome.startswith("upstream:")
    assert rig.discord.channel_messages.get(rig.discord.alert_channel_id, []) == []
    return str(answer["content"])


async def test_a_wrong_password_names_the_google_and_apple_limitation(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "kling")) as rig:
        rig.useapi.kling.teach_login(EMAIL, "the-real-password", EXPIRES)
        said = await answer_to_refused_registration(rig)
        assert "could not sign in to Kling with that email and password" in said
        assert '"Account does not exist or password is incorrect"' in said
        assert "Google or Apple" in said
        (post,) = rig.useapi.requests_to("POST", "/v1/kling/accounts")
        assert post.json["password"] == PASSWORD


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (
            400,
            {"error": "Parameter maxJobs must be a number between 1 and 50", "code": 400},
            "did not accept that Kling login",
        ),
        (401, {"error": "Unauthorized", "code": 401}, "ask the bot's operator to check USEAPI_TOKEN"),
        (402, {"error": "Subscription required", "code": 402}, "subscription has expired"),
        (404, "Not Found", "not available on useapi.net right now"),
    ],
)
async def test_documented_errors_are_answered_privately_and_store_nothing(
    tmp_path: Path, status: int, body: object, says: str
) -> None:
    async with running_rig(tmp_path, services=("luma", "kling")) as rig:
        rig.useapi.kling.teach_login(EMAIL, PASSWORD, EXPIRES)
        rig.useapi.inject("POST", "/v1/kling/accounts", status=status, body=body)
        said = await answer_to_refused_registration(rig)
        assert says in said
        assert "Google or Apple" not in said


async def test_the_doubles_own_402_reaches_the_member(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "kling")) as rig:
        rig.useapi.kling.teach_login(EMAIL, PASSWORD, EXPIRES)
        rig.useapi.kling.require_subscription()
        said = await answer_to_refused_registration(rig)
        assert "subscription" in said and '"Subscription required"' in said


async def test_the_password_is_scrubbed_from_upstream_error_text(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "kling")) as rig:
        rig.useapi.inject(
            "POST", "/v1/kling/accounts", status=400, body={"error": f"Password {PASSWORD} is incorrect"}
        )
        said = await answer_to_refused_registration(rig)
        assert PASSWORD not in said and "[redacted]" in said and "Google or Apple" in said
        assert PASSWORD in scenario_secrets(rig)  # the sweep looks for it in every byte


async def test_a_201_without_an_email_but_with_an_error_is_refused(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "kling")) as rig:
        rig.useapi.inject(
            "POST",
            "/v1/kling/accounts",
            status=201,
            body={"error": "Account does not exist or password is incorrect"},
        )
        said = await answer_to_refused_registration(rig)
        assert "Google or Apple" in said


def test_the_login_refusal_keeps_the_shared_error_fields() -> None:
    refused = KlingLoginRefused(Failure.BAD_REQUEST, service_label="Kling", status=400, detail="nope")
    assert isinstance(refused, UseapiError) and refused.failure is Failure.BAD_REQUEST
    assert str(refused) == refused.user_message() and "did not accept that Kling login" in str(refused)
