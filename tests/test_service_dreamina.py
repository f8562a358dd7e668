"""Dreamina on useapi.net: the parsers against the pages' shapes, and registration through the real
bot and form against the Dreamina double (tests/doubles/services/dreamina.py)."""

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
from bot.logins import MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH
from bot.models import IMPLAUSIBLE, FieldNote
from bot.services import build_services
from bot.services.dreamina import (
    DreaminaError,
    DreaminaService,
)
from bot.store import Store
from bot.sync import sync_service
from bot.useapi import Failure, Transport, UseapiError
from bot.useapi.parsing import FieldError
from tests.doubles.useapi_double import UseapiDouble
from tests.harness import USEAPI_TOKEN, Rig, modal_inputs, running_rig, scenario_secrets, sweep

EPHEMERAL = 64
EMAIL = "maker@example.com"
PASSWORD = "Dr3amina-Secret-Pass!9"
EXPIRES = datetime(2026, 4, 24, 12, 0, tzinfo=UTC)

# The pages' examples ("[email protected]" is how the stored copies render addresses).
POST_OK_US = {  # post-dreamina-accounts.txt, copy B (February 23, 2026)
    "account": "US:someone@example.com",
    "email": "someone@example.com",
    "region": "US",
    "maxJobs": 10,
    "sessionExpires": "2026-04-24T12:00:00.000Z",
    "session": {
        "expires": "2026-04-24T12:00:00.000Z",
        "lastRefreshed": "2026-02-23T12:00:00.000Z",
        "daysUntilExpiry": 60,
    },
    "models": {"video": ["seedance-2.0", "dreamina-3.5-pro", "dreamina-3.0"]},
    "credits": {"total": 500, "vip": 200, "gift": 200, "purchase": 100, "dailyClaimed": False},
}
POST_OK_CA = {  # copy A (April 2, 2026), as far as the stored copy goes
    "account": "CA:someone@example.com",
    "email": "someone@example.com",
    "region": "CA",
    "maxJobs": 10,
    "sessionExpires": "2026-04-24T12:00:00.000Z",
    "session": {
        "expires": "2026-04-24T12:00:00.000Z",
        "lastRefreshed": "2026-02-23T12:00:00.000Z",
        "daysUntilExpiry": 60,
    },
    "models": {"video": ["seedance-2.0-fast", "seedance-2.0", "seedance-1.5-pro", "seedance-1.0-pro"]},
}
GET_ONE = {  # get-dreamina-accounts-account.txt, copy A (March 2, 2026)
    "account": "US:someone@example.com",
    "email": "someone@example.com",
    "region": "US",
    "maxJobs": 10,
    "sessionExpires": "2026-04-24T12:00:00.000Z",
    "session": {
        "expires": "2026-04-24T12:00:00.000Z",
        "lastRefreshed": "2026-02-23T12:00:00.000Z",
        "daysUntilExpiry": 60,
    },
    "models": {
        "video": ["seedance-2.0", "seedance-1.5-pro", "seedance-1.0-mini"],
        "image": ["seedream-4.5", "seedream-4.1", "seedream-4.0", "nano-banana", "seedream-3.0"],
    },
    "credits": {"total": 24065, "vip": 12000, "gift": 10065, "purchase": 2000, "dailyClaimed": True},
}
LIST = {  # get-dreamina-accounts.txt (February 23, 2026)
    "US:someone@example.com": {
        "account": "US:someone@example.com",
        "email": "someone@example.com",
        "region": "US",
        "maxJobs": 10,
        "sessionExpires": "2026-04-24T12:00:00.000Z",
    }
}
PAGE_EXPIRES = datetime(2026, 4, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def dreamina() -> DreaminaService:
    # parse_* never touch the transport.
    return DreaminaService(Transport(httpx.AsyncClient(), "https://useapi.test", "t", 1))


def form(**values: str) -> dict[str, str]:
    return {"email": EMAIL, "password": PASSWORD, "region": "US", "max_jobs": "", **values}


# -- (a) parsing the pages' shapes ---------------------------------------------------------------


@pytest.mark.parametrize("example", [POST_OK_US, POST_OK_CA, GET_ONE], ids=["post-us", "post-ca", "get-one"])
def test_full_shapes_give_the_key_session_expiry_and_max_jobs(
    dreamina: DreaminaService, example: dict[str, Any]
) -> None:
    info = dreamina.parse_account(example)
    assert info.service == "dreamina"
    assert info.account == example["account"]
    assert info.expires_at == PAGE_EXPIRES
    assert info.updated_at == datetime(2026, 2, 23, 12, 0, tzinfo=UTC)  # session.lastRefreshed
    assert info.max_jobs == 10 and info.error is None
    assert info.credits_usage is None and info.credits_limit is None  # a balance, not usage/limit


def test_a_list_entry_has_only_session_expires(dreamina: DreaminaService) -> None:
    ((key, entry),) = LIST.items()
    info = dreamina.parse_account(entry, key)
    assert (info.account, info.expires_at, info.max_jobs, info.updated_at) == (key, PAGE_EXPIRES, 10, None)


def test_the_summary_fallback_without_session_fields_still_reads(dreamina: DreaminaService) -> None:
    # "If upstream queries fail, a summary without these fields is returned."
    summary = {k: v for k, v in GET_ONE.items() if k not in ("session", "models", "credits")}
    info = dreamina.parse_account(summary)
    assert info.expires_at == PAGE_EXPIRES and info.updated_at is None


def test_the_earlier_of_two_disagreeing_expiries_is_warned_about(dreamina: DreaminaService) -> None:
    later = {**GET_ONE, "session": {**GET_ONE["session"], "expires": "2026-05-01T00:00:00.000Z"}}
    assert dreamina.parse_account(later).expires_at == PAGE_EXPIRES
    earlier = {**GET_ONE, "sessionExpires": "2026-06-01T00:00:00.000Z"}
    assert dreamina.parse_account(earlier).expires_at == PAGE_EXPIRES
    only_live = {k: v for k, v in GET_ONE.items() if k != "sessionExpires"}
    assert dreamina.parse_account(only_live).expires_at == PAGE_EXPIRES
    null_session = {**GET_ONE, "session": None}
    assert dreamina.parse_account(null_session).expires_at == PAGE_EXPIRES


def test_an_account_error_is_the_now_signal(dreamina: DreaminaService) -> None:
    info = dreamina.parse_account({**LIST["US:someone@example.com"], "error": "Session expired"})
    assert info.error == "Session expired" and info.expires_at == PAGE_EXPIRES


def test_missing_fields_are_unknown_not_a_crash(dreamina: DreaminaService) -> None:
    info = dreamina.parse_account({}, "US:a@example.com")
    assert info.account == "US:a@example.com"
    assert (info.expires_at, info.max_jobs, info.error, info.updated_at) == (None, None, None, None)
    # No key and no account field: built from region and email, or empty (dropped by the reader).
    assert dreamina.parse_account({"email": "a@example.com", "region": "CA"}).account == "CA:a@example.com"
    assert dreamina.parse_account({"email": "a@example.com"}).account == ""


def test_the_pages_placeholder_address_is_read_as_text(dreamina: DreaminaService) -> None:
    info = dreamina.parse_account({**LIST["US:someone@example.com"], "account": "US:[email protected]"})
    assert info.account == "US:[email protected]"


@pytest.mark.parametrize(
    "broken",
    [
        {"sessionExpires": True},
        {"sessionExpires": "next Tuesday"},
        {"session": "2026-04-24T12:00:00.000Z"},
        {"session": {"expires": ["2026"]}},
        {"maxJobs": "10"},
        {"maxJobs": True},
        {"error": 500},
        {"email": 7},
        {"account": {"id": 1}},
    ],
)
def test_a_present_field_of_the_wrong_type_is_a_field_error(
    dreamina: DreaminaService, broken: dict[str, Any]
) -> None:
    with pytest.raises(FieldError):
        dreamina.parse_account({**GET_ONE, **broken})


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        ({"sessionExpires": 123}, "sessionExpires"),
        ({"session": {"expires": "2026-04-24T12:00:00.000Z", "lastRefreshed": 5}}, "session.lastRefreshed"),
    ],
)
def test_an_implausible_time_is_unknown_not_a_field_error(
    dreamina: DreaminaService, broken: dict[str, Any], field: str
) -> None:
    """(Until issue 18 these were FieldErrors, which failed the whole list.)"""
    info = dreamina.read_account({**GET_ONE, **broken})
    assert FieldNote(field, IMPLAUSIBLE) in info.unreadable


