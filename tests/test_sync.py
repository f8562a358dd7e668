"""Sync from useapi.net's account lists (faked with httpx.MockTransport, documented shapes),
its single transaction, and the backoff / notice schedule."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import SyncChanges
from bot.registration import record_registration
from bot.services import build_services
from bot.store import Store, StoreError
from bot.sync import (
    FAILURES_BEFORE_NOTICE,
    HOLD_RECHECK,
    MAX_RETRY_AFTER,
    SyncResult,
    SyncState,
    advance,
    after_notice,
    apply_account_list,
    backoff,
    is_mass_disappearance,
    load_state,
    notice_needed,
    save_state,
    spread,
    sync_service,
)
from bot.useapi import AccountInfo, UseapiService

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
INTERVAL = timedelta(minutes=15)
TOKEN = "useapi-token-for-tests"


def luma_entry(email: str, expires: datetime, **extra: Any) -> dict[str, Any]:
    """GET /v1/luma/accounts value, as documented."""
    return {
        "account": email, "email": email, "user_id": "u-" + email, "concurrency": 4,
        "luma_session_expires": expires.strftime("%Y-%m-%d %H:%M:%S UTC"), "updated": "2026-11-20",
        "refresh_count": 0, "executing": 0, **extra,
    }  # fmt: skip


def ltx_entry(
    email: str, token_expire: datetime, refresh: datetime | None = None, **extra: Any
) -> dict[str, Any]:
    """GET /v1/ltxstudio/accounts value, as documented (milliseconds and ISO strings)."""
    entry = {
        "email": email, "cookie": {"lt_id": "user1", "lt_token": "…secured…", "lt_refresh_token": "…secured…"},
        "maxJobs": 20, "updated": int(NOW.timestamp() * 1000), "updatedUTC": "2026-11-23T12:00:00.000Z",
        "tokenExpire": int(token_expire.timestamp() * 1000),
        "tokenExpireUTC": token_expire.strftime("%Y-%m-%dT%H:%M:%S.000Z"), **extra,
    }  # fmt: skip
    if refresh is not None:
        entry["refreshTokenExpire"] = int(refresh.timestamp() * 1000)
    return entry


@dataclass
class Upstream:
    """useapi.net's account lists; `faults` are answered first, one per request."""

    luma: dict[str, dict[str, Any]] = field(default_factory=dict)
    ltx: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[httpx.Response] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        if self.faults:
            return self.faults.pop(0)
        if request.url.path == "/v1/luma/accounts":
            # Documented: 404 with an empty body when no account is configured.
            return httpx.Response(200, json=self.luma) if self.luma else httpx.Response(404)
        if request.url.path == "/v1/ltxstudio/accounts":
            if not self.ltx:
                return httpx.Response(404, json={"error": "Configuration not found.", "code": 404})
            return httpx.Response(200, json=self.ltx)
        return httpx.Response(404, json={"error": "Not found"})


@pytest.fixture
async def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
async def services(upstream: Upstream) -> AsyncIterator[dict[str, UseapiService]]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(upstream.handler)) as http:
        yield build_services(
            http, base_url="https://api.useapi.net", token=TOKEN, timeout=5, enabled=("luma", "ltx")
        )


async def rows(store: Store) -> list[tuple[Any, ...]]:
    async with store.db.execute("SELECT * FROM accounts ORDER BY service, account") as cur:
        return [tuple(r) for r in await cur.fetchall()]


async def test_sync_picks_up_accounts_configured_outside_the_bot(
    upstream: Upstream, services: dict[str, UseapiService], store: Store
) -> None:
    expires = NOW + timedelta(days=3)
    upstream.luma = {"a@x.com": luma_entry("a@x.com", expires)}
    upstream.ltx = {"t@x.com": ltx_entry("t@x.com", NOW + timedelta(hours=20), NOW + timedelta(days=30))}
    luma = await sync_service(services["luma"], store, NOW)
    ltx = await sync_service(services["ltx"], store, NOW)
    assert luma.ok and luma.seen == 1 and luma.changes.added == ("a@x.com",)
    assert ltx.ok and ltx.changes.added == ("t@x.com",)
    a = await store.get_account("luma", "a@x.com")
    assert a is not None and a.expires_at == expires and a.registered_by is None and a.synced_at == NOW
    t = await store.get_account("ltx", "t@x.com")
    assert t is not None and t.expires_at == NOW + timedelta(hours=20)
    assert t.refresh_expires_at == NOW + timedelta(days=30) and t.max_jobs == 20
    assert luma.summary() == "ok, 1 account(s), 1 added"


