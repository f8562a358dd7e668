"""Luma Dream Machine on useapi.net: accounts configured from the `luma_session` cookie.

Pages: ../shared/upstream/luma-post-accounts.txt, luma/get-luma-accounts*.txt (NOTES.md).
The expiry to warn about is `luma_session_expires`; an empty list is a 404 with an empty body.

What is pasted: POST's `session` is "the session cookie value extracted from your browser during
login" (~25 characters in the example). A bare value ending in `=` (base64 padding) is that value,
not a cookie named by what precedes the `=`; quotes, surrounding whitespace, `Cookie:`, one cookie
per line and the developer tools' rows are read too (bot.cookies.read_cookies). A `%3D` in the
value is kept as it is: the browser holds and sends the cookie that way, and useapi.net replays it.

Credits (`credit_source` DETAILS): `credits: {usage, limit}` of GET /accounts/{email} (live,
read every DETAILS_INTERVAL for `sessionValid` anyway) and of the POST answer (shown in the
registration answer); the list has none. One figure, "credits": what is left is `limit - usage`
of `limit` (both read as Luma credits; `null` when Luma could not say: unknown, the stored
figure stays). No reset date is given. `credits_usage`/`credits_limit` keep the raw pair.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.cookies import check_cookie_value, read_cookies
from bot.form_errors import CookieError, problem
from bot.useapi.base import AccountInfo, Credit, CreditFigure, CreditSource, EmptyList, UseapiService
from bot.useapi.forms import FormField, Submission
from bot.useapi.parsing import (
    FieldError,
    optional_bool,
    optional_int,
    optional_number,
    optional_str,
    parse_luma_expires,
)

LUMA_COOKIE = "luma_session"
MIN_LUMA_SESSION_LENGTH = 8
WHAT = "Luma session cookie"

NO_LUMA_COOKIE = problem(
    "luma_cookie_missing",
    "There is no `luma_session` cookie in what you pasted. Copy the `luma_session` cookie from "
    "lumalabs.ai in your browser: its value alone is enough.",
    "The paste had no luma_session cookie.",
)
LUMA_TOO_SHORT = problem(
    "luma_session_too_short",
    "That value is only {length} characters; a Luma session cookie is longer (about 25). "
    "Copy the whole value.",
    "The Luma session value was too short.",
)


def parse_luma_session(raw: str) -> str:
    """Return the `luma_session` value from a bare value (padding `=` included), `luma_session=…`,
    a cookie header, one cookie per line, or rows of the developer tools' cookie table."""
    cookies = read_cookies(raw, WHAT, names=(LUMA_COOKIE,))
    if cookies.bare is not None:
        value = check_cookie_value(LUMA_COOKIE, cookies.bare)
    elif LUMA_COOKIE in cookies.named:
        value = check_cookie_value(LUMA_COOKIE, cookies.named[LUMA_COOKIE])
    else:
        raise CookieError(NO_LUMA_COOKIE)
    if len(value) < MIN_LUMA_SESSION_LENGTH:
        raise CookieError(LUMA_TOO_SHORT, length=len(value))
    return value


class LumaService(UseapiService):
    key = "luma"
    label = "Luma"
    order = 10
    command_group = "luma"
    group_description = "Luma Dream Machine accounts on useapi.net"
    form_fields = (
        FormField(
            id="cookie",
            label=WHAT,
            description="The luma_session cookie of lumalabs.ai, from your browser's developer tools",
            placeholder="The value of luma_session (or the whole Cookie header)",
            min_length=1,
            max_length=4000,
        ),
    )
    accounts_path = "/v1/luma/accounts"
    empty_list = EmptyList.NOT_FOUND
    details_path = "/v1/luma/accounts/{account}"
    delete_path = "/v1/luma/accounts/{account}"
    reads_details = True  # sessionValid: a session can be revoked long before it expires
    credit_source = CreditSource.DETAILS
    credit_figures = (CreditFigure("credits", "credits", "credits", has_limit=True),)

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        session = parse_luma_session(values.get("cookie", ""))
        return Submission(body={"session": session}, secrets=(session,))

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        credits = obj.get("credits")
        usage = limit = None
        if credits is not None:
            if not isinstance(credits, dict):
                raise FieldError(f"credits should be an object or null, got {type(credits).__name__}")
            usage = optional_number(credits, "usage")
            limit = optional_number(credits, "limit")
        account = optional_str(obj, "account", limit=320) or optional_str(obj, "email", limit=320) or key
        left = max(0.0, limit - usage) if limit is not None and usage is not None else None
        figures = (
            (Credit("credits", "credits", "credits", remaining=left, limit=limit),)
            if left is not None or limit is not None
            else ()
        )
        return AccountInfo(
            service=self.key,
            account=(account or "")[:320],
            expires_at=parse_luma_expires(obj.get("luma_session_expires")),
            concurrency=optional_int(obj, "concurrency"),
            credits_usage=usage,
            credits_limit=limit,
            credits=figures,
            error=optional_str(obj, "error"),
            created=optional_bool(obj, "created"),
            session_valid=optional_bool(obj, "sessionValid"),
        )
