"""Strict readers for the loosely typed fields useapi.net returns.

Every field may be missing or null; a present field of the wrong type is a FieldError, which
`UseapiService.read_account` confines to that one field (read as unknown, never a failed list).

Every instant goes through ONE plausibility check (`plausible`): a time that reads as a date but
cannot be a real deadline (year 1, year 9999, before 2000 or after 2200, a placeholder number
such as Kling's `123456789`) is None, "no deadline known", and noted (`note`) so the account can
say why in `/accounts` and the log can say it once. Naive times are UTC; offsets are converted;
the arithmetic never overflows, whatever the value.
"""

from __future__ import annotations

import calendar
import math
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from bot.models import IMPLAUSIBLE, PLAUSIBLE_FROM, PLAUSIBLE_UNTIL, UNREADABLE, FieldNote

__all__ = ["IMPLAUSIBLE", "PLAUSIBLE_FROM", "PLAUSIBLE_UNTIL", "UNREADABLE", "FieldError", "FieldNote"]

_LUMA_EXPIRES = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) UTC")
_ISO_UTC = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z")
# At most this many notes per account: a hostile answer can't grow the stored row.
MAX_NOTES = 10
_FIELD_LIMIT = 80


class FieldError(ValueError):
    """A field is present but malformed. `field` names it (as the service reads it) when known."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# -- notes: what one account's reading found implausible or unreadable -------------------------

_NOTES: ContextVar[list[FieldNote] | None] = ContextVar("useapi_field_notes", default=None)


class noting:  # used like a function: `with noting() as notes:`
    """Collect the notes (`note`) made while reading one account; outside, notes go nowhere.
    (A class, not @contextmanager: it wraps every account of every list read.)"""

    def __enter__(self) -> list[FieldNote]:
        self._notes: list[FieldNote] = []
        self._token = _NOTES.set(self._notes)
        return self._notes

    def __exit__(self, *_: object) -> None:
        _NOTES.reset(self._token)


def noting_now() -> bool:
    """Whether notes are being collected (inside `UseapiService.read_account`), so a reader
    that logs its own oddities can leave that to the one log line per account and field."""
    return _NOTES.get() is not None


def note(field: str, problem: str) -> None:
    """Say that `field` was read as unknown because of `problem` (IMPLAUSIBLE or UNREADABLE)."""
    notes = _NOTES.get()
    if notes is None:
        return
    found = FieldNote(field[:_FIELD_LIMIT], problem)
    if found not in notes and len(notes) < MAX_NOTES:
        notes.append(found)


# -- instants -----------------------------------------------------------------------------------


def plausible_epoch(seconds: float, field: str) -> datetime | None:
    """Unix seconds → an aware UTC datetime (whole seconds), or None (noted) when not plausible."""
    if not math.isfinite(seconds) or not PLAUSIBLE_FROM <= seconds <= PLAUSIBLE_UNTIL:
        note(field, IMPLAUSIBLE)
        return None
    return datetime.fromtimestamp(int(seconds), tz=UTC)


def plausible(moment: datetime, field: str) -> datetime | None:
    """The one plausibility check of every instant read from useapi.net: `moment` in UTC (naive
    is taken as UTC, an offset is converted) when it lies in 2000-2200, else None (noted).
    Never raises, even for datetime.min with an offset."""
    offset = moment.utcoffset()
    naive = moment.replace(tzinfo=None)
    seconds = calendar.timegm(naive.timetuple()) - (offset.total_seconds() if offset else 0)
    return plausible_epoch(seconds, field)


def _build(parts: tuple[str | None, ...], field: str, raw: str, offset_seconds: int = 0) -> datetime | None:
    try:
        year, month, day, hour, minute, second = (int(p) for p in parts[:6] if p is not None)
        naive = datetime(year, month, day, hour, minute, second)  # UTC; checked below
    except ValueError as exc:
        raise FieldError(f"{field}: {raw[:40]!r} is not a real date", field=field) from exc
    return plausible_epoch(calendar.timegm(naive.timetuple()) - offset_seconds, field)


def parse_luma_expires(value: Any, field: str = "luma_session_expires") -> datetime | None:
    """`"2026-05-27 00:28:17 UTC"` → an aware UTC datetime; None when absent or implausible."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(f"{field} should be a string, got {type(value).__name__}", field=field)
    match = _LUMA_EXPIRES.fullmatch(value.strip())
    if not match:
        raise FieldError(f"{field}: {value[:40]!r} is not like '2026-05-27 00:28:17 UTC'", field=field)
    return _build(match.groups(), field, value)


