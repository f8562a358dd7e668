"""Readers for the fields useapi.net's 2026 pages leave OPEN (Google Vids, Gemini Notebook, ACE
Music, Mureka): every plausible shape is accepted, and a shape no page shows is "unknown", never
an error. A documented field of the wrong type still fails the answer (`bot.useapi.parsing`);
these readers are for names and values the pages do not settle, where failing the whole account
list over a guess would stop the bot from tracking anything. A present value of a shape they
can't read is noted by the field's name (`bot.useapi.parsing.note`): inside
`UseapiService.read_account` it is stored with the account and shown in `/accounts list`, as
for every service.

No module here defines a `UseapiService`: the registry discovers only the services themselves.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.useapi import errors
from bot.useapi.errors import Failure, UseapiError
from bot.useapi.parsing import UNREADABLE, FieldError, note, parse_instant

# How a healthy account's `health` reads. Pages show "OK" (Google Flow, Vids, Notebook, ACE);
# the other words are guesses at the OPEN values. Each becomes "OK", the value bot.signals
# treats as healthy: a health that is merely absent keeps the stored one (bot.tables.accounts),
# so a healthy word must be reported, never dropped.
HEALTHY = "OK"
_HEALTHY_WORDS = frozenset(
    {"ok", "healthy", "active", "valid", "good", "ready", "connected", "signed in", "signed-in", "signedin"}
)
_NUMERIC = re.compile(r"\s*-?\d+(\.\d+)?\s*")
_COUNT_LIMIT = 1e9


def health(obj: dict[str, Any], name: str = "health") -> str | None:
    """`health` as a signal: "OK" for a healthy word (or true), the value as given otherwise (it
    becomes the reason a person is needed), None when absent or of a shape no page shows."""
    value = obj.get(name)
    if isinstance(value, bool):
        return HEALTHY if value else "not OK"
    if not isinstance(value, str):
        if value is not None:
            note(name, UNREADABLE)
        return None
    text = " ".join(value.split())[:200]
    if not text:
        return None
    return HEALTHY if text.lower() in _HEALTHY_WORDS else text


def text(obj: dict[str, Any], name: str, limit: int = 500) -> str | None:
    """A string field, trimmed; None when absent, empty or not a string (noted)."""
    value = obj.get(name)
    if not isinstance(value, str):
        if value is not None:
            note(name, UNREADABLE)
        return None
    value = value.strip()
    return value[:limit] or None


def error_text(obj: dict[str, Any]) -> str | None:
    """`error` as a string, or the message of an error object (`{code, message, retryAt}`, the
    shape of the 2026 pages' failed job records); None when absent."""
    value = obj.get("error")
    if isinstance(value, dict):
        for name in ("message", "error", "reason"):
            said = text(value, name)
            if said:
                return said
        return None
    return text(obj, "error")


def number(value: Any) -> float | None:
    """A finite number, or a numeric string; None for anything else (true/false included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and _NUMERIC.fullmatch(value):
        # A string of 400 digits is `inf` as a float: not a number anyone means.
        found = float(value)
        return found if math.isfinite(found) else None
    return None


def whole(value: Any) -> int | None:
    """A count: beyond a billion it is not a plausible one (and would not fit SQLite's INTEGER)."""
    found = number(value)
    return None if found is None or abs(found) > _COUNT_LIMIT else int(found)


def instant(value: Any, field: str) -> datetime | None:
    """A time in any shape `parse_instant` reads; None when absent or not a plausible time."""
    try:
        return parse_instant(value, field)
    except FieldError:
        note(field, UNREADABLE)
        return None


def flag(value: Any) -> bool | None:
    """true/false, also as the strings "true"/"false"; None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def obj_at(obj: dict[str, Any], *path: str) -> dict[str, Any] | None:
    """The object at `path` (`obj_at(a, "quota", "video")`), or None when any step is missing
    or not an object."""
    node: Any = obj
    for name in path:
        if not isinstance(node, dict):
            return None
        node = node.get(name)
    return node if isinstance(node, dict) else None


def unwrap(obj: dict[str, Any], *known: str) -> tuple[str | None, dict[str, Any]]:
    """A registration answer keyed by its account (`{"<id>": {...}}`, as Mureka's January 2026
    POST prints it) unwrapped to (key, account); any other answer as (None, itself). Only a
    single entry holding one of an account's `known` fields, in an answer holding none of them
    itself, is taken for a wrapper (`{"user": {"id": …}}` is not one)."""
    if len(obj) == 1 and not any(name in obj for name in known):
        ((key, value),) = obj.items()
        if isinstance(value, dict) and any(name in value for name in known):
            return key, value
    return None, obj


# A list's 404 that says nothing is configured (the wording of useapi.net's older pages, "is not
# configured" of ACE Music's 404). A bare "not found" could be a moved route: never "no accounts".
_NOTHING_CONFIGURED = re.compile(
    r"configuration not found|not configured|\bno\b[^.]{0,40}\baccounts?\b|nothing (is )?configured",
    re.IGNORECASE,
)


def says_nothing_configured(exc: UseapiError) -> bool:
    """An account list's 404 whose JSON error says no account is configured."""
    return (
        exc.failure is Failure.UNAVAILABLE
        and exc.status == 404
        and exc.detail is not None
        and _NOTHING_CONFIGURED.search(exc.detail) is not None
    )


# useapi.net's non-standard 596 (bot.useapi.errors reads it for every service).
SESSION_ERROR = errors.SESSION_ERROR


def signed_out(exc: UseapiError, *, unless_said: bool) -> bool:
    """Whether a 596 means a person must reconnect the account: yes when its text says to re-add
    or reconnect it, no when it says the account is being re-checked, `unless_said` otherwise
    (`bot.useapi.errors.session_broken`)."""
    return errors.session_broken(exc.status, exc.detail, unless_said=unless_said)


def next_month_start_pacific(after: datetime) -> datetime:
    """The first instant of the next month in US Pacific time (a monthly allowance's reset, "the
    1st at 00:00 Pacific"), in UTC. 00:00 on the 1st is daylight time (UTC-7) from April to
    November and standard time (UTC-8) from December to March under the US rules since 2007
    (DST runs from the second Sunday of March to the first Sunday of November), so no time-zone
    database is needed."""
    after = after.astimezone(UTC)
    year, month = after.year, after.month
    for _ in range(3):  # this month's start may still be ahead in UTC terms; else the next one
        offset = timedelta(hours=7 if 4 <= month <= 11 else 8)
        start = datetime(year, month, 1, tzinfo=UTC) + offset
        if start > after:
            return start
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("unreachable: a month start is at most two months ahead")
