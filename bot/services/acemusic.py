"""ACE Music (acemusic.ai) on useapi.net: accounts configured from an email and password.

Pages (../shared/upstream/acemusic/, all dated November 14, 2026, and SERVICES.md's ACE Music
row, note and "Credits and quotas"): post-acemusic-accounts.txt, get-acemusic-accounts.txt,
get-acemusic-accounts-email.txt, delete-acemusic-accounts-email.txt (excerpts; the DELETE copy
lost its status lines), setup-acemusic.txt and related-notes.txt.

Routes: POST /v1/acemusic/accounts `{"email", "password", "maxJobs"?}` (update mode `{"email",
"maxJobs"}` is not used by the bot); GET /accounts (stored, keyed by email); GET /accounts/{email}
(URL-encoded; live plan, cycle, credits, costs, models; `liveError` when only the live part
failed); DELETE /accounts/{email} (success status not printed: any 2xx is a deletion), 404
`{"error": "Account <email> is not configured", "code": 404}`. 401 is `{"error": "useapi.net ⁝
Unauthorized", "code": 401}`. 3 accounts per useapi.net subscription, up to 100.

What is warned about, and why:
- No deadline (`expires_at` stays None): useapi.net keeps the password "to sign in again whenever
  ACE Music ends the session"; nothing expires on the team's side unless the password changes.
- A person must act now on `health: "error"` with its `error` ("ACE Music refused the stored
  email and password. Update the password with POST /accounts…"): the account is paused until
  it is registered again with the current password. `liveError` (only the live part of one read
  failed) is not a signal: the next read tries again.

Credits (`credit_source` DETAILS, `reads_details`): GET /accounts/{email}'s `credits`, read live
every DETAILS_INTERVAL per account (v1/v1.1 requests cost 4 credits each). No reset date is shown
(`cycle` is "monthly" in the example, with no date): `resets_at` stays None.

OPEN, and what is assumed (each to check against the live API):
- The POST answer: the account record of GET /accounts (email, user_id, plan, maxJobs, added,
  health), 201 for a new account and 200 for a re-added one. An answer that is 2xx but carries
  no readable account (an empty body, another shape) still means ACE Music accepted the login
  ("reads the account before anything is saved"): the account is the email that was sent.
- A wrong email or password answers 400 (printed in prose; body OPEN): the sentence says to check
  both, and that an account made with Google or a phone number needs a password set first.
- maxJobs' range is not printed: 1-10 is assumed (the 2026 family's Vids and Notebook range;
  the examples show 2 and 4). Blank leaves it to useapi.net.
- The empty list is 200 `{}`; a 404 whose error says "not configured" (this service's wording)
  or "no accounts" reads as empty too; any other 404 is a failure, never "no accounts".
- `health` values other than "OK" and "error": healthy words count as OK, anything else is a
  reason. `credits` may be a number or an object with `remaining`/`left`/`balance`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from bot.cookies import read_max_jobs
from bot.logins import MAX_EMAIL_LENGTH, login_fields, parse_email, parse_password
from bot.services import _open_fields
from bot.useapi.base import AccountInfo, Credit, CreditFigure, CreditSource, EmptyList, UseapiService
from bot.useapi.errors import Failure, UseapiError
from bot.useapi.forms import FormField, Submission
from bot.useapi.parsing import optional_str

log = logging.getLogger(__name__)

SITE = "acemusic.ai"
MAX_JOBS_RANGE = (1, 10)
GOOGLE_SIGN_IN_HINT = (
    "An ACE Music account made with Google or a phone number has no password until you set one "
    "on acemusic.ai (Setup ACE Music)."
)
_LOGIN_WORDS = re.compile(r"password|email|sign.?in|log.?in|credential", re.IGNORECASE)


def ace_credits(obj: dict[str, Any]) -> tuple[Credit, ...]:
    """`credits` (what the account has left), a number or an object; () when not given."""
    value = obj.get("credits")
    left = _open_fields.number(value)
    if left is None and isinstance(value, dict):
        for name in ("remaining", "left", "balance", "credits"):
            left = _open_fields.number(value.get(name))
            if left is not None:
                break
    if left is None:
        return ()
    return (Credit(key="credits", label="credits", unit="credits", remaining=left),)


class AceMusicLoginRefused(UseapiError):
    """A 400 from ACE Music's POST: the email and password, as the page says ("a wrong email or
    password answers 400 and stores nothing"), unless useapi.net names another field."""

    def user_message(self) -> str:
        said = f' useapi.net said: "{self.detail}"' if self.detail else ""
        if self.detail and not _LOGIN_WORDS.search(self.detail):
            return f"useapi.net did not accept that ACE Music login.{said} Check the form and try again."
        return (
            f"useapi.net could not sign in to ACE Music with that email and password.{said} "
            f"Check both and try again. {GOOGLE_SIGN_IN_HINT}"
        )