def test_account_paths_are_url_encoded() -> None:
    assert DreaminaService.account_path("US:someone@example.com") == (
        "/v1/dreamina/accounts/US%3Asomeone%40example.com"
    )
    assert DreaminaService.account_path("CA:a+b/c@x.io") == "/v1/dreamina/accounts/CA%3Aa%2Bb%2Fc%40x.io"


# -- (a) the form --------------------------------------------------------------------------------


def test_the_form_becomes_the_documented_body_and_the_password_is_the_secret(
    dreamina: DreaminaService,
) -> None:
    sub = dreamina.parse_form(form(email=f"  {EMAIL} ", region="CA", max_jobs="50"))
    assert sub.body == {"email": EMAIL, "password": PASSWORD, "region": "CA", "maxJobs": 50}
    assert sub.secrets == (PASSWORD,)
    assert PASSWORD not in repr(sub)


def test_blank_max_jobs_is_left_to_useapi_net(dreamina: DreaminaService) -> None:
    assert "maxJobs" not in dreamina.parse_form(form(max_jobs="  ")).body
    assert "maxJobs" not in dreamina.parse_form({k: v for k, v in form().items() if k != "max_jobs"}).body


def test_a_password_keeps_its_spaces(dreamina: DreaminaService) -> None:
    assert dreamina.parse_form(form(password=" two words ")).body["password"] == " two words "


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"email": ""}, "The email is empty"),
        ({"email": "maker.example.com"}, "not an email address"),
        ({"email": "maker@example"}, "not an email address"),
        ({"email": "ma ker@example.com"}, "not an email address"),
        ({"email": "a@" + "b" * 300 + ".com"}, "not an email address"),
        ({"email": "a" * 310 + "@example.com"}, f"at most {MAX_EMAIL_LENGTH}"),
        ({"password": ""}, "The password is empty"),
        ({"password": "   "}, "The password is empty"),
        ({"password": f"{PASSWORD}\n"}, "line break"),
        ({"password": PASSWORD * 20}, f"the {MAX_PASSWORD_LENGTH} accepted"),
        ({"region": ""}, "No region was chosen"),
        ({"region": "EU"}, "out of date"),
        ({"region": "us"}, "out of date"),
        ({"max_jobs": "0"}, "from 1 to 50"),
        ({"max_jobs": "51"}, "from 1 to 50"),
        ({"max_jobs": "ten"}, "default, 10"),
    ],
)
def test_bad_input_gets_a_specific_sentence_that_never_repeats_the_password(
    dreamina: DreaminaService, values: dict[str, str], says: str
) -> None:
    with pytest.raises(CookieError, match=says) as caught:
        dreamina.parse_form(form(**values))
    assert PASSWORD not in str(caught.value)