def parse_iso_utc(value: Any, field: str) -> datetime | None:
    """`"2025-06-03T12:13:14.000Z"` → aware UTC datetime (sub-second part dropped); None when
    absent or implausible."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(f"{field} should be a string, got {type(value).__name__}", field=field)
    match = _ISO_UTC.fullmatch(value.strip())
    if not match:
        raise FieldError(f"{field}: {value[:40]!r} is not like '2025-06-03T12:13:14.000Z'", field=field)
    return _build(match.groups(), field, value)


def parse_millis(value: Any, field: str) -> datetime | None:
    """Unix milliseconds → aware UTC datetime (whole seconds); None when absent or implausible."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(
            f"{field} should be a number of milliseconds, got {type(value).__name__}", field=field
        )
    if not math.isfinite(value):
        raise FieldError(f"{field}: {value!r} is not a number of milliseconds", field=field)
    return plausible_epoch(value / 1000, field)


def millis_or_iso(obj: dict[str, Any], name: str) -> datetime | None:
    """LTX sends `name` (ms) and/or `nameUTC` (ISO); prefer the number, fall back to the string."""
    parsed = parse_millis(obj.get(name), name)
    if parsed is not None:
        return parsed
    return parse_iso_utc(obj.get(f"{name}UTC"), f"{name}UTC")


def clean_text(value: str) -> str:
    """Text that can be stored and shown: JSON may carry lone surrogates (`"\\ud800"`), which
    SQLite can't encode; they become U+FFFD."""
    if value.isascii():
        return value
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def optional_str(obj: dict[str, Any], name: str, *, limit: int = 500) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(f"{name} should be a string, got {type(value).__name__}", field=name)
    return clean_text(value[:limit])


# SQLite's INTEGER is 64-bit: a bigger count is not a count (and could not be stored).
_INT_LIMIT = 2**63 - 1


def optional_int(obj: dict[str, Any], name: str) -> int | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FieldError(f"{name} should be a number, got {type(value).__name__}", field=name)
    if abs(value) > _INT_LIMIT:
        raise FieldError(f"{name}: {value!r:.40} is not a plausible count", field=name)
    return int(value)


def optional_number(obj: dict[str, Any], name: str) -> float | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FieldError(f"{name} should be a number, got {type(value).__name__}", field=name)
    return float(value)


def optional_bool(obj: dict[str, Any], name: str) -> bool | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise FieldError(f"{name} should be true or false, got {type(value).__name__}", field=name)
    return value


def require_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError(f"{what} should be a JSON object, got {type(value).__name__}")
    return value


_ISO_OFFSET = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?"
)
# A bigger number than the plausible seconds is taken as milliseconds (useapi.net's pages state
# no unit, and their examples disagree: see ../shared/upstream/SERVICES.md).
_MIN_S = PLAUSIBLE_FROM
_MAX_S = PLAUSIBLE_UNTIL
_NUMERIC = re.compile(r"\d+(\.\d+)?")


def _offset_seconds(zone: str | None, field: str, raw: str) -> int:
    if not zone or zone == "Z":
        return 0
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 18 or minutes > 59:  # ISO 8601 offsets stay within ±18:00
        raise FieldError(f"{field}: {raw[:40]!r} has no real UTC offset", field=field)
    return (1 if zone[0] == "+" else -1) * (hours * 3600 + minutes * 60)


def parse_instant(value: Any, field: str) -> datetime | None:
    """An instant in any shape useapi.net uses: ISO 8601 (`Z`, an offset, or none: UTC), or a
    number (or numeric string) of Unix seconds or milliseconds.

    None when absent, and None (noted as IMPLAUSIBLE) when it reads as a time outside 2000-2200:
    a placeholder is "no deadline known", never a bogus date. FieldError when present but not a
    time at all. Safe to call with any value."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FieldError(f"{field} should be a time, got a boolean", field=field)
    if isinstance(value, str):
        text = value.strip()
        if _NUMERIC.fullmatch(text):
            return parse_instant(float(text), field)
        match = _ISO_OFFSET.fullmatch(text)
        if not match:
            raise FieldError(f"{field}: {value[:40]!r} is not a date and time", field=field)
        return _build(match.groups()[:6], field, value, _offset_seconds(match.group(8), field, value))
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise FieldError(f"{field} should be a time, got {type(value).__name__}", field=field)
    seconds = value / 1000 if value > _MAX_S else value
    return plausible_epoch(seconds, field)


def companion_first(obj: dict[str, Any], iso_name: str, number_name: str) -> datetime | None:
    """Prefer the ISO/UTC companion (`ExpireTimeUTC`) over a bare number of unstated unit
    (`ExpireTime`); an unreadable or implausible companion falls back to the number rather than
    failing."""
    try:
        parsed = parse_instant(obj.get(iso_name), iso_name)
    except FieldError:
        note(iso_name, UNREADABLE)
        parsed = None
    if parsed is not None:
        return parsed
    return parse_instant(obj.get(number_name), number_name)
