"""Google Vids: the pages' shapes (and the OPEN ones), the cookie table, the double's routes,
registration through the form with each documented error, and its warnings end to end."""

from __future__ import annotations

import copy
import logging
import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cookies import CookieError
from bot.services import REGISTRY
from bot.services._open_fields import next_month_start_pacific
from bot.services.googlevids import PAUSED, GoogleVidsService, paused, vids_credits
from bot.useapi import CreditSource, EmptyList, Failure, UseapiError
from bot.useapi.parsing import FieldError
from bot.watch import DETAILS_INTERVAL
from tests.catalogue import (
    EPHEMERAL,
    START,
    H,
    clock,
    grant,
    manual_rig,
    member,
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
from tests.doubles.services.googlevids import GoogleVidsDouble
from tests.harness import USEAPI_TOKEN, modal_inputs, running_rig, scenario_secrets, sweep

SID = "g.a000vIdsSidVal7Kq3Zt9Lm2Vb7Nc8Hs4Pw"
PSIDTS = "sidts-CjEBVidsTs9Lm2Vb7Nc8Hs4Pw6Ry1Ju"
OTHER_SITE = "TrackerValue9zQ8xW7vids"
HEADER = "Name\tValue\tDomain\tPath\tExpires / Max-Age\tSize\tHttpOnly\tSecure\tSameSite\tPartition Key Site\tCross Site\tPriority"


def row(name: str, value: str, domain: str = ".google.com", expires: str = "2027-04-05T02:18:00.438Z") -> str:
    return "\t".join(
        [name, value, domain, "/", expires, str(len(name) + len(value)), "✓", "✓", "Lax", "", "", "High"]
    )


ROWS = [row("SID", SID), row("__Secure-1PSIDTS", PSIDTS, "docs.google.com")]
TABLE = "\n".join([HEADER, *ROWS])
EMAIL = "vids@example.com"

# The examples printed on the pages. The store renders every address as "[email protected]"; the
# list's two accounts are given distinct addresses here.
LIST_200 = {
    "one@example.com": {
        "email": "one@example.com",
        "maxJobs": 3,
        "added": "2026-10-07T02:21:08.626Z",
        "updated": "2026-10-07T05:47:38.929Z",
        "cookies": ["SID", "HSID", "SSID", "APISID", "SAPISID", "__Secure-1PSIDTS", "OSID"],
        "cookiesExpireAt": "2027-04-05T02:18:00.438Z",
        "vidsDocId": "1N48K72jE4hpv4A3XPH3rf0EVTpMCERAwf4uDmQPc6v4",
        "limits": {"video": 10000, "image": 1000, "music": 300},
        "health": "OK",
    },
    # The second account, as far as the stored copy goes.
    "two@example.com": {
        "email": "two@example.com",
        "maxJobs": 3,
        "added": "2026-10-07T01:07:47.890Z",
        "cookies": ["SID", "HSID", "SSID", "APISID", "SAPISID", "__Secure-1PSIDTS"],
    },
}
GET_EMAIL_200 = {  # as far as the stored copy goes: it stops inside "limits"
    "email": "[email protected]",
    "maxJobs": 3,
    "added": "2026-10-07T02:21:08.626Z",
    "updated": "2026-10-07T05:47:38.929Z",
    "cookies": ["SID", "HSID", "SSID", "APISID", "SAPISID", "__Secure-1PSIDTS", "OSID"],
    "cookiesExpireAt": "2027-04-05T02:18:00.438Z",
    "vidsDocId": "1N48K72jE4hpv4A3XPH3rf0EVTpMCERAwf4uDmQPc6v4",
    "limits": {"video": 10000, "image": 1000},
}
DELETE_400 = {"error": "Path parameter email (not-an-email) not a valid email", "code": 400}
UNAUTHORIZED_401 = {"error": "useapi.net ⁝ Unauthorized", "code": 401}
PAGE_EXPIRES = datetime(2027, 4, 5, 2, 18, tzinfo=UTC)


@pytest.fixture
def vids() -> GoogleVidsService:
    return GoogleVidsService(transport=None)  # type: ignore[arg-type]  # parsing only


# -- (a) the account shapes ------------------------------------------------------------------------


def test_the_list_example_gives_the_deadline_health_and_the_stored_limits(vids: GoogleVidsService) -> None:
    first, second = (vids.parse_account(v, k) for k, v in LIST_200.items())
    assert first.account == "one@example.com" and first.service == "googlevids"
    assert first.expires_at == PAGE_EXPIRES  # cookiesExpireAt: the deadline
    assert (first.health, first.error, first.max_jobs, first.session_valid) == ("OK", None, 3, None)
    assert first.updated_at == datetime(2026, 10, 7, 5, 47, 38, tzinfo=UTC)
    limits = {c.key: (c.remaining, c.limit, c.unit) for c in first.credits}
    assert limits == {
        "video": (None, 10000, "seconds"),  # stored limits: what is left is the live read's
        "image": (None, 1000, "images"),
        "music": (None, 300, "units"),
    }
    # The truncated second account: nothing known is not an error, and not a deadline.
    assert (second.expires_at, second.health, second.credits, second.max_jobs) == (None, None, (), 3)


def test_the_single_account_example_reads_the_same(vids: GoogleVidsService) -> None:
    info = vids.parse_account(GET_EMAIL_200)
    assert info.account == "[email protected]" and info.expires_at == PAGE_EXPIRES
    assert [(c.key, c.limit) for c in info.credits] == [("video", 10000), ("image", 1000)]


def test_a_registration_answer_keyed_by_email_is_unwrapped(vids: GoogleVidsService) -> None:
    info = vids.parse_account({EMAIL: {**GET_EMAIL_200, "email": EMAIL}})
    assert info.account == EMAIL and info.expires_at == PAGE_EXPIRES


LEFT = {"video": 9400, "image": 980}


@pytest.mark.parametrize(
    "live",
    [
        {"video": {"left": 9400}, "image": {"left": 980}},  # the prose's `video.left`
        {"quota": {"video": {"left": 9400}, "image": {"left": 980}}},  # the job records' shape
        {"left": {"video": 9400, "image": 980}},
        {"remaining": {"video": "9400", "image": 980.0}},
        {"allowances": {"video": {"remaining": 9400}, "image": {"left": 980}}},
        {"limits": {"video": {"left": 9400, "limit": 10000}, "image": {"left": 980, "total": 1000}}},
    ],
)
def test_what_is_left_is_read_in_every_plausible_shape(live: dict[str, Any]) -> None:
    obj = {**GET_EMAIL_200, **live}
    now = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    credits = {c.key: c for c in vids_credits(obj, now)}
    assert {k: credits[k].remaining for k in LEFT} == LEFT
    assert credits["video"].limit == 10000 and credits["image"].limit == 1000
    assert all(c.resets_at == datetime(2026, 11, 1, 7, 0, tzinfo=UTC) for c in credits.values())


def test_every_allowance_the_mcp_text_names_has_a_label_and_unknown_ones_are_kept() -> None:
    obj = {"left": {"video": 1, "image": 2, "music": 3, "avatarVideo": 4, "speech": 5, "newThing": 6}}
    credits = vids_credits(obj, START)
    assert [(c.key, c.label, c.unit) for c in credits] == [
        ("video", "video seconds", "seconds"),
        ("image", "images", "images"),
        ("music", "music", "units"),
        ("avatarVideo", "AI avatar videos", "videos"),
        ("speech", "Gemini uses", "uses"),
        ("newThing", "newThing", "units"),
    ]


@pytest.mark.parametrize(
    ("after", "reset"),
    [
        (datetime(2026, 10, 20, 12, 0, tzinfo=UTC), datetime(2026, 11, 1, 7, 0, tzinfo=UTC)),  # PDT
        (datetime(2026, 11, 1, 6, 59, tzinfo=UTC), datetime(2026, 11, 1, 7, 0, tzinfo=UTC)),
        (datetime(2026, 11, 1, 7, 0, tzinfo=UTC), datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),  # PST
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), datetime(2027, 1, 1, 8, 0, tzinfo=UTC)),
        (datetime(2027, 1, 1, 7, 59, tzinfo=UTC), datetime(2027, 1, 1, 8, 0, tzinfo=UTC)),  # still Dec 31 PST
        (datetime(2027, 3, 20, 0, 0, tzinfo=UTC), datetime(2027, 4, 1, 7, 0, tzinfo=UTC)),
    ],
)
def test_the_monthly_reset_is_the_next_first_at_midnight_pacific(after: datetime, reset: datetime) -> None:
    assert next_month_start_pacific(after) == reset


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2007, 3, 1), max_value=datetime(2099, 12, 1), timezones=st.just(UTC)))
def test_the_monthly_reset_agrees_with_the_time_zone_database(after: datetime) -> None:
    reset = next_month_start_pacific(after)
    local = reset.astimezone(zoneinfo.ZoneInfo("America/Los_Angeles"))
    assert (local.day, local.hour, local.minute) == (1, 0, 0)
    assert after < reset <= after + timedelta(days=32)


