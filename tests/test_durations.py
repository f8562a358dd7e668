from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.durations import DurationError, format_duration, parse_duration, parse_duration_list


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("15m", timedelta(minutes=15)), ("1h30m", timedelta(minutes=90)), ("7d", timedelta(days=7)),
     ("45s", timedelta(seconds=45)), ("900", timedelta(seconds=900)), (" 2H ", timedelta(hours=2))],
)  # fmt: skip
def test_parse_duration(raw: str, expected: timedelta) -> None:
    assert parse_duration(raw) == expected


@pytest.mark.parametrize("raw", ["", "m", "15x", "1.5h", "h1", "-5m", "99999999d", "1h 30"])
def test_parse_duration_rejects(raw: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(raw)


def test_parse_list_sorts_longest_first() -> None:
    assert parse_duration_list("12h,7d, 2d") == [timedelta(days=7), timedelta(days=2), timedelta(hours=12)]


@pytest.mark.parametrize(
    ("raw", "says"),
    [("", "at least one"), ("6h,6h", "twice"), ("0s", "longer than zero"), ("6", "not a duration"),
     (",".join(["1h"] * 11), "at most 10")],
)  # fmt: skip
def test_parse_list_rejects(raw: str, says: str) -> None:
    with pytest.raises(DurationError, match=says):
        parse_duration_list(raw)


@given(st.integers(min_value=1, max_value=3650 * 86400))
def test_format_round_trips(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    assert parse_duration(format_duration(value), allow_bare_seconds=False) == value


@given(st.text(max_size=40))
def test_parse_never_raises_anything_else(text: str) -> None:
    try:
        parse_duration_list(text)
    except DurationError as exc:
        assert str(exc)
