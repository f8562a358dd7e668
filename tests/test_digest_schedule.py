"""The weekly digest's arithmetic (bot/digest.py): when it is due in any time zone, across DST
changes, once a week; what it says; and what an admin may type. Hypothesis tests the moments for
any weekday, time, zone and now."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.digest import (
    GRACE,
    WEEK,
    DigestRecord,
    DigestSchedule,
    ScheduleError,
    build_digest,
    digest_nonce,
    due_digest,
    known_zones,
    last_digest_at,
    next_digest_at,
    occurrence,
    parse_time_of_day,
    parse_weekday,
    parse_zone,
    week_key,
    zone,
)
from bot.followup import Claim, PostedWarning
from bot.models import AuditEntry, TrackedAccount, WarningKey

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday
H = timedelta(hours=1)
LONG_AGO = datetime(1990, 1, 1, tzinfo=UTC)


def schedule(
    weekday: int = 0, at: time = time(9, 0), where: str = "Europe/Berlin", since: datetime = LONG_AGO
) -> DigestSchedule:
    return DigestSchedule(weekday, at, where, since)


def wall_time_exists(day: Any, at: time, where: str) -> bool:
    """False inside a gap (a spring-forward hour, a skipped day): no instant shows that wall time."""
    local = datetime.combine(day, at, tzinfo=zone(where))
    return local.astimezone(UTC).astimezone(zone(where)).replace(tzinfo=None) == local.replace(tzinfo=None)


moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
schedules = st.builds(
    DigestSchedule,
    weekday=st.integers(0, 6),
    at=st.times(),
    zone=st.sampled_from(("UTC", *known_zones())),
    since=st.just(LONG_AGO),
)


@settings(max_examples=400, deadline=None)
@given(plan=schedules, now=moments)
def test_the_next_digest_is_ahead_on_its_weekday_at_its_local_time(
    plan: DigestSchedule, now: datetime
) -> None:
    at = next_digest_at(plan, now)
    assert at > now
    assert at - now <= WEEK + 26 * H  # a week, and at most a day a zone skipped (Samoa, 2011)
    assert next_digest_at(plan, at - timedelta(microseconds=1)) == at  # nothing between now and it
    earlier = last_digest_at(plan, now)
    assert earlier <= now < at and next_digest_at(plan, earlier) == at
    local = at.astimezone(zone(plan.zone))
    # The local day it is for: the day it shows, or the day before when that day's wall time
    # fell into a gap (the moment then shows a later wall time, possibly the next day).
    (day,) = [d for d in (local.date(), local.date() - timedelta(days=1)) if occurrence(plan, d) == at]
    assert day.weekday() == plan.weekday
    if wall_time_exists(day, plan.at, plan.zone):
        assert local.date() == day and local.time() == plan.at
    else:  # inside a gap: read with the offset before it, so just after it, never before
        shift = local.replace(tzinfo=None) - datetime.combine(day, plan.at)
        assert timedelta(0) < shift <= 25 * H


@settings(max_examples=200, deadline=None)
@given(plan=schedules, start=moments, steps=st.lists(st.integers(1, 6 * 3600), min_size=1, max_size=60))
def test_each_week_is_due_once_and_only_within_the_grace(
    plan: DigestSchedule, start: datetime, steps: list[int]
) -> None:
    """Passes at any pace: every digest handed out is a new week, within GRACE of its moment."""
    record: DigestRecord | None = None
    now = start
    weeks: list[str] = []
    for step in steps:
        now += timedelta(seconds=step)
        due = due_digest(plan, now, record)
        if due is not None:
            assert due.at <= now <= due.at + GRACE
            assert due.week not in weeks and due.week == week_key(plan, due.at)
            weeks.append(due.week)
            record = DigestRecord(due.week, "sent", now)
            assert due_digest(plan, now, record) is None  # handled: not again


def test_nine_in_berlin_is_nine_on_both_sides_of_each_change() -> None:
    plan = schedule(weekday=0, where="Europe/Berlin")  # Mondays at 09:00
    # Autumn 2026: CEST (UTC+2) until Sunday 25 October, CET (UTC+1) after.
    assert next_digest_at(plan, datetime(2026, 10, 18, tzinfo=UTC)) == datetime(
        2026, 10, 19, 7, 0, tzinfo=UTC
    )
    assert next_digest_at(plan, datetime(2026, 10, 20, tzinfo=UTC)) == datetime(
        2026, 10, 26, 8, 0, tzinfo=UTC
    )
    # Spring 2027: CET until Sunday 28 March, CEST after.
    assert next_digest_at(plan, datetime(2027, 3, 23, tzinfo=UTC)) == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)
    assert next_digest_at(plan, datetime(2027, 3, 16, tzinfo=UTC)) == datetime(2027, 3, 22, 8, 0, tzinfo=UTC)
    # New York changes on other days: 09:00 EDT then 09:00 EST.
    ny = schedule(weekday=0, where="America/New_York")
    assert next_digest_at(ny, datetime(2026, 10, 27, tzinfo=UTC)) == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert next_digest_at(ny, datetime(2026, 10, 20, tzinfo=UTC)) == datetime(2026, 10, 26, 13, 0, tzinfo=UTC)


def test_a_wall_time_inside_the_spring_gap_falls_just_after_it_and_the_autumn_one_is_the_first() -> None:
    sunday = schedule(weekday=6, at=time(2, 30), where="Europe/Berlin")
    gap = next_digest_at(sunday, datetime(2027, 3, 27, tzinfo=UTC))  # 02:30 doesn't exist that day
    assert gap == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert gap.astimezone(ZoneInfo("Europe/Berlin")).time() == time(3, 30)
    twice = next_digest_at(sunday, datetime(2026, 10, 24, tzinfo=UTC))  # 02:30 happens twice
    assert twice == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first (still CEST)


def test_a_digest_set_after_its_moment_waits_for_the_next_week_and_a_long_downtime_skips_one() -> None:
    monday_nine = schedule(weekday=0, at=time(9, 0), where="UTC", since=NOW)  # set Monday 12:00
    assert due_digest(monday_nine, NOW + H, None) is None
    week = due_digest(monday_nine, NOW + WEEK - 3 * H + timedelta(seconds=1), None)
    assert week is not None and week.week == "2026-W49" and week.at == NOW + WEEK - 3 * H
    assert week.nonce == digest_nonce("2026-W49") and len(week.nonce) <= 25
    assert digest_nonce("2026-W49") != digest_nonce("2026-W50")
    assert due_digest(monday_nine, NOW + WEEK - 3 * H + GRACE + timedelta(seconds=1), None) is None
    # Its record: that week is done, the next one is not.
    record = DigestRecord("2026-W49", "sent", NOW + WEEK)
    assert due_digest(monday_nine, NOW + WEEK, record) is None
    assert due_digest(monday_nine, NOW + 2 * WEEK - 2 * H, record) is not None


def test_the_schedule_and_the_record_survive_json_and_odd_values_are_none() -> None:
    plan = schedule(3, time(17, 45), "America/New_York", NOW)
    assert DigestSchedule.from_json(plan.to_json()) == plan
    assert plan.describe() == "Thursdays at 17:45 (America/New_York)"
    record = DigestRecord("2026-W48", "sent", NOW, 123)
    assert DigestRecord.from_json(record.to_json()) == record
    for odd in (None, "", "{", "[]", '{"weekday": 9, "at": "09:00", "zone": "UTC", "since": 1}',
                '{"weekday": 1, "at": "9", "zone": "Mars/Base", "since": 1}'):  # fmt: skip
        assert DigestSchedule.from_json(odd) is None
        assert DigestRecord.from_json(odd) is None


# -- what an admin may type ---------------------------------------------------------------------


def test_weekdays_times_and_zones_are_read_leniently_and_refused_with_a_sentence() -> None:
    assert [parse_weekday(w) for w in ("Monday", "tue", " WEDNESDAY ", "Thu", "fri", "sat", "sun")] == list(
        range(7)
    )
    assert parse_time_of_day("09:00") == time(9) and parse_time_of_day("9:30") == time(9, 30)
    assert parse_time_of_day("17.45") == time(17, 45) and parse_time_of_day("9am") == time(9)
    assert parse_time_of_day("12am") == time(0) and parse_time_of_day("5:30 pm") == time(17, 30)
    assert parse_zone("europe/berlin") == "Europe/Berlin" and parse_zone("utc") == parse_zone("GMT") == "UTC"
    for bad, words in (
        (lambda: parse_weekday("someday"), "'someday' is not a weekday"),
        (lambda: parse_weekday("m"), "'m' is not a weekday"),
        (lambda: parse_time_of_day("25:00"), "'25:00' is not a time of day"),
        (lambda: parse_time_of_day("9:75"), "'9:75' is not a time of day"),
        (lambda: parse_time_of_day("13pm"), "'13pm' is not a time of day"),
        (lambda: parse_time_of_day("noon"), "'noon' is not a time of day"),
        (lambda: parse_zone("Mars/Olympus_Mons"), "'Mars/Olympus_Mons' is not a time zone I know"),
        (lambda: parse_zone("Europe"), "'Europe' is not a time zone I know"),
    ):
        with pytest.raises(ScheduleError, match=words):
            bad()


def test_an_occurrence_is_the_local_time_in_utc() -> None:
    assert occurrence(schedule(at=time(9)), datetime(2026, 11, 23).date()) == datetime(
        2026, 11, 23, 8, tzinfo=UTC
    )


# -- what it says -------------------------------------------------------------------------------


def account(name: str, expires: datetime | None, **fields: Any) -> TrackedAccount:
    base = TrackedAccount(
        service="luma", account=name, expires_at=expires, refresh_expires_at=None, concurrency=None,
        credits_usage=None, credits_limit=None, max_jobs=None, registered_by=None, registered_at=None,
        last_error=None, upstream_updated_at=None, first_seen_at=NOW, synced_at=NOW, gone_at=None,
    )  # fmt: skip
    return replace(base, **fields)


def test_the_digest_names_what_is_due_renewed_open_and_unowned() -> None:
    member = 7
    accounts = [
        account("due-owned", NOW + 2 * 24 * H, registered_by=member),
        account("due-unowned", NOW + 6 * 24 * H),
        account("later", NOW + 8 * 24 * H, registered_by=member),
        account("expired", NOW - H, registered_by=member),
        account("gone", NOW + H, gone_at=NOW - H),
        replace(account("off", NOW + H), service="runway"),
    ]
    audit = [
        AuditEntry(NOW - 2 * 24 * H, member, "register", "luma", "due-owned", "ok", None),
        AuditEntry(NOW - 8 * 24 * H, member, "register", "luma", "old", "ok", None),
        AuditEntry(NOW - H, member, "register", "luma", None, "upstream:rejected", None),
        AuditEntry(NOW - H, member, "access_grant", None, "user:1", "ok", None),
    ]
    claimed = PostedWarning(
        WarningKey("luma", "expired", 1, "expired"), 5, 1, NOW - H, None, Claim(member, NOW)
    )
    digest = build_digest(
        services=("luma",), accounts=accounts, registrations=audit, open_warnings=[claimed], now=NOW
    )
    assert [(d.account, d.owner) for d in digest.due] == [("due-owned", member), ("due-unowned", None)]
    assert [(r.account, r.by) for r in digest.renewed] == [("due-owned", member)]
    assert digest.open_warnings == (claimed,)
    assert [u.account for u in digest.unowned] == ["due-unowned"]
    assert not digest.is_empty
    nothing = build_digest(services=("luma",), accounts=[], registrations=[], open_warnings=[], now=NOW)
    assert nothing.is_empty


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=300)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), count=st.integers(0, 400), renewals=st.integers(0, 300), warned=st.integers(0, 200))
def test_any_digest_fits_discords_limits(data: st.DataObject, count: int, renewals: int, warned: int) -> None:
    """Hundreds of accounts, renewals and warnings with names of any length full of markdown: the
    digest is a message Discord accepts (the double's rules), with 7 components."""
    from cogs.alerts._digest import draw_digest
    from tests.doubles._components import IS_COMPONENTS_V2, count_components, message_problem, text_length

    services = ("luma", "kling", "googleflow")
    accounts = [
        replace(
            account(data.draw(names) + str(n), NOW + timedelta(hours=data.draw(st.integers(-50, 400)))),
            service=data.draw(st.sampled_from(services)),
            registered_by=data.draw(st.sampled_from((None, 10**18))),
        )
        for n in range(count)
    ]
    audit = [
        AuditEntry(NOW - timedelta(hours=n % 160), 10**18, "register", "luma", data.draw(names), "ok", None)
        for n in range(renewals)
    ]
    open_warnings = [
        PostedWarning(WarningKey("luma", data.draw(names), n, "6h"), n + 1, 1, NOW - H, None, None)
        for n in range(warned)
    ]
    digest = build_digest(
        services=services, accounts=accounts, registrations=audit, open_warnings=open_warnings, now=NOW
    )
    body = {"flags": IS_COMPONENTS_V2, "components": draw_digest(digest, week="2026-W48").to_components()}
    assert message_problem(body) is None
    assert count_components(body["components"]) == 7 and text_length(body["components"]) <= 4000


def test_time_zones_are_offered_by_what_was_typed() -> None:
    """One autocomplete for `/alerts digest` and `/alerts quiet` (bot.digest.matching_zones)."""
    from bot.digest import matching_zones

    assert matching_zones("berl") == ["Europe/Berlin"]
    assert "America/New_York" in matching_zones("new york")  # spaces read as underscores
    assert matching_zones("utc")[0] == "UTC" and matching_zones("utc").count("UTC") == 1
    offered = matching_zones("am")
    starting = [n for n in offered if n.casefold().startswith("am")]
    assert offered[: len(starting)] == starting  # those starting with it first
    assert len(matching_zones("")) == 25 and matching_zones("no such place") == []
