"""Kling on useapi.net: accounts configured from a Kling email, password and max jobs.

Pages (../shared/upstream/kling/, SERVICES.md): post-kling-accounts.txt (April 18, 2025, updated
Jun 19, 2025: maxJobs 1-50, answer 201), get-kling-accounts.txt (April 18, 2025),
get-kling-accounts-email.txt (April 18, 2025, updated June 23, 2025: adds `balance`),
setup-kling.txt (April 18, 2025, plus the undated automated-setup page). DELETE
`/accounts/{email}` is in useapi.net's OpenAPI only; no stored page documents it.

The expiry warned about is the Kling session's, `session.ExpireTimeUTC` (ISO), falling back to
`session.ExpireTime`, a bare number whose unit no page states (the examples hold the placeholder
`123456789`). A number that is not a plausible time (2000-2200, seconds or milliseconds) is
read as "expiry unknown", not as a malformed answer: the pages print that placeholder, and one
account must not make the whole list unreadable. `error` on an account is the "a person must
act now" signal. The automated-setup page says useapi.net keeps the password to sign in again
"if Kling ends the session"; whether that makes the session self-renewing is not documented, so
the session's expiry is treated as the deadline.

Credits: none read (`credit_source` NONE). `balance: {points[], tickets[], nextApplyTime,
total}` is on GET /accounts/{email} only (updated June 23, 2025; the list and the POST answer
have none), and the bot reads no per-account details for Kling: nothing else it needs is there,
and reading them would be one more call per account every few hours (issue 21: no extra call
per pass). `total` would be the figure, in points, with `points[].endTime` as when each grant ends.

The account key is the email; it is URL-encoded in per-account paths (`account_path`).
Google and Apple sign-in accounts can't be used (Setup Kling): the form says so, and so does the
answer to a refused login. The password is a secret like a cookie: sent to useapi.net, never
stored, logged or shown.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.cookies import read_max_jobs
from bot.logins import MAX_EMAIL_LENGTH, login_fields, parse_email, parse_password
from bot.useapi.base import AccountInfo, CreditSource, EmptyList, UseapiService
from bot.useapi.errors import Failure, UseapiError
from bot.useapi.forms import FormField, Submission
from bot.useapi.parsing import FieldError, optional_int, optional_str, parse_instant

log = logging.getLogger(__name__)

MAX_JOBS_LOW, MAX_JOBS_HIGH = 1, 50  # the Jun 19, 2025 POST page (the April copy said 1-10)

_NUMERIC = re.compile(r"\s*\d+(\.\d+)?\s*")

GOOGLE_APPLE_HINT = (
    "Kling accounts that sign in with Google or Apple can't be used on useapi.net: "
    "only an email and password set on klingai.com work."
)


def kling_session_expiry(session: Any) -> datetime | None:
    """When the Kling session expires: `ExpireTimeUTC`, else a plausible `ExpireTime`, else None.

    A number that is not a plausible time (the pages' placeholder `123456789`) is unknown, not an
    error; a present field of the wrong shape is a FieldError, unless the other one answers.
    """
    if session is None:
        return None
    if not isinstance(session, dict):
        raise FieldError(f"session should be an object or null, got {type(session).__name__}")
    utc_error: FieldError | None = None
    try:
        utc = parse_instant(session.get("ExpireTimeUTC"), "session.ExpireTimeUTC")
    except FieldError as exc:
        utc, utc_error = None, exc
    if utc is not None:
        return utc
    number = session.get("ExpireTime")
    try:
        parsed = parse_instant(number, "session.ExpireTime")
    except FieldError:
        if not _is_number(number):
            raise
        parsed = None  # a placeholder or a unit we can't tell: unknown
    if parsed is None and utc_error is not None:
        raise utc_error
    return parsed


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or (isinstance(value, str) and bool(_NUMERIC.fullmatch(value)))


class KlingLoginRefused(UseapiError):
    """A 400 from Kling's POST: the member's email and password, not the bot, are at fault.

    The shared sentence speaks of cookies; this one speaks of a login, and names the Google/Apple
    limitation when useapi.net says the account or password is wrong.
    """

    def user_message(self) -> str:
        said = f' useapi.net said: "{self.detail}"' if self.detail else ""
        if self.detail and re.search(r"password|does not exist", self.detail, re.I):
            return (
                f"useapi.net could not sign in to Kling with that email and password.{said} "
                f"Check both and try again. {GOOGLE_APPLE_HINT}"
            )
        return (
            f"useapi.net did not accept that Kling login.{said} "
            "Check the email, password and max jobs, and try again."
        )


class KlingService(UseapiService):
    key = "kling"
    label = "Kling"
    order = 50
    on_by_default = False
    command_group = "kling"
    group_description = "Kling accounts on useapi.net"
    register_description = "Sign in with your Kling email and password to add or renew the account"
    credential_noun = "login"
    expiry_noun = "session"
    form_fields = (
        *login_fields(
            "Kling",
            "The email you sign in to klingai.com with (Google/Apple sign-in accounts can't be used)",
            "Your klingai.com password; passed to useapi.net only, never stored or shown",
        ),
        FormField(
            id="max_jobs",
            label=f"Max concurrent jobs ({MAX_JOBS_LOW}-{MAX_JOBS_HIGH})",
            description="How many jobs useapi.net may run at once on this account (required by useapi.net)",
            placeholder="5",
            min_length=1,
            max_length=2,
        ),
    )
    accounts_path = "/v1/kling/accounts"
    empty_list = EmptyList.NOT_FOUND
    details_path = "/v1/kling/accounts/{account}"
    delete_path = "/v1/kling/accounts/{account}"  # OpenAPI only; no stored page documents DELETE
    credit_source = CreditSource.NONE
    credit_note = (
        "only GET /accounts/{email} carries Kling's balance, and the bot does not read it (one more "
        "call per account)"
    )

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        email = parse_email(values.get("email", ""), site="klingai.com")
        password = parse_password(values.get("password", ""), site="klingai.com")
        max_jobs = read_max_jobs(
            values.get("max_jobs"), low=MAX_JOBS_LOW, high=MAX_JOBS_HIGH, when_blank=None
        )
        return Submission(
            body={"email": email, "password": password, "maxJobs": max_jobs}, secrets=(password,)
        )

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        account = optional_str(obj, "email", limit=MAX_EMAIL_LENGTH) or key
        # `balance` is on GET one account only, which the bot does not read (module docstring).
        return AccountInfo(
            service=self.key,
            account=(account or "")[:MAX_EMAIL_LENGTH],
            expires_at=kling_session_expiry(obj.get("session")),
            max_jobs=optional_int(obj, "maxJobs"),
            error=optional_str(obj, "error"),
        )

    async def register(self, submission: Submission) -> AccountInfo:
        try:
            return await super().register(submission)
        except UseapiError as exc:
            if exc.failure is not Failure.BAD_REQUEST or isinstance(exc, KlingLoginRefused):
                raise
            raise KlingLoginRefused(
                exc.failure, service_label=exc.service_label, status=exc.status, detail=exc.detail
            ) from None
