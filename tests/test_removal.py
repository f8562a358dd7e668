"""bot.removal without Discord: each outcome of a removal against a real store and the real
service clients (useapi.net faked with httpx.MockTransport), and the sentence an admin reads
for it (tests/test_e2e_remove.py goes through the Discord surface)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.registration import record_registration
from bot.removal import Removal, Tracking, Upstream, remove_account
from bot.services import build_services
from bot.store import Store
from bot.useapi import AccountInfo, UseapiService
from cogs.register._remove import removal_sentence

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EMAIL = "studio@example.com"


@pytest.fixture
async def answers() -> list[httpx.Response]:
    """What useapi.net answers to the next DELETE (one each)."""
    return []


@pytest.fixture
async def services(answers: list[httpx.Response]) -> AsyncIterator[dict[str, UseapiService]]:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "DELETE"
        return answers.pop(0)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        yield build_services(
            http,
            base_url="https://api.useapi.net",
            token="t0ken-for-tests",
            timeout=5,
            enabled=("luma", "ltx"),
        )


async def tracked(store: Store, service: str) -> None:
    info = AccountInfo(service, EMAIL, expires_at=NOW + timedelta(days=2))
    await record_registration(store, info, user_id=7, now=NOW - timedelta(days=1))


async def remove(store: Store, service: UseapiService) -> Removal:
    return await remove_account(service, EMAIL, store=store, actor_id=9, now=NOW)


async def last_audit(store: Store) -> tuple[str, str | None]:
    (entry,) = await store.recent_audit(1)
    assert entry.action == "account_remove" and entry.actor_id == 9
    return entry.outcome, entry.detail


async def test_a_delete_that_worked_stops_tracking(
    store: Store, services: dict[str, UseapiService], answers: list[httpx.Response]
) -> None:
    await tracked(store, "luma")
    answers.append(httpx.Response(200, json={"account": EMAIL, "deleted": True}))
    result = await remove(store, services["luma"])
    assert result == Removal(Upstream.DELETED, Tracking.STOPPED) and result.removed
    assert await store.get_account("luma", EMAIL) is None
    assert await last_audit(store) == ("ok", "deleted on useapi.net")
    assert "Deleted Luma account" in removal_sentence(services["luma"], EMAIL, result)


async def test_a_404_stops_tracking_all_the_same(
    store: Store, services: dict[str, UseapiService], answers: list[httpx.Response]
) -> None:
    await tracked(store, "luma")
    answers.append(httpx.Response(404))
    result = await remove(store, services["luma"])
    assert result == Removal(Upstream.ABSENT, Tracking.STOPPED)
    assert await last_audit(store) == ("ok", "useapi.net did not have it (404)")
    assert "nothing to delete there" in removal_sentence(services["luma"], EMAIL, result)


async def test_without_a_route_the_bot_stops_watching_and_remembers(
    store: Store, services: dict[str, UseapiService]
) -> None:
    await tracked(store, "ltx")
    result = await remove(store, services["ltx"])  # no request: the handler would fail the test
    assert result == Removal(Upstream.NO_ROUTE, Tracking.STOPPED)
    assert await store.removed_accounts("ltx") == {EMAIL}
    assert await last_audit(store) == ("ok", "no DELETE route: still on useapi.net")
    assert "is still configured there" in removal_sentence(services["ltx"], EMAIL, result)


async def test_a_refused_delete_changes_nothing_but_the_audit(
    store: Store, services: dict[str, UseapiService], answers: list[httpx.Response]
) -> None:
    await tracked(store, "luma")
    answers.append(httpx.Response(500, json={"error": "upstream down"}))
    result = await remove(store, services["luma"])
    assert (result.upstream, result.tracking, result.removed) == (Upstream.REFUSED, Tracking.UNCHANGED, False)
    assert result.error is not None
    assert await store.get_account("luma", EMAIL) is not None
    outcome, detail = await last_audit(store)
    assert outcome.startswith("upstream:") and detail == "HTTP 500"
    said = removal_sentence(services["luma"], EMAIL, result)
    assert said.startswith("❌") and "still tracked and still configured on useapi.net" in said


async def test_a_database_that_cannot_be_written_after_the_delete_is_said_so(
    store: Store, services: dict[str, UseapiService], answers: list[httpx.Response]
) -> None:
    await tracked(store, "luma")
    await store.db.execute(
        "CREATE TEMP TRIGGER refuse BEFORE DELETE ON accounts BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
    )
    await store.db.commit()
    answers.append(httpx.Response(200, json={"account": EMAIL, "deleted": True}))
    result = await remove(store, services["luma"])
    assert result == Removal(Upstream.DELETED, Tracking.UNCHANGED) and not result.removed
    assert await store.get_account("luma", EMAIL) is not None
    said = removal_sentence(services["luma"], EMAIL, result)
    assert said.startswith("⚠️ It was deleted on useapi.net, but the bot could not update its database")


async def test_an_account_removed_meanwhile_is_said_so(
    store: Store, services: dict[str, UseapiService]
) -> None:
    result = await remove(store, services["ltx"])  # never tracked (or removed by another admin)
    assert result == Removal(Upstream.NO_ROUTE, Tracking.NOT_TRACKED) and not result.removed
    assert await last_audit(store) == ("not_tracked", "no DELETE route: still on useapi.net")
    assert "was no longer tracked" in removal_sentence(services["ltx"], EMAIL, result)