@pytest.mark.parametrize(
    "shape",
    [
        {"paused": True},
        {"paused": "true"},
        {"pausedAt": "2026-11-20T10:00:00.000Z"},
        {"pausedUTC": 1795000000},
        {"status": "paused"},
        {"state": "signed out"},
        {"status": "Signed-out: re-add it"},
    ],
)
def test_a_pause_in_every_shape_read_is_a_reason_to_act_now(
    vids: GoogleVidsService, shape: dict[str, Any]
) -> None:
    info = vids.parse_account({**LIST_200["one@example.com"], **shape}, EMAIL)
    assert info.error is not None and info.error.startswith(PAUSED)
    assert info.expires_at == PAGE_EXPIRES  # the deadline stays known


@pytest.mark.parametrize(
    "shape",
    [{"paused": False}, {"status": "active"}, {"state": "ok"}, {"pausedAt": None}, {"paused": "soon"}],
)
def test_what_is_not_a_pause_is_not_one(shape: dict[str, Any]) -> None:
    assert paused(shape) is None


def test_useapi_nets_own_error_wins_over_the_pause(vids: GoogleVidsService) -> None:
    info = vids.parse_account({"paused": True, "error": "Re-add it at https://useapi.net/x"}, EMAIL)
    assert info.error == "Re-add it at https://useapi.net/x"


