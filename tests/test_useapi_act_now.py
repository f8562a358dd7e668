"""useapi.net's answers that mean "act now" (issue 21): 596 (the linked account's session is
broken), 412 (out of credits upstream) and a 429 that names its time (`retryAt`, or
Retry-After), in registrations and in details reads, each with its sentence (faked with respx;
end to end: tests/test_e2e_credits.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from bot.services import REGISTRY
from bot.services.dreamina import DreaminaService
from bot.services.luma import LumaService
from bot.store import Store
from bot.sync import MAX_RETRY_AFTER, SyncState, advance, sync_service
from bot.useapi import Failure, Transport, UseapiError, UseapiService
from bot.useapi.errors import OUT_OF_CREDITS_REASON, SESSION_BROKEN_REASON, retry_time_text, session_broken

BASE = "https://useapi.test"
TOKEN = "user:1234-useapi-token-Zq"
SESSION = "mK8jP2xZc9AfQw3LnT7vYbE1R"
EMAIL = "someone@example.com"
BROKEN = {"error": f"Account {EMAIL} in error state: refresh token rejected", "code": 596}
RECHECKING = {"error": "Google reported the account as signed out; it is being re-checked. Retry in a minute"}
NO_CREDITS = {"error": "Not enough credits: requested 3, available 0", "code": 412}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def service(http: httpx.AsyncClient, key: str) -> UseapiService:
    return REGISTRY[key](Transport(http, BASE, TOKEN, timeout=2))


@pytest.fixture
def luma(http: httpx.AsyncClient) -> LumaService:
    return LumaService(Transport(http, BASE, TOKEN, timeout=2))


async def refused(luma: LumaService) -> UseapiError:
    with pytest.raises(UseapiError) as caught:
        await luma.register(luma.parse_form({"cookie": SESSION}))
    return caught.value


@respx.mock
async def test_a_596_at_registration_says_the_pasted_credential_is_broken(luma: LumaService) -> None:
    respx.post(f"{BASE}/v1/luma/accounts").respond(596, json=BROKEN)
    error = await refused(luma)
    assert error.failure is Failure.SESSION_BROKEN and error.registering
    said = error.user_message()
    assert "the Luma session behind that cookie is broken (HTTP 596)" in said
    assert "Sign in to Luma again, then register with the fresh cookie" in said
    assert "refresh token rejected" in said and SESSION not in said


@respx.mock
async def test_a_596_being_re_checked_is_a_passing_error_not_a_broken_session(luma: LumaService) -> None:
    respx.post(f"{BASE}/v1/luma/accounts").respond(596, json=RECHECKING)
    error = await refused(luma)
    assert error.failure is Failure.UPSTREAM_ERROR
    assert "Try again in a few minutes" in error.user_message()


@respx.mock
async def test_a_412_says_the_account_is_out_of_credits_upstream(luma: LumaService) -> None:
    respx.post(f"{BASE}/v1/luma/accounts").respond(412, json=NO_CREDITS)
    error = await refused(luma)
    assert error.failure is Failure.OUT_OF_CREDITS
    assert "The Luma account is out of credits upstream (HTTP 412)" in error.user_message()
    assert "available 0" in error.user_message()


# useapi.net's time to come back, some days ahead of the real clock (the transport compares with it).
LATER = (datetime.now(UTC) + timedelta(days=3)).replace(hour=14, minute=5, second=0, microsecond=0)


@respx.mock
@pytest.mark.parametrize(
    "body",
    [
        {"error": "Busy", "retryAt": LATER.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
        {"error": {"code": 429, "message": "Busy", "retryAt": LATER.strftime("%Y-%m-%dT%H:%M:%SZ")}},
        {"error": "Busy", "retryAt": int(LATER.timestamp())},  # Unix seconds
        {"error": "Busy", "retryAt": int(LATER.timestamp()) * 1000},  # ms
    ],
)
async def test_a_429_with_retry_at_says_its_time(luma: LumaService, body: dict[str, object]) -> None:
    respx.post(f"{BASE}/v1/luma/accounts").respond(429, json=body)
    error = await refused(luma)
    assert error.failure is Failure.RATE_LIMITED
    assert error.retry_at == LATER
    # What the scheduler backs off by (bot.sync): until then.
    assert error.retry_after is not None and error.retry_after > 2 * 86400
    said = error.user_message()
    assert "rate limiting" in said and 'useapi.net said: "Busy"' in said
    assert f"Try again on {LATER:%Y-%m-%d} at 14:05 UTC." in said


@respx.mock
async def test_an_odd_retry_at_is_no_time_and_no_failure(luma: LumaService) -> None:
    respx.post(f"{BASE}/v1/luma/accounts").respond(429, json={"error": "Busy", "retryAt": "tomorrow-ish"})
    error = await refused(luma)
    assert error.failure is Failure.RATE_LIMITED and error.retry_at is None
    assert "Try again in a minute" in error.user_message()


def test_retry_times_read_as_people_expect() -> None:
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert retry_time_text(now + timedelta(minutes=12), now) == "at 12:12 UTC (in 12 min)"
    assert retry_time_text(now + timedelta(days=27), now) == "on 2026-12-31 at 12:00 UTC"
    assert retry_time_text(now - timedelta(seconds=1), now) == "now"


@pytest.mark.parametrize(
    ("status", "detail", "unless_said", "broken"),
    [
        (596, "Account x in error state: refresh token rejected", True, True),
        (596, "Google signed a@b.c out. Re-add it at https://useapi.net/x", False, True),
        (596, "Signed out; it is being re-checked", True, False),
        (596, None, True, True),
        (596, None, False, False),
        (500, "Re-add it", True, False),
        (412, None, True, False),
    ],
)
def test_which_596_is_a_broken_session(
    status: int, detail: str | None, unless_said: bool, broken: bool
) -> None:
    assert session_broken(status, detail, unless_said=unless_said) is broken


@respx.mock
async def test_a_details_read_answered_596_or_412_is_the_accounts_state(http: httpx.AsyncClient) -> None:
    luma = service(http, "luma")
    route = respx.get(f"{BASE}/v1/luma/accounts/{EMAIL.replace('@', '%40')}")
    route.respond(596, json=BROKEN)
    assert (await luma.read_details(EMAIL)).call_refusal == Failure.SESSION_BROKEN.value
    route.respond(412, json=NO_CREDITS)
    assert (await luma.read_details(EMAIL)).call_refusal == Failure.OUT_OF_CREDITS.value
    route.respond(596, json=RECHECKING)
    with pytest.raises(UseapiError) as caught:
        await luma.read_details(EMAIL)
    assert caught.value.failure is Failure.UPSTREAM_ERROR
    route.respond(429, json={"error": "Busy", "retryAt": int(LATER.timestamp())})
    with pytest.raises(UseapiError) as caught:
        await luma.read_details(EMAIL)
    assert caught.value.retry_at == LATER
    route.respond(200, json={"account": EMAIL, "sessionValid": True, "credits": {"usage": 5, "limit": 50}})
    answered = await luma.read_details(EMAIL)
    assert answered.call_refusal is None and [(c.remaining, c.limit) for c in answered.credits] == [(45, 50)]


@respx.mock
async def test_a_features_route_answering_596_is_read_the_same(http: httpx.AsyncClient) -> None:
    """Runway's details are its features route (no `super().account_details`): the same reading."""
    runway = service(http, "runway")
    respx.get(f"{BASE}/v1/runwayml/features").respond(596, json=BROKEN)
    assert (await runway.read_details(EMAIL)).call_refusal == Failure.SESSION_BROKEN.value