async def test_sync_refreshes_expiry_and_keeps_what_the_list_does_not_say(
    upstream: Upstream, services: dict[str, UseapiService], store: Store
) -> None:
    registered = AccountInfo("ltx", "t@x.com", expires_at=NOW + timedelta(hours=5),
                             refresh_expires_at=NOW + timedelta(days=30), max_jobs=7)  # fmt: skip
    await record_registration(store, registered, user_id=42, now=NOW - timedelta(hours=1))
    # The documented list has no refreshTokenExpire: the known one stays.
    upstream.ltx = {"t@x.com": ltx_entry("t@x.com", NOW + timedelta(hours=29))}
    result = await sync_service(services["ltx"], store, NOW)
    assert result.changes.changed == ("t@x.com",) and result.changes.added == ()
    acc = await store.get_account("ltx", "t@x.com")
    assert acc is not None and acc.expires_at == NOW + timedelta(hours=29)
    assert acc.refresh_expires_at == NOW + timedelta(days=30)
    assert acc.registered_by == 42  # who renewed it last is not forgotten


async def test_sync_records_and_clears_upstream_errors(
    upstream: Upstream, services: dict[str, UseapiService], store: Store
) -> None:
    upstream.luma = {
        "a@x.com": luma_entry("a@x.com", NOW + timedelta(days=3), error="Session refresh failed")
    }
    await sync_service(services["luma"], store, NOW)
    acc = await store.get_account("luma", "a@x.com")
    assert acc is not None and acc.last_error == "Session refresh failed"
    upstream.luma = {"a@x.com": luma_entry("a@x.com", NOW + timedelta(days=3))}
    result = await sync_service(services["luma"], store, NOW + timedelta(minutes=15))
    acc = await store.get_account("luma", "a@x.com")
    assert acc is not None and acc.last_error is None
    # A reason that changed is a change a pass plans at once, like a moved deadline.
    assert result.changes.reasons == ("a@x.com",) and result.changes.plan_moved
    again = await sync_service(services["luma"], store, NOW + timedelta(minutes=30))
    assert again.changes == SyncChanges(tracked=1) and not again.changes.plan_moved


async def test_accounts_missing_upstream_are_marked_gone_and_cleared_when_back(
    upstream: Upstream, services: dict[str, UseapiService], store: Store
) -> None:
    upstream.luma = {
        "a@x.com": luma_entry("a@x.com", NOW + timedelta(days=3)),
        "b@x.com": luma_entry("b@x.com", NOW + timedelta(days=4)),
    }
    await sync_service(services["luma"], store, NOW)
    del upstream.luma["b@x.com"]
    later = NOW + timedelta(minutes=15)
    result = await sync_service(services["luma"], store, later)
    assert result.changes.gone == ("b@x.com",)
    b = await store.get_account("luma", "b@x.com")
    assert b is not None and b.gone_at == later
    # Still gone at the next sync: the first disappearance time is kept.
    assert (await sync_service(services["luma"], store, later + INTERVAL)).changes.gone == ()
    # Documented: no accounts at all is a 404 with an empty body, meaning "none".
    upstream.luma = {}
    result = await sync_service(services["luma"], store, later + 2 * INTERVAL)
    assert result.ok and result.seen == 0 and result.changes.gone == ("a@x.com",)
    upstream.luma = {"b@x.com": luma_entry("b@x.com", NOW + timedelta(days=4))}
    back = await sync_service(services["luma"], store, later + 3 * INTERVAL)
    assert back.changes.returned == ("b@x.com",)
    b = await store.get_account("luma", "b@x.com")
    assert b is not None and b.gone_at is None


