"""PixVerse on useapi.net (API v2): accounts configured from a PixVerse email, password and max
jobs.

Pages (../shared/upstream/pixverse/, SERVICES.md's PixVerse row and notes), all dated December
6, 2024: post-pixverse-accounts-email.txt (POST `/v2/pixverse/accounts/{email}`, 201),
get-pixverse-accounts.txt (the list), get-pixverse-accounts-email.txt (one account),
get-pixverse-features.txt (GET `/v2/pixverse/features?email=`, plan and credits; the copy stops
inside its example), setup-pixverse.txt. DELETE `/accounts/{email}` is in useapi.net's OpenAPI
only: implemented, any 2xx (204 or 200) is a deletion, 404 "not there". PixVerse API v1 (a
Discord bot) is deprecated and not supported.

Routes: the POST route carries the email, as Runway's (`register_path`). The list is keyed by
email; the empty list is 404 "Configuration not found. To create configuration use POST
/accounts/email." (a JSON or empty body; a plain-text 404 is a moved or retired route).
Gmail, Apple and Discord sign-in accounts can't be used (Setup): the form says so. The POST's
optional `token` ("for development or debugging purposes" only, and useapi.net refreshes it
away) is not offered.

What is warned about:
- the deadline is the PixVerse session's expiry: `jwt.ExpireTimeUTC` (ISO), falling back to
  `jwt.ExpireTime`, a bare number whose unit no page states (every example prints the
  placeholder `123456789`, which is not a plausible time and so reads as unknown; a real number
  is read as Unix seconds, or milliseconds above year-2200 seconds). The Setup page says
  useapi.net "will eventually try to refresh the token"; how reliably is not documented, so the
  expiry is a deadline, re-read before every stage warning (a refreshed session holds it back).
- act now: `error` on the account (the MCP text: "any pending account error"), and the live
  features route answering 401 with a text about the account (a refused password, a suspended
  account), kept in `health` until a later features read answers (then "OK"), as for Runway.

Credits, from the features route (`CreditSource.DETAILS`, one extra call per account per
DETAILS_INTERVAL), in PixVerse credits: "daily" (`credit_daily` of `credit_daily_gift`),
"monthly" (`credit_monthly` of `credit_monthly_gift`), "package" (`credit_package`), and
"credits", their sum with `initial_credit_gift`. Reading `credit_*` as what is left and
`credit_*_gift` as the allowance it counts down from is an assumption (the example: 5600 of
6000 monthly, 30 of 30 daily); when each refills is not documented, so `resets_at` stays
unknown. `expired_date` / `billing_renewal_date` (the plan's end) are not read here.

OPEN points and what is assumed (to check against the live API):
- the unit of `ExpireTime` (above) and the ISO companion's precedence;
- the 400 and 401 texts of POST ("<Error message>" on the page): a 401 whose text is not the
  bot-token "Unauthorized" is taken to be about the login (`_refusals`);
- the features answer may be the flat object of the page or PixVerse's own envelope
  (`{"Resp": {...}}`): both are read;
- `error`'s shape, and every other odd field: as for Runway (`_lenient`): unknown for that
  account only, logged once, never "no accounts", never an account marked gone.

The password is a secret like a cookie: sent to useapi.net in the body only, scrubbed from its
error text, never stored, logged or shown. `jwt.token` is never read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.services._email_login import (
    email_login_fields,
    email_register_path,
    features_details,
    jwt_account,
    parse_email_login,
    reworded,
)
from bot.services._lenient import Lenient
from bot.useapi.base import AccountInfo, Credit, CreditFigure, CreditSource, EmptyList, UseapiService
from bot.useapi.forms import Submission

SITE = "pixverse.ai"
MAX_JOBS_RANGE = (1, 8)  # "Valid range: 1…8", no more than the plan runs at once
SUGGESTED_MAX_JOBS = 3  # the pages' single-account examples
SIGN_IN_HINT = (
    "PixVerse accounts that sign in with Gmail, Apple or Discord can't be used on useapi.net: only "
    "an email and password set on pixverse.ai work."
)
# (key, label, what is left, the allowance it counts down from)
_CREDIT_PAIRS = (
    ("daily", "daily credits", "credit_daily", "credit_daily_gift"),
    ("monthly", "monthly credits", "credit_monthly", "credit_monthly_gift"),
    ("package", "package credits", "credit_package", None),
)
_TOTAL_PARTS = ("credit_daily", "credit_monthly", "credit_package", "initial_credit_gift")


def pixverse_credits(features: dict[str, Any], read: Lenient) -> tuple[Credit, ...]:
    """The credit figures of a features answer (flat, or inside PixVerse's `Resp` envelope)."""
    if not any(name in features for name in _TOTAL_PARTS):
        features = read.object(features, "Resp") or features
    figures: list[Credit] = []
    for key, label, left, allowance in _CREDIT_PAIRS:
        remaining = read.number(features, left)
        limit = read.number(features, allowance) if allowance else None
        if remaining is not None or limit is not None:
            figures.append(Credit(key, label, "credits", remaining=remaining, limit=limit))
    parts = [read.number(features, name) for name in _TOTAL_PARTS]
    known = [part for part in parts if part is not None]
    if known:
        figures.insert(0, Credit("credits", "credits", "credits", remaining=sum(known)))
    return tuple(figures)


class PixVerseService(UseapiService):
    key = "pixverse"
    label = "PixVerse"
    order = 65
    on_by_default = False
    command_group = "pixverse"
    group_description = "PixVerse accounts on useapi.net"
    register_description = "Sign in with your PixVerse email and password to add or renew the account"
    credential_noun = "login"
    expiry_noun = "session"
    form_intro = (
        "Use a PixVerse account made with an email and password (not Gmail, Apple or Discord), "
        "ideally one kept for useapi.net: PixVerse allows one session at a time, so useapi.net's "
        "sign-in ends yours on pixverse.ai."
    )
    form_fields = email_login_fields(
        "PixVerse",
        "The email you sign in to pixverse.ai with (Gmail, Apple or Discord sign-ins can't be used)",
        "The password you sign in to pixverse.ai with; passed to useapi.net only",
        jobs=MAX_JOBS_RANGE,
        jobs_says="Jobs useapi.net may run at once: no more than your PixVerse plan runs together",
        suggested=SUGGESTED_MAX_JOBS,
    )
    accounts_path = "/v2/pixverse/accounts"
    empty_list = EmptyList.NOT_FOUND
    # The live features route: plan credits, and whether PixVerse still accepts the account.
    details_path = "/v2/pixverse/features?email={account}"
    delete_path = "/v2/pixverse/accounts/{account}"  # OpenAPI only; no stored page documents DELETE
    reads_details = True
    credit_source = CreditSource.DETAILS
    credit_figures = (
        CreditFigure("credits", "credits", "credits"),
        CreditFigure("daily", "daily credits", "credits", has_limit=True),
        CreditFigure("monthly", "monthly credits", "credits", has_limit=True),
        CreditFigure("package", "package credits", "credits"),
    )

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        return parse_email_login(values, site=SITE, jobs=MAX_JOBS_RANGE)

    def register_path(self, submission: Submission) -> str:
        return email_register_path(self, submission)

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        return jwt_account(self, obj, key, iso_names=("ExpireTimeUTC",), number="ExpireTime")

    async def account_details(self, account: str) -> AccountInfo:
        return await features_details(self, self._transport, account, pixverse_credits)

    async def register(self, submission: Submission) -> AccountInfo:
        return await reworded(super().register(submission), site=SITE, hint=SIGN_IN_HINT)
