"""Runway on useapi.net: the parsers against every shape on its pages, the login form, the list
and features routes against the double, and registration, signals and removal through the real
bot (off by default: each rig names it in SERVICES)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cookies import CookieError
from bot.logins import MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH
from bot.services import REGISTRY, build_services
from bot.services._lenient import Lenient, forget_notes
from bot.services._refusals import CredentialRefused, is_about_the_account, is_bot_token_refusal, reword
from bot.services.runway import RunwayService, runway_credits
from bot.useapi import Credit, CreditSource, Failure, UseapiError
from bot.watch import DETAILS_INTERVAL
from tests.doubles.useapi_double import UseapiDouble
from tests.harness import USEAPI_TOKEN, Rig, bot_vocabulary, modal_inputs, runs, scenario_secrets
from tests.service_flows import (
    START,
    H,
    clock,
    member,
    next_sync,
    open_form,
    refused_before_sending,
    refused_upstream,
    register,
    remove,
    renew_buttons,
    run_check,
    run_pass,
    titles,
    tracked,
    warnings,
    watched,
)

__all__ = ["watched"]  # a fixture, imported for pytest

EMAIL = "maker@studio.io"
PASSWORD = "Runw4y-Secret-Passw0rd!"
EXPIRES = datetime(2026, 12, 20, 8, 30, 0, tzinfo=UTC)
PAGE_EXP = datetime(2024, 12, 22, 9, 9, 58, tzinfo=UTC)  # 1734858598.864
PAGE_EXP_N = datetime(2025, 4, 17, 2, 56, 38, tzinfo=UTC)  # 1744858598.864

# The pages' examples, as printed (their stray and trailing commas removed to make them JSON).
POST_200 = {
    "email": "[email protected]",
    "password": "<password>",
    "maxJobs": 5,
    "jwt": {"token": "<token>", "exp": 1734858598.864, "iat": 1732266598.864, "id": 123456},
}
LIST_200 = {
    "user-1@example.com": {
        "email": "user-1@example.com",
        "password": "<password>",
        "jwt": {"token": "<token>", "exp": 1734858598.864, "iat": 1732266598.864, "id": 123456},
        "maxJobs": 5,
    },
    "user-N@example.com": {
        "email": "user-N@example.com",
        "password": "<password>",
        "jwt": {"token": "<token>", "exp": 1744858598.864, "iat": 1742266598.864, "id": 78910},
        "maxJobs": 5,
    },
}
GET_ONE_201 = {
    "email": "user-1@example.com",
    "password": "<password>",
    "maxJobs": 5,
    "jwt": {"token": "<token>", "exp": 1734858598.864, "iat": 1732266598.864, "id": 123456},
}
FEATURES_200 = {"permitted": {"storageGB": 500, "numPlanCredits": 2250}, "used": {"numPlanCredits": 1315}}
# The POST page's 401: one "error" holding three texts (not JSON as printed).
TOKEN_401, WRONG_401, SUSPENDED_401 = (
    "Unauthorized",
    "Wrong username/password combination.",
    "This account has been suspended.",
)


def service() -> RunwayService:
    return RunwayService.__new__(RunwayService)  # parsing needs no transport


# -- (a) parsers -------------------------------------------------------------------------------


def test_the_pages_examples_parse() -> None:
    runway = service()
    posted = runway.parse_account(POST_200)
    assert (posted.account, posted.expires_at, posted.max_jobs, posted.error) == (
        "[email protected]",
        PAGE_EXP,
        5,
        None,
    )
    listed = [runway.parse_account(v, k) for k, v in LIST_200.items()]
    assert [(a.account, a.expires_at, a.max_jobs) for a in listed] == [
        ("user-1@example.com", PAGE_EXP, 5),
        ("user-N@example.com", PAGE_EXP_N, 5),
    ]
    one = runway.parse_account(GET_ONE_201, "user-1@example.com")
    assert (one.account, one.expires_at) == ("user-1@example.com", PAGE_EXP)
    assert all(a.service == "runway" and a.credits == () for a in [posted, *listed, one])


def test_the_description_is_the_documented_one() -> None:
    cls = REGISTRY["runway"]
    assert cls is RunwayService and cls.on_by_default is False
    assert cls.accounts_path == "/v1/runwayml/accounts"
    assert cls.delete_path == "/v1/runwayml/accounts/{account}"
    assert cls.reads_details and cls.credit_source is CreditSource.DETAILS
    assert [f.id for f in cls.form_fields] == ["email", "password", "max_jobs"]
    assert [f.secret for f in cls.form_fields] == [False, True, True]
    assert all(f.required for f in cls.form_fields)


SECONDS = int(EXPIRES.timestamp())


@pytest.mark.parametrize(
    ("jwt", "expected"),
    [
        ({"exp": SECONDS + 0.864}, EXPIRES),  # the pages' shape: seconds with a fraction
        ({"exp": SECONDS}, EXPIRES),
        ({"exp": SECONDS * 1000 + 864}, EXPIRES),  # milliseconds, should the unit differ
        ({"exp": f"{SECONDS}.864"}, EXPIRES),
        ({"exp": 1734858598.864, "expUTC": "2026-12-20T08:30:00.000Z"}, EXPIRES),  # ISO wins
        ({"exp": 1734858598.864, "exp_UTC": "2026-12-20T08:30:00Z"}, EXPIRES),
        ({"exp": 1734858598.864, "exp_Expire": "2026-12-20T09:30:00+01:00"}, EXPIRES),
        ({"exp": SECONDS, "expUTC": "not a date"}, EXPIRES),  # an unreadable companion: the number
        ({"iat": 1732266598.864}, None),
        ({"exp": None}, None),
        ({"exp": 0}, None),
        ({"exp": -5}, None),
        ({"exp": 123456789}, None),  # 1973: a placeholder, not a deadline
        ({"exp": "soon"}, None),
        ({"exp": True}, None),
        ({"exp": {"s": 1}}, None),
        ({"exp": [SECONDS]}, None),
    ],
)
def test_exp_is_unix_seconds_with_a_fraction_and_an_iso_companion_wins(
    jwt: dict[str, Any], expected: datetime | None
) -> None:
    assert service().parse_account({"email": EMAIL, "jwt": jwt}).expires_at == expected


@pytest.mark.parametrize("jwt", [None, "2026-12-20", [1], 42, True])
def test_a_jwt_that_is_not_an_object_is_no_deadline(jwt: Any) -> None:
    info = service().parse_account({"email": EMAIL, "jwt": jwt, "maxJobs": 3})
    assert (info.account, info.expires_at, info.max_jobs) == (EMAIL, None, 3)


@pytest.mark.parametrize(
    ("obj", "error"),
    [
        ({"error": "Session expired, update password"}, "Session expired, update password"),
        ({"error": "  "}, None),
        ({"error": None}, None),
        ({"error": [WRONG_401, SUSPENDED_401]}, f"{WRONG_401}; {SUSPENDED_401}"),
        ({"error": {"message": SUSPENDED_401}}, SUSPENDED_401),
        ({"error": "Login failed", "errorDetails": "401 from Runway"}, "Login failed (401 from Runway)"),
        ({"error": 401}, "useapi.net reports an error on this account (its text could not be read)"),
        ({"error": {"code": 1}}, "useapi.net reports an error on this account (its text could not be read)"),
        ({"errorDetails": "only details"}, None),
    ],
)
def test_every_shape_of_error_is_read_and_an_unreadable_one_is_still_an_error(
    obj: dict[str, Any], error: str | None
) -> None:
    assert service().parse_account({"email": EMAIL, **obj}).error == error


def test_odd_fields_are_unknown_for_that_account_and_the_key_names_it() -> None:
    runway = service()
    assert runway.parse_account({}, "a@b.io").account == "a@b.io"
    assert runway.parse_account({"email": 5}, "a@b.io").account == "5"  # a number is its digits
    assert runway.parse_account({"email": ["x"]}, "a@b.io").account == "a@b.io"
    assert runway.parse_account({"email": "x@y.io"}, "other@y.io").account == "x@y.io"
    assert runway.parse_account({"maxJobs": "7"}, "a@b.io").max_jobs == 7
    assert runway.parse_account({"maxJobs": True}, "a@b.io").max_jobs is None
    assert runway.parse_account({"maxJobs": "five"}, "a@b.io").max_jobs is None
    assert len(runway.parse_account({"email": "e" * 400}).account) == MAX_EMAIL_LENGTH


def test_an_odd_field_is_logged_once_by_name_and_never_by_value(caplog: pytest.LogCaptureFixture) -> None:
    forget_notes()
    secret = "eyJtoken-that-must-not-be-logged"
    with caplog.at_level(logging.WARNING, logger="bot.services._lenient"):
        for _ in range(5):  # five syncs
            service().parse_account({"email": EMAIL, "jwt": {"exp": secret, "token": secret}})
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "jwt.exp" in lines[0] and EMAIL in lines[0]
    assert secret not in caplog.text


SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
JSON = SCALAR | st.lists(SCALAR, max_size=2) | st.dictionaries(st.text(max_size=3), SCALAR, max_size=2)
INSTANT = (
    st.integers(-1, 10**13) | st.floats() | st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
)
JWT = st.dictionaries(
    st.sampled_from(["exp", "iat", "expUTC", "exp_Expire", "token", "id"]), JSON | INSTANT, max_size=3
)


@given(
    st.fixed_dictionaries(
        {},
        optional={"email": JSON, "maxJobs": JSON, "error": JSON, "errorDetails": JSON, "jwt": JSON | JWT},
    )
)
def test_account_parsing_never_raises(obj: dict[str, Any]) -> None:
    info = service().parse_account(obj, "key@b.io")
    assert info.account
    assert info.expires_at is None or datetime(2000, 1, 1, tzinfo=UTC) <= info.expires_at
    assert info.error is None or (isinstance(info.error, str) and info.error)


def test_the_features_example_is_the_plan_credits() -> None:
    read = Lenient("runway", EMAIL)
    assert runway_credits(FEATURES_200, read) == (
        Credit("credits", "plan credits", "credits", remaining=935.0, limit=2250.0),
    )
    assert runway_credits({"permitted": {"numPlanCredits": 2250}}, read) == (
        Credit("credits", "plan credits", "credits", remaining=None, limit=2250.0),
    )
    over = {"permitted": {"numPlanCredits": 100}, "used": {"numPlanCredits": 150}}
    assert runway_credits(over, read)[0].remaining == 0.0
    for odd in ({}, {"permitted": "x"}, {"permitted": {"numPlanCredits": "lots"}}, {"used": []}):
        assert runway_credits(odd, read) == ()


# -- (b) the credential --------------------------------------------------------------------------


def form(email: str = EMAIL, password: str = PASSWORD, max_jobs: str = "5") -> dict[str, str]:
    return {"email": email, "password": password, "max_jobs": max_jobs}


def test_a_valid_form_is_the_documented_body_posted_to_the_email_route() -> None:
    runway = service()
    submission = runway.parse_form(form(email=" Maker+rw@Studio.IO ", max_jobs=" 10 "))
    assert submission.body == {"email": "Maker+rw@Studio.IO", "password": PASSWORD, "maxJobs": 10}
    assert submission.secrets == (PASSWORD,) and PASSWORD not in repr(submission)
    # The route carries the body's email, URL-encoded (`+`, `@`): they can't disagree.
    assert runway.register_path(submission) == "/v1/runwayml/accounts/Maker%2Brw%40Studio.IO"
    assert runway.parse_form(form(password=" pass word ")).body["password"] == " pass word "


@pytest.mark.parametrize(
    ("values", "says"),
    [
        (form(email=""), "The email is empty"),
        (form(email="not-an-email"), "not an email address"),
        (form(email="a b@example.com"), "not an email address"),
        (form(email="a@" + "b" * 320 + ".com"), "at most 320"),
        (form(password=""), "password is empty"),
        (form(password="line1\nline2"), "line break"),
        (form(password="tab\there"), "control characters"),
        (form(password="p" * (MAX_PASSWORD_LENGTH + 1)), "longer than the 256"),
        (form(max_jobs=""), "Max jobs is required"),
        (form(max_jobs="0"), "from 1 to 10"),
        (form(max_jobs="11"), "from 1 to 10"),
        (form(max_jobs="five"), "from 1 to 10"),
    ],
)
def test_bad_input_gets_a_specific_sentence_without_the_password(values: dict[str, str], says: str) -> None:
    with pytest.raises(CookieError, match=says) as caught:
        service().parse_form(values)
    assert values["password"] not in str(caught.value) or not values["password"].strip()


@given(st.text(max_size=400), st.text(max_size=300), st.text(max_size=4))
def test_form_parsing_raises_only_cookie_errors_and_round_trips(email: str, password: str, jobs: str) -> None:
    try:
        submission = service().parse_form({"email": email, "password": password, "max_jobs": jobs})
    except CookieError as exc:
        # No run of 8 typed characters comes back, but the bot's own words ("runwayml").
        assert not (runs(password) & runs(str(exc))) - bot_vocabulary()
        return
    assert submission.body == {"email": email.strip(), "password": password, "maxJobs": int(jobs)}
    assert 1 <= submission.body["maxJobs"] <= 10 and submission.secrets == (password,)


# -- whose 401 is it -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detail", "token", "account"),
    [
        (None, True, False),
        ("", True, False),
        (TOKEN_401, True, False),
        ("useapi.net ⁝ Unauthorized", True, False),
        ("unauthorized.", True, False),
        (WRONG_401, False, True),
        (SUSPENDED_401, False, True),
        ("Account banned", False, True),
        ("Something else went wrong", False, False),
    ],
)
def test_a_401_is_the_bots_token_only_with_the_documented_token_text(
    detail: str | None, token: bool, account: bool
) -> None:
    assert is_bot_token_refusal(detail) is token
    assert is_about_the_account(detail) is account


def refusal(status: int, detail: str | None) -> UseapiError:
    failure = {400: Failure.BAD_REQUEST, 401: Failure.UNAUTHORIZED}.get(status, Failure.PAYMENT_REQUIRED)
    return reword(
        UseapiError(failure, service_label="Runway", status=status, detail=detail),
        what="email and password",
        check="email, password and max jobs",
        site="runwayml.com",
        hint="HINT.",
    )


def test_the_refusal_sentences_name_the_account_not_the_bots_token() -> None:
    suspended = refusal(401, SUSPENDED_401)
    assert isinstance(suspended, CredentialRefused) and suspended.failure is Failure.BAD_REQUEST
    assert "Runway has suspended or blocked this account (HTTP 401)" in str(suspended)
    assert "USEAPI_TOKEN" not in str(suspended)
    wrong = str(refusal(401, WRONG_401))
    assert "could not sign in to Runway with that email and password" in wrong and wrong.endswith("HINT.")
    assert "USEAPI_TOKEN" not in wrong
    other = str(refusal(401, "Something else"))
    assert '"Something else"' in other and "USEAPI_TOKEN" in other
    bad = str(refusal(400, "Parameter maxJobs must be between 1 and 10"))
    assert bad.startswith("useapi.net did not accept that Runway email and password.") and "HINT" not in bad
    assert refusal(401, TOKEN_401).failure is Failure.UNAUTHORIZED  # the shared USEAPI_TOKEN sentence
    assert not isinstance(refusal(402, "Subscription required"), CredentialRefused)


# -- (d) the routes against the double -------------------------------------------------------------


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[UseapiDouble, RunwayService]]:
    async with UseapiDouble(token=USEAPI_TOKEN) as ua, httpx.AsyncClient() as http:
        services = build_services(
            http, base_url=ua.base_url, token=USEAPI_TOKEN, timeout=5, enabled=("runway",)
        )
        runway = services["runway"]
        assert isinstance(runway, RunwayService)
        yield ua, runway


@pytest.mark.parametrize("body", ["json", "empty"])
async def test_the_documented_404_is_no_accounts(
    upstream: tuple[UseapiDouble, RunwayService], body: str
) -> None:
    ua, runway = upstream
    ua.runway.empty_list_body = body
    assert await runway.list_accounts() == []
    (get,) = ua.requests_to("GET", "/v1/runwayml/accounts")
    assert get.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}"


async def test_a_plain_text_404_is_unavailable_not_an_empty_list(
    upstream: tuple[UseapiDouble, RunwayService],
) -> None:
    ua, runway = upstream
    ua.runway.empty_list_body = "text"
    with pytest.raises(UseapiError) as caught:
        await runway.list_accounts()
    assert caught.value.failure is Failure.UNAVAILABLE


@pytest.mark.parametrize("body", [[], "a string", {EMAIL: "not an object"}, {EMAIL: 5}])
async def test_an_unreadable_list_is_a_failure_not_no_accounts(
    upstream: tuple[UseapiDouble, RunwayService], body: object
) -> None:
    ua, runway = upstream
    ua.inject("GET", "/v1/runwayml/accounts", status=200, body=json.dumps(body))
    with pytest.raises(UseapiError) as caught:
        await runway.list_accounts()
    assert caught.value.failure is Failure.BAD_RESPONSE


async def test_one_odd_account_does_not_make_the_list_unreadable(
    upstream: tuple[UseapiDouble, RunwayService],
) -> None:
    ua, runway = upstream
    good = ua.runway.account_body(ua.runway.set_account(EMAIL, EXPIRES))
    odd = {"email": "odd@studio.io", "jwt": {"exp": "tomorrow"}, "maxJobs": "many", "error": {"x": 1}}
    ua.inject(
        "GET", "/v1/runwayml/accounts", status=200, body=json.dumps({EMAIL: good, "odd@studio.io": odd})
    )
    accounts = {a.account: a for a in await runway.list_accounts()}
    assert accounts[EMAIL].expires_at == EXPIRES and accounts[EMAIL].error is None
    assert accounts["odd@studio.io"].expires_at is None and accounts["odd@studio.io"].error


@pytest.mark.parametrize("shape", ["seconds", "millis", "iso"])
async def test_the_list_reads_the_deadline_in_each_shape(
    upstream: tuple[UseapiDouble, RunwayService], shape: str
) -> None:
    ua, runway = upstream
    ua.runway.exp_shape = shape
    ua.runway.set_account(EMAIL, EXPIRES, max_jobs=4, error="Session refresh failed")
    (info,) = await runway.list_accounts()
    assert (info.account, info.expires_at, info.max_jobs, info.error) == (
        EMAIL,
        EXPIRES,
        4,
        "Session refresh failed",
    )


async def test_the_features_route_gives_credits_and_health_or_the_accounts_refusal(
    upstream: tuple[UseapiDouble, RunwayService],
) -> None:
    ua, runway = upstream
    odd = "x#y?z@studio.io"  # unencoded, `#` and `?` would cut the query short
    ua.runway.set_account(odd, EXPIRES, credits={"permitted": 625, "used": 125})
    ua.runway.set_account(EMAIL, EXPIRES)
    info = await runway.account_details(odd)
    assert (info.account, info.health, info.expires_at) == (odd, "OK", None)
    assert info.credits == (Credit("credits", "plan credits", "credits", remaining=500.0, limit=625.0),)
    (get,) = ua.requests_to("GET", "/v1/runwayml/features")
    assert get.query == {"email": odd}

    ua.runway.suspend(odd)
    suspended = await runway.account_details(odd)
    assert (suspended.health, suspended.credits, suspended.error) == (SUSPENDED_401, (), None)
    ua.runway.suspend(odd, on=False)
    ua.runway.break_login(odd)
    assert (await runway.account_details(odd)).health == WRONG_401

    for status, body, failure in [
        (401, {"error": "Unauthorized", "code": 401}, Failure.UNAUTHORIZED),  # the bot's token
        (400, {"error": "<Error message>", "code": 400}, Failure.BAD_REQUEST),
        (500, None, Failure.UPSTREAM_ERROR),
        (200, "[1, 2]", Failure.BAD_RESPONSE),
    ]:
        ua.inject("GET", "/v1/runwayml/features", status=status, body=body)
        with pytest.raises(UseapiError) as caught:
            await runway.account_details(EMAIL)
        assert caught.value.failure is failure
    with pytest.raises(UseapiError) as caught:
        await runway.account_details("nobody@studio.io")
    assert caught.value.failure is Failure.UNAVAILABLE


@pytest.mark.parametrize(("status", "deleted"), [(204, True), (200, True)])
async def test_delete_accepts_204_and_200_and_a_404_is_not_there(
    upstream: tuple[UseapiDouble, RunwayService], status: int, deleted: bool
) -> None:
    ua, runway = upstream
    ua.runway.delete_status = status
    ua.runway.set_account(EMAIL, EXPIRES)
    assert await runway.delete_account(EMAIL) is deleted
    assert EMAIL not in ua.runway.accounts
    assert await runway.delete_account(EMAIL) is False  # the documented 404


# -- (b, c) registration through the real bot ------------------------------------------------------


@pytest.mark.services("luma", "runway")
async def test_runway_registration_end_to_end(rig: Rig) -> None:
    rig.useapi.runway.teach_login(EMAIL, PASSWORD, EXPIRES)
    opened = await open_form(rig, "runway")
    labels = opened.data["components"]
    assert "Google, Apple or SSO" in labels[0]["description"]
    inputs = modal_inputs(opened)
    assert list(inputs) == ["email", "password", "max_jobs"]
    assert all(i["required"] is True for i in inputs.values()) and inputs["max_jobs"]["max_length"] == 2

    submitted = await rig.submit(opened, form(email=f" {EMAIL} ", max_jobs="7"), user=member(rig))
    assert submitted.type == 5
    answer = await rig.followup(submitted)
    assert answer["content"].startswith("✅ useapi.net accepted the Runway login.")
    embed = json.dumps(answer["embeds"][0])
    assert EMAIL in embed and f"<t:{int(EXPIRES.timestamp())}:F>" in embed

    (post,) = rig.useapi.requests_to("POST", "/v1/runwayml/accounts/.*")
    assert post.path == f"/v1/runwayml/accounts/{EMAIL}"  # the double sees the decoded path
    assert post.json == {"email": EMAIL, "password": PASSWORD, "maxJobs": 7}
    assert post.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}"
    stored = await rig.bot.store.get_account("runway", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and (stored.expires_at, stored.max_jobs, stored.registered_by) == (
        EXPIRES,
        7,
        member(rig),
    )
    assert PASSWORD in scenario_secrets(rig)  # the sweep at the end of the rig looks for it


@pytest.mark.services("luma")
async def test_runway_is_off_by_default(rig: Rig) -> None:
    names = {c["name"] for c in rig.discord.synced_guild_commands[rig.discord.guild_id]}
    assert "luma" in names and "runway" not in names


@pytest.mark.services("luma", "runway")
@pytest.mark.parametrize(
    ("values", "says"),
    [
        (form(email="someone"), "not an email address"),
        (form(password=" "), "password is empty"),
        (form(max_jobs=""), "Max jobs is required"),
        (form(max_jobs="50"), "from 1 to 10"),
    ],
)
async def test_bad_input_is_answered_privately_without_calling_upstream(
    rig: Rig, values: dict[str, str], says: str
) -> None:
    assert says in await refused_before_sending(rig, "runway", values)


@pytest.mark.services("luma", "runway")
@pytest.mark.parametrize(
    ("setup", "status", "says"),
    [
        ("wrong-password", 401, "could not sign in to Runway with that email and password (HTTP 401)"),
        ("suspended", 401, "Runway has suspended or blocked this account (HTTP 401)"),
        ("token", 401, "refused the bot's own API token (401)"),
        ("400", 400, 'did not accept that Runway email and password. useapi.net said: "<Error message>"'),
        ("402", 402, "subscription has expired"),
        ("route-gone", 404, "not available on useapi.net right now"),
    ],
)
async def test_each_documented_error_is_explained_privately_and_stores_nothing(
    rig: Rig, setup: str, status: int, says: str
) -> None:
    double = rig.useapi.runway
    double.teach_login(EMAIL, "the-real-password" if setup == "wrong-password" else PASSWORD, EXPIRES)
    if setup == "suspended":
        double.teach_login(EMAIL, PASSWORD, EXPIRES, suspended=True)
    elif setup == "token":
        rig.useapi.inject("POST", "/v1/runwayml/accounts/.*", 401, {"error": TOKEN_401, "code": 401})
    elif setup == "400":
        rig.useapi.inject("POST", "/v1/runwayml/accounts/.*", 400, {"error": "<Error message>", "code": 400})
    elif setup == "402":
        double.require_subscription()
    elif setup == "route-gone":
        rig.useapi.inject("POST", "/v1/runwayml/accounts/.*", 404, "Not Found")
    said = await refused_upstream(rig, "runway", form(), status)
    assert says in said and PASSWORD not in said
    assert ("USEAPI_TOKEN" in said) is (setup == "token")
    assert double.accounts == {}


@pytest.mark.services("luma", "runway")
async def test_the_password_is_scrubbed_from_upstream_error_text(rig: Rig) -> None:
    rig.useapi.inject(
        "POST", "/v1/runwayml/accounts/.*", 401, {"error": f"Wrong password {PASSWORD} for user", "code": 401}
    )
    said = await refused_upstream(rig, "runway", form(), 401)
    assert PASSWORD not in said and "[redacted]" in said and "could not sign in" in said


@pytest.mark.services("luma", "runway")
async def test_an_accepted_login_whose_error_echoes_the_password_is_scrubbed(rig: Rig) -> None:
    body = {"email": EMAIL, "maxJobs": 5, "jwt": {"exp": int(EXPIRES.timestamp()) + 0.864}}
    body |= {"error": "Login retried", "errorDetails": f"password {PASSWORD} refused once"}
    rig.useapi.inject("POST", "/v1/runwayml/accounts/.*", 200, body)
    answer = await register(rig, "runway", form())
    shown = json.dumps(answer)
    assert "Login retried (password [redacted] refused once)" in shown
    assert PASSWORD not in shown
    stored = await rig.bot.store.get_account("runway", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.last_error and PASSWORD not in stored.last_error
    # The sweep at the end of the rig looks for the password in every byte.


# -- (e) what is warned about, through the scheduler ---------------------------------------------------


@pytest.mark.services("luma", "runway")
async def test_runway_warns_by_its_token_expiry_and_on_error_and_nothing_otherwise(watched: Rig) -> None:
    rig = watched
    expires = START + 80 * H
    # The list echoes the password (the page prints "<password>"): the sweep looks for it everywhere.
    rig.useapi.runway.set_account(EMAIL, expires, password="Echoed-By-The-List-0f-Accounts")
    await rig.start_bot()
    await run_pass(rig)
    stored = await rig.bot.store.get_account("runway", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.expires_at == expires and stored.last_error is None
    # Hours of syncs and live reads up to the first stage, the account fine: nothing to say.
    for _ in range(7):
        clock(rig).advance(H)
        await run_pass(rig)
    assert clock(rig).now() < expires - 72 * H and warnings(rig) == []
    assert len(rig.useapi.requests_to("GET", "/v1/runwayml/features")) == 2  # at the start, 4 h on

    clock(rig).set(expires - 72 * H + timedelta(seconds=20))
    await run_pass(rig)
    assert titles(rig) == ["Runway session expires within 72h"]

    rig.useapi.runway.set_error(EMAIL, "Runway session refresh failed, update the password")
    await next_sync(rig)
    assert len(warnings(rig)) == 2
    (reason,) = [m for m in warnings(rig) if "refresh failed" in json.dumps(m["embeds"][0])]
    assert renew_buttons(reason) == ["warden:renew:runway"]
    await next_sync(rig)
    assert len(warnings(rig)) == 2  # said once


@pytest.mark.services("luma", "runway")
async def test_a_suspension_seen_on_the_features_route_warns_once_and_clears(watched: Rig) -> None:
    rig = watched
    rig.useapi.runway.set_account(EMAIL, START + 40 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    assert warnings(rig) == []

    rig.useapi.runway.suspend(EMAIL)
    clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
    await run_pass(rig)
    (warning,) = warnings(rig)
    assert SUSPENDED_401 in json.dumps(warning["embeds"][0]) and renew_buttons(warning) == [
        "warden:renew:runway"
    ]
    # The list's syncs in between don't clear it, and it is not said again.
    for _ in range(4):
        await next_sync(rig)
    stored = await rig.bot.store.get_account("runway", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.last_error and SUSPENDED_401 in stored.last_error
    clock(rig).advance(DETAILS_INTERVAL)
    await run_pass(rig)
    assert len(warnings(rig)) == 1

    rig.useapi.runway.suspend(EMAIL, on=False)  # lifted: the next live read clears the reason
    clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
    await run_pass(rig)
    stored = await rig.bot.store.get_account("runway", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.last_error is None and stored.health == "OK"


@pytest.mark.services("luma", "runway")
async def test_a_bot_token_401_on_the_features_route_is_not_the_accounts_fault(watched: Rig) -> None:
    rig = watched
    rig.useapi.runway.set_account(EMAIL, START + 40 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    rig.useapi.inject("GET", "/v1/runwayml/features", 401, {"error": "Unauthorized", "code": 401}, times=None)
    for _ in range(3):
        clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
        await run_pass(rig)
    assert warnings(rig) == []
    stored = await rig.bot.store.get_account("runway", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.last_error is None


# -- removal -------------------------------------------------------------------------------------


@pytest.mark.services("luma", "runway")
async def test_remove_deletes_on_useapi_and_a_404_still_stops_tracking(watched: Rig) -> None:
    rig = watched
    rig.useapi.runway.set_account(EMAIL, START + 40 * 24 * H)
    rig.useapi.runway.set_account("other@studio.io", START + 40 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    assert sorted(await tracked(rig, "runway")) == ["maker@studio.io", "other@studio.io"]
    answer = await remove(rig, "runway", EMAIL)
    assert "Deleted" in answer
    assert [r.path for r in rig.useapi.requests_to("DELETE", ".*")] == [f"/v1/runwayml/accounts/{EMAIL}"]
    assert EMAIL not in rig.useapi.runway.accounts and await tracked(rig, "runway") == ["other@studio.io"]

    rig.useapi.runway.remove_account("other@studio.io")  # gone upstream before the bot noticed
    answer = await remove(rig, "runway", "other@studio.io")
    assert "no longer had" in answer and await tracked(rig, "runway") == []


# -- check ---------------------------------------------------------------------------------------


async def test_check_reads_the_runway_list_and_shows_its_deadline(tmp_path: Path) -> None:
    async with UseapiDouble(token=USEAPI_TOKEN) as ua:
        ua.runway.set_account(EMAIL, START + 50 * H, error="Session refresh failed")
        status, out = await run_check(tmp_path, ua.base_url, ("luma", "runway"))
        assert ua.requests_to("GET", "/v1/runwayml/accounts")
    assert status == 0, out
    assert "Runway: token accepted, 1 account(s) configured" in out
    row = next(line for line in out.splitlines() if line.startswith("Runway "))
    assert EMAIL in row and "2026-11-25T14:00:00Z" in row and "Session refresh failed" in row