@given(
    email=st.text(max_size=340),
    password=st.text(max_size=300),
    region=st.sampled_from(["US", "CA", "", "EU", " US"]) | st.text(max_size=5),
    max_jobs=st.text(max_size=4),
)
def test_only_cookie_error_escapes_and_what_is_accepted_round_trips(
    email: str, password: str, region: str, max_jobs: str
) -> None:
    service = DreaminaService.__new__(DreaminaService)  # parse_form needs no transport
    try:
        sub = service.parse_form(
            {"email": email, "password": password, "region": region, "max_jobs": max_jobs}
        )
    except CookieError as exc:
        # The sentence depends on the password's shape (blank, lines, length), never its text.
        # The mask keeps what the checks look at (blank, line breaks, length, unprintables).
        masked = "".join(ch if ch.isspace() or not ch.isprintable() else "x" for ch in password)
        with pytest.raises(CookieError) as again:
            service.parse_form({"email": email, "password": masked, "region": region, "max_jobs": max_jobs})
        assert str(again.value) == str(exc)
        return
    assert sub.body["email"] == email.strip() and "@" in email and len(sub.body["email"]) <= 320
    assert sub.body["password"] == password and sub.secrets == (password,)
    assert sub.body["region"] in ("US", "CA")
    assert set(sub.body) <= {"email", "password", "region", "maxJobs"}
    if "maxJobs" in sub.body:
        assert 1 <= sub.body["maxJobs"] <= 50 and sub.body["maxJobs"] == int(max_jobs.strip())
    else:
        assert max_jobs.strip() == ""


