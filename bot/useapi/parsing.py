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
