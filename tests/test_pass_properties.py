"""Whole account lists with arbitrary field values, through every service's real parser, the store
and scheduler passes: the pass never raises, no step of it fails, and one account's odd field
never makes a list unreadable (issue 18).

Each example builds the list a useapi.net account list could be (hypothesis: any JSON value in
any field a service reads, year-1 and year-9999 dates, placeholder numbers, offsets, lone
surrogates, numbers too big for SQLite, nested shapes), serves it (and each account as its
details answer) through httpx's MockTransport to the real `UseapiService` of each service in
`bot.services.REGISTRY`, and runs two real `ExpiryWatch` passes over a fresh database, drawing
every warning with the real embed builder. The field names are read from the service modules'
own source, so a service added later is covered without editing this file.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.delivery import Posted
from bot.expiry import Alert
from bot.followup import PostedWarning, Reminder
from bot.models import FieldNote, TrackedAccount
from bot.services import REGISTRY
from bot.store import Store
from bot.sync import Notice, SyncState
from bot.useapi import Transport, UseapiService
from bot.watch import ExpiryWatch, PassReport
from cogs.accounts import accounts_pages
from cogs.alerts._embeds import followup_embed, reminder_embed, status_embed, warning_embed
from tests.clock import FakeClock

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BASE = "https://useapi.test"
TOKEN = "user:1-property-token"


def field_names() -> list[str]:
    """Every identifier-like string literal in the service modules: the fields they read."""
    found: set[str] = set()
    for cls in REGISTRY.values():
        source = inspect.getsource(inspect.getmodule(cls))  # type: ignore[arg-type]
        found.update(re.findall(r"""["']([A-Za-z_][A-Za-z0-9_]{1,40})["']""", source))
    return sorted(found)


NAMES = field_names()
PLACEHOLDERS = [
    "0001-01-01 00:00:00 UTC",
    "9999-12-31 23:59:59 UTC",
    "2026-11-24 03:00:00 UTC",
    "0001-01-01T00:00:00.0",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-14:00",
    "2026-11-23T15:00:00Z",
    "2026-11-23T17:00:00+02:00",
    "2026-02-30T00:00:00Z",
    "Session",
    "-1",
    "123456789",
    "1795600000000",
]
NUMBERS = (
    st.sampled_from(
        [-1, 0, 42, 123456789, 946_684_800, 7_258_118_400, 1_795_600_000, 1_795_600_000_000, 2**63, 10**30]
    )
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
)
TEXT = st.text(alphabet=st.characters(codec=None), max_size=30)  # lone surrogates included
NEAR = st.datetimes(min_value=datetime(2026, 11, 1), max_value=datetime(2027, 1, 1))
DATES = (
    st.sampled_from(PLACEHOLDERS)
    | st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat())
    | NEAR.map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S UTC"))
    | NEAR.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    | NEAR.map(lambda d: int(d.replace(tzinfo=UTC).timestamp()))
    | NEAR.map(lambda d: int(d.replace(tzinfo=UTC).timestamp() * 1000))
)
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT | DATES
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NAMES) | TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)
TIMEISH = re.compile(r"(?i)expire|time|_at$|updated|scheduled|refreshed")
# An account object: any of the fields the services read (each present or not; a time-like one
# mostly a time, near now or a placeholder), and others.
ACCOUNT = st.builds(
    lambda known, other: {**other, **known},
    st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(DATES, DATES, VALUES) if TIMEISH.search(name) else VALUES for name in NAMES
        },
    ),
    st.dictionaries(TEXT, VALUES, max_size=2),
)
KEYS = st.sampled_from(["a@example.com", "US:b@example.com", ""]) | TEXT


class Recorder:
    """The alert channel: draws every post with the real builders, within Discord's limits."""

    def __init__(self) -> None:
        self.posted = 0

    def _check(self, embed: Any) -> None:
        assert len(embed) <= 6000 and len(embed.fields) <= 25

    async def send_warning(self, alert: Alert, rechecked: bool) -> Posted:
        embed = warning_embed(alert, rechecked=rechecked)
        self._check(embed)
        self.posted += 1
        return Posted(10_000 + self.posted, 1, json.dumps(embed.to_dict()))

    async def send_notice(self, service: str, notice: Notice, state: SyncState) -> None:
        pass

    async def edit_warning(self, warning: PostedWarning) -> None:
        self._check(followup_embed(warning, None))

    async def send_reminder(self, reminder: Reminder) -> Posted:
        self._check(reminder_embed(reminder))
        self.posted += 1
        return Posted(10_000 + self.posted, 1)


