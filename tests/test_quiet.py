"""Quiet hours (bot/quiet.py): wall-clock hours in an IANA zone, across midnight, through daylight
saving changes; what waits, what pings. Property-tested over any hours, zone and moment."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.expiry import Alert, Kind
from bot.models import TrackedAccount, WarningKey
from bot.quiet import (
    QuietError,
    QuietHours,
    first_instant_at,
    may_ping,
    parse,
    parse_clock,
    parse_zone,
    should_hold,
)

BERLIN = ZoneInfo("Europe/Berlin")
# Zones with the odd cases: half-hour DST (Lord Howe), southern summer (Sydney, Santiago), no DST,
# a 45-minute offset (Chatham), a zone that skipped a whole day (Apia, 2011), and the usual ones.
ZONES = sorted(
    {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Australia/Sydney", "America/Santiago",
     "Asia/Kolkata", "Pacific/Chatham", "Pacific/Apia", "UTC", "America/St_Johns", "Europe/London"}
    & available_timezones()
)  # fmt: skip
H = timedelta(hours=1)

clocks = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 59]))
zones = st.sampled_from(ZONES)
moments = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


@functools.cache
def changes(zone: str, year: int) -> tuple[datetime, ...]:
    """The instants (UTC) at which `zone` changes its offset in `year`."""
    tz = ZoneInfo(zone)
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        later = day + timedelta(days=1)
        if day.astimezone(tz).utcoffset() != later.astimezone(tz).utcoffset():
            low, high = day, later
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
        day = later
    return tuple(found)


@st.composite
def zone_and_moment(draw: st.DrawFn) -> tuple[str, datetime]:
    """A zone and a moment: anywhere in the century, or within a day and a half of one of the
    zone's daylight saving changes (where the arithmetic can go wrong)."""
    zone = draw(zones)
    if draw(st.booleans()):
        near = changes(zone, draw(st.sampled_from([2011, 2024, 2026, 2031])))
        if near:
            change = draw(st.sampled_from(near))
            return zone, change + timedelta(seconds=draw(st.integers(-36 * 3600, 36 * 3600)))
    return zone, draw(moments)


def wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def in_window(t: time, start: time, end: time) -> bool:
    if start < end:
        return start <= t < end
    return t >= start or t < end


def steady(moment: datetime, zone: ZoneInfo) -> bool:
    """No change of UTC offset within two days either side: wall clocks run plainly."""
    offsets = {(moment + k * H * 12).astimezone(zone).utcoffset() for k in range(-4, 5)}
    return len(offsets) == 1


@settings(max_examples=500, deadline=None)
@given(start=clocks, end=clocks, case=zone_and_moment())
def test_quiet_hours_are_consistent_for_any_hours_zone_and_moment(
    start: time, end: time, case: tuple[str, datetime]
) -> None:
    zone, now = case
    quiet = QuietHours(start, end, ZoneInfo(zone))
    stretch = quiet.stretch_at(now)
    ends = quiet.end_of_quiet(now)
    assert quiet.is_quiet(now) == (stretch is not None) == (ends is not None)
    if start == end:  # from == to: no quiet hours at all
        assert stretch is None and quiet.next_start(now) is None
        return
    if stretch is not None:
        begins, ends_ = stretch
        assert begins <= now < ends_ == ends
        # Quiet all the way to the end, and not at the end: the scheduler wakes then, and posts.
        assert quiet.is_quiet(ends_ - timedelta(seconds=1))
        assert not quiet.is_quiet(ends_)
        # At most a day plus a daylight saving change (a zone's largest is two hours); or two days
        # when the clocks skipped the whole gap between two nights (quiet 00:15 to 00:00 on a day
        # that jumps from 00:00 to 01:00), which then join.
        joined = ends_ - begins > timedelta(hours=26)
        assert ends_ - begins <= (timedelta(hours=50) if joined else timedelta(hours=26))
        if joined:
            assert any(changes(zone, y) for y in {begins.year, ends_.year})
    else:
        nxt = quiet.next_start(now)
        assert nxt is not None and nxt > now and quiet.is_quiet(nxt)
        assert nxt - now <= timedelta(hours=50)  # a day, or two where a day was skipped (Apia)
    if steady(now, quiet.zone):
        # Away from daylight saving changes, quiet exactly when the wall clock is in the window.
        assert quiet.is_quiet(now) == in_window(wall(now, quiet.zone).time(), start, end)


@settings(max_examples=300, deadline=None)
@given(start=clocks, end=clocks, case=zone_and_moment(), lead=st.integers(0, 80))
def test_what_waits_and_what_pings(start: time, end: time, case: tuple[str, datetime], lead: int) -> None:
    zone, now = case
    quiet = QuietHours(start, end, ZoneInfo(zone))
    deadline = now + timedelta(hours=lead) - timedelta(minutes=30)
    stage = alert(Kind.STAGE, deadline, "6h" if lead else "expired", now)
    ends = quiet.end_of_quiet(now)
    if ends is None:
        assert not should_hold(stage, quiet, now) and may_ping(stage, quiet, now)
    else:
        # Held exactly when its deadline comes after the quiet hours end; never pinged inside.
        expired = stage.key.stage == "expired"
        assert should_hold(stage, quiet, now) == (not expired and deadline > ends)
        assert may_ping(stage, quiet, now) == expired
        assert may_ping(None, quiet, now) is False  # notices
    for urgent in (alert(Kind.ERROR, deadline, "error:abc", now), alert(Kind.GONE, deadline, "gone", now)):
        assert not should_hold(urgent, quiet, now) and may_ping(urgent, quiet, now)
    assert not should_hold(stage, None, now) and may_ping(stage, None, now)


