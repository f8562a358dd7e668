"""What Google Vids and Gemini Notebook share: one family of useapi.net pages (September and
October 2026) for accounts connected with the cookie table of a signed-in Google session.

Both take the table as Google Flow does (its reader, `parse_cookie_table`, worded for their
sites), key accounts by the Google email useapi.net reads from the cookies, answer the list from
storage and GET /accounts/{email} live at Google, delete with 204, and report `cookiesExpireAt`,
`health` and `error`. A live read answered 596 means the account's Google session is broken:
`UseapiService.read_details` reads it for every service (each says how a bare 596 reads).

No `UseapiService` is defined here: the registry discovers only the services themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.cookies import read_max_jobs
from bot.form_errors import Fixed
from bot.logins import MAX_EMAIL_LENGTH
from bot.services import _open_fields
from bot.services.googleflow import parse_cookie_table
from bot.useapi.base import AccountInfo
from bot.useapi.forms import FormField, Submission
from bot.useapi.parsing import optional_str, parse_instant

log = logging.getLogger(__name__)

MAX_JOBS_RANGE = (1, 10)  # "Jobs at once, 1-10." (both services' MCP tool descriptions)
# Live sign-in state of GET /accounts/{email}: names OPEN ("whether the session is still signed in").
_SIGNED_IN = ("signedIn", "signed_in", "sessionValid", "loggedIn", "valid")
_SIGNED_OUT = ("signedOut", "signed_out")


def cookie_fields(table_says: str) -> tuple[FormField, FormField, FormField]:
    """The cookie table (two fields: a long table may not fit one) and the optional max jobs.
    `table_says` is where the rows come from, in one short sentence."""
    low, high = MAX_JOBS_RANGE
    return (
        FormField(
            id="cookies",
            label="Google cookie table (from DevTools)",
            description=table_says,
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
        FormField(
            id="max_jobs",
            label=f"Max concurrent jobs ({low}-{high})",
            description="How many jobs useapi.net may run at once; blank keeps its current or default value",
            placeholder="blank: unchanged",
            required=False,
            max_length=2,
        ),
    )


def parse_cookie_form(values: Mapping[str, str], *, where_to_copy: Fixed, sites: Fixed) -> Submission:
    """The body `{"cookies": <table>, "maxJobs"?: n}` (the cookie field's name is OPEN on both
    services' pages: Google Flow's `cookies` is assumed) and every cookie value as a secret.
    `where_to_copy` and `sites` word the refusals: the service's own sentences, never input."""
    table = parse_cookie_table(
        values.get("cookies", ""), values.get("cookies_more", ""), where_to_copy=where_to_copy, sites=sites
    )
    max_jobs = read_max_jobs(
        values.get("max_jobs"),
        low=MAX_JOBS_RANGE[0],
        high=MAX_JOBS_RANGE[1],
        when_blank="useapi.net to keep the account's value (or use its default)",
    )
    body: dict[str, Any] = {"cookies": table.text}
    if max_jobs is not None:
        body["maxJobs"] = max_jobs
    return Submission(body=body, secrets=(table.text, *table.values))


def signed_in(obj: dict[str, Any]) -> bool | None:
    """The live read's "is the session still signed in", under any of the plausible names, at
    the top or in a `session` object; None when not said."""
    for where in (obj, _open_fields.obj_at(obj, "session") or {}):
        for name in _SIGNED_IN:
            said = _open_fields.flag(where.get(name))
            if said is not None:
                return said
        for name in _SIGNED_OUT:
            said = _open_fields.flag(where.get(name))
            if said is not None:
                return not said
    return None


def read_account(service: str, obj: dict[str, Any], key: str | None) -> AccountInfo:
    """The fields both services document: the email (the list's key, else `email`), the deadline
    `cookiesExpireAt` (ISO on the pages; a number is read as Unix seconds or ms), `health`,
    `error`, `maxJobs`, `updated`/`added`, and the live sign-in state of GET /accounts/{email}."""
    account = key or optional_str(obj, "email", limit=MAX_EMAIL_LENGTH)
    return AccountInfo(
        service=service,
        account=(account or "")[:MAX_EMAIL_LENGTH],
        expires_at=parse_instant(obj.get("cookiesExpireAt"), "cookiesExpireAt"),
        max_jobs=_open_fields.whole(obj.get("maxJobs")),
        updated_at=(
            _open_fields.instant(obj.get("updated"), "updated")
            or _open_fields.instant(obj.get("added"), "added")
        ),
        error=_open_fields.error_text(obj),
        health=_open_fields.health(obj),
        session_valid=signed_in(obj),
    )
