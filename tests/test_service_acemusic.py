"""ACE Music: the pages' shapes, the login form (hypothesis), the double's routes, registration
through the form with each documented error, removal, and its warnings end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cookies import CookieError
from bot.logins import MAX_EMAIL_LENGTH
from bot.services import REGISTRY
from bot.services.acemusic import AceMusicService, ace_credits
from bot.useapi import Credit, CreditSource, EmptyList, Failure, UseapiError
from bot.useapi.parsing import FieldError
from bot.watch import DETAILS_INTERVAL
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
    warnings,
)
from tests.doubles.services.acemusic import PASSWORD_REFUSED, WRONG_LOGIN, AceMusicDouble
from tests.harness import Rig, bot_vocabulary, modal_inputs, running_rig, runs, scenario_secrets, sweep

EMAIL = "ace@ac.ai"  # shorter than the sweep's 8 characters: an account key is shown on purpose
PASSWORD = "Ace-Mus1c-Passw0rd!"

# The pages' examples ("[email protected]" is the store's rendering of an address).
LIST_200 = {
    "one@example.com": {
        "email": "one@example.com",
        "user_id": "1216554433",
        "plan": "free",
        "maxJobs": 4,
        "added": "2026-11-14T19:17:18.288Z",
        "health": "OK",
    },
    "two@example.com": {
        "email": "two@example.com",
        "user_id": "1216558877",
        "plan": "artist",
        "maxJobs": 4,
        "added": "2026-11-14T19:19:22.646Z",
        "updated": "2026-11-14T19:45:11.926Z",
        "health": "OK",
    },
    "three@example.com": {  # the stored copy stops at "healt…": health "error" per the prose
        "email": "three@example.com",
        "user_id": "1216561122",
        "plan": "creator",
        "maxJobs": 2,
        "added": "2026-11-10T08:02:41.007Z",
        "error": PASSWORD_REFUSED,
        "health": "error",
    },
}
GET_EMAIL_200 = {
    "email": "[email protected]",
    "user_id": "1216554433",
    "plan": "free",
    "maxJobs": 4,
    "added": "2026-11-14T19:17:18.288Z",
    "health": "OK",
    "plan_name": "Free",
    "cycle": "monthly",
    "credits": 16,
    "costs": {"song": 4, "stems": {"0": 5, "2": 60}, "video_minute": 1},
    "models": [
        {
            "id": "acemusic-v1",
            "name": "ACE Music v1",
            "free": False,
            "limits": {"prompt": 2000, "style": 1000, "lyrics": 5000},
        }
    ],
}


@pytest.fixture
def ace() -> AceMusicService:
    return AceMusicService(transport=None)  # type: ignore[arg-type]  # parsing only


# -- (a) the account shapes ------------------------------------------------------------------------


def test_the_list_example_has_no_deadline_and_the_refused_password_is_the_signal(
    ace: AceMusicService,
) -> None:
    one, two, three = (ace.parse_account(v, k) for k, v in LIST_200.items())
    assert [a.account for a in (one, two, three)] == list(LIST_200)
    assert all(a.expires_at is None and a.self_renewing_expires_at is None for a in (one, two, three))
    assert (one.health, one.error, one.max_jobs, one.credits) == ("OK", None, 4, ())
    assert two.updated_at == datetime(2026, 11, 14, 19, 45, 11, tzinfo=UTC)
    assert (three.health, three.error, three.max_jobs) == ("error", PASSWORD_REFUSED, 2)


def test_the_single_account_example_carries_the_live_credits(ace: AceMusicService) -> None:
    info = ace.parse_account(GET_EMAIL_200)
    assert info.account == "[email protected]" and info.expires_at is None
    assert info.credits == (Credit(key="credits", label="credits", unit="credits", remaining=16.0),)


def test_a_live_part_that_failed_is_not_a_signal(ace: AceMusicService) -> None:
    info = ace.parse_account({**LIST_200["one@example.com"], "liveError": "ACE Music did not answer"}, "x")
    assert (info.error, info.health, info.credits) == (None, "OK", ())


@pytest.mark.parametrize(
    ("credits", "left"),
    [(16, 16.0), ("16", 16.0), (0, 0.0), ({"remaining": 12}, 12.0), ({"balance": "7"}, 7.0),
     (None, None), ("lots", None), (True, None), ({"plan": "free"}, None)],
)  # fmt: skip
def test_credits_in_every_plausible_shape(credits: Any, left: float | None) -> None:
    found = ace_credits({"credits": credits})
    assert (found[0].remaining if found else None) == left


def test_a_registration_answer_keyed_by_email_is_unwrapped(ace: AceMusicService) -> None:
    assert ace.parse_account({EMAIL: {**GET_EMAIL_200, "email": EMAIL}}).account == EMAIL


@pytest.mark.parametrize("broken", [{"email": 5}, {"email": {"a": 1}}])
def test_a_documented_field_of_the_wrong_shape_is_a_field_error(
    ace: AceMusicService, broken: dict[str, Any]
) -> None:
    with pytest.raises(FieldError):
        ace.parse_account(broken)


SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
NAMES = st.sampled_from(
    ["email", "health", "error", "credits", "maxJobs", "liveError", "added", "updated", "plan"]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(NAMES, JSON, max_size=7))
def test_account_parsing_raises_only_field_errors(obj: dict[str, Any]) -> None:
    try:
        info = AceMusicService(transport=None).parse_account(obj, EMAIL)  # type: ignore[arg-type]
    except FieldError:
        return
    assert info.account == EMAIL and info.expires_at is None


def test_the_registry_entry() -> None:
    cls = REGISTRY["acemusic"]
    assert cls is AceMusicService and cls.on_by_default is False
    assert (cls.command_group, cls.label, cls.credential_noun) == ("acemusic", "ACE Music", "login")
    assert cls.empty_list is EmptyList.EMPTY_OBJECT and cls.reads_details is True
    assert cls.credit_source is CreditSource.DETAILS
    assert cls.details_path == cls.delete_path == "/v1/acemusic/accounts/{account}"


# -- (a) the login form ------------------------------------------------------------------------------


def form(email: str = EMAIL, password: str = PASSWORD, max_jobs: str = "") -> dict[str, str]:
    return {"email": email, "password": password, "max_jobs": max_jobs}


def test_a_valid_form_is_the_documented_body(ace: AceMusicService) -> None:
    submission = ace.parse_form(form(email=f"  {EMAIL} ", max_jobs="4"))
    assert submission.body == {"email": EMAIL, "password": PASSWORD, "maxJobs": 4}
    assert submission.secrets == (PASSWORD,) and PASSWORD not in repr(submission)
    assert ace.parse_form(form()).body == {"email": EMAIL, "password": PASSWORD}  # blank: useapi's default


@pytest.mark.parametrize(
    ("values", "says"),
    [
        (form(email=""), "The email is empty. Type the email you sign in to acemusic.ai with"),
        (form(email="someone"), "not an email address"),
        (form(password=" "), "The password is empty"),
        (form(password="two\nlines"), "line break"),
        (form(max_jobs="11"), "from 1 to 10"),
        (form(max_jobs="0"), "from 1 to 10"),
    ],
)
def test_bad_input_gets_a_sentence_that_never_repeats_the_password(
    ace: AceMusicService, values: dict[str, str], says: str
) -> None:
    with pytest.raises(CookieError, match=says) as caught:
        ace.parse_form(values)
    assert PASSWORD not in str(caught.value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.text(max_size=300), st.text(max_size=4))
def test_form_parsing_raises_only_cookie_errors_and_round_trips(email: str, password: str, jobs: str) -> None:
    try:
        submission = AceMusicService(transport=None).parse_form(form(email, password, jobs))  # type: ignore[arg-type]
    except CookieError as exc:
        # No run of 8 typed characters comes back, but the bot's own words ("acemusic.ai").
        assert not (runs(password) & runs(str(exc))) - bot_vocabulary()
        return
    assert submission.body["email"] == email.strip() and submission.body["password"] == password
    assert len(email.strip()) <= MAX_EMAIL_LENGTH and submission.secrets == (password,)
    assert submission.body.get("maxJobs") in (None, *range(1, 11))


# -- (c, d) the routes, against the double ----------------------------------------------------------


async def test_the_empty_list_the_list_and_a_404_that_is_not_no_accounts() -> None:
    async with service_on_double("acemusic") as (ua, ace):
        double: AceMusicDouble = ua.acemusic
        assert await ace.list_accounts() == []
        double.empty_list = "404-json"
        assert await ace.list_accounts() == []
        double.empty_list = "404-text"
        with pytest.raises(UseapiError) as caught:
            await ace.list_accounts()
        assert caught.value.failure is Failure.UNAVAILABLE
        double.set_account(EMAIL)
        double.set_account("paused@ac.ai")
        double.refuse_stored_password("paused@ac.ai")
        listed = {a.account: a for a in await ace.list_accounts()}
        assert (listed[EMAIL].health, listed[EMAIL].error) == ("OK", None)
        assert (listed["paused@ac.ai"].health, listed["paused@ac.ai"].error) == ("error", PASSWORD_REFUSED)
        ua.inject("GET", "/v1/acemusic/accounts", status=404, body={"error": "Not found", "code": 404})
        with pytest.raises(UseapiError) as caught:
            await ace.list_accounts()
        assert caught.value.failure is Failure.UNAVAILABLE


async def test_the_live_read_gives_credits_a_paused_account_its_error_and_a_live_failure_nothing() -> None:
    async with service_on_double("acemusic") as (ua, ace):
        double: AceMusicDouble = ua.acemusic
        double.set_account(EMAIL, credits=42)
        double.set_account("paused@ac.ai")
        double.refuse_stored_password("paused@ac.ai")
        double.set_account("flaky@ac.ai", live_fails=True)
        live = await ace.account_details(EMAIL)
        assert [(c.key, c.remaining) for c in live.credits] == [("credits", 42)]
        paused = await ace.account_details("paused@ac.ai")
        assert paused.error == PASSWORD_REFUSED and paused.credits == ()
        flaky = await ace.account_details("flaky@ac.ai")
        assert flaky.error is None and flaky.credits == ()
        with pytest.raises(UseapiError) as caught:
            await ace.account_details("nobody@ac.ai")
        assert caught.value.failure is Failure.UNAVAILABLE


@pytest.mark.parametrize("answer", ["204", "200-empty", "200-json"])
async def test_any_2xx_delete_is_a_deletion_and_the_404_is_not(answer: str) -> None:
    async with service_on_double("acemusic") as (ua, ace):
        ua.acemusic.delete_answer = answer
        ua.acemusic.set_account(EMAIL)
        assert await ace.delete_account(EMAIL) is True and ua.acemusic.accounts == {}
        assert await ace.delete_account(EMAIL) is False  # {"error": "Account … is not configured"}


# -- (b) registration end to end -----------------------------------------------------------------------


async def test_ace_music_registration_end_to_end(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "acemusic")) as rig:
        rig.useapi.acemusic.teach_login(EMAIL, PASSWORD, credits=16)
        await grant(rig)
        opened = await open_form(rig, "acemusic")
        assert [c["type"] for c in opened.data["components"]] == [18, 18, 18]  # no text block needed
        inputs = modal_inputs(opened)
        assert list(inputs) == ["email", "password", "max_jobs"]
        assert "Google" in opened.data["components"][1]["description"]
        _, answer = await register(rig, "acemusic", form(max_jobs="3"))
        assert "useapi.net accepted the ACE Music login" in answer["content"]
        embed = answer["embeds"][0]
        assert embed["title"] == "ACE Music account added" and EMAIL in embed["description"]
        (post,) = rig.useapi.requests_to("POST", "/v1/acemusic/accounts")
        assert post.json == {"email": EMAIL, "password": PASSWORD, "maxJobs": 3}
        stored = await rig.bot.store.get_account("acemusic", EMAIL)  # type: ignore[union-attr]
        assert stored is not None and stored.expires_at is None and stored.max_jobs == 3
        assert PASSWORD in scenario_secrets(rig)


@pytest.mark.parametrize("shape", ["keyed", "empty"])
async def test_an_accepted_login_whose_answer_is_not_the_record_is_still_registered(
    tmp_path: Path, shape: str
) -> None:
    async with running_rig(tmp_path, services=("luma", "acemusic")) as rig:
        rig.useapi.acemusic.teach_login(EMAIL, PASSWORD)
        rig.useapi.acemusic.post_shape = shape
        await grant(rig)
        _, answer = await register(rig, "acemusic", form())
        assert "accepted the ACE Music login" in answer["content"]
        assert await rig.bot.store.get_account("acemusic", EMAIL) is not None  # type: ignore[union-attr]


async def test_a_wrong_password_is_explained_and_nothing_is_stored(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "acemusic")) as rig:
        rig.useapi.acemusic.teach_login(EMAIL, "the-real-password")
        await grant(rig)
        said = await refused_upstream(rig, "acemusic", form())
        assert "could not sign in to ACE Music with that email and password" in said
        assert WRONG_LOGIN in said and "set one" in said and PASSWORD not in said


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (400, {"error": "Parameter maxJobs must be a number between 1 and 10", "code": 400}, "did not accept that ACE Music login"),
        (401, {"error": "useapi.net ⁝ Unauthorized", "code": 401}, "USEAPI_TOKEN"),
        (402, {"error": "Account has no subscription or subscription expired"}, "subscription"),
        (404, "Not Found", "ACE Music is not available on useapi.net right now"),
        (500, {"error": "ACE Music is down", "code": 500}, 'useapi.net said: "ACE Music is down"'),
        (200, b"{not json", "could not read"),
    ],
)  # fmt: skip
async def test_documented_errors_are_answered_privately_and_store_nothing(
    tmp_path: Path, status: int, body: object, says: str
) -> None:
    async with running_rig(tmp_path, services=("luma", "acemusic")) as rig:
        rig.useapi.acemusic.teach_login(EMAIL, PASSWORD)
        rig.useapi.inject("POST", "/v1/acemusic/accounts", status=status, body=body)
        await grant(rig)
        if status == 200:  # a 2xx that is not JSON: accepted, keyed by the email sent
            _, answer = await register(rig, "acemusic", form())
            assert "accepted the ACE Music login" in answer["content"]
            return
        said = await refused_upstream(rig, "acemusic", form())
        assert says in said, said


async def test_bad_input_is_answered_at_once(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "acemusic")) as rig:
        await grant(rig)
        said = await refused_locally(rig, "acemusic", form(max_jobs="99"))
        assert "from 1 to 10" in said
        said = await refused_locally(rig, "acemusic", form(email="not-an-address"))
        assert "not an email address" in said


async def test_the_password_is_scrubbed_from_upstream_error_text(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "acemusic")) as rig:
        rig.useapi.inject(
            "POST",
            "/v1/acemusic/accounts",
            status=400,
            body={"error": f"Password {PASSWORD} is wrong", "code": 400},
        )
        await grant(rig)
        said = await refused_upstream(rig, "acemusic", form())
        assert PASSWORD not in said and "[redacted]" in said


# -- removal and warnings, end to end -------------------------------------------------------------------


@pytest.fixture
async def watched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    async with manual_rig(tmp_path, monkeypatch, "luma", "acemusic") as rig:
        yield rig


async def test_a_refused_stored_password_warns_once_and_nothing_else_ever_does(watched: Rig) -> None:
    rig = watched
    double: AceMusicDouble = rig.useapi.acemusic
    double.set_account(EMAIL, credits=16)
    double.set_account("steady@ac.ai")
    await rig.start_bot()
    for day in range(60):  # two months of syncs and live reads: no deadline, nothing to say
        clock(rig).set(START + day * 24 * H)
        await run_pass(rig)
    assert warnings(rig) == []
    stored = await rig.bot.store.get_account("acemusic", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.expires_at is None and stored.details_checked_at is not None

    double.refuse_stored_password(EMAIL)
    await sync_again(rig)
    (warning,) = warnings(rig)
    assert "ACE Music refused the stored email and password" in str(warning["embeds"][0])
    assert renew_buttons(warning) == ["warden:renew:acemusic"]
    for _ in range(3):
        clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
        await run_pass(rig)
    assert len(warnings(rig)) == 1


async def test_remove_deletes_on_useapi_even_when_its_answer_is_an_empty_200(watched: Rig) -> None:
    rig = watched
    rig.useapi.acemusic.delete_answer = "200-empty"
    rig.useapi.acemusic.set_account(EMAIL)
    await rig.start_bot()
    await run_pass(rig)
    admin = rig.discord.admin_id
    payload = rig.discord.slash_command("acemusic", "remove", options={"account": EMAIL}, user=admin)
    iid = await rig.discord.dispatch_interaction(payload)
    await rig.answer(await rig.discord.wait_for_callback(iid))  # deferred, then the confirmation
    message = rig.discord.messages_for(iid)[0]
    button = next(b for row in message["components"] for b in row["components"] if b["label"] == "Remove")
    click = rig.discord.button_click(button["custom_id"], int(message["id"]), user=admin)
    pressed = await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(click))
    token = pressed.request.path.split("/")[3]
    final = await rig.discord.wait_for(
        lambda r: (
            r.method == "PATCH" and token in r.path and "Removing" not in (r.json or {}).get("content", "")
        )
    )
    assert "Deleted" in final.json["content"]
    assert rig.useapi.acemusic.accounts == {}
    assert await rig.bot.store.list_accounts("acemusic") == []  # type: ignore[union-attr]
    await sync_again(rig)
    assert warnings(rig) == []  # removed on purpose: not "disappeared"


async def test_the_sweep_catches_a_leaked_password(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "acemusic"), sweep_secrets=False) as rig:
        rig.useapi.acemusic.teach_login(EMAIL, PASSWORD)
        await grant(rig)
        await register(rig, "acemusic", form())
        assert rig.bot is not None
        await rig.bot.store.set_setting("oops", PASSWORD)
    leaks = sweep(rig).leaks
    assert any("taught to the acemusic double" in leak and "database file" in leak for leak in leaks), leaks
