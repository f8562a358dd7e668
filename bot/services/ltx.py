"""LTX Studio on useapi.net: accounts configured from the lt_id / lt_token / lt_refresh_token cookies.

Pages: ../shared/upstream/ltxstudio-*-accounts.txt (NOTES.md). useapi.net retired this API in
March 2026 and may bring it back; a 404/410 then reads as "not available right now".
The expiry to warn about is `tokenExpire` (Unix ms, or `tokenExpireUTC`).
Cookie values are sent as the browser holds them (`%XX` escapes kept, never decoded).

Credits: none read (`credit_source` NONE). Only GET /accounts/{email} shows `balance:
{LTXStudio_token}` (its unit is OPEN), and the bot reads no per-account details of a retired API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.cookies import check_cookie_value, parse_cookie_pairs, parse_max_jobs, read_cookies
from bot.form_errors import CookieError, Fixed, problem
from bot.useapi.base import AccountInfo, CreditSource, EmptyList, UseapiService
from bot.useapi.forms import FormField, Submission
from bot.useapi.parsing import millis_or_iso, optional_int, optional_str

LTX_COOKIES = ("lt_id", "lt_token", "lt_refresh_token")
WHAT = "LTX Studio cookie"

LTX_MISSING = problem(
    "ltx_cookies_missing",
    "No {missing} in what you pasted. Copy the cookie header from ltx.studio while signed in; it "
    "must contain lt_id, lt_token and lt_refresh_token.",
    "The paste lacked one of lt_id, lt_token and lt_refresh_token.",
)


def parse_ltx_cookie(raw: str) -> str:
    """Return `lt_id=…; lt_token=…; lt_refresh_token=…` built from what was pasted: a cookie
    header, one cookie per line, or rows of the developer tools' cookie table.

    Only the three cookies useapi.net needs are passed on; the rest of a pasted
    header (other sites' sessions, trackers) never leaves the bot.
    """
    pairs = read_cookies(raw, WHAT, names=LTX_COOKIES).named
    missing = [name for name in LTX_COOKIES if not pairs.get(name, "").strip()]
    if missing:
        # Only the bot's own three names, never one read from the paste.
        listed = Fixed(" and ".join(f"`{name}`" for name in missing))
        raise CookieError(LTX_MISSING, missing=listed)
    values = [f"{name}={check_cookie_value(name, pairs[name])}" for name in LTX_COOKIES]
    return "; ".join(values)


class LtxService(UseapiService):
    key = "ltx"
    label = "LTX Studio"
    order = 90
    on_by_default = False  # retired by useapi.net in March 2026
    command_group = "ltx"
    group_description = "LTX Studio accounts on useapi.net"
    expiry_noun = "token"
    form_fields = (
        FormField(
            id="cookie",
            label=WHAT,
            description="lt_id, lt_token and lt_refresh_token of ltx.studio, from the developer tools",
            placeholder="lt_id=…; lt_token=…; lt_refresh_token=…",
            paragraph=True,
            min_length=1,
            max_length=4000,
        ),
        FormField(
            id="max_jobs",
            label="Max concurrent jobs (1-100)",
            description="How many jobs useapi.net may run at once on this account; blank for 20",
            placeholder="20",
            required=False,
            max_length=3,
        ),
    )
    accounts_path = "/v1/ltxstudio/accounts"
    empty_list = EmptyList.NOT_FOUND
    may_be_retired = True
    credit_source = CreditSource.NONE
    credit_note = "only its per-account details carry a balance, and the bot reads none of a retired API"
    detects_self_renewal = True

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        cookie = parse_ltx_cookie(values.get("cookie", ""))
        max_jobs = parse_max_jobs(values.get("max_jobs"), low=1, high=100, default=20)
        secrets = (cookie, *parse_cookie_pairs(cookie).values())
        return Submission(body={"cookie": cookie, "maxJobs": max_jobs}, secrets=secrets)

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        account = optional_str(obj, "email", limit=320) or key
        return AccountInfo(
            service=self.key,
            account=(account or "")[:320],
            expires_at=millis_or_iso(obj, "tokenExpire"),
            refresh_expires_at=millis_or_iso(obj, "refreshTokenExpire"),
            max_jobs=optional_int(obj, "maxJobs"),
            updated_at=millis_or_iso(obj, "updated"),
            error=optional_str(obj, "error"),
        )