# -- (a) how failures are worded -----------------------------------------------------------------


def test_a_refused_login_is_worded_as_a_login_not_an_outage() -> None:
    refused = DreaminaError(
        Failure.UPSTREAM_ERROR,
        service_label="Dreamina",
        status=500,
        detail="Login failed: invalid credentials",
    )
    text = refused.user_message()
    assert text.startswith("Dreamina refused to sign in with that email and password (HTTP 500).")
    assert '"Login failed: invalid credentials"' in text and "Check the email, the password" in text
    # The shared sentence would have said this; kept for any other 5xx.
    other = DreaminaError(Failure.UPSTREAM_ERROR, service_label="Dreamina", status=502, detail="Bad gateway")
    assert (
        other.user_message()
        == UseapiError(
            Failure.UPSTREAM_ERROR, service_label="Dreamina", status=502, detail="Bad gateway"
        ).user_message()
    )
    bad = DreaminaError(Failure.BAD_REQUEST, service_label="Dreamina", status=400, detail="x")
    assert "cookie" not in bad.user_message() and "Dreamina login" in bad.user_message()


# -- (b, c, e) registration through the real bot -------------------------------------------------


def member(rig: Rig) -> int:
    return rig.discord.member_ids[0]


async def grant(rig: Rig) -> None:
    cb = await rig.slash("access", "grant", user=rig.discord.admin_id, target=member(rig))
    assert "may now register" in (await rig.answer(cb))["content"]


def assert_swept(rig: Rig, *public: str, typed_password: bool = True) -> None:
    """The harness's sweep, run with the password in it. It treats every value typed into a text
    input as a secret, so an email (the account's public key, shown and stored on purpose after a
    registration) is the only find it may report, and only when named in `public`."""
    secrets = scenario_secrets(rig)
    assert (PASSWORD in secrets) is typed_password
    result = sweep(rig, name="dreamina")
    assert result.secrets >= 2 + typed_password  # both tokens, the password
    allowed = tuple(f"a value typed into a form ({p[:4]}…, {len(p)} chars)" for p in public)
    assert [leak for leak in result.leaks if not leak.startswith(allowed)] == []