async def test_an_account_registered_while_the_list_was_in_flight_is_left_alone(
    upstream: Upstream, services: dict[str, UseapiService], store: Store
) -> None:
    # The list was requested at NOW; a registration landed a second later with a fresh expiry.
    fresh = AccountInfo("luma", "new@x.com", expires_at=NOW + timedelta(days=30))
    await record_registration(store, fresh, user_id=42, now=NOW + timedelta(seconds=1))
    upstream.luma = {"other@x.com": luma_entry("other@x.com", NOW + timedelta(days=3))}
    result = await sync_service(services["luma"], store, NOW)
    assert result.changes.gone == ()
    acc = await store.get_account("luma", "new@x.com")
    assert acc is not None and acc.gone_at is None and acc.expires_at == NOW + timedelta(days=30)
    # A stale list entry does not overwrite the fresher registration either.
    upstream.luma = {"new@x.com": luma_entry("new@x.com", NOW + timedelta(hours=2))}
    await sync_service(services["luma"], store, NOW)
    acc = await store.get_account("luma", "new@x.com")
    assert acc is not None and acc.expires_at == NOW + timedelta(days=30)


def test_a_mass_disappearance_is_two_or_more_and_more_than_half() -> None:
    assert not is_mass_disappearance(1, 1)  # the only account: goes at once
    assert not is_mass_disappearance(1, 2)
    assert is_mass_disappearance(2, 2)
    assert is_mass_disappearance(2, 3)
    assert not is_mass_disappearance(2, 4)  # exactly half is not most
    assert is_mass_disappearance(3, 4)
    assert not is_mass_disappearance(50, 100) and is_mass_disappearance(51, 100)
    assert not is_mass_disappearance(0, 0)


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_only_most_of_two_or_more_is_held(missing: int, extra: int) -> None:
    tracked = missing + extra
    assert is_mass_disappearance(missing, tracked) == (missing >= 2 and missing > tracked / 2)


async def test_a_mass_disappearance_is_held_until_a_second_read_agrees(
    upstream: Upstream, services: dict[str, UseapiService], store: Store
) -> None:
    emails = ["a@x.com", "b@x.com", "c@x.com"]
    upstream.luma = {e: luma_entry(e, NOW + timedelta(days=3)) for e in emails}
    await sync_service(services["luma"], store, NOW)
    before = await rows(store)

    upstream.luma = {}  # the documented empty answer: 404, no body
    held = await sync_service(services["luma"], store, NOW + INTERVAL)
    assert held.ok and held.changes.held == tuple(emails) and held.changes.gone == ()
    assert held.changes.tracked == 3
    assert "held: 3 of 3 tracked account(s) missing" in held.summary()
    assert await rows(store) == before  # nothing else in an empty list to apply

    # Two of three gone, one still listed: still most of them; the listed one is refreshed.
    upstream.luma = {"c@x.com": luma_entry("c@x.com", NOW + timedelta(days=9))}
    partial = await sync_service(services["luma"], store, NOW + INTERVAL)
    assert partial.changes.held == ("a@x.com", "b@x.com") and partial.changes.changed == ("c@x.com",)
    assert (await store.get_account("luma", "a@x.com")).gone_at is None  # type: ignore[union-attr]

    # The confirming read (the previous one held) is believed.
    later = NOW + INTERVAL + HOLD_RECHECK
    confirmed = await sync_service(services["luma"], store, later, confirming=True)
    assert confirmed.changes.gone == ("a@x.com", "b@x.com") and confirmed.changes.held == ()
    assert (await store.get_account("luma", "a@x.com")).gone_at == later  # type: ignore[union-attr]


async def test_one_account_missing_among_many_is_gone_at_once(
    upstream: Upstream, services: dict[str, UseapiService], store: Store
) -> None:
    emails = ["a@x.com", "b@x.com", "c@x.com", "d@x.com"]
    upstream.luma = {e: luma_entry(e, NOW + timedelta(days=3)) for e in emails}
    await sync_service(services["luma"], store, NOW)
    del upstream.luma["a@x.com"], upstream.luma["b@x.com"]  # exactly half: not most
    result = await sync_service(services["luma"], store, NOW + INTERVAL)
    assert result.changes.gone == ("a@x.com", "b@x.com") and result.changes.held == ()
    del upstream.luma["c@x.com"]  # the last two: one missing of two tracked
    result = await sync_service(services["luma"], store, NOW + 2 * INTERVAL)
    assert result.changes.gone == ("c@x.com",) and result.changes.tracked == 2


