"""Commands and buttons while another process holds the database's write lock (issue 18 §5).

A real second process (`python -c` with sqlite3, `BEGIN IMMEDIATE`, held until the test lets
go: what an operator's sqlite3 shell or a long backup does) holds the lock while members and
admins use the bot, all at once. Every interaction is acknowledged within Discord's 3 seconds
(the Discord double measures it: dispatch to callback), and each is either done or told
privately that the database is busy and nothing was changed; afterwards nothing has changed.
The bot runs with its shipped defaults (its scheduler loop included, waiting on the same lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import settings
from bot.store import INTERACTIVE_PATIENCE
from tests.doubles.discord_double import CallbackResult
from tests.harness import Rig, running_rig

EMAIL = "studio@example.com"
OTHER = "second@example.com"
SESSION = "BusyLumaSess10nQ4xT9pLm2"
DEADLINE = 3.0  # Discord's, for the acknowledgement
BUSY = "The database is busy"

# Holds the write lock of the database at argv[1] until a line arrives on stdin.
HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@contextlib.asynccontextmanager
async def write_lock_held(database: Path) -> AsyncIterator[None]:
    """Another process holds the database's write lock for as long as the block runs."""
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        str(database),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert await asyncio.wait_for(holder.stdout.readline(), 10) == b"locked\n"
        yield
    finally:
        holder.stdin.write(b"\n")
        await holder.stdin.drain()
        assert await asyncio.wait_for(holder.wait(), 10) == 0


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """The shipped defaults; one Luma account due a warning, so its warning is posted at once."""
    async with running_rig(tmp_path, start=False) as started:
        now = datetime.now(UTC)
        started.useapi.set_luma_account(EMAIL, now + timedelta(hours=5))
        started.useapi.set_luma_account(OTHER, now + timedelta(days=60))
        started.useapi.add_luma_session(SESSION, EMAIL, expires=now + timedelta(days=30))
        await started.start_bot()
        await until(lambda: bool(warnings(started)), 15)
        yield started


async def until(predicate: Any, timeout: float = 10) -> None:
    async def poll() -> None:
        while not predicate():  # noqa: ASYNC110 - state of the doubles: nothing to await there
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


def warnings(rig: Rig) -> list[dict[str, Any]]:
    return [m for m in rig.discord.channel_messages.get(rig.discord.alert_channel_id, []) if m["embeds"]]


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components") or [] for c in row["components"]]


async def acknowledged(rig: Rig, payload: dict[str, Any]) -> CallbackResult:
    """Dispatch an interaction and return its acknowledgement (measured by the double)."""
    return await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(payload), timeout=10)


async def snapshot(rig: Rig) -> dict[str, Any]:
    """Everything the interactions below could have changed."""
    assert rig.bot is not None
    store = rig.bot.store
    warning = await store.warning_by_message(int(warnings(rig)[0]["id"]))
    return {
        "approvals": sorted((a.kind, a.target_id) for a in await store.list_approvals()),
        "settings": {
            "channel": await settings.ALERT_CHANNEL.raw(store),
            "mention": await settings.MENTION_ROLE.raw(store),
            "stages": await settings.STAGES.raw(store, "luma"),
            "reminders": await settings.REMINDERS.raw(store, "luma"),
            "credits": await settings.CREDIT_THRESHOLDS.raw(store, "luma"),
            "digest": await settings.DIGEST_SCHEDULE.raw(store),
            "board": await settings.BOARD.raw(store),
        },
        "claim": warning.claim if warning else None,
        "accounts": sorted(a.account for a in await store.list_accounts()),
        "audit": [(e.action, e.target, e.outcome) for e in await store.recent_audit()],
        "upstream writes": [r.method for r in rig.useapi.requests if r.method in ("POST", "DELETE")],
        "posts": len(rig.discord.requests_to("POST", r"/channels/\d+/messages")),
    }


