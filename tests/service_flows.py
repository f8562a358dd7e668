"""End-to-end steps the service tests of Runway, PixVerse and MiniMax share: register through the
form, watch with a FakeClock and run scheduler passes by hand, remove through the confirm button.

Kept here rather than imported from other test modules, so those may be renamed or split freely.
Every rig is the real bot against the Discord and useapi.net doubles, and is swept for secrets
when its block ends.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import ops
from bot.config import Settings
from bot.form_errors import PROBLEMS
from bot.watch import PassReport
from tests.clock import FakeClock
from tests.conftest import services_marked
from tests.doubles.discord_double import CallbackResult
from tests.harness import USEAPI_TOKEN, Rig, running_rig
from tests.passes import pass_with_details

EPHEMERAL = 64
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.fixture
async def watched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> AsyncIterator[Rig]:
    """A rig on a FakeClock (START) whose bot is not started yet and whose scheduler runs only when
    a test calls `run_pass`; SERVICES from `@pytest.mark.services(...)`."""
    async with running_rig(
        tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False, **services_marked(request)
    ) as rig:
        yield rig


def clock(rig: Rig) -> FakeClock:
    assert isinstance(rig.clock, FakeClock)
    return rig.clock


async def run_pass(rig: Rig) -> PassReport:
    """A pass and the live details reads beside it (tests/passes.py)."""
    cog: Any = rig.bot.get_cog("AlertsCog")  # type: ignore[union-attr]
    report = await pass_with_details(cog)
    assert report.error is None
    return report


async def next_sync(rig: Rig) -> PassReport:
    """One pass after SYNC_INTERVAL, so every account list is read afresh."""
    clock(rig).advance(rig.settings.sync_interval + timedelta(seconds=1))
    return await run_pass(rig)


def warnings(rig: Rig) -> list[dict[str, Any]]:
    """Messages in the alert channel that carry an embed (notices have none)."""
    return [m for m in rig.discord.channel_messages.get(rig.discord.alert_channel_id, []) if m["embeds"]]


def titles(rig: Rig) -> list[str]:
    return [m["embeds"][0]["title"] for m in warnings(rig)]


def renew_buttons(message: dict[str, Any]) -> list[str]:
    rows = message.get("components") or []
    return [c["custom_id"] for row in rows for c in row["components"] if "renew" in c["custom_id"]]


# -- registration --------------------------------------------------------------------------------


def member(rig: Rig) -> int:
    return rig.discord.member_ids[0]


async def open_form(rig: Rig, group: str) -> CallbackResult:
    """Approve the member, then open `/<group> register`: the modal (type 9)."""
    granted = await rig.slash("access", "grant", user=rig.discord.admin_id, target=member(rig))
    assert "may now register" in (await rig.answer(granted))["content"]
    opened = await rig.slash(group, "register", user=member(rig))
    assert opened.type == 9, opened.data
    return opened


async def register(rig: Rig, group: str, values: dict[str, str]) -> dict[str, Any]:
    """Submit the form; the private follow-up after the deferral."""
    submitted = await rig.submit(await open_form(rig, group), values, user=member(rig))
    assert submitted.type == 5 and submitted.data["flags"] & EPHEMERAL  # deferred privately first
    answer = await rig.followup(submitted)
    assert answer["flags"] & EPHEMERAL
    return answer


async def refused_before_sending(rig: Rig, group: str, values: dict[str, str]) -> str:
    """Submit input the bot refuses itself: answered at once, privately, nothing sent or stored."""
    submitted = await rig.submit(await open_form(rig, group), values, user=member(rig))
    assert submitted.type == 4 and submitted.data["flags"] & EPHEMERAL
    content = str(submitted.data["content"])
    assert "Nothing was sent" in content
    assert rig.useapi.requests_to("POST", ".*") == []
    assert await rig.bot.store.list_accounts() == []  # type: ignore[union-attr]
    # Audited as a declared problem: its code and fixed sentence, never what was typed.
    # Answered first, audited after: the entry may land just after the answer.
    entry = (await rig.audited(lambda e: e.outcome.startswith("invalid_input:")))[0]
    assert entry.outcome.startswith("invalid_input:"), entry.outcome
    assert entry.detail == PROBLEMS[entry.outcome.removeprefix("invalid_input:")].audit
    return content


async def refused_upstream(rig: Rig, group: str, values: dict[str, str], status: int) -> str:
    """Submit what useapi.net refuses: a private answer, nothing stored, the outcome audited with
    the status, nothing in the alert channel."""
    answer = await register(rig, group, values)
    content = str(answer["content"])
    assert content.startswith("❌ ")
    store = rig.bot.store  # type: ignore[union-attr]
    assert await store.list_accounts() == []
    entry = (await store.recent_audit())[0]
    assert entry.outcome.startswith("upstream:") and entry.detail == f"HTTP {status}"
    assert rig.discord.channel_messages.get(rig.discord.alert_channel_id, []) == []
    return content


# -- removal -------------------------------------------------------------------------------------


async def remove(rig: Rig, group: str, account: str) -> str:
    """`/<group> remove <account>` as an admin, Remove pressed: the final private answer."""
    admin = rig.discord.admin_id
    payload = rig.discord.slash_command(group, "remove", options={"account": account}, user=admin)
    iid = await rig.discord.dispatch_interaction(payload)
    asked = await rig.discord.wait_for_callback(iid)
    assert asked.type == 5 and asked.data["flags"] & EPHEMERAL, asked.data  # deferred privately
    assert (await rig.answer(asked))["flags"] & EPHEMERAL
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
    return str(final.json["content"])


async def tracked(rig: Rig, service: str) -> list[str]:
    return [a.account for a in await rig.bot.store.list_accounts(service)]  # type: ignore[union-attr]


# -- check ---------------------------------------------------------------------------------------


async def run_check(tmp_path: Path, base_url: str, services: tuple[str, ...]) -> tuple[int, str]:
    """`check` in-process against a useapi.net double at `base_url` (the real HTTP client)."""
    out = io.StringIO()
    settings = Settings(
        discord_token="MTMwMDAwMDAwMDAwMDAwMDAwMQ.Gx7Kq2.check-test-discord-token-Qw8Zx9",
        useapi_token=USEAPI_TOKEN,
        useapi_base_url=base_url,
        database_path=tmp_path / "check" / "warden.sqlite3",
        useapi_timeout=timedelta(seconds=3),
        services=services,
    )
    status = await ops.check(settings, out, now=START)
    return status, out.getvalue()