@respx.mock
async def test_google_vids_reads_a_bare_596_as_a_re_check_and_notebook_as_broken(
    http: httpx.AsyncClient,
) -> None:
    vids, notebook = service(http, "googlevids"), service(http, "gemininotebook")
    respx.get(url__regex=rf"{BASE}/v1/(google-vids|gemini-notebook)/accounts/.*").respond(
        596, json={"error": "Account error", "code": 596}
    )
    with pytest.raises(UseapiError):
        await vids.read_details(EMAIL)
    assert (await notebook.read_details(EMAIL)).call_refusal == Failure.SESSION_BROKEN.value


@respx.mock
async def test_dreaminas_reworded_answers_keep_the_act_now_meaning(http: httpx.AsyncClient) -> None:
    dreamina = DreaminaService(Transport(http, BASE, TOKEN, timeout=2))
    form = {"email": EMAIL, "password": "Pa55word-secret", "region": "US", "max_jobs": ""}
    respx.post(f"{BASE}/v1/dreamina/accounts").respond(596, json=BROKEN)
    with pytest.raises(UseapiError) as caught:
        await dreamina.register(dreamina.parse_form(form))
    assert caught.value.failure is Failure.SESSION_BROKEN
    assert "the Dreamina session behind that login is broken" in caught.value.user_message()
    respx.post(f"{BASE}/v1/dreamina/accounts").respond(429, json={"retryAt": int(LATER.timestamp())})
    with pytest.raises(UseapiError) as caught:
        await dreamina.register(dreamina.parse_form(form))
    assert caught.value.retry_at == LATER


def test_the_reasons_are_the_issues_sentences() -> None:
    assert SESSION_BROKEN_REASON == "the account's session is broken on useapi.net: register it again"
    assert OUT_OF_CREDITS_REASON == "the account is out of credits upstream"


@respx.mock
async def test_a_list_answered_429_with_retry_at_is_read_again_no_sooner(
    http: httpx.AsyncClient, store: Store
) -> None:
    """The scheduler backs off until useapi.net's retryAt (bot.sync.backoff, capped at 6 h)."""
    back = datetime.now(UTC) + timedelta(hours=2)
    respx.get(f"{BASE}/v1/luma/accounts").respond(429, json={"error": "Busy", "retryAt": back.isoformat()})
    now = datetime.now(UTC)
    result = await sync_service(service(http, "luma"), store, now)
    assert not result.ok and result.failure == Failure.RATE_LIMITED.value
    state = advance(SyncState(), result, timedelta(minutes=15))
    assert state.next_at is not None and abs((state.next_at - back).total_seconds()) < 5
    far = datetime.now(UTC) + timedelta(days=20)  # a monthly allowance's reset: never days of silence
    respx.get(f"{BASE}/v1/luma/accounts").respond(429, json={"retryAt": far.isoformat()})
    result = await sync_service(service(http, "luma"), store, now)
    assert advance(SyncState(), result, timedelta(minutes=15)).next_at == now + MAX_RETRY_AFTER
