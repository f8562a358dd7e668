"""The registration throttle's token bucket, as properties over arbitrary request patterns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.throttle import (
    DEFAULT_RATE,
    MAX_TRACKED_MEMBERS,
    RateError,
    RegisterRate,
    RegisterThrottle,
    parse_rate,
)

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
rates = st.builds(
    RegisterRate,
    burst=st.integers(1, 10),
    period=st.integers(1, 3600).map(lambda s: timedelta(seconds=s)),
)
# Gaps between one member's submits, in milliseconds (often zero: a burst).
gaps = st.lists(st.one_of(st.just(0), st.integers(0, 120_000)), max_size=60)


def replay(rate: RegisterRate, gaps_ms: list[int]) -> list[tuple[datetime, timedelta | None]]:
    throttle = RegisterThrottle(rate)
    now, answers = T0, []
    for gap in gaps_ms:
        now += timedelta(milliseconds=gap)
        answers.append((now, throttle.take(1, now)))
    return answers


def test_the_default_is_five_refilled_over_a_minute() -> None:
    assert (DEFAULT_RATE.burst, DEFAULT_RATE.period) == (5, timedelta(minutes=1))
    throttle = RegisterThrottle(DEFAULT_RATE)
    assert [throttle.take(1, T0) for _ in range(5)] == [None] * 5
    assert throttle.take(1, T0) == timedelta(seconds=12)
    assert throttle.take(1, T0 + timedelta(seconds=5)) == timedelta(seconds=7)
    assert throttle.take(1, T0 + timedelta(seconds=12)) is None
    assert throttle.take(1, T0 + timedelta(seconds=12)) == timedelta(seconds=12)


@given(rates)
def test_a_full_burst_at_one_instant_is_allowed(rate: RegisterRate) -> None:
    throttle = RegisterThrottle(rate)
    assert all(throttle.take(1, T0) is None for _ in range(rate.burst))
    assert throttle.take(1, T0) is not None


@given(rates, gaps)
def test_no_window_lets_more_through_than_the_burst_plus_the_refill(
    rate: RegisterRate, gaps_ms: list[int]
) -> None:
    allowed = [when for when, wait in replay(rate, gaps_ms) if wait is None]
    for i, start in enumerate(allowed):
        for j in range(i, len(allowed)):
            window = allowed[j] - start
            assert j - i + 1 <= rate.burst + window // rate.interval, (start, allowed[j])


@given(rates, gaps)
def test_waiting_the_time_it_says_is_enough(rate: RegisterRate, gaps_ms: list[int]) -> None:
    throttle = RegisterThrottle(rate)
    now = T0
    for gap in gaps_ms:
        now += timedelta(milliseconds=gap)
        wait = throttle.take(1, now)
        if wait is not None:
            assert timedelta(0) < wait <= rate.interval
            assert throttle.take(1, now + wait - timedelta(microseconds=1)) is not None
            now += wait
            assert throttle.take(1, now) is None


@given(rates, gaps)
def test_a_quiet_period_refills_the_whole_burst(rate: RegisterRate, gaps_ms: list[int]) -> None:
    throttle = RegisterThrottle(rate)
    now = T0
    for gap in gaps_ms:
        now += timedelta(milliseconds=gap)
        throttle.take(1, now)
    now += rate.period
    assert all(throttle.take(1, now) is None for _ in range(rate.burst))


def test_members_have_their_own_buckets() -> None:
    throttle = RegisterThrottle(RegisterRate(1, timedelta(minutes=1)))
    assert throttle.take(1, T0) is None
    assert throttle.take(1, T0) is not None
    assert throttle.take(2, T0) is None


def test_a_clock_set_back_locks_no_one_out_for_longer_than_the_period() -> None:
    throttle = RegisterThrottle(DEFAULT_RATE)
    for _ in range(5):
        throttle.take(1, T0)
    earlier = T0 - timedelta(days=1)
    wait = throttle.take(1, earlier)
    assert wait is not None and wait <= DEFAULT_RATE.interval
    assert throttle.take(1, earlier + DEFAULT_RATE.period) is None


def test_off_lets_everything_through() -> None:
    throttle = RegisterThrottle(None)
    assert all(throttle.take(1, T0) is None for _ in range(100))


def test_idle_members_are_forgotten() -> None:
    throttle = RegisterThrottle(DEFAULT_RATE)
    for uid in range(MAX_TRACKED_MEMBERS):
        throttle.take(uid, T0)
    throttle.take(-1, T0 + timedelta(minutes=2))
    assert len(throttle._full_at) == 1


@pytest.mark.parametrize(
    ("raw", "rate"),
    [
        ("5/1m", RegisterRate(5, timedelta(minutes=1))),
        ("1/30s", RegisterRate(1, timedelta(seconds=30))),
        ("20 / 1h", RegisterRate(20, timedelta(hours=1))),
        ("off", None),
        ("0", None),
        (" OFF ", None),
    ],
)
def test_parse_rate(raw: str, rate: RegisterRate | None) -> None:
    assert parse_rate(raw) == rate


@pytest.mark.parametrize("raw", ["", "5", "5/", "/1m", "-1/1m", "0/1m", "1001/1m", "5/0s", "5/x", "a/1m"])
def test_parse_rate_refuses(raw: str) -> None:
    with pytest.raises(RateError):
        parse_rate(raw)


def test_the_default_reads_back_as_written() -> None:
    assert parse_rate(str(DEFAULT_RATE)) == DEFAULT_RATE
