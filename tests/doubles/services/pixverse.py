"""A double of useapi.net's PixVerse v2 accounts API (pages in /work/shared/upstream/pixverse/).

Routes (after the shared bearer check, which answers 401 {"error": "Unauthorized", "code": 401}):
POST /v2/pixverse/accounts/{email} (201 for a new account, 200 for an update), GET
/v2/pixverse/accounts (an object keyed by email; 404 when none), GET and DELETE
/v2/pixverse/accounts/{email} (DELETE is OpenAPI only: 204), GET /v2/pixverse/features?email=
(plan and credits, the page's fields). The shared choices (validation, texts, the empty list)
are in `_email_login`.

PixVerse's own choices (the pages print "<Error message>" for every 400/401):
- A refused login: 401 {"error": "Incorrect email or password", "code": 401}; a suspended account:
  401 {"error": "This account has been suspended.", "code": 401}.
- `jwt.ExpireTime` is the pages' placeholder 123456789 by default (`expire_time="placeholder"`);
  "seconds" / "millis" send the real instant in that unit, "absent" leaves it out. `utc=False`
  (`extra={"utc": False}` on an account) leaves `ExpireTimeUTC` out.
- `password` comes back "…secured…", `jwt.token` "abc…secured…cde", as printed.

Test controls: teach_login(email, password, expires, suspended=False, credits={...}, extra=
{"utc": False}); set_account(email, expires, **fields); set_expiry; set_error; suspend;
break_login; remove_account; require_subscription(); `accounts`; `expire_time`;
`empty_list_body`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from . import ServiceDouble
from ._email_login import EmailLoginRoutes, LoginAccount

UTC = dt.UTC
PLACEHOLDER_EXPIRE_TIME = 123456789
CREDITS = {
    "credit_daily": 30,
    "credit_daily_gift": 30,
    "initial_credit_gift": 0,
    "credit_monthly": 5600,
    "credit_monthly_gift": 6000,
    "credit_package": 20,
}


def iso_ms(when: dt.datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class PixVerseDouble(EmailLoginRoutes, ServiceDouble):
    name = "pixverse"
    prefix = "/v2/pixverse/"
    unauthorized: ClassVar[dict[str, Any]] = {"error": "Unauthorized", "code": 401}
    secret_fields: ClassVar[tuple[str, ...]] = ("password",)
    max_jobs_high = 8
    created_status = 201
    wrong_login = "Incorrect email or password"

    def __init__(self, now: Any) -> None:
        super().__init__(now)
        self.setup_state()
        self.expire_time: Literal["placeholder", "seconds", "millis", "absent"] = "placeholder"

    def account_body(self, acc: LoginAccount) -> dict[str, Any]:
        jwt: dict[str, Any] = {"AccountId": 66778899, "Username": "maker", "token": "abc…secured…cde"}
        if acc.expires is not None:
            if self.expire_time == "placeholder":
                jwt["ExpireTime"] = PLACEHOLDER_EXPIRE_TIME
            elif self.expire_time == "seconds":
                jwt["ExpireTime"] = int(acc.expires.timestamp())
            elif self.expire_time == "millis":
                jwt["ExpireTime"] = int(acc.expires.timestamp() * 1000)
            if acc.extra.get("utc", True):
                jwt["ExpireTimeUTC"] = iso_ms(acc.expires)
        data: dict[str, Any] = {
            "email": acc.email,
            "password": "…secured…",
            "maxJobs": acc.max_jobs,
            "jwt": jwt,
        }
        if acc.error:
            data["error"] = acc.error
        return data

    def features_body(self, acc: LoginAccount) -> dict[str, Any]:
        renewal = (self.now() + dt.timedelta(days=20)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "user_id": 11223344,
            "member_id": 5566778899,
            "product_id": 9988776655,
            "plan_name": "Pro Plan",
            "next_plan_name": "Pro Plan",
            "next_plan_type": 2,
            "current_plan_type": 2,
            "type": 0,
            **CREDITS,
            **acc.credits,
            "expired_date": renewal,
            "price": "30",
            "billing_period": 1,
            "next_billing_period": 1,
            "billing_renewal_date": renewal,
            "payment": 1,
            "gen_simultaneously": 5,
            "allow_fast_mode": 1,
            "allow_relaxed_mode": 1,
            "allow_use_new_feat": 1,
        }
