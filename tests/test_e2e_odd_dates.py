"""One account's odd date, or one step that raises, never stops the pass for the others (issue 18,
section 2): the real bot against the doubles, passes driven by hand with a FakeClock."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.delivery import DeliveryError, Posted
from bot.expiry import DEFAULT_STAGES, Kind, plan
from bot.models import IMPLAUSIBLE, FieldNote, TrackedAccount
from bot.services import build_services
from bot.store import Store, migrations
from bot.watch import ExpiryWatch
from tests.clock import FakeClock
from tests.conftest import services_marked
from tests.doubles.useapi_double import luma_time
from tests.harness import Rig, running_rig
from tests.test_alerts import EMAIL, START, H, clock, grant, key, run_pass, stages_posted
from tests.test_sync import TOKEN, Upstream, luma_entry

ODD = "odd@example.com"


@pytest.fixture
async def rig(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Rig]:
    """The real bot on a FakeClock, passes driven by hand; started by the test."""
    async with running_rig(
        tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False, **services_marked(request)
    ) as rig:
        yield rig


YEAR_ONE = "0001-01-01 00:00:00 UTC"


def serve_luma(rig: Rig, **expiries: str) -> None:
    """useapi.net's Luma list (and each account's details) as the double would send them, with
    these raw `luma_session_expires` values (name `odd_example` is odd@example.com)."""
    body = {}
    for name, raw in expiries.items():
        email = name.replace("_", "@") + ".com"
        rig.useapi.set_luma_account(email, START + 100 * H)
        entry = {**rig.useapi._luma_summary(rig.useapi.luma_accounts[email]), "luma_session_expires": raw}
        body[email] = entry
        details = {**entry, "sessionValid": True}
        path = "/v1/luma/accounts/" + re.escape(email).replace("@", "(@|%40)")
        rig.useapi.inject("GET", path, body=details, times=None)
    rig.useapi.inject("GET", "/v1/luma/accounts", status=200, body=body, times=None)


def implausible_lines(rig: Rig, account: str) -> list[str]:
    return [line for line in rig.raw_logs.lines if "implausible date" in line and account in line]


async def test_a_year_one_expiry_warns_nobody_wrongly_and_stops_no_warning(rig: Rig) -> None:
    """Issue 18's report: a Luma account expiring `0001-01-01 00:00:00 UTC` crashed every pass
    (OverflowError), so no one was warned and /alerts status said "Something went wrong"."""
    soon = START + 5 * H
    serve_luma(rig, odd_example=YEAR_ONE, studio_example=luma_time(soon))
    await rig.start_bot()

    first = await run_pass(rig)
    assert first.synced["luma"].ok and first.faults == []
    assert first.sent == [key("luma", EMAIL, soon, "6h")]
    odd = await rig.bot.store.get_account("luma", ODD)  # type: ignore[union-attr]
    assert odd is not None and odd.expires_at is None
    assert odd.unreadable == (FieldNote("luma_session_expires", IMPLAUSIBLE),)
    for _ in range(3):  # said once in the log, not at every sync
        clock(rig).advance(timedelta(minutes=20))
        assert (await run_pass(rig)).faults == []
    assert len(implausible_lines(rig, ODD)) == 1
    assert stages_posted(rig) == ["Luma session expires within 6h"]

    member = rig.discord.member_ids[0]
    await grant(rig, member)
    listed = (await rig.answer(await rig.slash("accounts", "list", user=member)))["embeds"][0]["description"]
    (odd_line,) = [line for line in listed.split("\n") if "odd@example" in line]
    assert "deadline unknown (useapi.net sent an implausible date (luma\\_session\\_expires))" in odd_line
    status = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    fields = {f["name"]: f["value"] for f in (await rig.answer(status))["embeds"][0]["fields"]}
    assert "Something went wrong" not in str(status.data) and "Problems in the last pass" not in fields
    assert "ok, 2 account(s)" in fields["Last sync"]


async def test_a_later_implausible_date_keeps_the_known_deadline_and_says_so(rig: Rig) -> None:
    """An account already tracked keeps its deadline when a list sends year 9999 for it: no single
    answer erases what the bot tracks; /accounts says the latest date was implausible."""
    expires = START + 30 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    await run_pass(rig)
    serve_luma(rig, studio_example="9999-12-31 23:59:59 UTC")
    clock(rig).advance(timedelta(minutes=20))
    assert (await run_pass(rig)).synced["luma"].ok
    stored = await rig.bot.store.get_account("luma", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.expires_at == expires
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    listed = (await rig.answer(await rig.slash("accounts", "list", user=member)))["embeds"][0]["description"]
    assert f"<t:{int(expires.timestamp())}:R>" in listed and "implausible date" in listed
    clock(rig).set(expires - 6 * H + timedelta(seconds=1))  # its stages still fall due
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "6h")]


async def test_an_older_releases_stored_year_one_expiry_is_cleared_by_the_migration(
    tmp_path: Path, rig: Rig
) -> None:
    """A database an older release wrote holds year 1 (and 9999) as expiries: migration 006 makes
    them "deadline unknown", and the bot's first pass warns the others."""
    soon = START + 5 * H
    path = rig.settings.database_path
    with sqlite3.connect(path) as db:
        for version, sql in migrations()[:5]:
            db.executescript(sql)
            db.execute(f"PRAGMA user_version = {version}")
        for account, epoch in ((ODD, -62_135_596_800), ("max@example.com", 253_402_300_799), (EMAIL, soon)):
            stamp = epoch if isinstance(epoch, int) else int(epoch.timestamp())
            db.execute(
                "INSERT INTO accounts (service, account, expires_at, first_seen_at, synced_at) "
                "VALUES ('luma', ?, ?, 1700000000, 1700000000)",
                (account, stamp),
            )
    rig.useapi.set_luma_account(EMAIL, soon)  # useapi.net lists only the one (the others "gone")
    await rig.start_bot()
    store = rig.bot.store  # type: ignore[union-attr]
    odd = await store.get_account("luma", ODD)
    assert odd is not None and odd.expires_at is None
    assert odd.unreadable == (FieldNote("expires_at", IMPLAUSIBLE),)
    report = await run_pass(rig)
    assert report.faults == [] and key("luma", EMAIL, soon, "6h") in report.sent