@pytest.mark.parametrize(
    ("response", "failure", "retry_after"),
    [
        (httpx.Response(500, json={"error": "Internal error"}), "upstream_error", None),
        (
            httpx.Response(429, headers={"Retry-After": "120"}, json={"error": "Too many"}),
            "rate_limited",
            120.0,
        ),
        (httpx.Response(401, json={"error": "Unauthorized"}), "unauthorized", None),
        (httpx.Response(200, content=b"{not json"), "bad_response", None),
        (httpx.Response(200, content=b""), "bad_response", None),
        (httpx.Response(200, content=b"null"), "bad_response", None),
        (httpx.Response(200, json={"a@x.com": "not an account object"}), "bad_response", None),
    ],
)
async def test_a_failed_sync_changes_nothing(
    upstream: Upstream, services: dict[str, UseapiService], store: Store,
    response: httpx.Response, failure: str, retry_after: float | None,
) -> None:  # fmt: skip
    upstream.luma = {"a@x.com": luma_entry("a@x.com", NOW + timedelta(days=3))}
    await sync_service(services["luma"], store, NOW)
    before = await rows(store)
    upstream.luma = {}  # were it read, everything would be marked gone
    upstream.faults.append(response)
    result = await sync_service(services["luma"], store, NOW + INTERVAL)
    assert not result.ok and result.failure == failure and result.retry_after == retry_after
    assert result.error and TOKEN not in result.error
    assert await rows(store) == before


async def test_a_timeout_changes_nothing(upstream: Upstream, store: Store) -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(hang)) as http:
        service = build_services(
            http, base_url="https://api.useapi.net", token=TOKEN, timeout=1, enabled=("luma",)
        )
        result = await sync_service(service["luma"], store, NOW)
    assert not result.ok and result.failure == "timeout"
    assert await rows(store) == []


async def test_a_write_failure_half_way_rolls_the_whole_list_back(
    upstream: Upstream, services: dict[str, UseapiService], store: Store
) -> None:
    upstream.luma = {"a@x.com": luma_entry("a@x.com", NOW + timedelta(days=3))}
    await sync_service(services["luma"], store, NOW)
    before = await rows(store)
    # The database refuses the second account of the next list.
    await store.db.execute(
        "CREATE TEMP TRIGGER refuse BEFORE INSERT ON accounts WHEN NEW.account = 'z@x.com' "
        "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
    )
    await store.db.commit()
    upstream.luma = {
        "a@x.com": luma_entry("a@x.com", NOW + timedelta(days=9)),  # would change a's expiry
        "z@x.com": luma_entry("z@x.com", NOW + timedelta(days=9)),
    }
    result = await sync_service(services["luma"], store, NOW + INTERVAL)
    assert not result.ok and result.failure == "storage"
    assert await rows(store) == before


async def test_the_transaction_is_not_split_by_another_coroutines_write(store: Store) -> None:
    """Writes queued around a sync are neither rolled back with it nor commit half of it."""
    await store.db.execute(
        "CREATE TEMP TRIGGER refuse BEFORE INSERT ON accounts WHEN NEW.account = 'u199@x.com' "
        "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
    )
    await store.db.commit()
    infos = [AccountInfo("luma", f"u{i}@x.com", expires_at=NOW + timedelta(days=1)) for i in range(200)]
    outcome = await asyncio.gather(
        *(store.set_setting(f"before{i}", str(i)) for i in range(5)),
        apply_account_list(store, "luma", infos, fetched_at=NOW, now=NOW),
        *(store.set_setting(f"after{i}", str(i)) for i in range(5)),
        return_exceptions=True,
    )
    assert isinstance(outcome[5], StoreError)
    assert await store.list_accounts("luma") == []
    for i in range(5):
        assert await store.get_setting(f"before{i}") == str(i)
        assert await store.get_setting(f"after{i}") == str(i)
    await store.db.execute("DROP TRIGGER refuse")
    await apply_account_list(store, "luma", infos, fetched_at=NOW, now=NOW)
    assert len(await store.list_accounts("luma")) == 200


