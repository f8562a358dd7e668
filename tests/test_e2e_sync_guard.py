"""One bad account-list answer must not mark every account gone, end to end: the real bot
against the Discord and useapi.net doubles (fault injection), passes driven by a FakeClock.

A 200 with an empty or `null` body is a failed read. A read that drops most tracked accounts
at once (`{}`, an empty 404) is held and re-read a minute later; only a second read that agrees
marks them gone. A retired LTX Studio list (plain-text 404, 410) is a failure, never "no accounts".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.sync import HOLD_RECHECK
from bot.watch import PassReport
from tests.harness import Rig
from tests.test_alerts import START, clock, posts, rig, run_pass, stages_posted

__all__ = ["rig"]  # a fixture, imported for pytest

H = timedelta(hours=1)
INTERVAL = timedelta(minutes=15)  # SYNC_INTERVAL's default
EMAILS = ("a@example.com", "b@example.com", "c@example.com")
GONE_TITLE = "Luma account no longer on useapi.net"
LUMA_LIST = "/v1/luma/accounts"


async def start_with_luma_accounts(rig: Rig, emails: tuple[str, ...] = EMAILS) -> None:
    for email in emails:
        rig.useapi.set_luma_account(email, START + 10 * 24 * H)
    await rig.start_bot()
    first = await run_pass(rig)
    assert first.synced["luma"].changes.added == emails


async def sync_state(rig: Rig, service: str = "luma") -> dict[str, Any]:
    return json.loads(await rig.bot.store.get_setting(f"sync:{service}") or "{}")  # type: ignore[union-attr]


async def until_next_attempt(rig: Rig, service: str = "luma") -> None:
    clock(rig).set(datetime.fromtimestamp((await sync_state(rig, service))["next_at"], UTC))


async def gone_accounts(rig: Rig, service: str = "luma") -> list[str]:
    accounts = await rig.bot.store.list_accounts(service)  # type: ignore[union-attr]
    return [a.account for a in accounts if a.gone_at is not None]


async def last_sync_status(rig: Rig) -> str:
    status = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    fields = {f["name"]: f["value"] for f in (await rig.answer(status))["embeds"][0]["fields"]}
    return str(fields["Last sync"])


def log_lines(rig: Rig, text: str) -> list[str]:
    return [line for line in rig.raw_logs.lines if text in line]


@pytest.mark.parametrize(
    "fault", [{"status": 200, "body": {}}, {"status": 404, "body": b""}], ids=["200 {}", "empty 404"]
)
async def test_one_empty_read_followed_by_the_real_list_leaves_no_trace(
    rig: Rig, fault: dict[str, Any]
) -> None:
    await start_with_luma_accounts(rig)
    clock(rig).advance(INTERVAL)
    rig.useapi.inject("GET", LUMA_LIST, **fault)

    report = await run_pass(rig)
    result = report.synced["luma"]
    assert result.ok and result.changes.held == EMAILS and result.changes.gone == ()
    assert report.sent == [] and report.notices == []
    assert await gone_accounts(rig) == []
    assert len(log_lines(rig, "holding them")) == 1
    assert "held: 3 of 3 tracked account(s) missing" in await last_sync_status(rig)

    # Re-read a minute later, not a whole sync interval.
    clock(rig).advance(HOLD_RECHECK / 2)
    assert "luma" not in (await run_pass(rig)).synced
    clock(rig).advance(HOLD_RECHECK / 2)
    report = await run_pass(rig)
    result = report.synced["luma"]
    assert result.ok and result.seen == 3 and result.changes.gone == result.changes.held == ()
    assert (await sync_state(rig))["held_gone"] == 0
    assert (await sync_state(rig))["next_at"] == int((clock(rig).now() + INTERVAL).timestamp())
    assert len(log_lines(rig, "the held disappearance was not confirmed")) == 1

    clock(rig).advance(INTERVAL)
    await run_pass(rig)
    assert await gone_accounts(rig) == []
    assert posts(rig) == []  # nothing at all in the channel
    assert "held" not in await last_sync_status(rig)


@pytest.mark.parametrize("body", [b"", b"null"], ids=["empty body", "null"])
async def test_a_200_with_an_empty_or_null_list_is_a_failed_read(rig: Rig, body: bytes) -> None:
    await start_with_luma_accounts(rig)
    before = await rig.bot.store.list_accounts()  # type: ignore[union-attr]
    rig.useapi.inject("GET", LUMA_LIST, status=200, body=body, times=None)
    clock(rig).advance(INTERVAL)
    outcomes: list[tuple[str | None, list[str]]] = []
    for _ in range(3):
        report = await run_pass(rig)
        outcomes.append((report.synced["luma"].failure, [n for _, n in report.notices]))
        await until_next_attempt(rig)
    assert outcomes == [("bad_response", []), ("bad_response", []), ("bad_response", ["failing"])]
    assert await rig.bot.store.list_accounts() == before  # type: ignore[union-attr]
    assert log_lines(rig, "holding them") == []

    rig.useapi.clear_faults()
    report = await run_pass(rig)
    assert report.synced["luma"].ok and report.notices == [("luma", "recovered")]
    assert await gone_accounts(rig) == []
    assert GONE_TITLE not in stages_posted(rig)


async def test_a_confirmed_mass_removal_marks_them_gone(rig: Rig) -> None:
    await start_with_luma_accounts(rig)
    for email in EMAILS[:2]:  # two of three: most of them
        rig.useapi.remove_luma_account(email)
    clock(rig).advance(INTERVAL)
    report = await run_pass(rig)
    assert report.synced["luma"].changes.held == EMAILS[:2] and report.sent == []

    clock(rig).advance(HOLD_RECHECK)
    report = await run_pass(rig)
    assert report.synced["luma"].changes.gone == EMAILS[:2]
    assert sorted(k.account for k in report.sent if k.stage == "gone") == list(EMAILS[:2])
    assert stages_posted(rig) == [GONE_TITLE, GONE_TITLE]
    assert len(log_lines(rig, "the next read agrees, 2 account(s) marked gone")) == 1
    assert (await sync_state(rig))["held_gone"] == 0

    # The rest of the team's accounts go too: the last one of one is not a mass disappearance.
    rig.useapi.remove_luma_account(EMAILS[2])
    clock(rig).advance(INTERVAL)
    report = await run_pass(rig)
    assert report.synced["luma"].changes.gone == (EMAILS[2],)
    assert stages_posted(rig) == [GONE_TITLE] * 3


async def test_a_removal_of_a_few_among_many_goes_through_at_once(rig: Rig) -> None:
    emails = (*EMAILS, "d@example.com")
    await start_with_luma_accounts(rig, emails)
    rig.useapi.remove_luma_account(emails[0])
    rig.useapi.remove_luma_account(emails[1])  # exactly half: not most of them
    clock(rig).advance(INTERVAL)
    report = await run_pass(rig)
    assert report.synced["luma"].changes.gone == emails[:2] and report.synced["luma"].changes.held == ()
    assert stages_posted(rig) == [GONE_TITLE, GONE_TITLE]
    assert log_lines(rig, "holding them") == []


async def test_a_held_read_after_failures_is_an_answer_it_says_recovered_not_failing(rig: Rig) -> None:
    """Decided: a held read is an answered read. It never counts as a failure; it ends a run of
    failures like any answer (so a "failing" notice already said is followed by "recovered")."""
    await start_with_luma_accounts(rig)
    rig.useapi.inject("GET", LUMA_LIST, status=503, times=3)
    rig.useapi.inject("GET", LUMA_LIST, status=200, body={})
    clock(rig).advance(INTERVAL)
    reports: list[PassReport] = []
    for _ in range(4):
        reports.append(await run_pass(rig))
        await until_next_attempt(rig)
    assert [r.synced["luma"].ok for r in reports] == [False, False, False, True]
    assert [r.notices for r in reports] == [[], [], [("luma", "failing")], [("luma", "recovered")]]
    assert reports[-1].synced["luma"].changes.held == EMAILS

    report = await run_pass(rig)  # the real list, a minute later
    assert report.synced["luma"].ok and report.notices == [] and report.sent == []
    assert await gone_accounts(rig) == []
    assert GONE_TITLE not in stages_posted(rig)


@pytest.mark.services("luma", "ltx")
@pytest.mark.parametrize("status", [404, 410])
async def test_tracked_ltx_accounts_are_not_marked_gone_when_ltx_is_retired(rig: Rig, status: int) -> None:
    emails = ("one@example.com", "two@example.com")
    for email in emails:
        rig.useapi.set_ltx_account(email, START + 10 * 24 * H)
    await rig.start_bot()
    assert (await run_pass(rig)).synced["ltx"].changes.added == emails

    rig.useapi.retire_ltx(status)  # plain-text body: "Not Found" / "Gone"
    clock(rig).advance(INTERVAL)
    for _ in range(4):
        result = (await run_pass(rig)).synced["ltx"]
        assert not result.ok and result.failure == "unavailable" and result.changes.held == ()
        await until_next_attempt(rig, "ltx")
    assert await gone_accounts(rig, "ltx") == []
    assert (await sync_state(rig, "ltx"))["held_gone"] == 0

    rig.useapi.restore_ltx()
    report = await run_pass(rig)
    assert report.synced["ltx"].ok and report.notices == [("ltx", "recovered")]
    assert await gone_accounts(rig, "ltx") == []
    assert [k for k in report.sent if k.stage == "gone"] == []
    assert "LTX Studio account no longer on useapi.net" not in stages_posted(rig)
