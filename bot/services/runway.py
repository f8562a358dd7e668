"""Runway on useapi.net: accounts configured from a Runway email, password and max jobs.

Pages (../shared/upstream/runwayml/, SERVICES.md's Runway row and notes), all dated August 8,
2024: post-runwayml-accounts-email.txt (POST `/v1/runwayml/accounts/{email}`, 200),
get-runwayml-accounts.txt (the list), get-runwayml-accounts-email.txt (one account; the page
prints "201 Created" on a GET), get-runwayml-features.txt (GET `/v1/runwayml/features?email=`,
the plan credits), setup-runwayml.txt (undated). DELETE `/accounts/{email}` is in useapi.net's
OpenAPI only: implemented, and any 2xx (204 or 200) is a deletion, 404 "not there".

Routes: the POST route carries the email, and "the email in the request body must match the
email in the URL path": both come from the one parsed field (`register_path`). The list is keyed
by email; the empty list is 404 "Configuration not found. To create configuration use POST
/accounts/email." (a JSON or empty body; a plain-text 404 is a moved or retired route, as for
Kling). Google, Apple and SSO sign-up accounts can't be used (Setup): the form says so.

What is warned about:
- the deadline is the Runway session token's expiry, `jwt.exp`. It is a bare number
  (`1734858598.864`; `iat` is 30 days earlier in every example). No page states its unit; the
  examples read as Unix seconds with a fraction (2024-12-22, a month after the page), so that
  is how it is read (`parse_instant`: a number above year-2200 seconds is taken as
  milliseconds). An ISO companion, should useapi.net add one (`jwt.expUTC`, `jwt.exp_UTC` or
  `jwt.exp_Expire`, the names its other services use), wins over the number.
- act now: `error` on the account (with `errorDetails` when present, both in the POST Model);
  and the live features route answering 401 with a text about the account ("This account has
  been suspended.", "Wrong username/password combination."): read every DETAILS_INTERVAL per
  account and put in `health` (which the list's sync keeps until a later features read answers,
  then "OK"), so the reason stays put between reads instead of flapping at every sync. A 401
  "Unauthorized" is the bot's token, never the account (`_refusals`).

Credits: `permitted.numPlanCredits` less `used.numPlanCredits` from the features route
(`CreditSource.DETAILS`, one extra call per account per DETAILS_INTERVAL): key "credits",
limit `permitted.numPlanCredits`. `permitted.storageGB` and the teams' `currentPlan` /
`planExpiration` (MCP text only) are not read.

OPEN points and what is assumed (to check against the live API):
- whether useapi.net signs in again by itself when the token expires (not documented): the
  expiry is a deadline; if useapi.net renews it, the list shows a later `exp` and the re-read
  before each stage warning holds the warning back;
- the unit of `jwt.exp` (seconds, see above), and the ISO companion names;
- the shape of `error` (the page's JSON is malformed: three strings under one key): a string,
  a list of strings or an object with `message`; any other present value still means an error;
- every other field of an odd shape is read as unknown for that account only, logged once
  (`_lenient`); the answer is never read as "no accounts" and no account is marked gone by it;
- a 401 from POST or features whose text is neither "Unauthorized" nor about the account is
  shown to the member as it is, naming both possibilities;
- the newer optional body field `useWorkspace` (OpenAPI 2026, no page) is not sent.

The password is a secret like a cookie: sent to useapi.net in the body only, scrubbed from
its error text, never stored, logged or shown. The list's `password` (the page prints
"<password>") and `jwt.token` are never read.
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

SITE = "runwayml.com"
MAX_JOBS_RANGE = (1, 10)  # "Currently, it should be between 1 and 10. We recommend setting this value to 5."
SUGGESTED_MAX_JOBS = 5
# ISO names useapi.net gives the companions of bare numbers on its other services.
EXP_COMPANIONS = ("expUTC", "exp_UTC", "exp_Expire")
SIGN_UP_HINT = (
    "Runway accounts made with Google, Apple or single sign-on can't be used on useapi.net: only "
    "an email and password set on runwayml.com work."
)


def runway_credits(features: dict[str, Any], read: Lenient) -> tuple[Credit, ...]:
    """The plan credits from a features answer: what is left of `permitted.numPlanCredits`."""
    permitted = read.object(features, "permitted") or {}
    used = read.object(features, "used") or {}
    limit = read.number(permitted, "numPlanCredits", label="permitted.numPlanCredits")
    spent = read.number(used, "numPlanCredits", label="used.numPlanCredits")
    if limit is None and spent is None:
        return ()
    remaining = max(0.0, limit - spent) if limit is not None and spent is not None else None
    return (Credit("credits", "plan credits", "credits", remaining=remaining, limit=limit),)


class RunwayService(UseapiService):
    key = "runway"
    label = "Runway"
    order = 60
    on_by_default = False
    command_group = "runway"
    group_description = "Runway accounts on useapi.net"
    register_description = "Sign in with your Runway email and password to add or renew the account"
    credential_noun = "login"
    expiry_noun = "session"
    form_fields = email_login_fields(
        "Runway",
        "The email you sign in to runwayml.com with (Google, Apple or SSO sign-ups can't be used)",
        "The password you sign in to runwayml.com with; passed to useapi.net only",
        jobs=MAX_JOBS_RANGE,
        jobs_says="How many jobs useapi.net may run at once on this account (useapi.net suggests 5)",
        suggested=SUGGESTED_MAX_JOBS,
    )
    accounts_path = "/v1/runwayml/accounts"
    empty_list = EmptyList.NOT_FOUND
    # The live features route: plan credits, and whether Runway still accepts the account.
    details_path = "/v1/runwayml/features?email={account}"
    delete_path = "/v1/runwayml/accounts/{account}"  # OpenAPI only; no stored page documents DELETE
    reads_details = True
    credit_source = CreditSource.DETAILS
    credit_figures = (CreditFigure("credits", "plan credits", "credits", has_limit=True),)

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        return parse_email_login(values, site=SITE, jobs=MAX_JOBS_RANGE)

    def register_path(self, submission: Submission) -> str:
        return email_register_path(self, submission)

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        return jwt_account(self, obj, key, iso_names=EXP_COMPANIONS, number="exp")

    async def account_details(self, account: str) -> AccountInfo:
        return await features_details(self, self._transport, account, runway_credits)

    async def register(self, submission: Submission) -> AccountInfo:
        return await reworded(super().register(submission), site=SITE, hint=SIGN_UP_HINT)