@pytest.mark.parametrize(
    ("health", "read"),
    [("OK", "OK"), ("ok", "OK"), ("healthy", "OK"), (True, "OK"), ("Signed out", "Signed out"),
     (False, "not OK"), ("", None), (None, None), (42, None), ({"state": "x"}, None)],
)  # fmt: skip
def test_health_is_ok_a_reason_or_unknown(vids: GoogleVidsService, health: Any, read: str | None) -> None:
    assert vids.parse_account({"health": health}, EMAIL).health == read


@pytest.mark.parametrize(
    ("live", "valid"),
    [
        ({"signedIn": True}, True),
        ({"signedIn": False}, False),
        ({"signed_in": "false"}, False),
        ({"sessionValid": False}, False),
        ({"signedOut": True}, False),
        ({"session": {"signedIn": True}}, True),
        ({"signedIn": "maybe"}, None),
        ({}, None),
    ],
)
def test_the_live_signed_in_state_is_read_under_every_plausible_name(
    vids: GoogleVidsService, live: dict[str, Any], valid: bool | None
) -> None:
    assert vids.parse_account({**GET_EMAIL_200, **live}).session_valid is valid


@pytest.mark.parametrize(
    "broken",
    [
        {"email": 42},
        {"cookiesExpireAt": "next spring"},
        {"cookiesExpireAt": True},
        {"cookiesExpireAt": "2027-13-45T00:00:00Z"},
    ],
)
def test_a_documented_field_of_the_wrong_shape_is_a_field_error(
    vids: GoogleVidsService, broken: dict[str, Any]
) -> None:
    with pytest.raises(FieldError):
        vids.parse_account(broken)


