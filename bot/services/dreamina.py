"""Dreamina (CapCut) on useapi.net: accounts configured from an email, a password and a region.

Pages (copies in ../shared/upstream/dreamina/, SERVICES.md's Dreamina row and note):
post-dreamina-accounts.txt (dated February 23, 2026, updated April 2, 2026: region CA added),
get-dreamina-accounts.txt (February 23, 2026), get-dreamina-accounts-account.txt (February 23,
2026, updated March 2, 2026), delete-dreamina-accounts-account.txt (February 23, 2026) and
setup-dreamina.txt (February 23, 2026, updated March 4, 2026; an excerpt).

The account key is `REGION:email` (`US:someone@example.com`): it holds a colon and an `@`, so it
is URL-encoded in paths (`account_path`), as the pages' own examples do.

The expiry warned about is the session's: `session.expires` (POST and GET-one, fetched live) or
`sessionExpires` (every shape, the list's only one). Where both are present and disagree the
earlier wins, so a person is never warned later than either says. Whether useapi.net signs in
again by itself with the stored password when the session ends is not stated (`lastRefreshed`
hints at refreshes: OPEN), so the session end is treated as a deadline; `error` on an account is
the "needs a person now" signal. An empty list is 200 `{}`; nothing else reads as "no accounts".

The password is a secret exactly like a cookie: it goes to useapi.net in the body and into
`Submission.secrets` (scrubbed from upstream error text and logs), and nowhere else.

Credits (`credit_source` REGISTRATION): `credits: {total, vip, gift, purchase, dailyClaimed}`
is in the POST answer (shown in the registration answer and stored, "as of" then) and in GET
/accounts/{account}, which the bot does not read: it would be one more call per account, and the
page says calling it also claims the account's free daily credits, a side effect a watcher must
not have. The list has none. One figure, "credits" (`total`, Dreamina credits); `vip`, `gift`
and `purchase` are its parts; no allowance or reset date is given (daily credits are claimed,
not refilled). "absent if upstream fails": an answer without them keeps the stored figure.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.cookies import read_max_jobs
from bot.form_errors import CookieError, Fixed, problem
from bot.logins import MAX_EMAIL_LENGTH, login_fields, parse_email, parse_password
from bot.services import _open_fields
from bot.useapi.base import AccountInfo, Credit, CreditFigure, CreditSource, EmptyList, UseapiService
from bot.useapi.errors import Failure, UseapiError
from bot.useapi.forms import FormField, Submission
from bot.useapi.parsing import FieldError, optional_int, optional_str, parse_instant

log = logging.getLogger(__name__)

REGIONS = (("US", "US"), ("CA", "CA"))
REGION_CODES = tuple(code for code, _ in REGIONS)
MAX_JOBS_RANGE = (1, 50)
USEAPI_DEFAULT_MAX_JOBS = 10
# The longest key useapi.net can send back: "CA:" + the longest email.
MAX_ACCOUNT_LENGTH = 3 + MAX_EMAIL_LENGTH

_LOGIN_FAILED = re.compile(r"^\s*login failed\b", re.IGNORECASE)


REGION_MISSING = problem(
    "region_missing",
    "No region was chosen. Open the form again and choose {choices}.",
    "No region was chosen.",
)
REGION_UNKNOWN = problem(
    "region_unknown",
    "That region is not one useapi.net offers for Dreamina ({choices}); the form may be out of "
    "date. Open it again and choose a region.",
    "The region was not one useapi.net offers.",
)


def parse_region(raw: str | None) -> str:
    text = (raw or "").strip()
    choices = Fixed(" or ".join(REGION_CODES))
    if not text:
        raise CookieError(REGION_MISSING, choices=choices)
    if text not in REGION_CODES:
        raise CookieError(REGION_UNKNOWN, choices=choices)
    return text


class DreaminaError(UseapiError):
    """A failed Dreamina call, worded for a login: the shared sentences speak of cookies, and call
    a refused sign-in (useapi.net answers it with 500) an outage to wait out."""

    def user_message(self) -> str:
        said = f' useapi.net said: "{self.detail}"' if self.detail else ""
        if self.failure is Failure.BAD_REQUEST:
            return (
                f"useapi.net did not accept that Dreamina login.{said} Check the email, password and "
                "region, and try again."
            )
        if self.failure is Failure.UPSTREAM_ERROR and self.detail and _LOGIN_FAILED.match(self.detail):
            return (
                f"Dreamina refused to sign in with that email and password (HTTP {self.status}).{said} "
                "Check the email, the password and the region (the one the account was made in), "
                "and try again. If they are right, Dreamina may be having trouble: try again later."
            )
        return super().user_message()

    @classmethod
    def reworded(cls, exc: UseapiError) -> DreaminaError:
        return cls(
            exc.failure,
            service_label=exc.service_label,
            status=exc.status,
            detail=exc.detail,
            retry_after=exc.retry_after,
            credential_noun=exc.credential_noun,
            outcome_unknown=exc.outcome_unknown,
            retry_at=exc.retry_at,
            registering=exc.registering,
        )


def _session_expiry(obj: dict[str, Any]) -> datetime | None:
    """The earlier of `session.expires` and `sessionExpires`; either may be missing."""
    session = obj.get("session")
    live = None
    if session is not None:
        if not isinstance(session, dict):
            raise FieldError(f"session should be an object or null, got {type(session).__name__}")
        live = parse_instant(session.get("expires"), "session.expires")
    stored = parse_instant(obj.get("sessionExpires"), "sessionExpires")
    known = [when for when in (live, stored) if when is not None]
    return min(known) if known else None


def dreamina_credits(obj: dict[str, Any]) -> tuple[Credit, ...]:
    """`credits.total` (what the account has left); () when absent or not a number."""
    found = _open_fields.obj_at(obj, "credits")
    total = _open_fields.number(found.get("total")) if found is not None else None
    return () if total is None else (Credit("credits", "credits", "credits", remaining=total),)


def _last_refreshed(obj: dict[str, Any]) -> datetime | None:
    session = obj.get("session")
    return (
        parse_instant(session.get("lastRefreshed"), "session.lastRefreshed")
        if isinstance(session, dict)
        else None
    )


class DreaminaService(UseapiService):
    key = "dreamina"
    label = "Dreamina"
    order = 30
    on_by_default = False
    command_group = "dreamina"
    group_description = "Dreamina (CapCut) accounts on useapi.net"
    register_description = "Sign in with your Dreamina email and password to add or renew the account"
    credential_noun = "login"
    expiry_noun = "session"
    form_fields = (
        *login_fields(
            "Dreamina",
            "The email address you sign in to dreamina.capcut.com with",
            "The password of that Dreamina account; passed to useapi.net, never stored",
        ),
        FormField(
            id="region",
            label="Region",
            description="The region of the account: US (US/International), or CA (Canada: Seedance 2.0)",
            placeholder="Choose US or CA",
            options=REGIONS,
        ),
        FormField(
            id="max_jobs",
            label="Max concurrent jobs (1-50)",
            description="How many jobs useapi.net may run at once on this account; blank for its default, 10",
            placeholder="10",
            required=False,
            max_length=2,
        ),
    )
    accounts_path = "/v1/dreamina/accounts"
    empty_list = EmptyList.EMPTY_OBJECT
    details_path = "/v1/dreamina/accounts/{account}"
    delete_path = "/v1/dreamina/accounts/{account}"
    credit_source = CreditSource.REGISTRATION
    credit_figures = (CreditFigure("credits", "credits", "credits"),)

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        email = parse_email(values.get("email"), site="Dreamina")
        password = parse_password(values.get("password"), site="Dreamina")
        region = parse_region(values.get("region"))
        max_jobs = read_max_jobs(
            values.get("max_jobs"),
            low=MAX_JOBS_RANGE[0],
            high=MAX_JOBS_RANGE[1],
            when_blank=f"useapi.net's default, {USEAPI_DEFAULT_MAX_JOBS}",
        )
        body: dict[str, Any] = {"email": email, "password": password, "region": region}
        if max_jobs is not None:
            body["maxJobs"] = max_jobs
        return Submission(body=body, secrets=(password,))

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        email = optional_str(obj, "email", limit=MAX_EMAIL_LENGTH)
        region = optional_str(obj, "region", limit=10)
        account = optional_str(obj, "account", limit=MAX_ACCOUNT_LENGTH) or key
        if not account and email and region:
            account = f"{region}:{email}"
        return AccountInfo(
            service=self.key,
            account=(account or "")[:MAX_ACCOUNT_LENGTH],
            expires_at=_session_expiry(obj),
            max_jobs=optional_int(obj, "maxJobs"),
            updated_at=_last_refreshed(obj),
            error=optional_str(obj, "error"),
            credits=dreamina_credits(obj),
        )

    async def register(self, submission: Submission) -> AccountInfo:
        try:
            return await super().register(submission)
        except DreaminaError:
            raise
        except UseapiError as exc:
            raise DreaminaError.reworded(exc) from None