def serve(body: bytes, entries: dict[str, Any]) -> httpx.MockTransport:
    """The account list at every GET of a list, each account's entry at its details GET."""

    def handler(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.rstrip("/").split("/")
        if parts[-1] == "accounts":
            return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
        entry = entries.get(unquote(parts[-1])) if isinstance(entries, dict) else None
        if not isinstance(entry, dict):
            return httpx.Response(404)
        return httpx.Response(
            200, content=json.dumps(entry).encode(), headers={"Content-Type": "application/json"}
        )

    return httpx.MockTransport(handler)


async def two_passes(
    key: str, entries: dict[str, Any]
) -> tuple[list[PassReport], dict[str, TrackedAccount], UseapiService]:
    body = json.dumps(entries).encode()  # NaN and Infinity as JSON's common extension, as json does
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "warden.sqlite3")
        try:
            async with httpx.AsyncClient(transport=serve(body, entries)) as http:
                service = REGISTRY[key](Transport(http, BASE, TOKEN, timeout=2))
                clock = FakeClock(START)
                channel = Recorder()
                watch = ExpiryWatch(
                    store,
                    {key: service},
                    clock,
                    sync_interval=timedelta(minutes=15),
                    send_warning=channel.send_warning,
                    send_notice=channel.send_notice,
                    edit_warning=channel.edit_warning,
                    send_reminder=channel.send_reminder,
                )
                reports = [await watch.run_pass()]
                clock.advance(timedelta(days=2))  # every stage of a plausible date has passed
                reports.append(await watch.run_pass())
                # What /alerts status and /accounts draw from the same database.
                plan = await watch.plan_for_status(clock.now(), upcoming_limit=8)
                status = status_embed(
                    now=clock.now(), channel_id=1, channel_is_default=True, mention_role_id=None,
                    stages=await watch.stages(), plan=plan, failures={}, sync_states={},
                    standing_by=False, last_error=None, faults=reports[-1].faults,
                )  # fmt: skip
                assert len(status) <= 6000
                for page in accounts_pages(await store.list_accounts(), [key]):
                    assert len(page.description or "") <= 4096
                tracked = {a.account: a for a in await store.list_accounts()}
            return reports, tracked, service
        finally:
            await store.close()


def expected_accounts(service: UseapiService, entries: dict[str, Any]) -> dict[str, tuple[FieldNote, ...]]:
    """Each account the list names, as the service reads it (never a FieldError: every entry is
    an object), with its notes."""
    out: dict[str, tuple[FieldNote, ...]] = {}
    for key, entry in entries.items():
        info = service.read_account(entry, key)
        if info.account and info.account not in out:
            out[info.account] = info.unreadable
    return out


def check(key: str, entries: dict[str, Any]) -> None:
    reports, tracked, service = asyncio.run(two_passes(key, entries))
    for report in reports:
        assert report.error is None and report.leader
        assert report.faults == [], report.faults  # no step of the pass failed
    assert reports[0].synced[key].ok, reports[0].synced[key].error  # one field never fails a list
    expected = expected_accounts(service, entries)
    assert set(expected) <= set(tracked)
    for account, notes in expected.items():
        stored = tracked[account]
        assert stored.expires_at is None or datetime(2000, 1, 1, tzinfo=UTC) <= stored.expires_at
        if notes and stored.expires_at is None:
            assert tuple(stored.unreadable)  # "deadline unknown (…)" can say why


PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@PROPERTY
@given(st.sampled_from(sorted(REGISTRY)), st.dictionaries(KEYS, ACCOUNT, max_size=4))
def test_any_list_of_account_objects_is_read_stored_and_passed_without_a_failure(
    key: str, entries: dict[str, Any]
) -> None:
    check(key, entries)


@settings(PROPERTY, max_examples=20)
@given(st.dictionaries(KEYS, ACCOUNT, min_size=1, max_size=3))
# Found by CI: a count past 2**63 (and one past float's range as digits) stopped ACE Music's
# whole list at SQLite's INTEGER.
@example({"a@example.com": {"maxJobs": -146635690047389054424205762756608}})
@example({"a@example.com": {"maxJobs": "9" * 400, "concurrency": 10**30}})
@example({"a@example.com": {"maxJobs": 2**63}})  # once stopped ACE Music's sync (OverflowError)
def test_every_service_reads_the_same_odd_list(entries: dict[str, Any]) -> None:
    for key in sorted(REGISTRY):
        check(key, entries)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(REGISTRY)), st.dictionaries(KEYS, VALUES, max_size=3) | VALUES)
def test_any_answer_at_all_never_makes_the_pass_raise(key: str, body: Any) -> None:
    """Entries that are not objects, a list that is not one: the read fails (counted, backoff),
    the pass itself never does."""
    reports, _, _ = asyncio.run(two_passes(key, body))  # type: ignore[arg-type]
    for report in reports:
        assert report.error is None and report.faults == []
        result = report.synced.get(key)
        assert result is None or result.ok or result.failure == "bad_response"


def test_the_issues_case_a_year_one_luma_expiry_among_others() -> None:
    """Issue 18's report: one Luma account expiring `0001-01-01 00:00:00 UTC` crashed every pass."""
    entries = {
        "odd@example.com": {"account": "odd@example.com", "luma_session_expires": "0001-01-01 00:00:00 UTC"},
        "soon@example.com": {
            "account": "soon@example.com",
            "luma_session_expires": "2026-11-23 15:00:00 UTC",
        },
    }
    reports, tracked, _ = asyncio.run(two_passes("luma", entries))
    assert all(r.faults == [] and r.error is None for r in reports)
    assert [k.account for k in reports[0].sent] == ["soon@example.com"]
    assert tracked["odd@example.com"].expires_at is None
    assert tracked["odd@example.com"].unreadable == (FieldNote("luma_session_expires", "implausible"),)
