"""LTX Studio on useapi.net: accounts configured from the lt_id / lt_token / lt_refresh_token cookies.

Pages: ../shared/upstream/ltxstudio-*-accounts.txt (NOTES.md). useapi.net retired this API in
March 2026 and may bring it back; a 404/410 then reads as "not available right now".
The expiry to warn about is `tokenExpire` (Unix ms, or `tokenExpireUTC`).

Credits: none read (`credit_source` NONE). Only GET /accounts/{email} shows `balance:
{LTXStudio_token}` (its unit is OPEN), and the bot reads no per-account details of a retired API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.cookies import CookieError, check_cookie_value, clean_paste, parse_cookie_pairs, parse_max_jobs
from bot.useapi.base import AccountInfo, CreditSource, EmptyList, UseapiService
from bot.useapi.forms import FormField, Submission
from bot.useapi.parsing import millis_or_iso, optional_int, optional_str

LTX_COOKIES = ("lt_id", "lt_token", "lt_refresh_token")


def parse_ltx_cookie(raw: str) -> str:
    """Return `lt_id=…; lt_token=…; lt_refresh_token=…` built from what was pasted.

    Only the three cookies useapi.net needs are passed on; the rest of a pasted
    header (other sites' sessions, trackers) never leaves the bot.
    """
    text = clean_paste(raw, "LTX Studio cookie")
    lines = [line.strip().rstrip(";") for line in text.splitlines() if line.strip()]
    if len(lines) > 1:
        # One cookie per line is unambiguous; anything else spread over lines is not.
        if not all("=" in line and ";" not in line for line in lines):
            raise CookieError(
                "What you pasted spans several lines. Paste the cookie header on one line "
                "(`lt_id=…; lt_token=…; lt_refresh_token=…`), or one `name=value` per line."
            )
        text = "; ".join(lines)
    pairs = parse_cookie_pairs(text)
    missing = [name for name in LTX_COOKIES if not pairs.get(name, "").strip()]
    if missing:
        listed = " and ".join(f"`{name}`" for name in missing)
        raise CookieError(
            f"No {listed} in what you pasted. Copy the cookie header from ltx.studio while "
            "signed in; it must contain lt_id, lt_token and lt_refresh_token."
        )
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
            label="LTX Studio cookie",
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
