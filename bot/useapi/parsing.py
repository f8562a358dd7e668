"""Strict readers for the loosely typed fields useapi.net returns.

Every field may be missing or null; a present field of the wrong type is a
bad response, never a crash further down.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

_LUMA_EXPIRES = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) UTC")
_ISO_UTC = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z")
# Unix milliseconds between 2000 and 2200: anything else is not a real expiry.
_MIN_MS = 946_684_800_000
_MAX_MS = 7_258_118_400_000


class FieldError(ValueError):
    """A field is present but malformed."""


def _build(parts: tuple[str | None, ...], field: str, raw: str) -> datetime:
    try:
        year, month, day, hour, minute, second = (int(p) for p in parts[:6] if p is not None)
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise FieldError(f"{field}: {raw[:40]!r} is not a real date") from exc


def parse_luma_expires(value: Any, field: str = "luma_session_expires") -> datetime | None:
    """`"2026-05-27 00:28:17 UTC"` → an aware UTC datetime; None when absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(f"{field} should be a string, got {type(value).__name__}")
    match = _LUMA_EXPIRES.fullmatch(value.strip())
    if not match:
        raise FieldError(f"{field}: {value[:40]!r} is not like '2026-05-27 00:28:17 UTC'")
    return _build(match.groups(), field, value)


def parse_iso_utc(value: Any, field: str) -> datetime | None:
    """`"2025-06-03T12:13:14.000Z"` → aware UTC datetime (sub-second part dropped)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(f"{field} should be a string, got {type(value).__name__}")
    match = _ISO_UTC.fullmatch(value.strip())
    if not match:
        raise FieldError(f"{field}: {value[:40]!r} is not like '2025-06-03T12:13:14.000Z'")
    return _build(match.groups(), field, value)


def parse_millis(value: Any, field: str) -> datetime | None:
    """Unix milliseconds → aware UTC datetime (whole seconds)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError(f"{field} should be a number of milliseconds, got {type(value).__name__}")
    if not math.isfinite(value) or not _MIN_MS <= value <= _MAX_MS:
        raise FieldError(f"{field}: {value!r} is not a plausible time in milliseconds")
    return datetime.fromtimestamp(int(value) // 1000, tz=UTC)


def millis_or_iso(obj: dict[str, Any], name: str) -> datetime | None:
    """LTX sends `name` (ms) and/or `nameUTC` (ISO); prefer the number, fall back to the string."""
    parsed = parse_millis(obj.get(name), name)
    if parsed is not None:
        return parsed
    return parse_iso_utc(obj.get(f"{name}UTC"), f"{name}UTC")


def optional_str(obj: dict[str, Any], name: str, *, limit: int = 500) -> str | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(f"{name} should be a string, got {type(value).__name__}")
    return value[:limit]


def optional_int(obj: dict[str, Any], name: str) -> int | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FieldError(f"{name} should be a number, got {type(value).__name__}")
    return int(value)


def optional_number(obj: dict[str, Any], name: str) -> float | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FieldError(f"{name} should be a number, got {type(value).__name__}")
    return float(value)


def optional_bool(obj: dict[str, Any], name: str) -> bool | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise FieldError(f"{name} should be true or false, got {type(value).__name__}")
    return value


def require_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError(f"{what} should be a JSON object, got {type(value).__name__}")
    return value


_ISO_OFFSET = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?"
)
# Unix seconds between 2000 and 2200; a bigger number is taken as milliseconds (useapi.net's
# pages state no unit, and their examples disagree: see ../shared/upstream/SERVICES.md).
_MIN_S = 946_684_800
_MAX_S = 7_258_118_400


def parse_instant(value: Any, field: str) -> datetime | None:
    """An instant in any shape useapi.net uses: ISO 8601 (`Z`, an offset, or none: UTC), or a
    number (or numeric string) of Unix seconds or milliseconds. None when absent; FieldError when
    present but not a plausible time between 2000 and 2200."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise FieldError(f"{field} should be a time, got a boolean")
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return parse_instant(float(text), field)
        match = _ISO_OFFSET.fullmatch(text)
        if not match:
            raise FieldError(f"{field}: {value[:40]!r} is not a date and time")
        built = _build(match.groups()[:6], field, value)
        zone = match.group(8)
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            offset = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
            built = datetime.fromtimestamp(built.timestamp() - offset, tz=UTC)
        if not _MIN_S <= built.timestamp() <= _MAX_S:  # "0001-01-01T00:00:00" is a placeholder
            raise FieldError(f"{field}: {value[:40]!r} is not a plausible time")
        return built
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise FieldError(f"{field} should be a time, got {type(value).__name__}")
    seconds = value / 1000 if value > _MAX_S else value
    if not _MIN_S <= seconds <= _MAX_S:
        raise FieldError(f"{field}: {value!r} is not a plausible time")
    return datetime.fromtimestamp(int(seconds), tz=UTC)


def companion_first(obj: dict[str, Any], iso_name: str, number_name: str) -> datetime | None:
    """Prefer the ISO/UTC companion (`ExpireTimeUTC`) over a bare number of unstated unit
    (`ExpireTime`); an unreadable companion falls back to the number rather than failing."""
    try:
        parsed = parse_instant(obj.get(iso_name), iso_name)
    except FieldError:
        parsed = None
    if parsed is not None:
        return parsed
    return parse_instant(obj.get(number_name), number_name)