def select_of(callback: Any, custom_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(label, select) of a modal callback."""
    for top in callback.data["components"]:
        if top.get("type") == 18 and top["component"].get("custom_id") == custom_id:
            return top, top["component"]
    raise AssertionError(f"no select {custom_id!r} in the modal")


async def open_form(rig: Rig) -> Any:
    opened = await rig.slash("dreamina", "register", user=member(rig))
    assert opened.type == 9
    return opened


async def test_registration_end_to_end_sends_the_documented_body_and_stores_the_session(
    tmp_path: Path,
) -> None:
    async with running_rig(tmp_path, services=("luma", "dreamina"), sweep_secrets=False) as rig:
        rig.useapi.dreamina.teach_login(EMAIL, PASSWORD, "CA", expires=EXPIRES)
        await grant(rig)
        opened = await open_form(rig)
        inputs = modal_inputs(opened)
        assert set(inputs) == {"email", "password", "max_jobs"}
        label, select = select_of(opened, "region")
        assert label["label"] == "Region" and select["type"] == 3
        assert [o["value"] for o in select["options"]] == ["US", "CA"]

        submitted = await rig.submit(
            opened,
            {"email": EMAIL, "password": PASSWORD, "region": "CA", "max_jobs": "7"},
            user=member(rig),
        )
        assert submitted.type == 5 and submitted.data["flags"] & EPHEMERAL
        answer = await rig.followup(submitted)
        assert answer["flags"] & EPHEMERAL
        assert answer["content"].startswith("✅ useapi.net accepted the Dreamina login.")
        embed = json.dumps(answer["embeds"][0])
        assert f"CA:{EMAIL}" in embed and f"<t:{int(EXPIRES.timestamp())}:F>" in embed

        (post,) = rig.useapi.requests_to("POST", "/v1/dreamina/accounts")
        assert post.json == {"email": EMAIL, "password": PASSWORD, "region": "CA", "maxJobs": 7}
        assert post.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}"
        assert rig.useapi.dreamina.accounts[f"CA:{EMAIL}"].max_jobs == 7

        store = rig.bot.store  # type: ignore[union-attr]
        account = await store.get_account("dreamina", f"CA:{EMAIL}")
        assert account is not None
        assert (account.expires_at, account.max_jobs, account.registered_by) == (EXPIRES, 7, member(rig))
        assert (await store.recent_audit())[0].outcome == "ok"
    assert_swept(rig, EMAIL)


async def test_blank_max_jobs_sends_no_max_jobs(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "dreamina"), sweep_secrets=False) as rig:
        rig.useapi.dreamina.teach_login(EMAIL, PASSWORD, "US", expires=EXPIRES)
        await grant(rig)
        opened = await open_form(rig)
        submitted = await rig.submit(
            opened, {"email": EMAIL, "password": PASSWORD, "region": "US"}, user=member(rig)
        )
        answer = await rig.followup(submitted)
        assert "accepted the Dreamina login" in answer["content"]
        (post,) = rig.useapi.requests_to("POST", "/v1/dreamina/accounts")
        assert post.json == {"email": EMAIL, "password": PASSWORD, "region": "US"}
        stored = await rig.bot.store.get_account("dreamina", f"US:{EMAIL}")  # type: ignore[union-attr]
        assert stored is not None and stored.max_jobs == 10  # what useapi.net answered
    assert_swept(rig, EMAIL)


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"email": "maker.example.com"}, "not an email address"),
        ({"region": ""}, "No region was chosen"),
        ({"max_jobs": "99"}, "from 1 to 50"),
        ({"password": ""}, "The password is empty"),
    ],
)
async def test_bad_input_is_answered_privately_and_nothing_is_sent(
    tmp_path: Path, values: dict[str, str], says: str
) -> None:
    async with running_rig(tmp_path, services=("luma", "dreamina"), sweep_secrets=False) as rig:
        await grant(rig)
        opened = await open_form(rig)
        typed = {"email": EMAIL, "password": PASSWORD, "region": "US", "max_jobs": "", **values}
        submitted = await rig.submit(opened, typed, user=member(rig))
        assert submitted.type == 4 and submitted.data["flags"] & EPHEMERAL
        assert says in submitted.data["content"] and "Nothing was sent" in submitted.data["content"]
        assert rig.useapi.requests_to("POST", ".*") == []
        assert await rig.bot.store.list_accounts() == []  # type: ignore[union-attr]
    assert_swept(rig, typed_password=values.get("password") != "")  # nothing stored or shown


@pytest.mark.parametrize(
    ("setup", "status", "says"),
    [
        (
            "inject-400",
            400,
            'did not accept that Dreamina login. useapi.net said: "Parameter email is required"',
        ),
        ("inject-401", 401, "refused the bot's own API token (401)"),
        ("no-subscription", 402, "subscription has expired"),
        ("wrong-password", 500, "Dreamina refused to sign in with that email and password (HTTP 500)"),
    ],
)
async def test_each_documented_error_is_explained_privately_and_stores_nothing(
    tmp_path: Path, setup: str, status: int, says: str
) -> None:
    async with running_rig(tmp_path, services=("luma", "dreamina"), sweep_secrets=False) as rig:
        double = rig.useapi.dreamina
        double.teach_login(EMAIL, "the-right-password", "US", expires=EXPIRES)  # not what is typed
        if setup == "inject-400":
            rig.useapi.inject("POST", "/v1/dreamina/accounts", 400, {"error": "Parameter email is required"})
        elif setup == "inject-401":
            rig.useapi.inject("POST", "/v1/dreamina/accounts", 401, {"error": "Unauthorized"})
        elif setup == "no-subscription":
            double.expire_subscription()
        await grant(rig)
        opened = await open_form(rig)
        submitted = await rig.submit(
            opened, {"email": EMAIL, "password": PASSWORD, "region": "US"}, user=member(rig)
        )
        assert submitted.type == 5
        answer = await rig.followup(submitted)
        assert answer["flags"] & EPHEMERAL
        assert answer["content"].startswith("❌ Dreamina: ") and says in answer["content"]
        assert PASSWORD not in answer["content"]
        store = rig.bot.store  # type: ignore[union-attr]
        assert await store.list_accounts() == []
        audit = (await store.recent_audit())[0]
        assert audit.outcome.startswith("upstream:") and audit.detail == f"HTTP {status}"
        assert rig.discord.channel_messages.get(rig.discord.alert_channel_id, []) == []
        assert double.accounts == {}
    assert_swept(rig)  # nothing stored or shown: not even the email may be found


async def test_a_password_echoed_in_an_upstream_error_is_scrubbed(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "dreamina"), sweep_secrets=False) as rig:
        rig.useapi.inject(
            "POST", "/v1/dreamina/accounts", 500, {"error": f"Login failed: bad password {PASSWORD}"}
        )
        await grant(rig)
        opened = await open_form(rig)
        submitted = await rig.submit(
            opened, {"email": EMAIL, "password": PASSWORD, "region": "US"}, user=member(rig)
        )
        answer = await rig.followup(submitted)
        assert "Login failed: bad password [redacted]" in answer["content"]
    assert_swept(rig)


async def test_the_service_is_off_unless_named_in_services(rig: Rig) -> None:
    names = {c["name"] for c in rig.discord.synced_guild_commands[rig.discord.guild_id]}
    assert "luma" in names and "dreamina" not in names


# -- (d) the account list and single-account routes against the double ---------------------------


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[UseapiDouble, DreaminaService]]:
    async with UseapiDouble(token=USEAPI_TOKEN) as ua, httpx.AsyncClient() as http:
        services = build_services(
            http, base_url=ua.base_url, token=USEAPI_TOKEN, timeout=3, enabled=("dreamina",)
        )
        service = services["dreamina"]
        assert isinstance(service, DreaminaService)
        yield ua, service


async def test_the_empty_object_list_reads_as_no_accounts(
    upstream: tuple[UseapiDouble, DreaminaService],
) -> None:
    ua, service = upstream
    assert await service.list_accounts() == []
    (get,) = ua.requests_to("GET", "/v1/dreamina/accounts")
    assert get.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}"


async def test_the_list_reads_each_account_with_its_session_and_error(
    upstream: tuple[UseapiDouble, DreaminaService],
) -> None:
    ua, service = upstream
    ua.dreamina.set_account(EMAIL, "US", EXPIRES, max_jobs=5)
    ua.dreamina.set_account(EMAIL, "CA", EXPIRES + timedelta(days=1))
    ua.dreamina.set_error(f"CA:{EMAIL}", "Session expired, re-run POST /accounts")
    accounts = {a.account: a for a in await service.list_accounts()}
    assert set(accounts) == {f"US:{EMAIL}", f"CA:{EMAIL}"}
    assert (accounts[f"US:{EMAIL}"].expires_at, accounts[f"US:{EMAIL}"].max_jobs) == (EXPIRES, 5)
    assert accounts[f"CA:{EMAIL}"].error == "Session expired, re-run POST /accounts"
    ua.dreamina.remove_account(f"US:{EMAIL}")
    assert [a.account for a in await service.list_accounts()] == [f"CA:{EMAIL}"]


async def test_one_implausible_expiry_is_unknown_not_a_failed_list(
    upstream: tuple[UseapiDouble, DreaminaService],
) -> None:
    """(Until issue 18 this list was a BAD_RESPONSE: one account's field failed every account.)"""
    ua, service = upstream
    body = {
        "US:a@example.com": {"sessionExpires": 42},
        f"US:{EMAIL}": {"sessionExpires": EXPIRES.isoformat()},
    }
    ua.inject("GET", "/v1/dreamina/accounts", status=200, body=body)
    accounts = {a.account: a for a in await service.list_accounts()}
    assert accounts["US:a@example.com"].expires_at is None
    assert accounts["US:a@example.com"].unreadable == (FieldNote("sessionExpires", IMPLAUSIBLE),)
    assert accounts[f"US:{EMAIL}"].expires_at == EXPIRES


@pytest.mark.parametrize(
    ("fault", "failure"),
    [
        ({"status": 200, "body": []}, Failure.BAD_RESPONSE),
        ({"status": 200, "body": {"US:a@example.com": "not an object"}}, Failure.BAD_RESPONSE),
        ({"status": 200, "body": ""}, Failure.BAD_RESPONSE),
        ({"malformed": True}, Failure.BAD_RESPONSE),
        ({"status": 404, "body": {"error": "Not found"}}, Failure.UNAVAILABLE),
        ({"status": 404, "body": ""}, Failure.UNAVAILABLE),
        ({"status": 401, "body": {"error": "Unauthorized"}}, Failure.UNAUTHORIZED),
    ],
)
async def test_an_unreadable_list_is_a_failure_never_no_accounts(
    upstream: tuple[UseapiDouble, DreaminaService], fault: dict[str, Any], failure: Failure
) -> None:
    ua, service = upstream
    ua.dreamina.set_account(EMAIL, "US", EXPIRES)
    ua.inject("GET", "/v1/dreamina/accounts", **fault)
    with pytest.raises(UseapiError) as caught:
        await service.list_accounts()
    assert caught.value.failure is failure


async def test_one_account_and_its_deletion_by_the_encoded_key(
    upstream: tuple[UseapiDouble, DreaminaService],
) -> None:
    ua, service = upstream
    ua.dreamina.set_account(EMAIL, "US", EXPIRES)
    transport = service._transport
    path = service.account_path(f"US:{EMAIL}")
    info = service.parse_account(await transport.request("GET", path, label="Dreamina"))
    assert (info.account, info.expires_at) == (f"US:{EMAIL}", EXPIRES)
    deleted = await transport.request("DELETE", path, label="Dreamina")
    assert deleted == {"account": f"US:{EMAIL}", "deleted": True, "remaining": 0}
    with pytest.raises(UseapiError) as caught:
        await transport.request("GET", path, label="Dreamina")
    assert caught.value.status == 404
    assert caught.value.detail == f"Unable to find configuration for account US:{EMAIL}"


async def test_sync_keeps_tracked_accounts_through_a_404_list_and_drops_them_on_an_empty_one(
    upstream: tuple[UseapiDouble, DreaminaService], store: Store
) -> None:
    ua, service = upstream
    ua.dreamina.set_account(EMAIL, "US", EXPIRES)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert (await sync_service(service, store, now)).ok
    assert [a.account for a in await store.list_accounts("dreamina")] == [f"US:{EMAIL}"]
    # A 404 is not Dreamina's empty list (200 {}): reading it so would drop every account.
    ua.inject("GET", "/v1/dreamina/accounts", status=404, body={"error": "Not found"})
    failed = await sync_service(service, store, now + timedelta(minutes=5))
    assert not failed.ok and failed.failure == "unavailable"
    tracked = await store.get_account("dreamina", f"US:{EMAIL}")
    assert tracked is not None and tracked.gone_at is None and tracked.expires_at == EXPIRES
    ua.dreamina.remove_account(f"US:{EMAIL}")
    assert (await sync_service(service, store, now + timedelta(minutes=10))).ok
    gone = await store.get_account("dreamina", f"US:{EMAIL}")
    assert gone is None or gone.gone_at is not None