async def test_a_long_list_is_applied_whole_and_its_bookkeeping_is_exact(store: Store) -> None:
    """Thousands of accounts in one transaction: added, changed, gone and returned as listed,
    an account named twice counts once (its first entry), and the registration in flight wins."""
    day = timedelta(days=1)
    first = [AccountInfo("luma", f"u{i:04d}@x.com", expires_at=NOW + day) for i in range(3_000)]
    changes = await apply_account_list(store, "luma", first, fetched_at=NOW, now=NOW)
    assert len(changes.added) == 3_000 and changes.changed == changes.gone == changes.returned == ()

    later = NOW + INTERVAL
    fresh = AccountInfo("luma", "u0001@x.com", expires_at=NOW + 30 * day)
    await record_registration(store, fresh, user_id=42, now=later + timedelta(seconds=1))
    second = [
        AccountInfo("luma", "u0000@x.com", expires_at=NOW + 2 * day),  # changed
        AccountInfo("luma", "u0000@x.com", expires_at=NOW + 9 * day),  # named again: ignored
        AccountInfo("luma", "u0001@x.com", expires_at=NOW + 2 * day),  # stale: registered since
        *first[2:1_500],  # unchanged
        AccountInfo("luma", "new@x.com", expires_at=NOW + day),
    ]
    changes = await apply_account_list(store, "luma", second, fetched_at=later, now=later)
    assert changes.added == ("new@x.com",) and changes.changed == ("u0000@x.com",)
    assert changes.gone == tuple(f"u{i:04d}@x.com" for i in range(1_500, 3_000))
    stored = {a.account: a for a in await store.list_accounts("luma")}
    assert stored["u0000@x.com"].expires_at == NOW + 2 * day
    assert stored["u0001@x.com"].expires_at == NOW + 30 * day and stored["u0001@x.com"].gone_at is None
    assert stored["u1499@x.com"].gone_at is None and stored["u1500@x.com"].gone_at == later

    back = [*second, first[1_500]]
    changes = await apply_account_list(store, "luma", back, fetched_at=later + INTERVAL, now=later + INTERVAL)
    assert changes.returned == ("u1500@x.com",) and changes.gone == ()
    assert (await store.get_account("luma", "u1500@x.com")).gone_at is None  # type: ignore[union-attr]


# -- schedule (pure) ----------------------------------------------------------------------------


def test_backoff_doubles_from_a_minute_up_to_the_interval() -> None:
    delays = [backoff(n, INTERVAL) for n in range(1, 8)]
    assert delays == [timedelta(minutes=m) for m in (1, 2, 4, 8, 15, 15, 15)]
    assert backoff(1, INTERVAL, retry_after=300) == timedelta(minutes=5)  # Retry-After wins
    assert backoff(5, INTERVAL, retry_after=10) == INTERVAL
    assert backoff(1, INTERVAL, retry_after=10**9) == MAX_RETRY_AFTER


@given(st.integers(min_value=0, max_value=10**6), st.one_of(st.none(), st.floats(0, 10**9)))
def test_backoff_is_always_positive_and_bounded(failures: int, retry_after: float | None) -> None:
    delay = backoff(failures, INTERVAL, retry_after)
    assert timedelta(minutes=1) <= delay <= max(INTERVAL, MAX_RETRY_AFTER)


def failed(at: datetime) -> SyncResult:
    return SyncResult(
        "luma", at, ok=False, error="useapi.net had an error (HTTP 500).", failure="upstream_error"
    )


def test_channel_hears_once_after_repeated_failures_and_once_on_recovery() -> None:
    state = SyncState()
    at = NOW
    notices = []
    for attempt in range(1, 6):
        state = advance(state, failed(at), INTERVAL)
        assert state.failures == attempt and state.next_at == at + backoff(attempt, INTERVAL)
        notice = notice_needed(state)
        notices.append(notice)
        if notice:
            state = after_notice(state, notice)
        assert state.next_at is not None
        at = state.next_at
    assert notices == [None] * (FAILURES_BEFORE_NOTICE - 1) + ["failing", None, None]
    state = advance(state, SyncResult("luma", at, ok=True, seen=2), INTERVAL)
    assert state.failures == 0 and state.last_success_at == at and state.next_at == at + INTERVAL
    assert notice_needed(state) == "recovered"
    state = after_notice(state, "recovered")
    assert notice_needed(state) is None