@pytest.mark.parametrize(
    "odd",
    [
        {"limits": "lots"},
        {"limits": {"video": "ten thousand"}},
        {"video": {"left": None}},
        {"quota": [1, 2]},
        {"maxJobs": "three"},
        {"health": ["OK"]},
        {"error": {"code": 596}},
        {"updated": "yesterday"},
        {"paused": 3},
    ],
)
def test_an_open_field_of_an_unexpected_shape_is_unknown_not_a_failure(
    vids: GoogleVidsService, odd: dict[str, Any]
) -> None:
    info = vids.parse_account({**LIST_200["one@example.com"], **odd}, EMAIL)
    assert info.account == EMAIL and info.expires_at == PAGE_EXPIRES


SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
NAMES = st.sampled_from(
    ["email", "cookiesExpireAt", "health", "error", "limits", "maxJobs", "paused", "status", "video",
     "quota", "left", "signedIn", "session", "updated", "added"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(NAMES, JSON, max_size=8))
def test_account_parsing_raises_only_field_errors(obj: dict[str, Any]) -> None:
    try:
        info = GoogleVidsService(transport=None).parse_account(obj, EMAIL)  # type: ignore[arg-type]
    except FieldError:
        return
    assert info.account == EMAIL
    assert info.expires_at is None or info.expires_at.year >= 2000


def test_the_registry_entry() -> None:
    cls = REGISTRY["googlevids"]
    assert cls is GoogleVidsService and cls.on_by_default is False
    assert (cls.command_group, cls.label, cls.credential_noun) == ("vids", "Google Vids", "cookies")
    assert cls.empty_list is EmptyList.EMPTY_OBJECT and cls.reads_details is True
    assert cls.credit_source is CreditSource.DETAILS
    assert cls.details_path == cls.delete_path == "/v1/google-vids/accounts/{account}"
    assert GoogleVidsService.account_path("a+b@x.com") == "/v1/google-vids/accounts/a%2Bb%40x.com"


# -- (a) the cookie table form --------------------------------------------------------------------


def test_the_table_and_max_jobs_become_the_body_and_every_value_is_a_secret(vids: GoogleVidsService) -> None:
    pasted = "\r\n".join([HEADER, ROWS[0], row("_ga", OTHER_SITE, ".example.com"), ROWS[1]])
    submission = vids.parse_form({"cookies": pasted, "cookies_more": "", "max_jobs": " 5 "})
    assert submission.body == {"cookies": TABLE, "maxJobs": 5}
    assert {SID, PSIDTS, TABLE} <= set(submission.secrets) and OTHER_SITE not in submission.secrets
    assert "maxJobs" not in vids.parse_form({"cookies": TABLE, "max_jobs": ""}).body


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"cookies": SID}, "docs.google.com/videos"),
        ({"cookies": f"Cookie: SID={SID}"}, "docs.google.com/videos"),
        (
            {"cookies": row("_ga", OTHER_SITE, ".example.com")},
            "None of these cookies belong to Google (docs.google.com",
        ),
        ({"cookies": TABLE, "max_jobs": "11"}, "from 1 to 10"),
        ({"cookies": TABLE, "max_jobs": "0"}, "from 1 to 10"),
        ({"cookies": TABLE, "max_jobs": "x"}, "from 1 to 10"),
    ],
)
def test_bad_input_gets_a_sentence_that_names_vids_and_never_a_cookie(
    vids: GoogleVidsService, values: dict[str, str], says: str
) -> None:
    with pytest.raises(CookieError) as caught:
        vids.parse_form(values)
    assert says in str(caught.value)
    assert not any(secret in str(caught.value) for secret in (SID, PSIDTS, OTHER_SITE))


_VALUES = st.from_regex(r"[A-Za-z0-9:._\-/+=]{8,40}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(_VALUES, min_size=1, max_size=6), st.text(max_size=4), st.booleans())
def test_form_parsing_round_trips_or_refuses_with_a_sentence(
    values: list[str], jobs: str, header: bool
) -> None:
    rows = [row(f"C{i}", v, "docs.google.com") for i, v in enumerate(values)]
    table = "\n".join([HEADER, *rows] if header else rows)
    try:
        submission = GoogleVidsService(transport=None).parse_form({"cookies": table, "max_jobs": jobs})  # type: ignore[arg-type]
    except CookieError as exc:
        assert "Max jobs" in str(exc) and not any(v in str(exc) for v in values)
        return
    assert submission.body["cookies"] == table
    assert set(values) <= set(submission.secrets)
    assert submission.body.get("maxJobs") in (None, *range(1, 11))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.text(max_size=4))
