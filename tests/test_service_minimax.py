"""MiniMax (Hailuo AI) on useapi.net: the parsers against every shape on its pages, the URL and
token form, the list against the double, and registration, signals and removal through the real
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
from bot.services import REGISTRY, build_services
from bot.services._lenient import forget_notes
from bot.services.minimax import MiniMaxService, parse_cursor_url, parse_minimax_token
from bot.useapi import CreditSource, Failure, UseapiError
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

ACCOUNT = "424242"
UUID = "b5df53d1-4c0d-4c77-8422-87e3f3b1a1d6"
DEVICE = "398115730563153920"
URL = (
    "https://hailuoai.video/v3/api/multimodal/video/my/cursor?type=next&currentID=0&limit=30"
    f"&device_platform=web&app_id=3001&version_code=22201&uuid={UUID}&device_id={DEVICE}"
    "&os_name=Windows&browser_name=chrome&device_memory=8&cpu_core_num=4&browser_language=en-US"
    "&browser_platform=Win32&screen_width=1920&screen_height=1080&unix=1764003917482"
)
TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3NjYwMDAwMDB9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
EXPIRES = datetime(2026, 12, 20, 8, 30, 0, tzinfo=UTC)

# The pages' examples, as printed (Copy A newest, Copy B oldest).
JWT_A = {
    "token": "abc…secured…xyz",
    "user": {
        "deviceID": "123456789",
        "id": "123456",
        "isAnonymous": True,
        "name": "<name>",
        "avatar": "<url>",
    },
    "exp": 1734858598.864,
    "iat": 1732266598.864,
    "host": "hailuoai.video",
    "searchParams": "device_platform=web&app_id=3001&version_code=22201&uuid=b5df53d1-4c0d-4c77-8422-87e3f3b1a1d6&device_id=123456789&os_name=Windows&browser_name=chrome&device_memory=8&cpu_core_num=4&browser_language=en-US&browser_platform=Win32&screen_width=1920&screen_height=1080&unix=1732266598000",
    "iat_Issued": "2024-01-01T00:00:00.000Z",
    "exp_Expire": "2024-12-01T00:00:00.000Z",
}
GET_ONE_A = {
    "account": "123456",
    "jwt": JWT_A,
    "maxJobs": 1,
    "supportVideo": True,
    "supportChat": True,
    "supportAudio": True,
}
GET_ONE_B = {"account": "123456", "jwt": {k: v for k, v in JWT_A.items() if k != "host"}, "maxJobs": 1}
POST_201_B = GET_ONE_B
# The list (March 2025), cut off by the store inside the second account's exp_Expire.
LIST_200 = {
    "123456": GET_ONE_A,
    "78910": {
        "account": "78910",
        "jwt": {
            "token": "edf…secured…lmn",
            "user": {
                "deviceID": "987654321",
                "id": "78910",
                "isAnonymous": True,
                "name": "<name>",
                "avatar": "<url>",
            },
            "host": "hailuoai.com",
            "exp": 1744858598.864,
            "iat": 1742266598.864,
            "iat_Issued": "2025-01-01T00:00:00.000Z",
        },
    },
}
PAGE_EXP_EXPIRE = datetime(2024, 12, 1, tzinfo=UTC)
PAGE_EXP_N = datetime(2025, 4, 17, 2, 56, 38, tzinfo=UTC)  # 1744858598.864 as Unix seconds


def service() -> MiniMaxService:
    return MiniMaxService.__new__(MiniMaxService)  # parsing needs no transport


# -- (a) parsers -------------------------------------------------------------------------------


def test_the_pages_examples_parse_and_exp_expire_wins() -> None:
    minimax = service()
    for example in (GET_ONE_A, GET_ONE_B, POST_201_B):
        info = minimax.parse_account(example)
        assert (info.account, info.expires_at, info.max_jobs, info.error) == (
            "123456",
            PAGE_EXP_EXPIRE,
            1,
            None,
        )
    listed = [minimax.parse_account(v, k) for k, v in LIST_200.items()]
    assert [(a.account, a.expires_at) for a in listed] == [("123456", PAGE_EXP_EXPIRE), ("78910", PAGE_EXP_N)]


def test_the_description_is_the_documented_one() -> None:
    cls = REGISTRY["minimax"]
    assert cls is MiniMaxService and cls.on_by_default is False
    assert cls.accounts_path == "/v1/minimax/accounts" and cls.delete_path == "/v1/minimax/accounts/{account}"
    assert cls.credit_source is CreditSource.NONE and not cls.reads_details
    assert [f.id for f in cls.form_fields] == ["url", "token", "max_jobs"]
    assert all(f.secret and f.required for f in cls.form_fields)  # the URL too: it identifies the browser
    assert "/cursor" in cls.form_intro and "Request URL" in cls.form_intro


def test_the_disagreement_of_exp_and_exp_expire_is_logged_once_per_account(
    caplog: pytest.LogCaptureFixture,
) -> None:
    forget_notes()
    with caplog.at_level(logging.WARNING, logger="bot.services._lenient"):
        for _ in range(4):  # four syncs of the list
            for key, value in LIST_200.items():
                service().parse_account(value, key)
            service().parse_account({**GET_ONE_A, "account": "555"})
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2  # "123456" and "555" disagree (by 21 days); "78910" has no exp_Expire
    assert all("jwt.exp_Expire and jwt.exp disagree by 21d" in line for line in lines)
    assert "abc…secured…xyz" not in caplog.text


SECONDS = int(EXPIRES.timestamp())


@pytest.mark.parametrize(
    ("jwt", "expected"),
    [
        ({"exp_Expire": "2026-12-20T08:30:00.000Z", "exp": SECONDS + 0.864}, EXPIRES),
        ({"exp_Expire": "2026-12-20T08:30:00.000Z", "exp": 1734858598.864}, EXPIRES),  # ISO wins
        ({"exp": SECONDS + 0.864}, EXPIRES),
        ({"exp": SECONDS * 1000}, EXPIRES),
        ({"exp_Expire": "garbage", "exp": SECONDS}, EXPIRES),
        ({"exp_Expire": 17, "exp": "x"}, None),
        ({"exp_Expire": None}, None),
        ({"iat_Issued": "2024-01-01T00:00:00.000Z"}, None),
    ],
)
def test_exp_expire_first_then_exp(jwt: dict[str, Any], expected: datetime | None) -> None:
    assert service().parse_account({"account": ACCOUNT, "jwt": jwt}).expires_at == expected


@pytest.mark.parametrize(
    ("obj", "key", "account"),
    [
        ({"account": 123456}, None, "123456"),  # a number is its digits
        ({}, "78910", "78910"),
        ({"jwt": {"user": {"id": "314"}}}, None, "314"),
        ({"jwt": {"user": {"id": 314}}}, None, "314"),
        ({"account": ["x"], "jwt": {"user": "me"}}, "k1", "k1"),
        ({"account": "a" * 300}, None, "a" * 100),
        ({}, None, ""),  # nothing names it: the base refuses a registration answer like this
    ],
)
def test_the_account_key(obj: dict[str, Any], key: str | None, account: str) -> None:
    assert service().parse_account(obj, key).account == account


SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
JSON = SCALAR | st.lists(SCALAR, max_size=2) | st.dictionaries(st.text(max_size=3), SCALAR, max_size=2)
INSTANT = st.integers(-1, 10**13) | st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
JWT = st.dictionaries(
    st.sampled_from(["exp", "exp_Expire", "iat", "user", "token"]), JSON | INSTANT, max_size=3
)


@given(
    st.fixed_dictionaries({}, optional={"account": JSON, "maxJobs": JSON, "error": JSON, "jwt": JSON | JWT})
)
def test_account_parsing_never_raises(obj: dict[str, Any]) -> None:
    info = service().parse_account(obj, "key")
    assert info.account and (info.expires_at is None or info.expires_at.year >= 2000)


# -- (b) the URL and the token -------------------------------------------------------------------


def form(url: str = URL, token: str = TOKEN, max_jobs: str = "2") -> dict[str, str]:
    return {"url": url, "token": token, "max_jobs": max_jobs}


def test_a_valid_form_is_the_documented_body_and_every_part_of_it_is_secret() -> None:
    submission = service().parse_form(
        form(url=f"  Request URL: {URL}\n", token=f"token: {TOKEN}", max_jobs="10")
    )
    assert submission.body == {"url": URL, "token": TOKEN, "maxJobs": 10}
    assert submission.secrets[:2] == (URL, TOKEN)
    assert {UUID, DEVICE, "1764003917482"} <= set(submission.secrets)  # the identifying query values
    assert URL not in repr(submission) and TOKEN not in repr(submission)
    assert service().register_path(submission) == "/v1/minimax/accounts"


@pytest.mark.parametrize(
    "pasted",
    [
        URL,
        f'"{URL}"',
        f"Request URL\t{URL}",
        f"url={URL}",
        URL.replace("https://hailuoai.video", "https://hailuoai.com"),
    ],
)
def test_the_url_as_devtools_and_people_copy_it(pasted: str) -> None:
    url, _ = parse_cursor_url(pasted)
    assert url.endswith("unix=1764003917482") and url.startswith("https://hailuoai.")


@pytest.mark.parametrize(
    "pasted",
    [TOKEN, f'"{TOKEN}"', f"token: {TOKEN}", f"token={TOKEN}", f'"token": "{TOKEN}"', f"Bearer {TOKEN}"],
)
def test_the_token_as_devtools_and_people_copy_it(pasted: str) -> None:
    assert parse_minimax_token(pasted) == TOKEN


@pytest.mark.parametrize(
    ("values", "says"),
    [
        (form(url=""), "The /cursor request URL is empty"),
        (form(url="hailuoai.video/v3/api/multimodal/video/my/cursor"), "not a web address"),
        (form(url="ftp://hailuoai.video/cursor"), "not a web address"),
        (form(url="https:///cursor"), "not a web address"),
        (form(url="https://hailuoai.video/v1/api/user/info?x=1"), "not the /cursor request"),
        (form(url=f"curl '{URL}' -H 'token: x'"), "curl command"),
        (form(url=URL[:80] + "…"), "shortened"),
        (form(url=URL[:60] + "\n" + URL[60:]), "one line without spaces"),
        (form(url=URL + "&name=Zoë"), "can't hold"),
        (form(token=""), "The token is empty"),
        (form(token=URL), "web address, not the token"),
        (form(token="abc…secured…xyz"), "shortened"),
        (form(token="eyJ abc def"), "one line without spaces"),
        (form(token='eyJhbGciOiJIUzI1NiJ9;"x"'), "can't hold"),
        (form(token="eyJhbGci"), "only 8 characters"),
        (form(max_jobs=""), "Max jobs is required"),
        (form(max_jobs="11"), "from 1 to 10"),
    ],
)
def test_bad_input_gets_a_specific_sentence_that_never_repeats_it(values: dict[str, str], says: str) -> None:
    with pytest.raises(CookieError, match=says) as caught:
        service().parse_form(values)
    for secret in (URL, TOKEN, UUID, DEVICE, values["url"].strip(), values["token"].strip()):
        if len(secret) >= 8:
            assert secret not in str(caught.value)


@given(st.text(max_size=300), st.text(max_size=300))
def test_any_text_is_accepted_or_refused_with_a_sentence_that_never_repeats_it(url: str, token: str) -> None:
    try:
        submission = service().parse_form({"url": url, "token": token, "max_jobs": "1"})
    except CookieError as exc:
        # No run of 8 typed characters comes back, but the bot's own words ("hailuoai.video").
        for typed in (url, token):
            assert not (runs(typed) & runs(str(exc))) - bot_vocabulary()
        return
    assert "/cursor" in submission.body["url"].lower() and " " not in submission.body["token"]
    assert submission.secrets[:2] == (submission.body["url"], submission.body["token"])


@given(
    st.from_regex(
        r"https://[a-z]{3,10}\.(video|com)/[a-z/]{0,20}/cursor\?[a-z_]{1,8}=[A-Za-z0-9-]{1,40}",
        fullmatch=True,
    )
)
def test_generated_cursor_urls_are_accepted_verbatim(url: str) -> None:
    assert parse_cursor_url(url)[0] == url


# -- (d) the list against the double ---------------------------------------------------------------


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[UseapiDouble, MiniMaxService]]:
    async with UseapiDouble(token=USEAPI_TOKEN) as ua, httpx.AsyncClient() as http:
        services = build_services(
            http, base_url=ua.base_url, token=USEAPI_TOKEN, timeout=5, enabled=("minimax",)
        )
        minimax = services["minimax"]
        assert isinstance(minimax, MiniMaxService)
        yield ua, minimax


@pytest.mark.parametrize(
    ("body", "empty"), [("json", True), ("empty", True), ("object", True), ("text", False)]
)
async def test_each_plausible_empty_list_is_no_accounts_and_a_text_page_is_not(
    upstream: tuple[UseapiDouble, MiniMaxService], body: str, empty: bool
) -> None:
    ua, minimax = upstream
    ua.minimax.empty_list_body = body
    if empty:
        assert await minimax.list_accounts() == []
    else:
        with pytest.raises(UseapiError) as caught:
            await minimax.list_accounts()
        assert caught.value.failure is Failure.UNAVAILABLE


@pytest.mark.parametrize(
    ("shape", "expected"),
    [("agree", EXPIRES), ("page", EXPIRES), ("iso_only", EXPIRES), ("number_only", EXPIRES)],
)
async def test_the_list_reads_the_deadline_in_each_shape(
    upstream: tuple[UseapiDouble, MiniMaxService], shape: str, expected: datetime
) -> None:
    ua, minimax = upstream
    ua.minimax.exp_shape = shape
    ua.minimax.set_account(ACCOUNT, EXPIRES, max_jobs=3)
    ua.minimax.set_account("777", EXPIRES, error="Token expired, update the account")
    accounts = {a.account: a for a in await minimax.list_accounts()}
    assert (accounts[ACCOUNT].expires_at, accounts[ACCOUNT].max_jobs) == (expected, 3)
    assert accounts["777"].error == "Token expired, update the account"


@pytest.mark.parametrize("body", [[], "x", {ACCOUNT: "not an object"}])
async def test_an_unreadable_list_is_a_failure_not_no_accounts(
    upstream: tuple[UseapiDouble, MiniMaxService], body: object
) -> None:
    ua, minimax = upstream
    ua.inject("GET", "/v1/minimax/accounts", status=200, body=json.dumps(body))
    with pytest.raises(UseapiError) as caught:
        await minimax.list_accounts()
    assert caught.value.failure is Failure.BAD_RESPONSE


async def test_one_account_and_its_deletion(upstream: tuple[UseapiDouble, MiniMaxService]) -> None:
    ua, minimax = upstream
    ua.minimax.set_account(ACCOUNT, EXPIRES)
    assert (await minimax.account_details(ACCOUNT)).expires_at == EXPIRES
    with pytest.raises(UseapiError) as caught:
        await minimax.account_details("999")
    assert caught.value.failure is Failure.UNAVAILABLE
    assert await minimax.delete_account(ACCOUNT) is True
    assert await minimax.delete_account(ACCOUNT) is False


# -- (b, c) registration through the real bot ------------------------------------------------------


@pytest.mark.services("luma", "minimax")
async def test_minimax_registration_end_to_end(rig: Rig) -> None:
    rig.useapi.minimax.teach_token(TOKEN, ACCOUNT, EXPIRES)
    opened = await open_form(rig, "minimax")
    inputs = modal_inputs(opened)
    assert list(inputs) == ["url", "token", "max_jobs"]
    assert inputs["url"]["style"] == 2 and inputs["url"]["max_length"] == 4000
    assert opened.data["components"][0]["type"] == 10  # form_intro: the DevTools steps, above the fields
    labels = [c for c in opened.data["components"] if c.get("type") == 18]
    assert "/cursor" in labels[0]["description"]

    submitted = await rig.submit(opened, form(url=f"Request URL: {URL}", max_jobs="3"), user=member(rig))
    answer = await rig.followup(submitted)
    assert answer["content"].startswith("✅ useapi.net accepted the MiniMax URL and token.")
    embed = answer["embeds"][0]
    assert embed["title"] == "MiniMax account added" and ACCOUNT in embed["description"]
    assert f"<t:{int(EXPIRES.timestamp())}:F>" in json.dumps(embed)

    (post,) = rig.useapi.requests_to("POST", "/v1/minimax/accounts")
    assert post.json == {"url": URL, "token": TOKEN, "maxJobs": 3}
    stored = await rig.bot.store.get_account("minimax", ACCOUNT)  # type: ignore[union-attr]
    assert stored is not None and (stored.expires_at, stored.max_jobs) == (EXPIRES, 3)
    # The sweep at the end of the rig looks for the URL, the token and the URL's query values.
    assert {URL, TOKEN, DEVICE} <= set(scenario_secrets(rig))


@pytest.mark.services("luma", "minimax")
@pytest.mark.parametrize(
    ("values", "says"),
    [
        (form(url="https://hailuoai.video/"), "not the /cursor request"),
        (form(token="short"), "only 5 characters"),
        (form(max_jobs="0"), "from 1 to 10"),
    ],
)
async def test_bad_input_is_answered_privately_without_calling_upstream(
    rig: Rig, values: dict[str, str], says: str
) -> None:
    assert says in await refused_before_sending(rig, "minimax", values)


@pytest.mark.services("luma", "minimax")
@pytest.mark.parametrize(
    ("setup", "status", "says"),
    [
        (
            "unknown-token",
            400,
            'did not accept that MiniMax URL and token. useapi.net said: "MiniMax did not accept the url and token"',
        ),
        ("token", 401, "refused the bot's own API token (401)"),
        (
            "other-401",
            401,
            'useapi.net refused this MiniMax registration (HTTP 401). useapi.net said: "Token expired"',
        ),
        ("402", 402, "subscription has expired"),
        ("5xx", 500, "useapi.net had an error (HTTP 500)"),
        ("route-gone", 404, "not available on useapi.net right now"),
    ],
)
async def test_each_error_is_explained_privately_and_stores_nothing(
    rig: Rig, setup: str, status: int, says: str
) -> None:
    if setup != "unknown-token":
        rig.useapi.minimax.teach_token(TOKEN, ACCOUNT, EXPIRES)
    fault = {
        "token": (401, {"error": "Unauthorized", "code": 401}),
        "other-401": (401, {"error": "Token expired", "code": 401}),
        "402": (402, {"error": "Subscription required", "code": 402}),
        "5xx": (500, {"error": f"upstream failed for {URL}"}),
        "route-gone": (404, "Not Found"),
    }.get(setup)
    if fault:
        rig.useapi.inject("POST", "/v1/minimax/accounts", *fault)
    said = await refused_upstream(rig, "minimax", form(), status)
    assert says in said and URL not in said and TOKEN not in said
    assert rig.useapi.minimax.accounts == {}


@pytest.mark.services("luma", "minimax")
async def test_an_accepted_account_whose_error_echoes_the_url_or_token_is_scrubbed(rig: Rig) -> None:
    body = {"account": ACCOUNT, "maxJobs": 2, "error": f"token {TOKEN} near expiry for device {DEVICE}"}
    rig.useapi.inject("POST", "/v1/minimax/accounts", 201, body)
    answer = await register(rig, "minimax", form())
    shown = json.dumps(answer)
    assert "token [redacted] near expiry for device [redacted]" in shown
    assert TOKEN not in shown and DEVICE not in shown
    stored = await rig.bot.store.get_account("minimax", ACCOUNT)  # type: ignore[union-attr]
    assert stored is not None and stored.last_error == "token [redacted] near expiry for device [redacted]"


# -- (e) what is warned about, through the scheduler ---------------------------------------------------


@pytest.mark.services("luma", "minimax")
async def test_minimax_warns_by_exp_expire_and_on_error_and_nothing_otherwise(watched: Rig) -> None:
    rig = watched
    rig.useapi.minimax.exp_shape = "page"  # exp three weeks after exp_Expire, as in the pages' example
    expires = START + 80 * H
    rig.useapi.minimax.set_account(ACCOUNT, expires)
    await rig.start_bot()
    for _ in range(7):
        await run_pass(rig)
        clock(rig).advance(H)
    assert warnings(rig) == []
    stored = await rig.bot.store.get_account("minimax", ACCOUNT)  # type: ignore[union-attr]
    assert stored is not None and stored.expires_at == expires  # exp_Expire, not exp

    clock(rig).set(expires - 72 * H + timedelta(seconds=20))
    await run_pass(rig)
    assert titles(rig) == ["MiniMax session expires within 72h"]

    rig.useapi.minimax.set_error(ACCOUNT, "MiniMax token expired, update the account")
    await next_sync(rig)
    (reason,) = [m for m in warnings(rig) if "token expired" in json.dumps(m["embeds"][0])]
    assert renew_buttons(reason) == ["warden:renew:minimax"]
    await next_sync(rig)
    assert len(warnings(rig)) == 2
    rig.useapi.minimax.set_error(ACCOUNT, None)
    await next_sync(rig)
    stored = await rig.bot.store.get_account("minimax", ACCOUNT)  # type: ignore[union-attr]
    assert stored is not None and stored.last_error is None


# -- removal -------------------------------------------------------------------------------------


@pytest.mark.services("luma", "minimax")
async def test_remove_deletes_on_useapi(watched: Rig) -> None:
    rig = watched
    rig.useapi.minimax.set_account(ACCOUNT, START + 40 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    answer = await remove(rig, "minimax", ACCOUNT)
    assert "Deleted" in answer
    assert [r.path for r in rig.useapi.requests_to("DELETE", ".*")] == [f"/v1/minimax/accounts/{ACCOUNT}"]
    assert await tracked(rig, "minimax") == []


# -- check ---------------------------------------------------------------------------------------


async def test_check_reads_the_minimax_list_and_shows_its_deadline(tmp_path: Path) -> None:
    async with UseapiDouble(token=USEAPI_TOKEN) as ua:
        ua.minimax.exp_shape = "page"
        ua.minimax.set_account(ACCOUNT, START + 50 * H)
        status, out = await run_check(tmp_path, ua.base_url, ("luma", "minimax"))
        assert ua.requests_to("GET", "/v1/minimax/accounts")
    assert status == 0, out
    assert "MiniMax: token accepted, 1 account(s) configured" in out
    row = next(line for line in out.splitlines() if line.startswith("MiniMax "))
    assert ACCOUNT in row and "2026-11-25T14:00:00Z" in row  # exp_Expire, not exp
