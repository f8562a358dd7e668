"""Human durations such as `15m`, `1h30m` or `7d`, and lists of them (`7d,2d,12h`)."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d{1,7})([smhd])")
# Ten years: anything longer is a typo, and keeps timedelta far from overflow.
MAX_DURATION = timedelta(days=3650)


class DurationError(ValueError):
    """An invalid duration; the message says what was wrong and what is accepted."""


def parse_duration(raw: str, *, allow_bare_seconds: bool = True) -> timedelta:
    text = raw.strip().lower().replace(" ", "")
    if not text:
        raise DurationError("a duration is required, for example 15m, 6h or 2d")
    if allow_bare_seconds and text.isdigit() and len(text) <= 9:
        seconds = int(text)
    else:
        pos = 0
        seconds = 0
        for match in _PART.finditer(text):
            if match.start() != pos:
                break
            seconds += int(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if pos != len(text) or pos == 0:
            shown = raw.strip()[:40]
            raise DurationError(
                f"{shown!r} is not a duration; use a number and a unit (s, m, h, d), for example 90m or 1h30m"
            )
    value = timedelta(seconds=seconds)
    if value > MAX_DURATION:
        raise DurationError(f"{raw.strip()[:40]!r} is longer than ten years")
    return value


def parse_duration_list(raw: str) -> list[timedelta]:
    """Parse `7d,2d,12h` into distinct positive durations, longest first."""
    parts = [p for p in re.split(r"[,\s]+", raw.strip()) if p]
    if not parts:
        raise DurationError("give at least one duration, for example 72h,24h,6h")
    if len(parts) > 10:
        raise DurationError(f"at most 10 stages, got {len(parts)}")
    values: list[timedelta] = []
    for part in parts:
        value = parse_duration(part, allow_bare_seconds=False)
        if value <= timedelta(0):
            raise DurationError(f"{part!r} must be longer than zero")
        if value in values:
            raise DurationError(f"{part!r} is given twice")
        values.append(value)
    return sorted(values, reverse=True)


def format_duration(value: timedelta) -> str:
    """Shortest exact form: 3d, 36h, 90m, 45s, 1h30m."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            out.append(f"{count}{unit}")
    return "".join(out)