def test_only_cookie_errors_escape_the_form(noise: str, jobs: str) -> None:
    try:
        GoogleVidsService(transport=None).parse_form({"cookies": noise, "max_jobs": jobs})  # type: ignore[arg-type]
    except CookieError as exc:
        assert str(exc)


# -- (c, d) the routes, against the double ----------------------------------------------------------


async def test_the_empty_list_is_200_object_or_a_404_that_says_so() -> None:
    async with service_on_double("googlevids") as (ua, vids):
        assert await vids.list_accounts() == []
        ua.google_vids.empty_list = "404-json"
        assert await vids.list_accounts() == []
        first, _ = ua.requests_to("GET", "/v1/google-vids/accounts")
        assert first.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}"


@pytest.mark.parametrize(
    ("status", "body", "failure"),
    [
        (404, "Not Found", Failure.UNAVAILABLE),  # a plain-text 404: a moved route, not "none"
        (404, {"error": "Not found", "code": 404}, Failure.UNAVAILABLE),
        (200, "", Failure.BAD_RESPONSE),
        (200, [], Failure.BAD_RESPONSE),
        (200, {EMAIL: "OK"}, Failure.BAD_RESPONSE),
        (401, UNAUTHORIZED_401, Failure.UNAUTHORIZED),
        (596, {"error": "Account error", "code": 596}, Failure.UPSTREAM_ERROR),
    ],
)
async def test_a_list_that_cannot_be_read_is_a_failure_never_no_accounts(
    status: int, body: object, failure: Failure
) -> None:
    async with service_on_double("googlevids") as (ua, vids):
        ua.google_vids.set_account(EMAIL)
        ua.inject("GET", "/v1/google-vids/accounts", status=status, body=body)
        with pytest.raises(UseapiError) as caught:
            await vids.list_accounts()
        assert caught.value.failure is failure


async def test_one_odd_field_is_that_field_unknown_not_a_failed_list() -> None:
    """Issue 18: one account's unreadable `cookiesExpireAt` is no deadline for that account only."""
    async with service_on_double("googlevids") as (ua, vids):
        body = {
            EMAIL: {"email": EMAIL, "cookiesExpireAt": "soon"},
            "b@example.com": {"email": "b@example.com"},
        }
        ua.inject("GET", "/v1/google-vids/accounts", status=200, body=body)
        accounts = {a.account: a for a in await vids.list_accounts()}
        assert set(accounts) == {EMAIL, "b@example.com"}
        assert accounts[EMAIL].expires_at is None
        assert [n.field for n in accounts[EMAIL].unreadable] == ["cookiesExpireAt"]


async def test_the_list_and_the_live_read_carry_each_signal() -> None:
    async with service_on_double("googlevids") as (ua, vids):
        double: GoogleVidsDouble = ua.google_vids
        expires = datetime(2027, 5, 1, 10, 0, tzinfo=UTC)
        double.set_account(EMAIL, cookies_expire=expires)
        double.set_account("sick@example.com", health="Cookies rejected by Google", error="update cookies")
        double.set_account("out@example.com")
        double.sign_out("out@example.com")
        double.set_account("checking@example.com")
        double.sign_out("checking@example.com", final=False)
        listed = {i.account: i for i in await vids.list_accounts()}
        assert listed[EMAIL].expires_at == expires and listed[EMAIL].health == "OK"
        assert listed[EMAIL].error is None and listed["checking@example.com"].error is None
        assert (listed["sick@example.com"].health, listed["sick@example.com"].error) == (
            "Cookies rejected by Google",
            "update cookies",
        )
        assert listed["out@example.com"].error == PAUSED

        live = await vids.read_details(EMAIL)
        assert live.session_valid is True and live.expires_at == expires and live.call_refusal is None
        assert {c.key: c.remaining for c in live.credits} == {"video": 9400, "image": 980, "music": 300}
        assert {c.key: c.limit for c in live.credits} == {"video": 10000, "image": 1000, "music": 300}
        # A final 596 ("Re-add it"): the session is broken (issue 21: the general 596 reading).
        gone = await vids.read_details("out@example.com")
        assert (gone.account, gone.call_refusal, gone.expires_at) == (
            "out@example.com",
            "session_broken",
            None,
        )
        # A 596 while useapi.net re-checks: a failed read, nothing changes.
        with pytest.raises(UseapiError) as caught:
            await vids.read_details("checking@example.com")
        assert caught.value.status == 596
        with pytest.raises(UseapiError) as caught:
            await vids.account_details("nobody@example.com")
        assert caught.value.failure is Failure.UNAVAILABLE and caught.value.status == 404


