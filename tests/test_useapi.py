"""The useapi.net client against the documented shapes (faked with respx)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from bot import logs
from bot.models import IMPLAUSIBLE, UNREADABLE, FieldNote
from bot.services.ltx import LtxService
from bot.services.luma import LumaService
from bot.services.runway import RunwayService
from bot.useapi import Failure, Transport, UseapiError, base
from bot.useapi.parsing import FieldError, noting, parse_iso_utc, parse_luma_expires, parse_millis

BASE = "https://useapi.test"
TOKEN = "user:1234-useapi-token-Zq"
SESSION = "mK8jP2xZc9AfQw3LnT7vYbE1R"
LTX_COOKIE = "lt_id=user123; lt_token=eyJ.secretToken; lt_refresh_token=refreshSecret99"

LUMA_OK = {
    "account": "someone@example.com",
    "user_id": "9ecac364-4b63-5b61-9241-297345710d63",
    "concurrency": 4,
    "luma_session_expires": "2026-05-27 00:28:17 UTC",
    "credits": {"usage": 20, "limit": 10000},
    "created": True,
}
LTX_OK = {
    "email": "maker@example.com",
    "cookie": {"lt_id": "user123", "lt_token": "…secured…", "lt_refresh_token": "…secured…"},
    "maxJobs": 20,
    "updated": 1678886400000,
    "updatedUTC": "2023-03-15T13:20:00.000Z",
    "tokenExpire": 1756197420000,
    "tokenExpireUTC": "2025-08-26T08:37:00.000Z",
    "refreshTokenExpire": 1694774400000,
    "refreshTokenExpireUTC": "2023-09-15T10:40:00.000Z",
}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def luma(http: httpx.AsyncClient) -> LumaService:
    return LumaService(Transport(http, BASE, TOKEN, timeout=2))


@pytest.fixture
def ltx(http: httpx.AsyncClient) -> LtxService:
    return LtxService(Transport(http, BASE, TOKEN, timeout=2))


@respx.mock
async def test_luma_register_sends_documented_body_and_parses_answer(luma: LumaService) -> None:
    route = respx.post(f"{BASE}/v1/luma/accounts").respond(200, json=LUMA_OK)
    info = await luma.register(luma.parse_form({"cookie": SESSION}))
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.content) == {"session": SESSION}
    assert info.account == "someone@example.com"
    assert info.expires_at == datetime(2026, 5, 27, 0, 28, 17, tzinfo=UTC)
    assert (info.concurrency, info.credits_usage, info.credits_limit, info.created) == (4, 20, 10000, True)


@respx.mock
async def test_ltx_register_sends_cookie_and_max_jobs(ltx: LtxService) -> None:
    route = respx.post(f"{BASE}/v1/ltxstudio/accounts").respond(200, json=LTX_OK)
    info = await ltx.register(ltx.parse_form({"cookie": LTX_COOKIE, "max_jobs": "7"}))
    assert json.loads(route.calls.last.request.content) == {"cookie": LTX_COOKIE, "maxJobs": 7}
    assert info.account == "maker@example.com"
    assert info.expires_at == datetime(2025, 8, 26, 8, 37, tzinfo=UTC)
    assert info.refresh_expires_at == datetime(2023, 9, 15, 10, 40, tzinfo=UTC)
    assert info.max_jobs == 20


@respx.mock
async def test_ltx_falls_back_to_utc_strings_and_copes_with_missing_fields(ltx: LtxService) -> None:
    respx.get(f"{BASE}/v1/ltxstudio/accounts").respond(
        200,
        json={
            "a@example.com": {"email": "a@example.com", "tokenExpireUTC": "2025-07-03T12:13:14.000Z"},
            "b@example.com": {},
        },
    )
    accounts = {a.account: a for a in await ltx.list_accounts()}
    assert accounts["a@example.com"].expires_at == datetime(2025, 7, 3, 12, 13, 14, tzinfo=UTC)
    assert accounts["b@example.com"].expires_at is None  # keyed by email when the object lacks it


@respx.mock
@pytest.mark.parametrize("path", ["/v1/luma/accounts", "/v1/ltxstudio/accounts"])
async def test_list_404_means_none_configured(path: str, luma: LumaService, ltx: LtxService) -> None:
    respx.get(f"{BASE}{path}").respond(404, content=b"")
    service = luma if "luma" in path else ltx
    assert await service.list_accounts() == []


@respx.mock
@pytest.mark.parametrize(
    ("status", "body", "headers", "failure", "says"),
    [
        (400, {"error": "Parameter session is required"}, {}, Failure.BAD_REQUEST, "Parameter session is required"),
        (401, {"error": "Unauthorized"}, {}, Failure.UNAUTHORIZED, "operator"),
        (402, {"error": "Account has no subscription or subscription expired"}, {}, Failure.PAYMENT_REQUIRED, "subscription"),
        (404, {"error": "Not found"}, {}, Failure.UNAVAILABLE, "not available on useapi.net right now"),
        (410, None, {}, Failure.UNAVAILABLE, "not available on useapi.net right now"),
        (429, {"error": "Too many requests"}, {"Retry-After": "17"}, Failure.RATE_LIMITED, "in 17 s"),
        (429, None, {}, Failure.RATE_LIMITED, "in a minute"),
        (500, {"error": "Session refreshed but validation failed. Please try again."}, {}, Failure.UPSTREAM_ERROR, "validation failed"),
        (502, None, {}, Failure.UPSTREAM_ERROR, "HTTP 502"),
        (503, None, {"Retry-After": "5"}, Failure.RATE_LIMITED, "in 5 s"),
        (418, None, {}, Failure.UNEXPECTED_STATUS, "418"),
    ],
)  # fmt: skip
async def test_every_status_becomes_a_typed_error_with_a_sentence(
    luma: LumaService, status: int, body: object, headers: dict[str, str], failure: Failure, says: str
) -> None:
    kwargs = {"json": body} if body is not None else {"content": b""}
    respx.post(f"{BASE}/v1/luma/accounts").respond(status, headers=headers, **kwargs)
    with pytest.raises(UseapiError) as caught:
        await luma.register(luma.parse_form({"cookie": SESSION}))
    assert caught.value.failure is failure
    assert says in caught.value.user_message()


@respx.mock
async def test_upstream_error_text_never_echoes_the_cookie(ltx: LtxService) -> None:
    respx.post(f"{BASE}/v1/ltxstudio/accounts").respond(
        400, json={"error": "bad lt_token eyJ.secretToken for refreshSecret99", "code": 400}
    )
    with pytest.raises(UseapiError) as caught:
        await ltx.register(ltx.parse_form({"cookie": LTX_COOKIE}))
    text = caught.value.user_message()
    assert "eyJ.secretToken" not in text and "refreshSecret99" not in text
    assert "[redacted]" in text


@respx.mock
async def test_a_read_whose_error_text_quotes_a_secret_the_bot_holds_is_scrubbed(
    http: httpx.AsyncClient,
) -> None:
    """A read sends no credential, yet its error text is shown and stored too (Runway's features
    401 becomes the account's `health`): every secret the bot holds (its tokens, a registration
    in flight) is scrubbed from it, whole or cut short."""
    runway = RunwayService(Transport(http, BASE, TOKEN, timeout=2))
    respx.get(f"{BASE}/v1/runwayml/features", params={"email": "maker@example.com"}).respond(
        401, json={"error": f"This account has been suspended (token {TOKEN}, session {SESSION[:12]})"}
    )
    with logs.secret_in_flight(TOKEN, SESSION):
        info = await runway.account_details("maker@example.com")
    assert info.health is not None and info.health.startswith("This account has been suspended")
    assert TOKEN not in info.health and SESSION[:12] not in info.health and "[redacted]" in info.health


@respx.mock
@pytest.mark.parametrize(
    ("response", "failure"),
    [
        (httpx.Response(200, content=b"{not json"), Failure.BAD_RESPONSE),
        (httpx.Response(200, json=["a", "list"]), Failure.BAD_RESPONSE),
        (httpx.Response(200, json={"created": True}), Failure.BAD_RESPONSE),
        (httpx.Response(200, json={"error": "Session invalid"}), Failure.BAD_REQUEST),
        (httpx.Response(200, content=b"[" * 1_200_000), Failure.BAD_RESPONSE),
        (httpx.TimeoutException("slow"), Failure.TIMEOUT),
        (httpx.ConnectError("refused"), Failure.CONNECTION),
    ],
)
async def test_undocumented_failures_are_typed(luma: LumaService, response: object, failure: Failure) -> None:
    respx.post(f"{BASE}/v1/luma/accounts").mock(
        side_effect=response if isinstance(response, Exception) else None,
        return_value=None if isinstance(response, Exception) else response,
    )
    with pytest.raises(UseapiError) as caught:
        await luma.register(luma.parse_form({"cookie": SESSION}))
    assert caught.value.failure is failure
    assert caught.value.user_message()


@respx.mock
@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("luma_session_expires", 1234, UNREADABLE),
        ("luma_session_expires", "2026-02-30 00:00:00 UTC", UNREADABLE),
        ("luma_session_expires", "0001-01-01 00:00:00 UTC", IMPLAUSIBLE),
        ("luma_session_expires", "9999-12-31 23:59:59 UTC", IMPLAUSIBLE),
        ("concurrency", "four", UNREADABLE),
        ("credits", 5, UNREADABLE),
    ],
)
async def test_one_odd_field_of_an_answer_is_unknown_not_an_unreadable_answer(
    luma: LumaService, field: str, value: object, problem: str
) -> None:
    """(Until issue 18 these were unreadable answers: one field failed the whole answer, and in a
    list every account's.) The field is read as unknown, and noted by name, never by value."""
    respx.post(f"{BASE}/v1/luma/accounts").respond(200, json={**LUMA_OK, field: value})
    info = await luma.register(luma.parse_form({"cookie": SESSION}))
    assert info.account == "someone@example.com" and info.unreadable == (FieldNote(field, problem),)
    known = {
        "luma_session_expires": info.expires_at,
        "concurrency": info.concurrency,
        "credits": info.credits_limit,
    }
    assert known[field] is None
    assert all(v is not None for k, v in known.items() if k != field)


@respx.mock
async def test_missing_optional_fields_are_none(luma: LumaService) -> None:
    respx.post(f"{BASE}/v1/luma/accounts").respond(200, json={"account": "x@example.com", "credits": None})
    info = await luma.register(luma.parse_form({"cookie": SESSION}))
    assert info.expires_at is None and info.credits_limit is None and info.concurrency is None


def test_luma_expires_is_strict() -> None:
    assert parse_luma_expires("2026-05-27 00:28:17 UTC") == datetime(2026, 5, 27, 0, 28, 17, tzinfo=UTC)
    assert parse_luma_expires(None) is None
    for bad in ["2026-05-27T00:28:17Z", "2026-05-27 00:28:17", "2026-13-01 00:00:00 UTC", "soon"]:
        with pytest.raises(FieldError):
            parse_luma_expires(bad)


def test_millis_and_iso() -> None:
    assert parse_millis(1756197420000, "tokenExpire") == datetime(2025, 8, 26, 8, 37, tzinfo=UTC)
    assert parse_iso_utc("2025-06-03T12:13:14.000Z", "x") == datetime(2025, 6, 3, 12, 13, 14, tzinfo=UTC)
    for bad in [True, "1756197420000", float("nan")]:
        with pytest.raises(FieldError):
            parse_millis(bad, "tokenExpire")
    # Numbers that are not plausible milliseconds (seconds, -1): no time known, and noted.
    for implausible in [1756197420, -1]:
        with noting() as notes:
            assert parse_millis(implausible, "tokenExpire") is None
        assert notes == [FieldNote("tokenExpire", IMPLAUSIBLE)]


@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.booleans(), st.none()))
def test_date_parsers_raise_only_field_errors(value: object) -> None:
    for parse in (parse_luma_expires, lambda v: parse_iso_utc(v, "f"), lambda v: parse_millis(v, "f")):
        try:
            result = parse(value)
        except FieldError:
            continue
        assert result is None or result.tzinfo is UTC


