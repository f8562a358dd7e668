"""Google Flow (Veo) on useapi.net: accounts configured from the Google cookie table.

Built from ../shared/upstream/google-flow/ (SERVICES.md, Google Flow row and note):
post-google-flow-accounts.txt (November 17, 2025), get-google-flow-accounts.txt (November 17,
2025, updated December 1, 2025), get-google-flow-accounts-email.txt (November 17, 2025, updated
June 15, 2026), delete-google-flow-accounts-email.txt (November 17, 2025) and
setup-browser-google-flow.txt (undated). The manual "Setup Google Flow" page is not stored.

What a person pastes: the cookie table Chrome's developer tools show (Application → Cookies),
rows copied as they are: tab-separated, Name, Value, Domain, … columns, a header row optional.
useapi.net takes it as the `cookies` string and extracts the account's email itself, so the key
is the email (URL-encoded in paths: `account_path`). The table is passed on as pasted with three
normalisations: line endings become `\\n`, blank lines go, and rows of a non-Google domain are
dropped (another site's cookies are not useapi.net's business and must not leave the bot). Values
are kept as the developer tools show them (`=` padding, quotes, `%XX` escapes: never decoded).

Which expiry is warned about, and why:
- `expires_at` (the deadline a person must act by) is the earliest `accountCookies[].expires`:
  the Google sign-in cookies useapi.net cannot renew; once they lapse, only a fresh paste helps.
  A cookie whose `expires` is absent, `-1`/`0`, or "Session" (how DevTools shows a session cookie)
  has no deadline and is skipped. The summary GET /accounts (Dec 2025) has no `accountCookies`:
  then `expires_at` is None (unknown), never a guess; POST and GET /accounts/{email} carry them.
- `sessionData.expires` (~1 day) is the session useapi.net refreshes itself
  (`nextRefresh.scheduledFor`): `self_renewing_expires_at` / `next_refresh_at`, never a deadline.
- `health` other than "OK", and `error`, mean a person must act now: both reported as they are.

Credits (`credit_source` DETAILS): `credits.credits` of GET /accounts/{email} (the June 2026
page: `"credits": {"credits": 1250, "userPaygateTier": "PAYGATE_TIER_TWO"}`), read with the
details the bot reads anyway for the cookies' expiry; one figure, "credits", in Google Flow
credits (a Veo video costs `models.videoModels[].creditCost`). Whether the figure is live is
OPEN; no allowance or reset date is given. The list (a summary) and POST carry none.

OPEN points and how they are met: the POST error bodies and the status of "existing account
updated" are not printed (any 2xx is success, any error body is shown scrubbed); the per-cookie
`expires` is `string | number` of unstated unit (`parse_instant`: ISO, Unix seconds or ms);
the example emails are masked ("jo***@gmail.com"), taken to be the docs' own redaction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from bot.cookies import MAX_PASTE_LENGTH, MAX_VALUE_LENGTH
from bot.form_errors import CookieError, Fixed, problem
from bot.services import _open_fields
from bot.useapi.base import AccountInfo, Credit, CreditFigure, CreditSource, EmptyList, UseapiService
from bot.useapi.forms import FormField, Submission
from bot.useapi.parsing import FieldError, optional_str, parse_instant

log = logging.getLogger(__name__)

# A whole table is a few dozen rows; the limit keeps a pasted log file out.
MAX_ROWS = 300
# The hosts whose cookies useapi.net reads (accountCookies on .google.com, sessionCookies on
# labs.google, per the page's examples); their subdomains too.
GOOGLE_DOMAINS = ("google.com", "labs.google")
# Only where the paste is not a table at all: a table's own cells (its domains) must never be
# echoed, and the secret sweep takes every word of a pasted table for a secret.
WHERE_TO_COPY = Fixed(
    "Open labs.google/fx/tools/flow signed in, then in the developer tools (F12) go to "
    "Application → Cookies, select the rows of labs.google and of accounts.google.com and copy "
    "them (Ctrl+C) as they are: one cookie a line, columns separated by tabs."
)
GOOGLE_SITES = Fixed("labs.google or google.com")
COPY_AGAIN = "Copy the rows again from the developer tools (Application → Cookies), as they are."

TABLE_IS_HEADER = problem(
    "table_is_cookie_header",
    "That is a Cookie header, not the cookie table useapi.net needs. {where_to_copy}",
    "A Cookie header was pasted instead of the cookie table.",
)
TABLE_IS_JSON = problem(
    "table_is_json",
    "That looks like a cookie export in JSON, not the cookie table useapi.net needs. {where_to_copy}",
    "A JSON cookie export was pasted instead of the cookie table.",
)
TABLE_IS_PAIRS = problem(
    "table_is_cookie_pairs",
    "That looks like a cookie header (`name=value; …`), not the cookie table useapi.net needs. "
    "{where_to_copy}",
    "Cookie pairs were pasted instead of the cookie table.",
)
TABLE_IS_VALUE = problem(
    "table_is_single_value",
    "That is a single value, not the cookie table useapi.net needs. {where_to_copy}",
    "A single value was pasted instead of the cookie table.",
)
TABLE_NO_TABS = problem(
    "table_without_tabs",
    "What you pasted has no tabs between its columns, so it is not the cookie table as the "
    "developer tools copy it (some editors turn tabs into spaces). Copy the rows straight from "
    "the browser's developer tools (Application → Cookies) into this form.",
    "The pasted table had no tabs between its columns.",
)
TABLE_FIELD_TOO_LONG = problem(
    "table_field_too_long",
    "That is {length} characters, more than a form field holds ({limit}). "
    "Paste the rest of the table into the second field.",
    "A field of the cookie table was longer than a form field holds.",
)
TABLE_EMPTY = problem(
    "table_empty",
    "Nothing was pasted. {where_to_copy}",
    "Nothing was pasted.",
)
TABLE_TOO_MANY_LINES = problem(
    "table_too_many_lines",
    "That is {lines} lines, more than any cookie table ({limit} at most). "
    "Copy only the cookie rows of the two Google sites.",
    "The pasted table had more lines than any cookie table.",
)
TABLE_HEADER_COLUMNS = problem(
    "table_header_columns",
    "The table's header row has no Name, Value and Domain columns. Show those columns in the "
    "developer tools' cookie table and copy it again.",
    "The table's header row lacked the Name, Value or Domain column.",
)
TABLE_ROW_SHORT = problem(
    "table_row_not_cookie",
    "Line {line} of the table is not a cookie row (it needs Name, Value and Domain columns "
    "separated by tabs). " + COPY_AGAIN,
    "A line of the table was not a cookie row.",
)
TABLE_ROW_NAME = problem(
    "table_row_without_name",
    "Line {line} of the table does not start with a cookie name. " + COPY_AGAIN,
    "A line of the table did not start with a cookie name.",
)
TABLE_ROW_DOMAIN = problem(
    "table_row_without_domain",
    "Line {line} of the table has no domain in its Domain column. Copy the table with its "
    "columns in the developer tools' order (Name, Value, Domain, …).",
    "A line of the table had no domain.",
)
TABLE_ROW_VALUE = problem(
    "table_row_bad_value",
    "The cookie value on line {line} of the table contains characters a cookie can't hold "
    "(spaces, commas, non-ASCII letters). Copy the table again, exactly as the browser shows it.",
    "A cookie value in the table held characters a cookie can't hold.",
)
TABLE_NOT_GOOGLE = problem(
    "table_not_google",
    "None of these cookies belong to Google ({sites}). {where_to_copy}",
    "None of the pasted cookies belonged to Google.",
)

_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 6265 cookie-octet, optionally in double quotes (as DevTools shows a quoted value).
_COOKIE_VALUE = re.compile(r'"?[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*"?')
_DOMAIN = re.compile(r"\.?[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)*")
_COOKIE_HEADER = re.compile(r"^\s*(set-)?cookie\s*:", re.IGNORECASE)
# How an `expires` says "session cookie, no expiry": DevTools' word, or Chrome's -1 / 0.
_SESSION_WORDS = frozenset({"", "session", "-1", "0"})


def flow_credits(obj: dict[str, Any]) -> tuple[Credit, ...]:
    """`credits.credits` (what the account has left); () when absent or not a number."""
    found = _open_fields.obj_at(obj, "credits")
    left = _open_fields.number(found.get("credits")) if found is not None else None
    return () if left is None else (Credit("credits", "credits", "credits", remaining=left),)


@dataclass(frozen=True)
class CookieTable:
    """A validated cookie table: the text to send, and every cookie value in it (secrets)."""

    text: str
    values: tuple[str, ...]
    names: tuple[str, ...]


def _is_google(domain: str) -> bool:
    host = domain.strip().lstrip(".").lower()
    return any(host == d or host.endswith("." + d) for d in GOOGLE_DOMAINS)


def _refuse_shapes(text: str, where_to_copy: Fixed) -> None:
    """Things people paste instead of the table, each answered with what to copy instead."""
    if _COOKIE_HEADER.match(text):
        raise CookieError(TABLE_IS_HEADER, where_to_copy=where_to_copy)
    if text.startswith(("[", "{")):
        raise CookieError(TABLE_IS_JSON, where_to_copy=where_to_copy)
    if "\t" not in text:
        if "=" in text and ";" in text:
            raise CookieError(TABLE_IS_PAIRS, where_to_copy=where_to_copy)
        if "\n" not in text:
            raise CookieError(TABLE_IS_VALUE, where_to_copy=where_to_copy)
        raise CookieError(TABLE_NO_TABS)


def parse_cookie_table(
    *parts: str, where_to_copy: Fixed = WHERE_TO_COPY, sites: Fixed = GOOGLE_SITES
) -> CookieTable:
    """Validate the pasted cookie table (several parts are joined: one per form field).

    Raises CookieError naming the line that is wrong, never a cell of the table: cookie values
    are secrets, and the secret sweep counts every word of a pasted table as one. Every Google
    cookie-table service reads its paste here; `where_to_copy` (its page and sites) and `sites`
    (what "belongs to Google" means to it) word its answers.
    """
    for part in parts:
        if len(part) > MAX_PASTE_LENGTH:
            raise CookieError(TABLE_FIELD_TOO_LONG, length=len(part), limit=MAX_PASTE_LENGTH)
    joined = "\n".join(p for p in parts if p.strip())
    text = joined.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if not text.strip():
        raise CookieError(TABLE_EMPTY, where_to_copy=where_to_copy)
    _refuse_shapes(text.strip(), where_to_copy)
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) > MAX_ROWS:
        raise CookieError(TABLE_TOO_MANY_LINES, lines=len(lines), limit=MAX_ROWS)
    name_col, value_col, domain_col = 0, 1, 2
    first = [cell.strip().lower() for cell in lines[0].split("\t")]
    # A header row names its columns (DevTools' order can be changed): Name and Value among them.
    header = lines[0] if {"name", "value"} <= set(first) else None
    if header is not None:
        try:
            name_col, value_col, domain_col = (first.index(c) for c in ("name", "value", "domain"))
        except ValueError:
            raise CookieError(TABLE_HEADER_COLUMNS) from None
    width = max(name_col, value_col, domain_col) + 1
    kept: list[str] = [header] if header is not None else []
    values: list[str] = []
    names: list[str] = []
    for number, line in enumerate(lines, start=1):
        if header is not None and number == 1:
            continue
        cells = line.split("\t")
        if len(cells) < width:
            raise CookieError(TABLE_ROW_SHORT, line=number)
        name, value, domain = (cells[i].strip() for i in (name_col, value_col, domain_col))
        if not _COOKIE_NAME.fullmatch(name):
            raise CookieError(TABLE_ROW_NAME, line=number)
        if not _DOMAIN.fullmatch(domain):
            raise CookieError(TABLE_ROW_DOMAIN, line=number)
        if len(value) > MAX_VALUE_LENGTH or not _COOKIE_VALUE.fullmatch(value):
            raise CookieError(TABLE_ROW_VALUE, line=number)
        if not _is_google(domain):
            continue  # another site's cookie: never sent anywhere
        kept.append(line)
        names.append(name)
        if value.strip('"'):
            values.append(value.strip('"'))
    if len(kept) == (1 if header is not None else 0):
        raise CookieError(TABLE_NOT_GOOGLE, where_to_copy=where_to_copy, sites=sites)
    return CookieTable(text="\n".join(kept), values=tuple(values), names=tuple(names))


def _object(obj: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise FieldError(f"{name} should be an object, got {type(value).__name__}")
    return value


def cookie_expiry(value: Any, field: str) -> datetime | None:
    """A cookie's `expires` (`string | number`); None for a session cookie (none, -1, 0, "Session")."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in _SESSION_WORDS:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
        return None
    return parse_instant(value, field)


