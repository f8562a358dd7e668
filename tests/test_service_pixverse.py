"""PixVerse (API v2) on useapi.net: the parsers against every shape on its pages, the login form,
the list and features routes against the double, and registration, signals and removal through
the real bot (off by default: each rig names it in SERVICES)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cookies import CookieError
from bot.services import REGISTRY, build_services
from bot.services._lenient import Lenient
from bot.services.pixverse import PixVerseService, pixverse_credits
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
PASSWORD = "P1xV3rse-Secret-Passw0rd"
EXPIRES = datetime(2026, 12, 20, 8, 30, 0, tzinfo=UTC)
PAGE_EXPIRES = datetime(2025, 1, 1, 12, 13, 14, tzinfo=UTC)  # "2025-01-01T12:13:14.000Z"

# The pages' examples, as printed (missing commas added, the repeated "ExpireTime" kept once).
POST_201 = {
    "email": "<account email>",
    "password": "…secured…",
    "maxJobs": 3,
    "jwt": {
        "AccountId": 66778899,
        "ExpireTime": 123456789,
        "ExpireTimeUTC": "2025-01-01T12:13:14.000Z",
        "Username": "<username>",
        "token": "abc…secured…cde",
    },
}
LIST_200 = {
    "<email #1>": {
        "email": "<email #1>",
        "jwt": {
            "AccountId": 1122334455,
            "ExpireTime": 123456789,
            "ExpireTimeUTC": "2025-01-01T12:13:14.000Z",
            "Username": "<username>",
            "token": "abc…secured…cde",
        },
        "maxJobs": 8,
        "password": "…secured…",
    },
    "<email #2>": {
        "email": "<email #2>",
        "jwt": {
            "AccountId": 66778899,
            "ExpireTime": 123456789,
            "ExpireTimeUTC": "2025-01-01T12:13:14.000Z",
            "Username": "<username>",
            "token": "abc…secured…cde",
        },
        "maxJobs": 3,
        "password": "…secured…",
    },
}
GET_ONE_200 = POST_201
# The features example as far as the stored copy goes.
FEATURES_200 = {
    "user_id": 11223344,
    "member_id": 5566778899,
    "product_id": 9988776655,
    "plan_name": "Pro Plan",
    "next_plan_name": "Pro Plan",
    "next_plan_type": 2,
    "current_plan_type": 2,
    "type": 0,
    "credit_daily": 30,
    "credit_daily_gift": 30,
    "initial_credit_gift": 0,
    "credit_monthly": 5600,
    "credit_monthly_gift": 6000,
    "credit_package": 20,
    "expired_date": "2025-01-01T21:21:21Z",
    "price": "30",
    "billing_period": 1,
    "next_billing_period": 1,
    "billing_renewal_date": "2025-01-01T21:21:21Z",
    "payment": 1,
    "invoice_url": "https://stripe.pay.pixverse.ai/...",
    "stripe_bill_url": "https://stripe.pay.pixverse.ai/...",
    "gen_simultaneously": 5,
    "allow_fast_mode": 1,
    "allow_relaxed_mode": 1,
    "allow_use_new_feat": 1,
}
PAGE_CREDITS = (
    Credit("credits", "credits", "credits", remaining=5650.0),
    Credit("daily", "daily credits", "credits", remaining=30.0, limit=30.0),
    Credit("monthly", "monthly credits", "credits", remaining=5600.0, limit=6000.0),
    Credit("package", "package credits", "credits", remaining=20.0),
)


def service() -> PixVerseService:
    return PixVerseService.__new__(PixVerseService)  # parsing needs no transport


# -- (a) parsers -------------------------------------------------------------------------------


def test_the_pages_examples_parse() -> None:
    pixverse = service()
    posted = pixverse.parse_account(POST_201)
    assert (posted.account, posted.expires_at, posted.max_jobs, posted.error) == (
        "<account email>",
        PAGE_EXPIRES,
        3,
        None,
    )
    listed = [pixverse.parse_account(v, k) for k, v in LIST_200.items()]
    assert [(a.account, a.expires_at, a.max_jobs) for a in listed] == [
        ("<email #1>", PAGE_EXPIRES, 8),
        ("<email #2>", PAGE_EXPIRES, 3),
    ]
    assert pixverse.parse_account(GET_ONE_200, "<account email>").expires_at == PAGE_EXPIRES


def test_the_description_is_the_documented_one() -> None:
    cls = REGISTRY["pixverse"]
    assert cls is PixVerseService and cls.on_by_default is False
    assert (
        cls.accounts_path == "/v2/pixverse/accounts" and cls.delete_path == "/v2/pixverse/accounts/{account}"
    )
    assert cls.reads_details and cls.credit_source is CreditSource.DETAILS
    assert [f.id for f in cls.form_fields] == ["email", "password", "max_jobs"]
    assert [f.secret for f in cls.form_fields] == [False, True, True]


SECONDS = int(EXPIRES.timestamp())


@pytest.mark.parametrize(
    ("jwt", "expected"),
    [
        ({"ExpireTime": 123456789, "ExpireTimeUTC": "2025-01-01T12:13:14.000Z"}, PAGE_EXPIRES),
        ({"ExpireTime": 123456789}, None),  # the pages' placeholder alone: unknown, not 1973
        ({"ExpireTime": SECONDS}, EXPIRES),
        ({"ExpireTime": SECONDS * 1000}, EXPIRES),
        ({"ExpireTime": str(SECONDS)}, EXPIRES),
        ({"ExpireTimeUTC": "2026-12-20T08:30:00Z"}, EXPIRES),
        ({"ExpireTimeUTC": "2026-12-20T09:30:00+01:00", "ExpireTime": 1}, EXPIRES),
        ({"ExpireTimeUTC": "garbage", "ExpireTime": SECONDS}, EXPIRES),  # falls back to the number
        ({"ExpireTimeUTC": 42, "ExpireTime": 123456789}, None),
        ({"ExpireTimeUTC": "2025-13-45T00:00:00Z"}, None),
        ({"ExpireTimeUTC": None, "ExpireTime": None}, None),
        ({"ExpireTime": True}, None),
        ({"ExpireTime": {"s": 1}}, None),
        ({}, None),
    ],
)
def test_expire_time_utc_wins_and_the_placeholder_is_unknown(
    jwt: dict[str, Any], expected: datetime | None
) -> None:
    assert service().parse_account({"email": EMAIL, "jwt": jwt}).expires_at == expected


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"jwt": "2025-01-01"}, (EMAIL, None, None, None)),
        ({"jwt": [1], "maxJobs": "4"}, (EMAIL, None, 4, None)),
        ({"maxJobs": True, "error": "Login failed"}, (EMAIL, None, None, "Login failed")),
        ({"email": {"x": 1}}, (EMAIL, None, None, None)),  # the key names the account
        ({"error": ["a", "b"]}, (EMAIL, None, None, "a; b")),
    ],
)
def test_odd_fields_are_unknown_for_that_account_only(obj: dict[str, Any], expected: tuple[Any, ...]) -> None:
    info = service().parse_account(obj, EMAIL)
    assert (info.account, info.expires_at, info.max_jobs, info.error) == expected


SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
JSON = SCALAR | st.lists(SCALAR, max_size=2) | st.dictionaries(st.text(max_size=3), SCALAR, max_size=2)
INSTANT = st.integers(-1, 10**13) | st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
JWT = st.dictionaries(
    st.sampled_from(["ExpireTime", "ExpireTimeUTC", "AccountId", "token"]), JSON | INSTANT, max_size=3
)


@given(st.fixed_dictionaries({}, optional={"email": JSON, "maxJobs": JSON, "error": JSON, "jwt": JSON | JWT}))
def test_account_parsing_never_raises(obj: dict[str, Any]) -> None:
    info = service().parse_account(obj, "key@b.io")
    assert info.account and (info.expires_at is None or info.expires_at.year >= 2000)


def test_the_features_example_gives_every_credit_figure() -> None:
    read = Lenient("pixverse", EMAIL)
    assert pixverse_credits(FEATURES_200, read) == PAGE_CREDITS
    # PixVerse's own envelope, should useapi.net pass it through.
    assert pixverse_credits({"ErrCode": 0, "Resp": FEATURES_200}, read) == PAGE_CREDITS
    assert pixverse_credits({"credit_package": "20"}, read) == (
        Credit("credits", "credits", "credits", remaining=20.0),
        Credit("package", "package credits", "credits", remaining=20.0),
    )
    odd = {"credit_daily": "lots", "credit_daily_gift": None, "credit_monthly": [1], "credit_package": True}
    assert pixverse_credits(odd, read) == ()
    assert pixverse_credits({}, read) == () and pixverse_credits({"Resp": "x"}, read) == ()


# -- (b) the credential --------------------------------------------------------------------------


def form(email: str = EMAIL, password: str = PASSWORD, max_jobs: str = "3") -> dict[str, str]:
    return {"email": email, "password": password, "max_jobs": max_jobs}


def test_a_valid_form_is_the_documented_body_posted_to_the_email_route() -> None:
    pixverse = service()
    submission = pixverse.parse_form(form(email=" Maker@Studio.IO ", max_jobs="8"))
    assert submission.body == {"email": "Maker@Studio.IO", "password": PASSWORD, "maxJobs": 8}
    assert submission.secrets == (PASSWORD,) and "token" not in submission.body
    assert pixverse.register_path(submission) == "/v2/pixverse/accounts/Maker%40Studio.IO"


@pytest.mark.parametrize(
    ("values", "says"),
    [
        (form(email=""), "The email is empty"),
        (form(email="maker@"), "not an email address"),
        (form(password=""), "password is empty"),
        (form(password="a\rb"), "line break"),
        (form(max_jobs=""), "Max jobs is required"),
        (form(max_jobs="9"), "from 1 to 8"),
        (form(max_jobs="0"), "from 1 to 8"),
        (form(max_jobs="3.5"), "from 1 to 8"),
    ],
)
def test_bad_input_gets_a_specific_sentence_without_the_password(values: dict[str, str], says: str) -> None:
    with pytest.raises(CookieError, match=says) as caught:
        service().parse_form(values)
    assert values["password"] not in str(caught.value) or not values["password"].strip()


@given(st.text(max_size=400), st.text(max_size=300), st.text(max_size=3))
def test_form_parsing_raises_only_cookie_errors_and_round_trips(email: str, password: str, jobs: str) -> None:
    try:
        submission = service().parse_form({"email": email, "password": password, "max_jobs": jobs})
    except CookieError as exc:
        # No run of 8 typed characters comes back, but the bot's own words ("pixverse.ai").
        assert not (runs(password) & runs(str(exc))) - bot_vocabulary()
        return
    assert submission.body == {"email": email.strip(), "password": password, "maxJobs": int(jobs)}
    assert 1 <= submission.body["maxJobs"] <= 8 and submission.secrets == (password,)


# -- (d) the routes against the double -------------------------------------------------------------


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[UseapiDouble, PixVerseService]]:
    async with UseapiDouble(token=USEAPI_TOKEN) as ua, httpx.AsyncClient() as http:
        services = build_services(
            http, base_url=ua.base_url, token=USEAPI_TOKEN, timeout=5, enabled=("pixverse",)
        )
        pixverse = services["pixverse"]
        assert isinstance(pixverse, PixVerseService)
        yield ua, pixverse


@pytest.mark.parametrize(("body", "empty"), [("json", True), ("empty", True), ("text", False)])
async def test_the_documented_404_is_no_accounts_and_a_text_page_is_not(
    upstream: tuple[UseapiDouble, PixVerseService], body: str, empty: bool
) -> None:
    ua, pixverse = upstream
    ua.pixverse.empty_list_body = body
    if empty:
        assert await pixverse.list_accounts() == []
    else:
        with pytest.raises(UseapiError) as caught:
            await pixverse.list_accounts()
        assert caught.value.failure is Failure.UNAVAILABLE


@pytest.mark.parametrize("body", [[], "x", {EMAIL: "not an object"}])
async def test_an_unreadable_list_is_a_failure_not_no_accounts(
    upstream: tuple[UseapiDouble, PixVerseService], body: object
) -> None:
    ua, pixverse = upstream
    ua.inject("GET", "/v2/pixverse/accounts", status=200, body=json.dumps(body))
    with pytest.raises(UseapiError) as caught:
        await pixverse.list_accounts()
    assert caught.value.failure is Failure.BAD_RESPONSE


@pytest.mark.parametrize(
    ("expire_time", "utc", "expected"),
    [
        ("placeholder", True, EXPIRES),
        ("placeholder", False, None),  # only the placeholder: expiry unknown, the account still read
        ("seconds", False, EXPIRES),
        ("millis", False, EXPIRES),
        ("absent", True, EXPIRES),
    ],
)
async def test_the_list_reads_each_expiry_shape(
    upstream: tuple[UseapiDouble, PixVerseService], expire_time: str, utc: bool, expected: datetime | None
) -> None:
    ua, pixverse = upstream
    ua.pixverse.expire_time = expire_time
    ua.pixverse.set_account(EMAIL, EXPIRES, max_jobs=6, extra={"utc": utc})
    ua.pixverse.set_account("broken@studio.io", EXPIRES, error="Session refresh failed")
    accounts = {a.account: a for a in await pixverse.list_accounts()}
    assert (accounts[EMAIL].expires_at, accounts[EMAIL].max_jobs) == (expected, 6)
    assert accounts["broken@studio.io"].error == "Session refresh failed"


async def test_the_features_route_gives_credits_and_health_or_the_accounts_refusal(
    upstream: tuple[UseapiDouble, PixVerseService],
) -> None:
    ua, pixverse = upstream
    ua.pixverse.set_account(EMAIL, EXPIRES, credits={"credit_monthly": 100})
    ua.pixverse.set_account("other@studio.io", EXPIRES)
    info = await pixverse.account_details(EMAIL)
    assert (info.account, info.health, info.expires_at) == (EMAIL, "OK", None)
    monthly = next(c for c in info.credits if c.key == "monthly")
    assert (monthly.remaining, monthly.limit) == (100.0, 6000.0)
    (get,) = ua.requests_to("GET", "/v2/pixverse/features")
    assert get.query == {"email": EMAIL}

    ua.pixverse.break_login(EMAIL)
    assert (await pixverse.account_details(EMAIL)).health == "Incorrect email or password"
    ua.pixverse.break_login(EMAIL, on=False)
    ua.pixverse.suspend(EMAIL)
    assert (await pixverse.account_details(EMAIL)).health == "This account has been suspended."
    ua.inject("GET", "/v2/pixverse/features", 401, {"error": "Unauthorized", "code": 401})
    with pytest.raises(UseapiError) as caught:
        await pixverse.account_details("other@studio.io")
    assert caught.value.failure is Failure.UNAUTHORIZED


async def test_delete_is_204_and_a_404_is_not_there(upstream: tuple[UseapiDouble, PixVerseService]) -> None:
    ua, pixverse = upstream
    ua.pixverse.set_account(EMAIL, EXPIRES)
    assert await pixverse.delete_account(EMAIL) is True
    assert await pixverse.delete_account(EMAIL) is False


# -- (b, c) registration through the real bot ------------------------------------------------------


@pytest.mark.services("luma", "pixverse")
async def test_pixverse_registration_end_to_end(rig: Rig) -> None:
    rig.useapi.pixverse.teach_login(EMAIL, PASSWORD, EXPIRES)
    opened = await open_form(rig, "pixverse")
    labels = [c for c in opened.data["components"] if c.get("type") == 18]  # after form_intro
    assert "Gmail, Apple or Discord" in labels[0]["description"]
    inputs = modal_inputs(opened)
    assert list(inputs) == ["email", "password", "max_jobs"] and inputs["max_jobs"]["max_length"] == 1

    submitted = await rig.submit(opened, form(max_jobs="4"), user=member(rig))
    answer = await rig.followup(submitted)
    assert answer["content"].startswith("✅ useapi.net accepted the PixVerse login.")
    embed = answer["embeds"][0]
    assert EMAIL in json.dumps(embed) and f"<t:{int(EXPIRES.timestamp())}:F>" in json.dumps(embed)
    assert embed["title"] == "PixVerse account added"  # 201: a new account

    (post,) = rig.useapi.requests_to("POST", "/v2/pixverse/accounts/.*")
    assert post.path == f"/v2/pixverse/accounts/{EMAIL}"
    assert post.json == {"email": EMAIL, "password": PASSWORD, "maxJobs": 4}
    stored = await rig.bot.store.get_account("pixverse", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and (stored.expires_at, stored.max_jobs) == (EXPIRES, 4)
    assert PASSWORD in scenario_secrets(rig)


@pytest.mark.services("luma", "pixverse")
@pytest.mark.parametrize(
    ("values", "says"),
    [
        (form(email="x"), "not an email address"),
        (form(max_jobs="10"), "from 1 to 8"),
        (form(password=""), "empty"),
    ],
)
async def test_bad_input_is_answered_privately_without_calling_upstream(
    rig: Rig, values: dict[str, str], says: str
) -> None:
    assert says in await refused_before_sending(rig, "pixverse", values)


@pytest.mark.services("luma", "pixverse")
@pytest.mark.parametrize(
    ("setup", "status", "says"),
    [
        (
            "wrong-password",
            401,
            'could not sign in to PixVerse with that email and password (HTTP 401). useapi.net said: "Incorrect email or password"',
        ),
        ("token", 401, "refused the bot's own API token (401)"),
        ("400", 400, 'did not accept that PixVerse email and password. useapi.net said: "<Error message>"'),
        (
            "other-401",
            401,
            'useapi.net refused this PixVerse registration (HTTP 401). useapi.net said: "<Error message>"',
        ),
        ("402", 402, "subscription has expired"),
        ("route-gone", 404, "not available on useapi.net right now"),
    ],
)
async def test_each_documented_error_is_explained_privately_and_stores_nothing(
    rig: Rig, setup: str, status: int, says: str
) -> None:
    double = rig.useapi.pixverse
    double.teach_login(EMAIL, "the-real-password" if setup == "wrong-password" else PASSWORD, EXPIRES)
    route = "/v2/pixverse/accounts/.*"
    if setup == "token":
        rig.useapi.inject("POST", route, 401, {"error": "Unauthorized", "code": 401})
    elif setup == "400":
        rig.useapi.inject("POST", route, 400, {"error": "<Error message>", "code": 400})
    elif setup == "other-401":
        rig.useapi.inject("POST", route, 401, {"error": "<Error message>", "code": 401})
    elif setup == "402":
        double.require_subscription()
    elif setup == "route-gone":
        rig.useapi.inject("POST", route, 404, "Not Found")
    said = await refused_upstream(rig, "pixverse", form(), status)
    assert says in said and PASSWORD not in said
    assert double.accounts == {}


# -- (e) what is warned about, through the scheduler ---------------------------------------------------


@pytest.mark.services("luma", "pixverse")
async def test_pixverse_warns_by_its_session_expiry_and_on_error_and_nothing_otherwise(watched: Rig) -> None:
    rig = watched
    expires = START + 80 * H
    rig.useapi.pixverse.set_account(EMAIL, expires)
    await rig.start_bot()
    await run_pass(rig)
    for _ in range(7):  # hours of syncs and live reads before the first stage (3d)
        clock(rig).advance(H)
        await run_pass(rig)
    assert warnings(rig) == []
    stored = await rig.bot.store.get_account("pixverse", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.expires_at == expires and stored.health == "OK"

    clock(rig).set(expires - 72 * H + timedelta(seconds=20))
    await run_pass(rig)
    assert titles(rig) == ["PixVerse session expires within 72h"]

    rig.useapi.pixverse.set_error(EMAIL, "PixVerse session ended: the password was changed")
    await next_sync(rig)
    (reason,) = [m for m in warnings(rig) if "password was changed" in json.dumps(m["embeds"][0])]
    assert renew_buttons(reason) == ["warden:renew:pixverse"]
    await next_sync(rig)
    assert len(warnings(rig)) == 2


@pytest.mark.services("luma", "pixverse")
async def test_a_refused_login_seen_live_warns_once(watched: Rig) -> None:
    rig = watched
    rig.useapi.pixverse.set_account(EMAIL, START + 40 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    rig.useapi.pixverse.break_login(EMAIL)
    for _ in range(3):
        clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
        await run_pass(rig)
    (warning,) = warnings(rig)
    assert "Incorrect email or password" in json.dumps(warning["embeds"][0])


# -- removal -------------------------------------------------------------------------------------


@pytest.mark.services("luma", "pixverse")
async def test_remove_deletes_on_useapi(watched: Rig) -> None:
    rig = watched
    rig.useapi.pixverse.set_account(EMAIL, START + 40 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    answer = await remove(rig, "pixverse", EMAIL)
    assert "Deleted" in answer
    assert [r.path for r in rig.useapi.requests_to("DELETE", ".*")] == [f"/v2/pixverse/accounts/{EMAIL}"]
    assert rig.useapi.pixverse.accounts == {} and await tracked(rig, "pixverse") == []


# -- check ---------------------------------------------------------------------------------------


async def test_check_reads_the_pixverse_list_and_shows_its_deadline(tmp_path: Path) -> None:
    async with UseapiDouble(token=USEAPI_TOKEN) as ua:
        ua.pixverse.set_account(EMAIL, START + 50 * H)
        status, out = await run_check(tmp_path, ua.base_url, ("luma", "pixverse"))
        assert ua.requests_to("GET", "/v2/pixverse/accounts")
    assert status == 0, out
    assert "PixVerse: token accepted, 1 account(s) configured" in out
    row = next(line for line in out.splitlines() if line.startswith("PixVerse "))
    assert EMAIL in row and "2026-11-25T14:00:00Z" in row
