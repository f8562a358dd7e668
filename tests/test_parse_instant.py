"""`parse_instant` and `companion_first`: every time shape useapi.net's pages show, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import IMPLAUSIBLE, FieldNote
from bot.useapi.parsing import FieldError, companion_first, noting, parse_instant, plausible

AT = datetime(2026, 6, 12, 3, 26, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-06-12T03:26:05.000Z",
        "2026-06-12T03:26:05Z",
        "2026-06-12T05:26:05+02:00",
        "2026-06-12T03:26:05",
        1781234765,
        1781234765.5,
        1781234765000,
        "1781234765",
    ],
)
def test_every_documented_shape_reads_as_the_same_instant(value: object) -> None:
    assert parse_instant(value, "expires") == AT


@pytest.mark.parametrize(
    "value",
    [
        "soon",
        True,
        [],
        {},
        float("nan"),
        "2026-13-40T00:00:00Z",
        "2026-06-12T03:26:05+99:00",
    ],
)
def test_garbage_is_a_field_error(value: object) -> None:
    with pytest.raises(FieldError):
        parse_instant(value, "expires")


@pytest.mark.parametrize(
    "value",
    [
        123456789,
        "123456789",
        -1,
        0.5,
        10**30,
        "0001-01-01T00:00:00.0",
        "0001-01-01T00:00:00+01:00",  # one hour before year 1: must not overflow
        "0001-01-01 00:00:00Z",
        "9999-12-31T23:59:59-14:00",
        "2999-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
    ],
)
def test_placeholders_are_no_time_known_and_noted(value: object) -> None:
    """(Until issue 18 a placeholder was a FieldError, which failed the whole account list.)"""
    with noting() as notes:
        assert parse_instant(value, "expires") is None
    assert notes == [FieldNote("expires", IMPLAUSIBLE)]


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1),  # naive: UTC
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14))),
        datetime(2200, 1, 1, 0, 0, 1, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_the_one_plausibility_check_never_overflows(moment: datetime) -> None:
    with noting() as notes:
        assert plausible(moment, "x") is None
    assert notes == [FieldNote("x", IMPLAUSIBLE)]


def test_the_plausibility_check_converts_offsets_and_takes_naive_times_as_utc() -> None:
    assert plausible(datetime(2026, 6, 12, 5, 26, 5, tzinfo=timezone(timedelta(hours=2))), "x") == AT
    assert plausible(datetime(2026, 6, 12, 3, 26, 5), "x") == AT  # naive
    assert plausible(datetime(2000, 1, 1, tzinfo=UTC), "x") == datetime(2000, 1, 1, tzinfo=UTC)


@given(
    st.datetimes(
        timezones=st.none()
        | st.timezones()
        | st.builds(
            timezone,
            st.timedeltas(
                min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
            ),
        )
    )
)
def test_any_datetime_is_plausible_in_utc_or_none(moment: datetime) -> None:
    found = plausible(moment, "x")
    if found is not None:
        assert found.tzinfo is UTC and datetime(2000, 1, 1, tzinfo=UTC) <= found <= datetime(
            2200, 1, 1, tzinfo=UTC
        )


def test_absent_is_unknown() -> None:
    assert parse_instant(None, "x") is None and parse_instant("", "x") is None


def test_the_utc_companion_wins_over_a_bare_number() -> None:
    obj = {"ExpireTime": 123456789, "ExpireTimeUTC": "2026-06-12T03:26:05.000Z"}
    assert companion_first(obj, "ExpireTimeUTC", "ExpireTime") == AT
    assert companion_first({"ExpireTime": 1781234765}, "ExpireTimeUTC", "ExpireTime") == AT
    assert companion_first({}, "ExpireTimeUTC", "ExpireTime") is None


@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.booleans(), st.none()))
def test_only_field_errors_escape(value: object) -> None:
    try:
        parse_instant(value, "x")
    except FieldError:
        pass


ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(ANY_JSON, ANY_JSON)
def test_companion_first_is_safe_with_anything(iso: object, number: object) -> None:
    """The contract the service modules rely on: a plausible UTC time, None, or a FieldError."""
    try:
        found = companion_first({"ExpireTimeUTC": iso, "ExpireTime": number}, "ExpireTimeUTC", "ExpireTime")
    except FieldError:
        return
    assert found is None or (found.tzinfo is UTC and datetime(2000, 1, 1, tzinfo=UTC) <= found)