def earliest_cookie_expiry(cookies: Any, field: str = "accountCookies") -> datetime | None:
    """The earliest expiry among the cookies; None when the list is absent or has none."""
    if cookies is None:
        return None
    if not isinstance(cookies, list):
        raise FieldError(f"{field} should be a list, got {type(cookies).__name__}")
    earliest: datetime | None = None
    for index, cookie in enumerate(cookies):
        if not isinstance(cookie, dict):
            raise FieldError(f"{field}[{index}] should be an object, got {type(cookie).__name__}")
        when = cookie_expiry(cookie.get("expires"), f"{field}[{index}].expires")
        if when is not None and (earliest is None or when < earliest):
            earliest = when
    return earliest


class GoogleFlowService(UseapiService):
    key = "googleflow"
    label = "Google Flow"
    order = 20
    on_by_default = False
    command_group = "flow"
    group_description = "Google Flow (Veo) accounts on useapi.net"
    register_description = "Paste a fresh Google cookie table to renew the account"
    credential_noun = "cookies"
    expiry_noun = "Google cookies"
    form_fields = (
        FormField(
            id="cookies",
            label="Google cookie table (from DevTools)",
            # No domain here: the sweep counts every word of a pasted table (its domains too) a secret.
            description="DevTools → Application → Cookies: the rows for Flow and your Google sign-in, as copied",
            placeholder="Name  Value  Domain  Path  Expires …  (the rows as copied)",
            paragraph=True,
            min_length=1,
            max_length=4000,
        ),
        FormField(
            id="cookies_more",
            label="More rows (if the table did not fit)",
            description="The rest of the table, when it is longer than the first field holds",
            paragraph=True,
            required=False,
            max_length=4000,
        ),
    )
    accounts_path = "/v1/google-flow/accounts"
    empty_list = EmptyList.EMPTY_OBJECT
    # The list is a summary without accountCookies: their expiry (the deadline) comes from here.
    reads_details = True
    details_path = "/v1/google-flow/accounts/{account}"
    delete_path = "/v1/google-flow/accounts/{account}"
    credit_source = CreditSource.DETAILS
    credit_figures = (CreditFigure("credits", "credits", "credits"),)
    # "up to 50 Google Flow accounts per single useapi.net subscription": useapi.net enforces it.
    max_accounts: ClassVar[int] = 50

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        table = parse_cookie_table(values.get("cookies", ""), values.get("cookies_more", ""))
        return Submission(body={"cookies": table.text}, secrets=(table.text, *table.values))

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        session = _object(obj, "sessionData")
        user = _object(session, "user") if session is not None else None
        next_refresh = _object(obj, "nextRefresh")
        # The list is keyed by the email GET/DELETE take; a single answer names it in sessionData.
        account = (
            key
            or optional_str(obj, "email", limit=320)
            or (optional_str(user, "email", limit=320) if user is not None else None)
        )
        return AccountInfo(
            service=self.key,
            account=(account or "")[:320],
            expires_at=earliest_cookie_expiry(obj.get("accountCookies")),
            error=optional_str(obj, "error"),
            health=optional_str(obj, "health"),
            self_renewing_expires_at=(
                parse_instant(session.get("expires"), "sessionData.expires") if session else None
            ),
            next_refresh_at=(
                parse_instant(next_refresh.get("scheduledFor"), "nextRefresh.scheduledFor")
                if next_refresh
                else None
            ),
            credits=flow_credits(obj),
        )
