"""Gemini Notebook: the pages' shapes (and the OPEN ones), its usage windows, the cookie form,
the double's routes, registration through the form with each documented error, and its
warnings end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cookies import CookieError
from bot.services import REGISTRY
from bot.services.gemininotebook import GeminiNotebookService, quota_windows, window_key
from bot.useapi import Credit, CreditSource, EmptyList, Failure, UseapiError
from bot.useapi.parsing import FieldError
from bot.watch import DETAILS_INTERVAL
from cogs import _alert_channel as alert_channel
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
from tests.doubles.services.gemininotebook import GeminiNotebookDouble
from tests.harness import USEAPI_TOKEN, modal_inputs, running_rig, scenario_secrets, sweep

SID = "g.a000NotebookSid7Kq3Zt9Lm2Vb7Nc8Hs4"
LSID = "o.notebook-lsid-Vb7Nc8Hs4Pw6Ry1Ju5"
HEADER = "Name\tValue\tDomain\tPath\tExpires / Max-Age\tSize\tHttpOnly\tSecure\tSameSite"


def row(name: str, value: str, domain: str) -> str:
    return "\t".join([name, value, domain, "/", "2027-11-01T22:48:08.442Z", "80", "✓", "✓", "None"])


TABLE = "\n".join([HEADER, row("SID", SID, ".google.com"), row("LSID", LSID, "accounts.google.com")])
EMAIL = "notes@example.com"

# The list page's example, as far as the stored copy goes (it stops inside the windows).
LIST_200 = {
    EMAIL: {
        "email": EMAIL,
        "tier": "pro",
        "googleTier": "TIER_PRO",
        "googleTierCode": 2,
        "maxJobs": 3,
        "added": "2026-09-27T22:48:12.588Z",
        "cookies": ["SID", "HSID", "SSID", "APISID", "SAPISID", "LSID", "OSID", "__Secure-OSID"],
        "cookiesExpireAt": "2027-11-01T22:48:08.442Z",
        "addedVia": "setup-browser",
        "limits": {"notebooks": 500, "sourcesPerNotebook": 300},
        "health": "OK",
        "runningJobs": 1,
        "lastKnownQuota": {
            "windows": [
                {
                    "window": "5h",
                    "resetsAt": "2026-09-28T04:25:40.000Z",
                    "usedPercent": 63.11,
                    "remainingPercent": 36.89,
                },
            ]
        },
    }
}
PAGE_EXPIRES = datetime(2027, 11, 1, 22, 48, 8, tzinfo=UTC)
FIVE_H_RESET = datetime(2026, 9, 28, 4, 25, 40, tzinfo=UTC)


@pytest.fixture
def notebook() -> GeminiNotebookService:
    return GeminiNotebookService(transport=None)  # type: ignore[arg-type]  # parsing only


# -- (a) the account shapes ------------------------------------------------------------------------


def test_the_list_example_gives_the_deadline_health_and_the_five_hour_window(
    notebook: GeminiNotebookService,
) -> None:
    ((key, obj),) = LIST_200.items()
    info = notebook.parse_account(obj, key)
    assert (info.account, info.service, info.expires_at) == (EMAIL, "gemininotebook", PAGE_EXPIRES)
    assert (info.health, info.error, info.max_jobs) == ("OK", None, 3)
    assert info.credits == (
        Credit(
            key="5h", label="5-hour window", unit="%", remaining=36.89, limit=100.0, resets_at=FIVE_H_RESET
        ),
    )


def test_a_weekly_window_beside_it_is_its_own_figure() -> None:
    weekly = {"window": "weekly", "resetsAt": "2026-10-02T00:00:00.000Z", "usedPercent": 20}
    obj = {"lastKnownQuota": {"windows": [*LIST_200[EMAIL]["lastKnownQuota"]["windows"], weekly]}}
    five, week = quota_windows(obj)
    assert (five.key, five.remaining) == ("5h", 36.89)
    assert (week.key, week.label, week.remaining, week.limit) == ("weekly", "weekly window", 80.0, 100.0)
    assert week.resets_at == datetime(2026, 10, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "key"),
    [("5h", "5h"), ("5-hour", "5h"), ("5 hours", "5h"), ("five_hour", "5h"), ("weekly", "weekly"),
     ("week", "weekly"), ("7d", "weekly"), ("1w", "weekly"), ("168h", "weekly"), ("Monthly", "monthly"),
     ("daily (Studio)", "daily-studio")],
)  # fmt: skip
def test_window_names_become_stable_keys(name: str, key: str) -> None:
    assert window_key(name)[0] == key


@pytest.mark.parametrize(
    "obj",
    [
        {"quota": {"windows": [{"window": "5h", "remainingPercent": 10}]}},  # the live read's, perhaps
        {"windows": [{"name": "5h", "remainingPercent": "10"}]},
        {"lastKnownQuota": {"windows": [{"window": "5h", "usedPercent": 90}]}},
    ],
)
def test_windows_are_read_wherever_they_plausibly_sit(obj: dict[str, Any]) -> None:
    (window,) = quota_windows(obj)
    assert (window.key, window.remaining) == ("5h", 10.0)


@pytest.mark.parametrize(
    "obj",
    [
        {"lastKnownQuota": None},
        {"lastKnownQuota": {"windows": "none"}},
        {"lastKnownQuota": {"windows": [None, 5, {"resetsAt": "2026-09-28T04:25:40.000Z"}]}},
        {"lastKnownQuota": {"windows": [{"window": "5h", "resetsAt": "soon", "remainingPercent": True}]}},
    ],
)
def test_windows_of_an_unexpected_shape_are_unknown_not_a_failure(
    notebook: GeminiNotebookService, obj: dict[str, Any]
) -> None:
    info = notebook.parse_account({**LIST_200[EMAIL], **obj}, EMAIL)
    assert info.expires_at == PAGE_EXPIRES
    assert all(c.remaining is None and c.resets_at is None for c in info.credits)


def test_a_registration_answer_keyed_by_email_is_unwrapped(notebook: GeminiNotebookService) -> None:
    info = notebook.parse_account(LIST_200)
    assert info.account == EMAIL and info.expires_at == PAGE_EXPIRES


@pytest.mark.parametrize(
    ("obj", "health", "error"),
    [
        ({"health": "OK"}, "OK", None),
        ({"health": "Signed out"}, "Signed out", None),
        ({"health": "error", "error": "Reconnect the account"}, "error", "Reconnect the account"),
        ({"error": {"code": 596, "message": "Account needs to be reconnected"}}, None, "Account needs to be reconnected"),
    ],
)  # fmt: skip
def test_health_and_error_are_the_act_now_signals(
    notebook: GeminiNotebookService, obj: dict[str, Any], health: str | None, error: str | None
) -> None:
    info = notebook.parse_account(obj, EMAIL)
    assert (info.health, info.error) == (health, error)


@pytest.mark.parametrize(
    "broken", [{"email": ["x"]}, {"cookiesExpireAt": "in a year"}, {"cookiesExpireAt": {}}]
)
def test_a_documented_field_of_the_wrong_shape_is_a_field_error(
    notebook: GeminiNotebookService, broken: dict[str, Any]
) -> None:
    with pytest.raises(FieldError):
        notebook.parse_account(broken)


SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
WINDOW = st.fixed_dictionaries(
    {},
    optional={
        "window": JSON | st.sampled_from(["5h", "weekly"]),
        "remainingPercent": JSON,
        "usedPercent": JSON,
        "resetsAt": JSON,
    },
)
NAMES = st.sampled_from(
    ["email", "cookiesExpireAt", "health", "error", "maxJobs", "quota", "windows", "signedIn"]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(NAMES, JSON, max_size=6), st.lists(WINDOW | JSON, max_size=4))
def test_account_parsing_raises_only_field_errors(obj: dict[str, Any], windows: list[Any]) -> None:
    obj = {**obj, "lastKnownQuota": {"windows": windows}}
    try:
        info = GeminiNotebookService(transport=None).parse_account(obj, EMAIL)  # type: ignore[arg-type]
    except FieldError:
        return
    assert info.account == EMAIL
    assert len({c.key for c in info.credits}) == len(info.credits)


def test_the_registry_entry() -> None:
    cls = REGISTRY["gemininotebook"]
    assert cls is GeminiNotebookService and cls.on_by_default is False
    assert (cls.command_group, cls.label) == ("notebook", "Gemini Notebook")
    assert cls.empty_list is EmptyList.EMPTY_OBJECT and cls.credit_source is CreditSource.LIST
    assert cls.details_path == cls.delete_path == "/v1/gemini-notebook/accounts/{account}"


# -- (a) the cookie form ------------------------------------------------------------------------------


def test_the_table_becomes_the_body_and_every_value_is_a_secret(notebook: GeminiNotebookService) -> None:
    submission = notebook.parse_form({"cookies": TABLE, "max_jobs": "2"})
    assert submission.body == {"cookies": TABLE, "maxJobs": 2}
    assert {SID, LSID, TABLE} <= set(submission.secrets)


@pytest.mark.parametrize(
    ("pasted", "says"),
    [
        (SID, "notebook.google.com"),
        (
            row("_ga", "TrackerValue9zQ8xW7", ".example.com"),
            "(notebook.google.com, accounts.google.com or google.com)",
        ),
        ("", "Nothing was pasted"),
    ],
)
def test_what_is_not_a_table_is_refused_naming_notebooks_sites(
    notebook: GeminiNotebookService, pasted: str, says: str
) -> None:
    with pytest.raises(CookieError, match=None) as caught:
        notebook.parse_form({"cookies": pasted})
    assert says in str(caught.value) and SID not in str(caught.value)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200), st.text(max_size=4))
def test_only_cookie_errors_escape_the_form(first: str, rest: str, jobs: str) -> None:
    try:
        GeminiNotebookService(transport=None).parse_form(  # type: ignore[arg-type]
            {"cookies": first, "cookies_more": rest, "max_jobs": jobs}
        )
    except CookieError as exc:
        assert str(exc)


# -- (c, d) the routes, against the double ----------------------------------------------------------


async def test_the_empty_list_and_the_list_with_its_windows() -> None:
    async with service_on_double("gemininotebook") as (ua, notebook):
        double: GeminiNotebookDouble = ua.gemini_notebook
        assert await notebook.list_accounts() == []
        double.empty_list = "404-json"
        assert await notebook.list_accounts() == []
        double.empty_list = "404-text"
        with pytest.raises(UseapiError) as caught:
            await notebook.list_accounts()
        assert caught.value.failure is Failure.UNAVAILABLE

        resets = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
        double.set_account(EMAIL, windows=[("5h", 12.5, resets), ("weekly", 70.0, resets + 3 * 24 * H)])
        (info,) = await notebook.list_accounts()
        assert {c.key: (c.remaining, c.resets_at) for c in info.credits} == {
            "5h": (12.5, resets),
            "weekly": (70.0, resets + 3 * 24 * H),
        }
        assert all(r.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}" for r in ua.requests)


async def test_the_live_read_and_its_596() -> None:
    async with service_on_double("gemininotebook") as (ua, notebook):
        double: GeminiNotebookDouble = ua.gemini_notebook
        double.set_account(EMAIL)
        double.set_account("gone@example.com")
        double.sign_out("gone@example.com")
        double.set_account("checking@example.com")
        double.sign_out("checking@example.com", final=False)
        live = await notebook.read_details(EMAIL)
        assert live.session_valid is True and [c.key for c in live.credits] == ["5h", "weekly"]
        assert live.call_refusal is None
        # "needs to be reconnected": the session is broken (issue 21: the general 596 reading).
        gone = await notebook.read_details("gone@example.com")
        assert gone.call_refusal == Failure.SESSION_BROKEN.value
        with pytest.raises(UseapiError) as caught:
            await notebook.read_details("checking@example.com")
        assert caught.value.status == 596
        # A bare 596 (no words): Notebook's skill says it means "reconnect the account".
        ua.inject("GET", "/v1/gemini-notebook/accounts/.*", status=596, body={"code": 596})
        assert (await notebook.read_details(EMAIL)).call_refusal == Failure.SESSION_BROKEN.value


async def test_delete_is_204_and_an_unknown_account_404() -> None:
    async with service_on_double("gemininotebook") as (ua, notebook):
        ua.gemini_notebook.set_account(EMAIL)
        assert await notebook.delete_account(EMAIL) is True
        assert await notebook.delete_account(EMAIL) is False
        assert [r.path for r in ua.requests_to("DELETE", ".*")] == [
            f"/v1/gemini-notebook/accounts/{EMAIL}"
        ] * 2


# -- (b) registration end to end -----------------------------------------------------------------------


async def test_notebook_registration_end_to_end(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "gemininotebook")) as rig:
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=400)
        rig.useapi.gemini_notebook.teach(LSID, EMAIL, cookies_expire=expires)
        await grant(rig)
        opened = await open_form(rig, "notebook")
        intro = opened.data["components"][0]
        assert intro["type"] == 10 and "notebook.google.com" in intro["content"]
        assert list(modal_inputs(opened)) == ["cookies", "cookies_more", "max_jobs"]
        first, rest = "\n".join(TABLE.split("\n")[:2]), TABLE.split("\n")[2]
        _, answer = await register(rig, "notebook", {"cookies": first, "cookies_more": rest})
        assert "accepted the Gemini Notebook cookies" in answer["content"]
        assert EMAIL in answer["embeds"][0]["description"]
        (post,) = rig.useapi.requests_to("POST", "/v1/gemini-notebook/accounts")
        assert post.json == {"cookies": TABLE}
        stored = await rig.bot.store.get_account("gemininotebook", EMAIL)  # type: ignore[union-attr]
        assert stored is not None and stored.expires_at == expires
        assert {SID, LSID} <= set(scenario_secrets(rig))


async def test_bad_input_is_answered_at_once(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "gemininotebook")) as rig:
        await grant(rig)
        # One word, as a browser extension exports it (the sweep takes each word of it for a secret).
        said = await refused_locally(rig, "notebook", {"cookies": f'[{{"name":"SID","value":"{SID}"}}]'})
        assert "JSON" in said and SID not in said


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (400, {"error": "Google did not accept these cookies", "code": 400}, "did not accept the Gemini Notebook cookies"),
        (401, {"error": "useapi.net ⁝ Unauthorized", "code": 401}, "USEAPI_TOKEN"),
        (402, {"error": "Account has no subscription or subscription expired"}, "subscription"),
        (404, "Not Found", "Gemini Notebook is not available on useapi.net right now"),
        (429, {"error": "Busy", "retryAt": "2026-12-01T00:01:00Z"}, "rate limiting"),
        (503, "<html>down</html>", "useapi.net had an error (HTTP 503)"),
    ],
)  # fmt: skip
async def test_documented_errors_are_answered_privately_and_store_nothing(
    tmp_path: Path, status: int, body: object, says: str
) -> None:
    async with running_rig(tmp_path, services=("luma", "gemininotebook")) as rig:
        rig.useapi.gemini_notebook.teach(LSID, EMAIL)
        rig.useapi.inject("POST", "/v1/gemini-notebook/accounts", status=status, body=body)
        await grant(rig)
        said = await refused_upstream(rig, "notebook", {"cookies": TABLE})
        assert says in said, said


async def test_cookies_useapi_cannot_sign_in_with_are_explained(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "gemininotebook")) as rig:
        await grant(rig)  # nothing taught: the double's own 400
        said = await refused_upstream(rig, "notebook", {"cookies": TABLE})
        assert GeminiNotebookDouble.UNKNOWN_COOKIES in said


# -- its warnings, end to end -------------------------------------------------------------------------


async def test_stages_warn_before_cookies_expire_at_and_health_warns_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with manual_rig(tmp_path, monkeypatch, "luma", "gemininotebook") as rig:
        double: GeminiNotebookDouble = rig.useapi.gemini_notebook
        expires = START + 30 * H
        double.set_account(EMAIL, cookies_expire=expires)
        double.set_account("other@example.com", cookies_expire=START + 300 * 24 * H)
        await rig.start_bot()
        await run_pass(rig)
        assert titles(rig) == ["Gemini Notebook cookies expire within 72h"]  # already inside 72h
        for hours in (1, 2, 3):  # windows moving, syncs, live reads: nothing more to say
            double.accounts["other@example.com"].windows = double.default_windows()
            clock(rig).set(START + hours * H)
            await run_pass(rig)
        assert len(warnings(rig)) == 1

        double.sign_out("other@example.com")  # health "Signed out" on the list
        await sync_again(rig)
        assert len(warnings(rig)) == 2
        act_now = warnings(rig)[1]
        assert "Signed out" in str(act_now["embeds"][0])
        assert renew_buttons(act_now) == ["warden:renew:gemininotebook"]


async def test_a_live_read_answering_596_warns_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with manual_rig(tmp_path, monkeypatch, "luma", "gemininotebook") as rig:
        double: GeminiNotebookDouble = rig.useapi.gemini_notebook
        double.set_account(EMAIL, cookies_expire=START + 300 * 24 * H)
        await rig.start_bot()
        await run_pass(rig)
        assert warnings(rig) == []
        # Signed out at Google; the stored list still says OK (it is up to 60 s old).
        double.accounts[EMAIL].paused = True
        for _ in range(3):
            clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
            await run_pass(rig)
        (warning,) = warnings(rig)
        # Issue 21: a final 596 is the general "session broken" reason (it was "no longer valid").
        assert "the account's session is broken on useapi.net: register it again" in str(warning["embeds"][0])
        assert renew_buttons(warning) == ["warden:renew:gemininotebook"]


async def test_the_sweep_catches_a_leaked_cookie_value(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "gemininotebook"), sweep_secrets=False) as rig:
        rig.useapi.gemini_notebook.teach(LSID, EMAIL)
        await grant(rig)
        await register(rig, "notebook", {"cookies": TABLE})
        assert rig.bot is not None
        await alert_channel.post(rig.bot, content=f"leaked {SID}")  # the real poster
    leaks = sweep(rig).leaks
    assert any("posted to /v1/gemini-notebook/" in leak and "POST /channels/" in leak for leak in leaks), (
        leaks
    )
