"""`parse_instant` and `companion_first`: every time shape useapi.net's pages show, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.useapi.parsing import FieldError, companion_first, parse_instant

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
        123456789,
        "soon",
        True,
        [],
        {},
        float("nan"),
        "2026-13-40T00:00:00Z",
        "0001-01-01T00:00:00.0",
        "2999-01-01T00:00:00Z",
    ],
)
def test_placeholders_and_garbage_are_field_errors(value: object) -> None:
    with pytest.raises(FieldError):
        parse_instant(value, "expires")


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