@pytest.mark.parametrize("shape", ["quota", "left"])
async def test_the_live_read_finds_what_is_left_wherever_the_double_puts_it(shape: str) -> None:
    async with service_on_double("googlevids") as (ua, vids):
        ua.google_vids.left_shape = shape
        ua.google_vids.set_account(EMAIL, left={"video": 120, "image": 3})
        assert {c.key: c.remaining for c in (await vids.account_details(EMAIL)).credits} == {
            "video": 120,
            "image": 3,
            "music": None,
        }


async def test_a_pause_shown_as_a_status_is_read_too() -> None:
    async with service_on_double("googlevids") as (ua, vids):
        ua.google_vids.pause_shape = "status"
        ua.google_vids.set_account(EMAIL)
        ua.google_vids.sign_out(EMAIL)
        (info,) = await vids.list_accounts()
        assert info.health == "OK" and info.error is not None and "status: paused" in info.error


async def test_delete_answers_204_and_404_and_400_as_the_page_prints() -> None:
    async with service_on_double("googlevids") as (ua, vids):
        ua.google_vids.set_account(EMAIL)
        assert await vids.delete_account(EMAIL) is True
        assert EMAIL not in ua.google_vids.accounts
        assert await vids.delete_account(EMAIL) is False  # 404 {"error": "Account … not found"}
        with pytest.raises(UseapiError) as caught:
            await vids.delete_account("not-an-email")
        assert caught.value.failure is Failure.BAD_REQUEST and caught.value.detail == DELETE_400["error"]
        (delete, *_) = ua.requests_to("DELETE", ".*")
        assert delete.path == f"/v1/google-vids/accounts/{EMAIL}"


# -- (b) registration end to end -------------------------------------------------------------------


async def test_vids_registration_end_to_end(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "googlevids")) as rig:
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=180)
        rig.useapi.google_vids.teach(SID, EMAIL, cookies_expire=expires)
        await grant(rig)
        opened = await open_form(rig, "vids")
        intro, *labels = opened.data["components"]
        assert intro["type"] == 10 and "Application → Cookies" in intro["content"]
        assert "paid Google AI plan" in intro["content"]
        assert [c["type"] for c in labels] == [18, 18, 18]
        inputs = modal_inputs(opened)
        assert list(inputs) == ["cookies", "cookies_more", "max_jobs"]
        assert [inputs[i]["required"] for i in inputs] == [True, False, False]

        pasted = "\r\n".join([HEADER, *ROWS, row("_ga", OTHER_SITE, ".example.com"), ""])
        submitted = await rig.submit(opened, {"cookies": pasted, "max_jobs": "4"}, user=member(rig))
        assert submitted.type == 5 and submitted.data["flags"] & EPHEMERAL
        answer = await rig.followup(submitted)
        assert "accepted the Google Vids cookies" in answer["content"]
        embed = answer["embeds"][0]
        assert EMAIL in embed["description"] and embed["title"] == "Google Vids account added"
        assert f"<t:{int(expires.timestamp())}:F>" in str(embed)

        (post,) = rig.useapi.requests_to("POST", "/v1/google-vids/accounts")
        assert post.json == {"cookies": TABLE, "maxJobs": 4}
        stored = await rig.bot.store.get_account("googlevids", EMAIL)  # type: ignore[union-attr]
        assert stored is not None and stored.expires_at == expires and stored.registered_by == member(rig)
        assert {SID, PSIDTS, OTHER_SITE} <= set(scenario_secrets(rig))  # swept at the end