@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2199, 1, 1)))
def test_date_formats_round_trip(moment: datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    assert parse_luma_expires(moment.strftime("%Y-%m-%d %H:%M:%S UTC")) == moment
    assert parse_iso_utc(moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "f") == moment
    assert parse_millis(int(moment.timestamp() * 1000), "f") == moment


@respx.mock
async def test_a_retired_ltx_list_is_unavailable_not_empty(ltx: LtxService) -> None:
    """A plain-text 404 (the API retired) must not read as "no accounts configured"."""
    respx.get(f"{BASE}/v1/ltxstudio/accounts").respond(404, text="LTX Studio API has been retired")
    with pytest.raises(UseapiError) as caught:
        await ltx.list_accounts()
    assert caught.value.failure is Failure.UNAVAILABLE
    assert "not available on useapi.net right now" in caught.value.user_message()
    respx.get(f"{BASE}/v1/ltxstudio/accounts").respond(
        404, json={"error": "Configuration not found", "code": 404}
    )
    assert await ltx.list_accounts() == []
    respx.get(f"{BASE}/v1/ltxstudio/accounts").respond(410, json={"error": "Gone"})
    with pytest.raises(UseapiError):
        await ltx.list_accounts()


@respx.mock
@pytest.mark.parametrize("body", [b"", b"  \n", b"null", b"[]", b'"none"', b"0"])
async def test_a_200_account_list_that_is_not_an_object_is_a_failed_read(
    luma: LumaService, body: bytes
) -> None:
    """Only a 404 means "no accounts"; an empty or `null` 200 read as [] would mark every
    tracked account gone."""
    respx.get(f"{BASE}/v1/luma/accounts").respond(200, content=body)
    with pytest.raises(UseapiError) as caught:
        await luma.list_accounts()
    assert caught.value.failure is Failure.BAD_RESPONSE and caught.value.status == 200
    respx.get(f"{BASE}/v1/luma/accounts").respond(404)
    assert await luma.list_accounts() == []


def luma_list_of_size(nbytes: int) -> bytes:
    """A documented Luma account list of at least `nbytes` bytes (about 280 bytes an account)."""
    accounts: dict[str, object] = {}
    size = 2
    while size < nbytes:
        email = f"member{len(accounts):06d}@example.com"
        entry = {**LUMA_OK, "account": email, "created": None}
        accounts[email] = entry
        size += len(json.dumps({email: entry}))
    return json.dumps(accounts).encode()


@respx.mock
async def test_account_lists_may_be_large_but_other_answers_stay_small(luma: LumaService) -> None:
    """An account list over the 1 MB limit of other answers is read (up to 16 MB, about 57,000
    Luma accounts); a registration answer over 1 MB is still refused."""
    assert base.MAX_BODY_BYTES == 1_000_000 and base.MAX_LIST_BODY_BYTES == 16_000_000
    big_list = luma_list_of_size(base.MAX_BODY_BYTES + 200_000)
    respx.get(f"{BASE}/v1/luma/accounts").respond(200, content=big_list)
    accounts = await luma.list_accounts()
    assert len(accounts) > 3_500 and accounts[-1].expires_at == datetime(2026, 5, 27, 0, 28, 17, tzinfo=UTC)

    padded = json.dumps({**LUMA_OK, "padding": "x" * base.MAX_BODY_BYTES}).encode()
    respx.post(f"{BASE}/v1/luma/accounts").respond(200, content=padded)
    with pytest.raises(UseapiError) as caught:
        await luma.register(luma.parse_form({"cookie": SESSION}))
    assert caught.value.failure is Failure.BAD_RESPONSE


class EndlessList(httpx.AsyncByteStream):
    """An account list that never ends, in 64 KB chunks; counts what was read of it."""

    def __init__(self) -> None:
        self.chunks = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"a@example.com": {"padding": "'
        while self.chunks < 1_000:  # 64 MB: far past the limit
            self.chunks += 1
            yield b"x" * 65_536


@respx.mock
async def test_an_account_list_over_16_mb_is_refused_without_reading_it_all(luma: LumaService) -> None:
    body = EndlessList()
    respx.get(f"{BASE}/v1/luma/accounts").respond(200, stream=body)
    with pytest.raises(UseapiError) as caught:
        await luma.list_accounts()
    assert caught.value.failure is Failure.BAD_RESPONSE
    assert body.chunks * 65_536 < base.MAX_LIST_BODY_BYTES + 2 * 65_536  # it stopped at the limit
