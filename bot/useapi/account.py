"""GET /v2/account: the team's useapi.net account in one call (subscription, slots, every API's
account counts), read leniently.

Page: ../shared/upstream/account/get-account.txt (dated April 7, 2025; SERVICES.md, "The team's
useapi.net account"). What is read, and what was assumed where the page says OPEN or shows
nothing:
- `subscriptionIsActive`: a boolean. Not among the Model's visible lines (OPEN): also read from
  "true"/"false" and 1/0; anything else, or missing, is unknown (never "lapsed").
- `subscriptions`, `maxAccountsPerAPI`: counts; a whole-number string is read as its number;
  anything else is unknown (no slot warning can then be judged).
- `sub`: "YYMMDD", the last renewal; anything else is unknown. When it ENDS is not documented
  (OPEN): nothing is derived from it but the date people read.
- `accounts`: `{ "<display name>": {total?, active?, error?} }`. A missing count is 0 (the page
  omits zero counts); a whole-number string is its number; a negative, fractional, boolean or
  other value is unknown for that count only. An entry that is not an object is listed with
  every count unknown. A missing `accounts`, or one that is not an object, is unknown as a whole
  (`accounts is None`): it never reads as "no accounts". The keys are display names ("Runway AP"
  [sic]) whose 2026 spellings are OPEN: they are kept as written (cleaned of control characters,
  what is not printable made a space, at most 80 characters, at most 200 entries), and matched to services elsewhere
  (bot/team_account.py).
- `id`, `email`, `name`, `created`, `verified`, `updated`, `replyUrl`: not read; never kept.
A body that is not a JSON object is an unreadable answer (BAD_RESPONSE), like a list's.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.useapi.base import Transport
from bot.useapi.errors import Failure, UseapiError
from bot.useapi.parsing import clean_text

log = logging.getLogger(__name__)

ACCOUNT_PATH = "/v2/account"
LABEL = "useapi.net account"
MAX_ENTRIES = 200  # useapi.net lists a dozen services; a longer map is not one
_NAME_LIMIT = 80
_WHOLE = re.compile(r"\s*\d{1,12}\s*")
_SUB = re.compile(r"\s*(\d{2})(\d{2})(\d{2})\s*")


@dataclass(frozen=True)
class ServiceSlots:
    """One entry of `accounts`: a useapi.net API as its summary names it, and its counts
    (None: present but unreadable)."""

    name: str
    total: int | None = 0
    active: int | None = 0
    error: int | None = 0

    @property
    def has_accounts(self) -> bool | None:
        """True when any count is above 0; False when every count reads 0; None otherwise."""
        counts = (self.total, self.active, self.error)
        if any(c for c in counts if c):
            return True
        return False if all(c == 0 for c in counts) else None


@dataclass(frozen=True)
class AccountSummary:
    """What one readable /v2/account answer said. None: that field was missing or unreadable."""

    subscription_active: bool | None = None
    subscriptions: int | None = None
    max_accounts_per_api: int | None = None
    renewed: date | None = None  # `sub`
    accounts: tuple[ServiceSlots, ...] | None = None
    unreadable: tuple[str, ...] = ()  # names of the fields read as unknown

    def to_json(self) -> dict[str, Any]:
        return {
            "subscription_active": self.subscription_active,
            "subscriptions": self.subscriptions,
            "max_accounts_per_api": self.max_accounts_per_api,
            "renewed": self.renewed.isoformat() if self.renewed else None,
            "accounts": None
            if self.accounts is None
            else [[s.name, s.total, s.active, s.error] for s in self.accounts],
            "unreadable": list(self.unreadable),
        }

    @classmethod
    def from_json(cls, data: Any) -> AccountSummary | None:
        """What `to_json` wrote; None for anything unreadable (the caller starts afresh)."""
        if not isinstance(data, dict):
            return None
        try:
            accounts = data.get("accounts")
            renewed = data.get("renewed")
            return cls(
                subscription_active=_stored_bool(data.get("subscription_active")),
                subscriptions=_stored_int(data.get("subscriptions")),
                max_accounts_per_api=_stored_int(data.get("max_accounts_per_api")),
                renewed=date.fromisoformat(renewed) if isinstance(renewed, str) else None,
                accounts=None
                if accounts is None
                else tuple(
                    ServiceSlots(str(n)[:_NAME_LIMIT], _stored_int(t), _stored_int(a), _stored_int(e))
                    for n, t, a, e in accounts[:MAX_ENTRIES]
                ),
                unreadable=tuple(str(u)[:_NAME_LIMIT] for u in data.get("unreadable", ())[:20]),
            )
        except (TypeError, ValueError):
            return None


def _stored_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _stored_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _count(value: Any) -> int | None:
    """A count as useapi.net may send it; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 2**53 else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() and 0 <= value < 2**53 else None
    if isinstance(value, str) and _WHOLE.fullmatch(value):
        return int(value)
    return None


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def _renewal(value: Any) -> date | None:
    match = _SUB.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(2000 + year, month, day)
    except ValueError:
        return None


def _slots(name: str, entry: Any) -> ServiceSlots:
    if not isinstance(entry, dict):
        return ServiceSlots(name, None, None, None)
    # A count the page omits is 0; a present one that is not a count is unknown.
    return ServiceSlots(
        name,
        *(
            0 if entry.get(field) is None else _count(entry.get(field))
            for field in ("total", "active", "error")
        ),
    )


def parse_account_summary(body: Any) -> AccountSummary:
    """Read a /v2/account answer; raises ValueError only when it is not a JSON object."""
    if not isinstance(body, dict):
        raise ValueError(f"the account summary should be a JSON object, got {type(body).__name__}")
    unreadable: list[str] = []

    def read(name: str, reader: Any) -> Any:
        raw = body.get(name)
        value = reader(raw)
        if value is None and raw is not None:
            unreadable.append(name)
        return value

    accounts: tuple[ServiceSlots, ...] | None = None
    raw_accounts = body.get("accounts")
    if isinstance(raw_accounts, dict):
        entries = []
        for key, entry in list(raw_accounts.items())[:MAX_ENTRIES]:
            printable = "".join(ch if ch.isprintable() else " " for ch in clean_text(str(key)))
            name = " ".join(printable.split())[:_NAME_LIMIT]
            if name:
                entries.append(_slots(name, entry))
        accounts = tuple(entries)
    elif raw_accounts is not None:
        unreadable.append("accounts")
    return AccountSummary(
        subscription_active=read("subscriptionIsActive", _flag),
        subscriptions=read("subscriptions", _count),
        max_accounts_per_api=read("maxAccountsPerAPI", _count),
        renewed=read("sub", _renewal),
        accounts=accounts,
        unreadable=tuple(unreadable),
    )


async def read_account_summary(transport: Transport) -> AccountSummary:
    """GET /v2/account with the team's token; UseapiError on any failure, BAD_RESPONSE for an
    answer that is not a JSON object (the transport already refuses an empty or non-JSON one)."""
    body = await transport.request("GET", ACCOUNT_PATH, label=LABEL)
    try:
        return parse_account_summary(body)
    except ValueError:
        log.warning("useapi GET %s: the answer is not a JSON object", ACCOUNT_PATH)
        raise UseapiError(
            Failure.BAD_RESPONSE, service_label=LABEL, status=200, outcome_unknown=True
        ) from None