async def test_every_interaction_is_answered_in_time_and_busy_writes_change_nothing(rig: Rig) -> None:
    dd = rig.discord
    admin, (alice, bob) = dd.admin_id, dd.member_ids
    granted = await rig.slash("access", "grant", user=admin, target=alice)
    assert "may now register" in (await rig.answer(granted))["content"]
    warning = warnings(rig)[0]
    renew, claim = (b["custom_id"] for b in buttons(warning))
    form = await rig.slash("luma", "register", user=alice)  # opened before; submitted while locked
    asked = await rig.slash("luma", "remove", user=admin, account=EMAIL)
    (confirmation,) = dd.messages_for(asked.request.path.split("/")[2])
    remove = next(b["custom_id"] for b in buttons(confirmation) if b["label"] == "Remove")
    before = await snapshot(rig)

    assert rig.bot is not None
    async with write_lock_held(rig.bot.settings.database_path):
        payloads = {
            "/access grant": dd.slash_command("access", "grant", options={"target": bob}, user=admin),
            "/access revoke": dd.slash_command("access", "revoke", options={"target": alice}, user=admin),
            "/alerts channel": dd.slash_command(
                "alerts", "channel", options={"channel": dd.general_channel_id}, user=admin
            ),
            "/alerts stages": dd.slash_command(
                "alerts", "stages", options={"service": "luma", "stages": "48h,12h"}, user=admin
            ),
            "/alerts mention": dd.slash_command(
                "alerts", "mention", options={"role": dd.role_id}, user=admin
            ),
            "/alerts reminders": dd.slash_command(
                "alerts", "reminders", options={"service": "luma", "interval": "12h"}, user=admin
            ),
            "/alerts credits": dd.slash_command(
                "alerts", "credits", options={"service": "luma", "threshold": "250"}, user=admin
            ),
            "/alerts digest": dd.slash_command(
                "alerts", "digest", options={"weekday": "monday", "time": "09:00"}, user=admin
            ),
            "/alerts board": dd.slash_command("alerts", "board", user=admin),
            "I'm on it": dd.button_click(claim, int(warning["id"]), user=alice),
            "/luma remove: Remove": dd.button_click(remove, int(confirmation["id"]), user=admin),
            "register form submitted": dd.modal_submit_for(form, {"cookie": SESSION}, user=alice),
            "/luma register (unapproved)": dd.slash_command("luma", "register", user=bob),
            "/luma register (approved)": dd.slash_command("luma", "register", user=alice),
            "Renew (approved)": dd.button_click(renew, int(warning["id"]), user=alice),
            "Renew (unapproved)": dd.button_click(renew, int(warning["id"]), user=bob),
        }
        names = list(payloads)
        callbacks = dict(
            zip(names, await asyncio.gather(*(acknowledged(rig, payloads[n]) for n in names)), strict=True)
        )
        latencies = {name: cb.latency for name, cb in callbacks.items()}
        assert max(latencies.values()) < DEADLINE, latencies
        # Forms open (the modal is the acknowledgement; the approval is checked in memory) and
        # refusals are answered at once; everything that writes was deferred privately first.
        assert {n for n, cb in callbacks.items() if cb.type == 9} == {
            "/luma register (approved)",
            "Renew (approved)",
        }
        refused = {n: cb for n, cb in callbacks.items() if cb.type == 4}
        assert set(refused) == {"/luma register (unapproved)", "Renew (unapproved)"}
        assert all("not approved" in cb.data["content"] for cb in refused.values())
        assert callbacks["/luma remove: Remove"].type == 7  # the confirmation edited: "Removing…"
        deferred = {n for n, cb in callbacks.items() if cb.type == 5}
        assert deferred == set(names) - {*refused, "/luma remove: Remove"} - {
            "/luma register (approved)",
            "Renew (approved)",
        }
        # Then each write waits its patience and says it changed nothing.
        answers = {n: await answer_of(rig, callbacks[n]) for n in [*deferred, "/luma remove: Remove"]}
        for name, content in answers.items():
            assert BUSY in content and "nothing was changed" in content, (name, content)
        assert "Nothing was sent to useapi.net" in answers["register form submitted"]
        assert "Nothing was deleted on useapi.net" in answers["/luma remove: Remove"]

    # Nothing changed anywhere, but the audit entries of the two refusals (audited after
    # answering, once the lock was gone).
    after = await snapshot(rig)
    audit_after = await rig.audited(lambda e: e.outcome == "refused:not_approved", count=2)
    refusals = [(e.action, e.outcome) for e in audit_after if e.outcome == "refused:not_approved"]
    assert sorted(refusals) == [("open_register", "refused:not_approved")] * 2
    assert {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }
    assert [e for e in after["audit"] if e[2] != "refused:not_approved"] == before["audit"]

    # Once the lock is gone the same writes go through.
    regranted = await rig.slash("access", "grant", user=admin, target=bob)
    assert "may now register" in (await rig.answer(regranted))["content"]
    claimed = await rig.answered(
        await acknowledged(rig, dd.button_click(claim, int(warning["id"]), user=alice))
    )
    assert "You're on Luma" in (await rig.answer(claimed))["content"]


async def answer_of(rig: Rig, callback: CallbackResult) -> str:
    """The member's answer after the acknowledgement: a deferral's answer, or the confirmation's
    edit after "Removing…"."""
    token = callback.request.path.split("/")[3]
    if callback.type == 7:
        edit = await rig.discord.wait_for(
            lambda r: (
                r.method == "PATCH"
                and token in r.path
                and "Removing" not in str((r.json or {}).get("content"))
            ),
            15,
        )
        return str(edit.json["content"])
    return str((await rig.followup(callback, 15))["content"])


async def test_a_write_waits_for_a_short_lock_and_is_done(rig: Rig) -> None:
    """A lock held for less than a member's patience is waited for: the grant is done."""
    dd = rig.discord
    assert rig.bot is not None
    payload = dd.slash_command("access", "grant", options={"target": dd.member_ids[0]}, user=dd.admin_id)
    async with write_lock_held(rig.bot.settings.database_path):
        callback = await acknowledged(rig, payload)
        assert callback.type == 5 and callback.latency < DEADLINE
        await asyncio.sleep(INTERACTIVE_PATIENCE / 2)  # the grant waits for the lock meanwhile
    assert "may now register" in (await rig.answer(callback))["content"]
    assert [a.target_id for a in await rig.bot.store.list_approvals()] == [dd.member_ids[0]]
