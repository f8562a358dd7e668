"""Every way an answer can't be read is the one "unreadable answer" (issue 18, section 3): counted by
the list guard and the outage notice, never a crash that stops the pass; and a registration whose
answer was lost says the account may have been added, then the next sync settles it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.registration import MAYBE_ADDED
from bot.services import build_services
from bot.store import Store
from bot.sync import load_state, sync_service
from bot.useapi import Failure, UseapiError
from tests.clock import FakeClock
from tests.harness import Rig, running_rig
from tests.test_alerts import EMAIL, SESSION, START, H, clock, grant, key, run_pass, warnings
from tests.test_sync import TOKEN, luma_entry

DEEP_LIST = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000
JSON = {"Content-Type": "application/json"}


# -- the transport: each way of failing to decode is BAD_RESPONSE ------------------------------


def garbled(content: bytes, status: int = 200, **headers: str) -> Callable[[], httpx.Response]:
    """A fresh answer each time (a body is read once), decoded only when read, as on the wire."""
    return lambda: httpx.Response(status, stream=httpx.ByteStream(content), headers={**JSON, **headers})


UNREADABLE_LISTS = {
    "nested 5,000 deep (RecursionError)": garbled(DEEP_LIST),
    "objects nested 5,000 deep": garbled(DEEP_OBJECT),
    "not UTF-8": garbled(b'{"a@x.com": {"account": "\xff\xfe"}}'),
    "a number of 5,000 digits": garbled(b'{"a@x.com": {"concurrency": ' + b"9" * 5000 + b"}}"),
    "a gzip body that is not gzip": garbled(b"\x1f\x8bnot really gzip", **{"Content-Encoding": "gzip"}),
    "an HTML page": garbled(b"<html><body>Service Unavailable</body></html>"),
    "a list, not an object": garbled(b"[]"),
    "an account that is not an object": garbled(b'{"a@x.com": "active"}'),
    "empty": garbled(b""),
}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "warden.sqlite3")
    try:
        yield opened
    finally:
        await opened.close()


@pytest.mark.parametrize("answer", UNREADABLE_LISTS.values(), ids=UNREADABLE_LISTS.keys())
async def test_every_unreadable_list_is_a_bad_response_that_changes_nothing(
    store: Store, answer: Callable[[], httpx.Response]
) -> None:
    answers = [httpx.Response(200, json={EMAIL: luma_entry(EMAIL, START + 50 * H)}), answer()]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        (luma,) = build_services(
            http, base_url="https://api.useapi.net", token=TOKEN, timeout=5, enabled=("luma",)
        ).values()
        assert (await sync_service(luma, store, START)).ok
        before = await store.list_accounts()
        result = await sync_service(luma, store, START + H)
    assert not result.ok and result.failure == "bad_response"
    assert await store.list_accounts() == before


@pytest.mark.parametrize(
    ("answer", "failure", "maybe_done"),
    [
        (garbled(DEEP_LIST), Failure.BAD_RESPONSE, True),
        (garbled(b"x" * 1_200_000), Failure.BAD_RESPONSE, True),  # over the 1 MB of an answer
        (garbled(b"x" * 1_200_000, status=500), Failure.UPSTREAM_ERROR, False),  # the status says it
        (garbled(b"\x1f\x8bnot gzip", **{"Content-Encoding": "gzip"}), Failure.BAD_RESPONSE, True),
        (httpx.ReadTimeout("no answer"), Failure.TIMEOUT, True),  # sent, then no answer in time
        (httpx.RemoteProtocolError("closed"), Failure.CONNECTION, True),  # sent, then dropped
        (httpx.ReadError("reset"), Failure.CONNECTION, True),
        (httpx.ConnectTimeout("no route"), Failure.TIMEOUT, False),  # never sent
        (httpx.ConnectError("refused"), Failure.CONNECTION, False),
        (garbled(b'{"error": "Invalid session"}', status=400), Failure.BAD_REQUEST, False),
    ],
)
async def test_a_registration_says_when_useapi_may_have_acted_on_it(
    answer: Callable[[], httpx.Response] | Exception, failure: Failure, maybe_done: bool
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer()

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        (luma,) = build_services(
            http, base_url="https://api.useapi.net", token=TOKEN, timeout=5, enabled=("luma",)
        ).values()
        with pytest.raises(UseapiError) as caught:
            await luma.register(luma.parse_form({"cookie": SESSION}))
    assert caught.value.failure is failure and caught.value.outcome_unknown is maybe_done


# -- the pass: a list nested 5,000 deep no longer stops the follow-through -------------------------


@pytest.fixture
async def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    async with running_rig(tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False) as rig:
        yield rig


async def register(rig: Rig, user: int) -> dict[str, Any]:
    opened = await rig.slash("luma", "register", user=user)
    submitted = await rig.submit(opened, {"cookie": SESSION}, user=user)
    return await rig.followup(submitted, timeout=10)


async def test_a_list_nested_5000_deep_is_counted_and_the_renewed_warning_still_resolves(rig: Rig) -> None:
    """Issue 18's report: the RecursionError aborted every pass before its follow-through, so a
    renewed account's warning stayed open with its buttons, and the failing list was never
    counted or announced."""
    soon, renewed = START + 5 * H, START + 30 * 24 * H
    rig.useapi.set_luma_account(EMAIL, soon)
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=renewed)
    await rig.start_bot()
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, soon, "6h")]

    rig.useapi.inject("GET", "/v1/luma/accounts", status=200, body=DEEP_LIST, times=None)
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    assert "accepted" in (await register(rig, member))["content"]  # renewed through the bot
    notices = []
    for attempt in range(3):
        clock(rig).advance(timedelta(minutes=20))
        report = await run_pass(rig)
        assert not report.synced["luma"].ok and report.synced["luma"].failure == "bad_response"
        assert report.faults == []
        if attempt == 0:
            assert report.resolved == [key("luma", EMAIL, soon, "6h")]
        notices += report.notices
    assert notices == [("luma", "failing")]
    titles = [m["embeds"][0]["title"] for m in warnings(rig)]
    assert titles == ["✅ Resolved · Luma session expires within 6h", "Can't read useapi.net's Luma accounts"]
    assert warnings(rig)[0]["components"] == []  # no Renew / I'm on it left on a resolved warning


# -- the form: an answer lost after the credential reached useapi.net -----------------------------

LOST_ANSWERS = {
    "nested 5,000 deep": ({"status": 200, "body": DEEP_LIST}, "could not read useapi.net's answer"),
    "not JSON": ({"malformed": True}, "could not read useapi.net's answer"),
    "no account in it": ({"status": 201, "body": {"created": True}}, "could not read useapi.net's answer"),
    "over 1 MB": ({"status": 200, "body": b'{"pad": "' + b"x" * 1_100_000 + b'"}'}, "could not read"),
    "no answer in time": ({"hang": True}, "did not answer in time"),
}


@pytest.mark.parametrize(("fault", "said"), LOST_ANSWERS.values(), ids=LOST_ANSWERS.keys())
async def test_a_registration_whose_answer_is_lost_says_it_may_have_been_added(
    rig: Rig, fault: dict[str, Any], said: str
) -> None:
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=START + 30 * 24 * H)
    rig.useapi.inject("POST", "/v1/luma/accounts", after=True, **fault)  # useapi.net adds it
    await rig.start_bot()
    await run_pass(rig)  # the regular sync happened: the next one is SYNC_INTERVAL away
    store = rig.bot.store  # type: ignore[union-attr]
    assert not (await load_state(store, "luma")).is_due(clock(rig).now())
    member = rig.discord.member_ids[0]
    await grant(rig, member)

    answer = (await register(rig, member))["content"]
    assert said in answer and "may have been added" in answer
    assert (
        "`/accounts list` will show it after the next sync" in answer and "Nothing was changed" not in answer
    )
    entry = (await store.recent_audit())[0]
    assert entry.action == "register" and entry.outcome.startswith("upstream:")
    assert entry.detail is not None and entry.detail.endswith(MAYBE_ADDED)
    assert await store.list_accounts() == []
    assert (await load_state(store, "luma")).is_due(clock(rig).now())  # the next pass syncs Luma

    clock(rig).advance(timedelta(seconds=30))
    report = await run_pass(rig)
    assert report.synced["luma"].ok and report.synced["luma"].changes.added == (EMAIL,)
    listed = (await rig.answer(await rig.slash("accounts", "list", user=member)))["embeds"][0]["description"]
    assert "studio@example.com" in listed


async def test_a_refused_registration_still_says_nothing_changed_and_syncs_nothing(rig: Rig) -> None:
    await rig.start_bot()
    await run_pass(rig)
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    answer = (await register(rig, member))["content"]  # the double knows no such session: 400
    assert "did not accept" in answer and "may have been added" not in answer
    store = rig.bot.store  # type: ignore[union-attr]
    assert not (await load_state(store, "luma")).is_due(clock(rig).now())
    entry = (await store.recent_audit())[0]
    assert entry.outcome == "upstream:bad_request" and MAYBE_ADDED not in (entry.detail or "")