async def test_a_form_opened_before_a_restart_still_registers_past_its_text_block(tmp_path: Path) -> None:
    """The late-submit path reads the values itself: the text display must not trip it."""
    async with running_rig(tmp_path, services=("luma", "googlevids")) as rig:
        rig.useapi.google_vids.teach(SID, EMAIL)
        await grant(rig)
        opened = await open_form(rig, "vids")
        await rig.stop_bot()
        await rig.start_bot()
        payload = rig.discord.modal_submit_for(opened, {"cookies": TABLE}, user=member(rig))
        assert payload["data"]["components"][0] == {"type": 10, "id": 1}  # as Discord answers it
        submitted = await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(payload))
        assert submitted.type == 5
        answer = await rig.followup(submitted)
        assert EMAIL in answer["embeds"][0]["description"]
        (post,) = rig.useapi.requests_to("POST", "/v1/google-vids/accounts")
        assert post.json == {"cookies": TABLE}


async def test_bad_input_is_answered_at_once_and_nothing_is_sent(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "googlevids")) as rig:
        await grant(rig)
        said = await refused_locally(rig, "vids", {"cookies": f"SID={SID}; HSID={PSIDTS}"})
        assert "cookie header" in said and SID not in said
        said = await refused_locally(rig, "vids", {"cookies": TABLE, "max_jobs": "12"})
        assert "from 1 to 10" in said


async def test_a_free_google_account_is_refused_with_what_to_do(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "googlevids")) as rig:
        rig.useapi.google_vids.teach(SID, EMAIL, free=True)
        await grant(rig)
        said = await refused_upstream(rig, "vids", {"cookies": TABLE})
        assert GoogleVidsDouble.FREE_ACCOUNT in said and "paid Google AI plan" in said


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (400, {"error": GoogleVidsDouble.UNKNOWN_COOKIES, "code": 400}, "Copy the cookie table again"),
        (401, UNAUTHORIZED_401, "ask the bot's operator to check USEAPI_TOKEN"),
        (402, {"error": "Account has no subscription or subscription expired"}, "subscription has expired"),
        (404, "Not Found", "Google Vids is not available on useapi.net right now (HTTP 404)"),
        (500, {"error": "Google did not answer", "code": 500}, 'useapi.net said: "Google did not answer"'),
        (596, {"error": "Account error", "code": 596}, "useapi.net had an error (HTTP 596)"),
        (200, {"health": "OK"}, "could not read"),  # accepted, but no email to track it by
    ],
)
async def test_documented_errors_are_answered_privately_and_store_nothing(
    tmp_path: Path, status: int, body: object, says: str
) -> None:
    async with running_rig(tmp_path, services=("luma", "googlevids")) as rig:
        rig.useapi.google_vids.teach(SID, EMAIL)
        rig.useapi.inject("POST", "/v1/google-vids/accounts", status=status, body=body)
        await grant(rig)
        said = await refused_upstream(rig, "vids", {"cookies": TABLE})
        assert says in said, said
        assert SID not in said


async def test_cookies_echoed_in_an_upstream_error_are_scrubbed(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "googlevids")) as rig:
        rig.useapi.inject(
            "POST", "/v1/google-vids/accounts", status=400, body={"error": f"Bad cookie {SID}", "code": 400}
        )
        await grant(rig)
        said = await refused_upstream(rig, "vids", {"cookies": TABLE})
        assert SID not in said and "[redacted]" in said


# -- its warnings, end to end -------------------------------------------------------------------------


