"""Readers for the account fields useapi.net's pages leave OPEN (Runway, PixVerse, MiniMax).

The strict readers of `bot.useapi.parsing` turn a present field of the wrong shape into a
FieldError, and one FieldError makes a whole account list unreadable. For a field whose name,
unit or shape no page settles, that is the wrong trade: here a field that can't be read is
"unknown" for that account only, and the others are read as usual. Nothing read here can mark
an account gone (only a list the base class reads as a whole can), and an `error` in an
unexpected shape still counts as an error, never as "no error".

Each oddity is noted by the field's name, never its value (these bodies hold tokens,
`jwt.token`): inside `UseapiService.read_account` as one of the account's field notes (stored
and shown in `/accounts list`, logged once per account and field there, as for every service);
elsewhere logged here once per service, account and field, so a log line every sync doesn't
bury the one that matters.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.useapi.parsing import UNREADABLE, FieldError, note, noting, noting_now, parse_instant

log = logging.getLogger(__name__)

# Two readings of one instant further apart than this disagree (the pages' ISO strings carry
# milliseconds, their numbers a fraction of a second).
DISAGREEMENT = timedelta(minutes=1)
MAX_ERROR_LENGTH = 500
# How many (service, account, topic) notes are remembered before the memory starts over.
MAX_NOTES = 10_000
_NUMERIC = re.compile(r"\s*-?\d+(\.\d+)?\s*")

_noted: set[tuple[str, str, str]] = set()


def note_once(service: str, account: str, topic: str, message: str) -> bool:
    """Log `message` the first time this (service, account, topic) is seen; True if logged.
    `message` must never carry a field's value, only names and types."""
    key = (service, account, topic)
    if key in _noted:
        return False
    if len(_noted) >= MAX_NOTES:
        _noted.clear()
    _noted.add(key)
    log.warning("%s account %s: %s", service, account, message)
    return True


def forget_notes() -> None:
    """For tests: every note may be logged again."""
    _noted.clear()


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


@dataclass(frozen=True)
class Lenient:
    """Reads one account object of `service`, keyed `account`, without ever raising."""

    service: str
    account: str

    def note(self, topic: str, message: str) -> None:
        """`topic` (a field's name) was read as unknown. Inside `read_account` it becomes one of
        the account's field notes (stored, shown in `/accounts list`, logged once there);
        elsewhere (a registration's credits) it is logged here, once."""
        if noting_now():
            note(topic, UNREADABLE)
        else:
            note_once(self.service, self.account, topic, message)

    def object(self, obj: dict[str, Any], name: str, *, label: str | None = None) -> dict[str, Any] | None:
        value = obj.get(name)
        if value is None or isinstance(value, dict):
            return value
        self.note(label or name, f"{label or name} is a {_kind(value)}, not an object; read as absent")
        return None

    def text(
        self, obj: dict[str, Any], name: str, *, limit: int = 500, label: str | None = None
    ) -> str | None:
        """A string (stripped; blank is absent); a number is taken as its digits (an account id)."""
        value = obj.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value.strip()[:limit] or None
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)[:limit]
        self.note(label or name, f"{label or name} is a {_kind(value)}, not text; read as absent")
        return None

    def number(self, obj: dict[str, Any], name: str, *, label: str | None = None) -> float | None:
        """A finite number, or a numeric string."""
        value = obj.get(name)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        if isinstance(value, str) and _NUMERIC.fullmatch(value) and math.isfinite(float(value)):
            return float(value)
        self.note(label or name, f"{label or name} is a {_kind(value)}, not a number; read as unknown")
        return None

    def whole(self, obj: dict[str, Any], name: str, *, label: str | None = None) -> int | None:
        number = self.number(obj, name, label=label)
        return None if number is None or abs(number) > 1e9 else int(number)

    def instant(
        self, obj: dict[str, Any], name: str, *, label: str | None = None, quiet: bool = False
    ) -> datetime | None:
        """Any time shape `parse_instant` reads (ISO, Unix seconds or milliseconds); a value it
        refuses is unknown (noted unless `quiet`)."""
        try:
            if quiet:  # a placeholder beside a good companion: no note of any kind
                with noting():
                    return parse_instant(obj.get(name), label or name)
            return parse_instant(obj.get(name), label or name)
        except FieldError:
            if not quiet:
                value = obj.get(name)
                self.note(
                    label or name,
                    f"{label or name} ({_kind(value)}) is not a plausible time; read as unknown",
                )
            return None

    def deadline(
        self, obj: dict[str, Any], iso_names: Iterable[str], number_name: str, *, prefix: str
    ) -> datetime | None:
        """The first readable ISO companion among `iso_names`, else the bare number
        `number_name`. When both are readable and disagree, the ISO one wins and the
        disagreement is logged (once per account)."""
        iso: datetime | None = None
        iso_label = ""
        for name in iso_names:
            iso = self.instant(obj, name, label=f"{prefix}.{name}")
            if iso is not None:
                iso_label = f"{prefix}.{name}"
                break
        # The number is only worth a note when nothing better was found (PixVerse's pages print
        # a placeholder, 123456789, beside every good ISO string).
        number = self.instant(obj, number_name, label=f"{prefix}.{number_name}", quiet=iso is not None)
        if iso is not None and number is not None and abs(iso - number) > DISAGREEMENT:
            note_once(
                self.service,
                self.account,
                f"{prefix}.{number_name} vs {iso_label}",
                f"{iso_label} and {prefix}.{number_name} disagree by {_span(abs(iso - number))}; "
                f"warning by {iso_label}",
            )
        return iso if iso is not None else number

    def error(self, obj: dict[str, Any]) -> str | None:
        """`error` (with `errorDetails` when given): the "a person must act now" text. A present
        error of another shape (a list of strings, an object with a message) is still an error."""
        value = obj.get("error")
        text: str | None
        if value is None or value is False:
            return None
        if isinstance(value, str):
            text = value.strip() or None
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            text = "; ".join(v.strip() for v in value if v.strip()) or None
        elif isinstance(value, dict) and isinstance(value.get("message"), str) and value["message"].strip():
            text = value["message"].strip()
        else:
            self.note("error", f"error is a {_kind(value)}, not text; reported as an unreadable error")
            text = "useapi.net reports an error on this account (its text could not be read)"
        if text is None:
            return None
        details = obj.get("errorDetails")
        if isinstance(details, str) and details.strip() and details.strip() not in text:
            text = f"{text} ({details.strip()})"
        return text[:MAX_ERROR_LENGTH]


def _span(delta: timedelta) -> str:
    days, seconds = delta.days, delta.seconds
    if days:
        return f"{days}d {seconds // 3600}h"
    return f"{seconds // 3600}h {seconds % 3600 // 60}m"