def test_recovery_before_the_notice_says_nothing() -> None:
    state = advance(advance(SyncState(), failed(NOW), INTERVAL), failed(NOW), INTERVAL)
    state = advance(state, SyncResult("luma", NOW, ok=True), INTERVAL)
    assert notice_needed(state) is None


def held(at: datetime, count: int = 3) -> SyncResult:
    accounts = tuple(f"u{i}@x.com" for i in range(count))
    return SyncResult("luma", at, ok=True, changes=SyncChanges(held=accounts, tracked=count))


def test_a_held_read_is_re_read_in_a_minute_and_the_next_read_settles_it() -> None:
    state = advance(SyncState(), held(NOW), INTERVAL)
    assert state.held_gone == 3 and state.next_at == NOW + HOLD_RECHECK and state.failures == 0
    assert "held" in state.outcome and notice_needed(state) is None
    # A failure in between keeps the hold for the read after it.
    later = NOW + HOLD_RECHECK
    state = advance(state, failed(later), INTERVAL)
    assert state.held_gone == 3 and state.failures == 1
    state = advance(state, SyncResult("luma", later, ok=True, seen=3), INTERVAL)
    assert state.held_gone == 0 and state.next_at == later + INTERVAL
    # Never later than the sync interval, when that is shorter than a minute.
    short = timedelta(seconds=20)
    assert advance(SyncState(), held(NOW), short).next_at == NOW + short


def test_a_held_read_is_an_answer_it_never_says_failing_and_ends_a_failure_run() -> None:
    state = SyncState()
    for _ in range(FAILURES_BEFORE_NOTICE - 1):
        state = advance(state, failed(NOW), INTERVAL)
    state = advance(state, held(NOW), INTERVAL)
    assert state.failures == 0 and notice_needed(state) is None
    for _ in range(FAILURES_BEFORE_NOTICE):
        state = advance(state, failed(NOW), INTERVAL)
    state = after_notice(state, "failing")
    state = advance(state, held(NOW), INTERVAL)
    assert notice_needed(state) == "recovered"


async def test_state_is_persisted_and_unreadable_state_starts_afresh(store: Store) -> None:
    assert await load_state(store, "luma") == SyncState()
    await save_state(store, "luma", advance(SyncState(), held(NOW), INTERVAL))
    assert (await load_state(store, "luma")).held_gone == 3
    state = advance(SyncState(), failed(NOW), INTERVAL)
    await save_state(store, "luma", state)
    assert await load_state(store, "luma") == state
    assert await load_state(store, "ltx") == SyncState()
    assert SyncState().is_due(NOW)
    await store.set_setting("sync:luma", "{broken")
    assert await load_state(store, "luma") == SyncState()
    await store.set_setting("sync:luma", json.dumps({"failures": "many"}))
    assert await load_state(store, "luma") == SyncState()


def test_lists_read_in_one_pass_are_next_read_at_even_steps_over_the_interval() -> None:
    regular = advance(SyncState(), SyncResult("luma", NOW, ok=True), INTERVAL)
    states = {
        "luma": regular,
        "kling": regular,
        "dreamina": regular,
        "held": advance(SyncState(), held(NOW), INTERVAL),  # re-read in a minute: stays so
        "failing": advance(SyncState(), failed(NOW), INTERVAL),  # a backoff: stays so
    }
    moved = spread(states, INTERVAL)
    assert {key: state.next_at for key, state in moved.items()} == {
        "dreamina": NOW + INTERVAL / 3,
        "kling": NOW + INTERVAL * 2 / 3,
        "luma": NOW + INTERVAL,
    }
    assert all(moved[key] == replace(regular, next_at=moved[key].next_at) for key in moved)
    assert spread({"luma": regular, "held": states["held"]}, INTERVAL) == {}  # one list: as it is
    # Read alone from then on, each keeps its step: nothing to spread.
    later = advance(moved["dreamina"], SyncResult("dreamina", NOW + INTERVAL / 3, ok=True), INTERVAL)
    assert spread({"dreamina": later}, INTERVAL) == {}