class AceMusicService(UseapiService):
    key = "acemusic"
    label = "ACE Music"
    order = 42
    on_by_default = False
    command_group = "acemusic"
    group_description = "ACE Music accounts on useapi.net"
    register_description = "Sign in with your ACE Music email and password to add or renew the account"
    credential_noun = "login"
    expiry_noun = "session"
    form_fields = (
        *login_fields(
            "ACE Music",
            "The email you sign in to acemusic.ai with",
            "Your acemusic.ai password (set one first if you sign in with Google); never stored",
        ),
        FormField(
            id="max_jobs",
            label=f"Max concurrent jobs ({MAX_JOBS_RANGE[0]}-{MAX_JOBS_RANGE[1]})",
            description="How many jobs useapi.net may run at once on this account; blank for its default",
            placeholder="blank: useapi.net's default",
            required=False,
            max_length=2,
        ),
    )
    accounts_path = "/v1/acemusic/accounts"
    empty_list = EmptyList.EMPTY_OBJECT
    details_path = "/v1/acemusic/accounts/{account}"
    delete_path = "/v1/acemusic/accounts/{account}"
    # The credits are live on GET /accounts/{email} only.
    reads_details = True
    credit_source = CreditSource.DETAILS
    credit_figures = (CreditFigure("credits", "credits", "credits"),)

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        email = parse_email(values.get("email"), site=SITE)
        password = parse_password(values.get("password"), site=SITE)
        max_jobs = read_max_jobs(
            values.get("max_jobs"),
            low=MAX_JOBS_RANGE[0],
            high=MAX_JOBS_RANGE[1],
            when_blank="useapi.net's default",
        )
        body: dict[str, Any] = {"email": email, "password": password}
        if max_jobs is not None:
            body["maxJobs"] = max_jobs
        return Submission(body=body, secrets=(password,))

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        if key is None:
            key, obj = _open_fields.unwrap(obj, "email", "health", "error", "user_id", "plan")
        account = key or optional_str(obj, "email", limit=MAX_EMAIL_LENGTH)
        if _open_fields.text(obj, "liveError"):
            log.info("useapi acemusic: the live part of an account read failed (liveError)")
        return AccountInfo(
            service=self.key,
            account=(account or "")[:MAX_EMAIL_LENGTH],
            expires_at=None,  # useapi.net signs in again by itself: no deadline
            max_jobs=_open_fields.whole(obj.get("maxJobs")),
            updated_at=(
                _open_fields.instant(obj.get("updated"), "updated")
                or _open_fields.instant(obj.get("added"), "added")
            ),
            error=_open_fields.error_text(obj),
            health=_open_fields.health(obj),
            credits=ace_credits(obj),
        )

    async def register(self, submission: Submission) -> AccountInfo:
        email = str(submission.body.get("email", ""))
        try:
            info = await super().register(submission)
        except UseapiError as exc:
            if exc.failure is Failure.BAD_REQUEST and not isinstance(exc, AceMusicLoginRefused):
                raise AceMusicLoginRefused(
                    exc.failure, service_label=exc.service_label, status=exc.status, detail=exc.detail
                ) from None
            if exc.failure is Failure.BAD_RESPONSE and exc.status is not None and 200 <= exc.status < 300:
                # Accepted (useapi.net signs in before it saves anything), in a shape not read.
                log.warning(
                    "useapi acemusic register: accepted, answer not readable; keyed by the email sent"
                )
                return AccountInfo(service=self.key, account=email, created=exc.status == 201 or None)
            raise
        return info

    async def list_accounts(self) -> list[AccountInfo]:
        try:
            return await super().list_accounts()
        except UseapiError as exc:
            if _open_fields.says_nothing_configured(exc):
                return []
            raise