def test_planning_a_stored_year_one_or_9999_date_never_overflows() -> None:
    """bot.expiry on whatever a row holds: no stage for a date no deadline can be, the rest planned."""

    def account(name: str, expires: datetime | None, error: str | None = None) -> TrackedAccount:
        return TrackedAccount(
            "luma", name, expires, None, None, None, None, None, None, None, error, None, START, START, None
        )

    accounts = [
        account("one@x.com", datetime(1, 1, 1, tzinfo=UTC)),
        account("max@x.com", datetime.max.replace(tzinfo=UTC), error="Session invalid"),
        account(EMAIL, START + 5 * H),
    ]
    done = plan(
        accounts,
        {"luma": DEFAULT_STAGES},
        set(),
        START,
        later_expiries={"luma": datetime.max.replace(tzinfo=UTC)},
    )
    assert [(a.kind, a.key.account) for a in done.due] == [(Kind.ERROR, "max@x.com"), (Kind.STAGE, EMAIL)]
    assert done.unplanned == () and done.later is None


@pytest.mark.services("luma", "ltx")
async def test_one_step_that_raises_is_logged_once_shown_and_the_pass_goes_on(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service whose sync raises something unexpected, and an account whose stored row makes
    its planning raise: each is one fault (logged once, counted, in /alerts status); the other
    service is synced and its warnings go out; the failing sync counts toward the outage notice."""
    soon = START + 5 * H
    rig.useapi.set_luma_account(EMAIL, soon)
    rig.useapi.set_luma_account("other@example.com", soon)
    await rig.start_bot()
    bot = rig.bot
    assert bot is not None

    async def boom() -> list[Any]:
        raise RuntimeError("a bug reading this list")

    monkeypatch.setattr(bot.services["ltx"], "list_accounts", boom)
    # A row no sync rewrites (its service's list can't be read) whose planning raises: its
    # last_error is a blob (SQLite keeps what it is given), not text.
    await bot.store.db.execute(
        "INSERT INTO accounts (service, account, expires_at, last_error, first_seen_at) "
        "VALUES ('ltx', 'broken@example.com', ?, X'6F6F7073', 1700000000)",
        (int(soon.timestamp()),),
    )
    await bot.store.db.commit()
    faults = {("sync", "ltx", None), ("planning", "ltx", "broken@example.com")}
    first = await run_pass(rig)
    assert {k.account for k in first.sent} == {EMAIL, "other@example.com"}  # luma's go out
    assert {(f.step, f.service, f.account) for f in first.faults} == faults
    rig.useapi.set_luma_expiry(EMAIL, soon + 40 * H)  # renewed outside the bot
    notices = list(first.notices)
    resolved = []
    for _ in range(3):
        clock(rig).advance(timedelta(minutes=20))
        report = await run_pass(rig)
        assert report.synced["luma"].ok and not report.synced["ltx"].ok
        assert {(f.step, f.service, f.account) for f in report.faults} == faults
        notices += report.notices
        resolved += report.resolved
    assert notices == [("ltx", "failing")]  # counted like any failed read: said after three
    assert resolved == [key("luma", EMAIL, soon, "6h")]  # the follow-through still runs
    said = [line for line in rig.raw_logs.lines if "the pass goes on" in line]
    assert len(said) == 2 and any("RuntimeError" in line for line in said)
    status = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    fields = {f["name"]: f["value"] for f in (await rig.answer(status))["embeds"][0]["fields"]}
    problems = fields["Problems in the last pass"]
    assert "2 step(s) failed" in problems and "LTX Studio" in problems and "broken@example" in problems
    assert "RuntimeError" in problems and "TypeError" in problems
    posted = rig.discord.channel_messages[rig.discord.alert_channel_id]
    renewed = [m for m in posted if m["embeds"] and EMAIL in m["embeds"][0]["description"]]
    assert renewed and renewed[0]["embeds"][0]["title"].startswith("✅ Resolved")


# -- one warning's drawing raising: the others are posted, it is retried -----------------------


@pytest.fixture
async def two_accounts(tmp_path: Path) -> AsyncIterator[tuple[ExpiryWatch, Upstream, list[str]]]:
    store = await Store.open(tmp_path / "warden.sqlite3")
    upstream, posted = Upstream(), []
    broken = {"on": True}

    async def send_warning(alert: Any, rechecked: bool) -> Posted:
        if broken["on"] and alert.key.account == "a@x.com":
            raise TypeError("cannot draw this one")
        posted.append(alert.key.account)
        return Posted(len(posted))

    async def send_notice(*_: Any) -> None:
        raise DeliveryError("unused", channel_wide=False)

    try:
        async with httpx.AsyncClient(transport=httpx.MockTransport(upstream.handler)) as http:
            services = build_services(
                http, base_url="https://api.useapi.net", token=TOKEN, timeout=5, enabled=("luma",)
            )
            watch = ExpiryWatch(
                store, services, FakeClock(START), sync_interval=timedelta(minutes=15),
                send_warning=send_warning, send_notice=send_notice,
            )  # fmt: skip
            watch.broken = broken  # type: ignore[attr-defined]
            yield watch, upstream, posted
    finally:
        await store.close()


async def test_a_warning_that_cannot_be_drawn_fails_alone_and_is_retried(
    two_accounts: tuple[ExpiryWatch, Upstream, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.watch")
    watch, upstream, posted = two_accounts
    upstream.luma = {n: luma_entry(n, START + 5 * H) for n in ("a@x.com", "b@x.com", "c@x.com")}
    report = await watch.run_pass()
    assert posted == ["b@x.com", "c@x.com"]
    assert [k.account for k, _ in report.failed] == ["a@x.com"] and report.faults[0].step == "warning"
    assert "TypeError" in report.failed[0][1]
    await watch.run_pass()
    assert len([r for r in caplog.records if "the pass goes on" in r.getMessage()]) == 1
    watch.broken["on"] = False  # type: ignore[attr-defined]
    assert [k.account for k in (await watch.run_pass()).sent] == ["a@x.com"]