def alert(kind: Kind, deadline: datetime, stage: str, now: datetime) -> Alert:
    acc = TrackedAccount(
        service="luma", account="a@example.com", expires_at=deadline, refresh_expires_at=None,
        concurrency=None, credits_usage=None, credits_limit=None, max_jobs=None, registered_by=None,
        registered_at=None, last_error=None, upstream_updated_at=None, first_seen_at=now,
        synced_at=now, gone_at=None,
    )  # fmt: skip
    lead = timedelta(0) if stage == "expired" else (6 * H if kind is Kind.STAGE else None)
    return Alert(WarningKey("luma", acc.account, int(deadline.timestamp()), stage), kind, acc, now, lead)


@settings(max_examples=300, deadline=None)
@given(wall_time=clocks, case=zone_and_moment())
def test_the_first_instant_showing_a_time_is_never_before_it(
    wall_time: time, case: tuple[str, datetime]
) -> None:
    zone, moment = case
    tz = ZoneInfo(zone)
    day = moment.astimezone(tz).date()
    naive = datetime.combine(day, wall_time)
    instant = first_instant_at(day, wall_time, tz)
    assert wall(instant, tz) >= naive  # the clocks show it (or later: it was skipped)
    assert wall(instant - timedelta(seconds=1), tz) < naive  # and a second earlier they did not


# -- daylight saving days, by hand ---------------------------------------------------------------


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_spring_forward_in_berlin_ends_the_night_an_hour_earlier_in_utc() -> None:
    quiet = QuietHours(time(22), time(7), BERLIN)
    # 28 March 2026, 22:00 CET (21:00 UTC) to 29 March, 07:00 CEST (05:00 UTC): eight hours.
    assert quiet.stretch_at(utc(2026, 3, 28, 23)) == (utc(2026, 3, 28, 21), utc(2026, 3, 29, 5))
    assert quiet.is_quiet(utc(2026, 3, 29, 4, 59, 59)) and not quiet.is_quiet(utc(2026, 3, 29, 5))
    # A week earlier the night ends at 06:00 UTC (07:00 CET).
    assert quiet.end_of_quiet(utc(2026, 3, 22, 3)) == utc(2026, 3, 22, 6)


def test_fall_back_in_berlin_ends_the_night_an_hour_later_in_utc() -> None:
    quiet = QuietHours(time(22), time(7), BERLIN)
    # 24 October 2026, 22:00 CEST (20:00 UTC) to 25 October, 07:00 CET (06:00 UTC): ten hours.
    assert quiet.stretch_at(utc(2026, 10, 25, 2)) == (utc(2026, 10, 24, 20), utc(2026, 10, 25, 6))


def test_hours_inside_the_skipped_hour_start_at_the_jump_and_the_repeated_hour_at_its_first_showing() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026: quiet hours from 02:30 begin at the jump.
    assert first_instant_at(date(2026, 3, 29), time(2, 30), BERLIN) == utc(2026, 3, 29, 1)
    # 02:30 happens twice on 25 October 2026: the first time (CEST) counts.
    assert first_instant_at(date(2026, 10, 25), time(2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)
    within = QuietHours(time(2, 10), time(2, 40), BERLIN)  # both inside the skipped hour
    assert not within.is_quiet(utc(2026, 3, 29, 1))  # none that night
    assert within.is_quiet(utc(2026, 3, 30, 0, 20))  # the next night as usual


def test_from_later_than_to_crosses_midnight_and_from_equal_to_is_none() -> None:
    night = QuietHours(time(22), time(7), ZoneInfo("UTC"))
    assert night.is_quiet(utc(2026, 5, 1, 23)) and night.is_quiet(utc(2026, 5, 2, 6, 59))
    assert not night.is_quiet(utc(2026, 5, 2, 7)) and not night.is_quiet(utc(2026, 5, 2, 21, 59))
    day = QuietHours(time(9), time(17), ZoneInfo("UTC"))
    assert day.end_of_quiet(utc(2026, 5, 2, 12)) == utc(2026, 5, 2, 17)
    never = QuietHours(time(8), time(8), ZoneInfo("UTC"))
    assert not never.is_quiet(utc(2026, 5, 2, 8)) and never.next_start(utc(2026, 5, 2)) is None


def test_parsing_says_what_is_wrong() -> None:
    assert (
        parse_clock("7") == time(7)
        and parse_clock(" 22:30 ") == time(22, 30)
        and parse_clock("24:00") == time(0)
    )
    for bad in ("25:00", "7pm", "12:60", "", "-1"):
        with pytest.raises(QuietError, match="time of day"):
            parse_clock(bad)
    assert parse_zone("Europe/Berlin") == BERLIN
    for bad in ("Mars/Olympus", "../../etc/passwd", "", "Europe/Berlin\x00"):
        with pytest.raises(QuietError, match="time zone"):
            parse_zone(bad)
    hours = parse("22:00-07:00 Europe/Berlin")
    assert hours.text() == "22:00-07:00 Europe/Berlin" and parse(hours.text()) == hours
    with pytest.raises(QuietError):
        parse("08:00-08:00 UTC")
