"""Helpers the tests of the 2026 catalogue services share (Google Vids, Gemini Notebook, ACE
Music, Mureka): the real bot on a FakeClock with passes run by hand, a service against the
useapi.net double without Discord, and the registration steps through the form."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.form_errors import PROBLEMS
from bot.services import build_services
from bot.useapi import UseapiService
from tests.clock import FakeClock
from tests.doubles.discord_double import CallbackResult
from tests.doubles.useapi_double import UseapiDouble
from tests.harness import USEAPI_TOKEN, Rig, running_rig
from tests.passes import pass_with_details

EPHEMERAL = 64
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def member(rig: Rig) -> int:
    return rig.discord.member_ids[0]


async def grant(rig: Rig) -> None:
    cb = await rig.slash("access", "grant", user=rig.discord.admin_id, target=member(rig))
    assert "may now register" in (await rig.answer(cb))["content"]


async def open_form(rig: Rig, group: str) -> CallbackResult:
    opened = await rig.slash(group, "register", user=member(rig))
    assert opened.type == 9, opened.data
    return opened


async def register(rig: Rig, group: str, values: dict[str, str]) -> tuple[CallbackResult, dict[str, Any]]:
    """Open the form, submit it, and return the deferral and the private follow-up."""
    submitted = await rig.submit(await open_form(rig, group), values, user=member(rig))
    assert submitted.type == 5 and submitted.data["flags"] & EPHEMERAL, submitted.data
    answer = await rig.followup(submitted)
    assert answer["flags"] & EPHEMERAL
    return submitted, answer


async def refused_upstream(rig: Rig, group: str, values: dict[str, str]) -> str:
    """Submit a form useapi.net refuses: the answer is private, nothing is stored or posted."""
    _, answer = await register(rig, group, values)
    store = rig.bot.store  # type: ignore[union-attr]
    assert await store.list_accounts() == []
    assert (await store.recent_audit())[0].outcome.startswith("upstream:")
    assert rig.discord.channel_messages.get(rig.discord.alert_channel_id, []) == []
    return str(answer["content"])


async def refused_locally(rig: Rig, group: str, values: dict[str, str]) -> str:
    """Submit a form the bot refuses itself: answered at once, nothing sent upstream."""
    submitted = await rig.submit(await open_form(rig, group), values, user=member(rig))
    assert submitted.type == 4 and submitted.data["flags"] & EPHEMERAL
    content = str(submitted.data["content"])
    assert "Nothing was sent to useapi.net" in content
    assert rig.useapi.requests_to("POST", ".*") == []
    assert await rig.bot.store.list_accounts() == []  # type: ignore[union-attr]
    # Audited as a declared problem: its code and fixed sentence, never what was typed.
    # Answered first, audited after: the entry may land just after the answer.
    entry = (await rig.audited(lambda e: e.outcome.startswith("invalid_input:")))[0]
    assert entry.outcome.startswith("invalid_input:"), entry.outcome
    assert entry.detail == PROBLEMS[entry.outcome.removeprefix("invalid_input:")].audit
    return content


@contextlib.asynccontextmanager
async def service_on_double(key: str) -> AsyncIterator[tuple[UseapiDouble, UseapiService]]:
    """One service built as the bot builds it, talking to a fresh useapi.net double."""
    async with UseapiDouble(token=USEAPI_TOKEN) as ua, httpx.AsyncClient() as http:
        services = build_services(http, base_url=ua.base_url, token=USEAPI_TOKEN, timeout=3, enabled=(key,))
        yield ua, services[key]


# -- the scheduler, driven by hand on a FakeClock ------------------------------------------------


@contextlib.asynccontextmanager
async def manual_rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *services: str) -> AsyncIterator[Rig]:
    """A rig on a FakeClock at START whose scheduler runs only when a test calls `run_pass`;
    the bot is started by the test, after it set upstream up. `services`: SERVICES, the setting
    under test (each of these services is off by default)."""
    async with running_rig(
        tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False, services=services
    ) as rig:
        yield rig


def clock(rig: Rig) -> FakeClock:
    assert isinstance(rig.clock, FakeClock)
    return rig.clock


async def run_pass(rig: Rig) -> Any:
    """A pass and the live details reads beside it (tests/passes.py)."""
    report = await pass_with_details(rig.bot.get_cog("AlertsCog"))
    assert report.error is None
    return report


def warnings(rig: Rig) -> list[dict[str, Any]]:
    """Messages Discord accepted in the alert channel that carry an embed (notices have none)."""
    return [m for m in rig.discord.channel_messages.get(rig.discord.alert_channel_id, []) if m["embeds"]]


def titles(rig: Rig) -> list[str]:
    return [m["embeds"][0]["title"] for m in warnings(rig)]


def renew_buttons(message: dict[str, Any]) -> list[str]:
    rows = message.get("components") or []
    return [c["custom_id"] for row in rows for c in row["components"] if "renew" in c["custom_id"]]


async def sync_again(rig: Rig) -> None:
    """One pass after SYNC_INTERVAL: every account list is read afresh."""
    clock(rig).advance(rig.settings.sync_interval + timedelta(seconds=1))
    await run_pass(rig)