async def test_stages_warn_before_cookies_expire_at_and_nothing_else_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with manual_rig(tmp_path, monkeypatch, "luma", "googlevids") as rig:
        expires = START + 80 * H
        rig.useapi.google_vids.set_account(EMAIL, cookies_expire=expires)
        rig.useapi.google_vids.set_account("calm@example.com", cookies_expire=START + 150 * 24 * H)
        await rig.start_bot()
        await run_pass(rig)
        assert warnings(rig) == []
        for hours in range(1, 8):  # hours of syncs and live reads with nothing to say
            clock(rig).set(START + hours * H)
            await run_pass(rig)
        assert warnings(rig) == []
        clock(rig).set(expires - 72 * H + timedelta(seconds=20))
        await run_pass(rig)
        (warning,) = warnings(rig)
        assert titles(rig) == ["Google Vids cookies expire within 72h"]
        assert EMAIL in warning["embeds"][0]["description"]
        assert renew_buttons(warning) == ["warden:renew:googlevids"]
        stored = await rig.bot.store.get_account("googlevids", "calm@example.com")  # type: ignore[union-attr]
        assert stored is not None and stored.session_valid is True  # the live read happened


async def test_a_pause_warns_at_once_a_recheck_does_not_and_a_live_sign_out_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with manual_rig(tmp_path, monkeypatch, "luma", "googlevids") as rig:
        double: GoogleVidsDouble = rig.useapi.google_vids
        for email in (EMAIL, "second@example.com", "third@example.com"):
            double.set_account(email, cookies_expire=START + 150 * 24 * H)
        await rig.start_bot()
        await run_pass(rig)
        assert warnings(rig) == []

        double.sign_out("second@example.com", final=False)  # useapi.net is re-checking: not yet
        clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
        await run_pass(rig)
        assert warnings(rig) == []

        double.sign_out(EMAIL)  # paused: the list says so
        await sync_again(rig)
        (warning,) = warnings(rig)
        assert "useapi.net reports a problem with a Google Vids account" in warning["embeds"][0]["title"]
        assert "paused" in str(warning["embeds"][0]) and renew_buttons(warning) == ["warden:renew:googlevids"]
        for _ in range(3):  # said once
            await sync_again(rig)
        assert len(warnings(rig)) == 1

        double.accounts["third@example.com"].signed_in = False  # the live read finds it signed out
        clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
        await run_pass(rig)
        assert len(warnings(rig)) == 2 and "no longer valid" in str(warnings(rig)[1]["embeds"][0])


async def test_renewing_a_paused_account_through_the_form_resolves_its_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with manual_rig(tmp_path, monkeypatch, "luma", "googlevids") as rig:
        double: GoogleVidsDouble = rig.useapi.google_vids
        double.set_account(EMAIL, cookies_expire=START + 150 * 24 * H)
        double.teach(SID, EMAIL, cookies_expire=START + 180 * 24 * H)
        await rig.start_bot()
        await run_pass(rig)
        double.sign_out(EMAIL)
        await sync_again(rig)
        assert len(warnings(rig)) == 1
        await grant(rig)
        _, answer = await register(rig, "vids", {"cookies": TABLE})
        assert "accepted the Google Vids cookies" in answer["content"]
        assert double.accounts[EMAIL].paused is False
        stored = await rig.bot.store.get_account("googlevids", EMAIL)  # type: ignore[union-attr]
        assert stored is not None and stored.last_error is None
        assert stored.expires_at == START + 180 * 24 * H


def test_the_list_example_is_not_mutated_by_parsing(vids: GoogleVidsService) -> None:
    before = copy.deepcopy(LIST_200)
    for key, value in LIST_200.items():
        vids.parse_account(value, key)
    assert LIST_200 == before


async def test_the_sweep_catches_a_leaked_cookie_value(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "googlevids"), sweep_secrets=False) as rig:
        rig.useapi.google_vids.teach(SID, EMAIL)
        await grant(rig)
        await register(rig, "vids", {"cookies": TABLE})
        logging.getLogger("bot.services").warning("leaked %s", PSIDTS)  # a value of the table, not taught
    leaks = sweep(rig).leaks
    assert any("posted to /v1/google-vids/" in leak and "log record" in leak for leak in leaks), leaks
    assert all(PSIDTS not in leak for leak in leaks)
