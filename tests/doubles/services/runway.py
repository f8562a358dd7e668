"""A double of useapi.net's Runway accounts API (pages in /work/shared/upstream/runwayml/).

Routes (after the shared bearer check, which answers 401 {"error": "Unauthorized", "code": 401}):
POST /v1/runwayml/accounts/{email} (200, as the page prints, new or updated), GET
/v1/runwayml/accounts (an object keyed by email; 404 when none), GET and DELETE
/v1/runwayml/accounts/{email} (DELETE is OpenAPI only: 204), GET /v1/runwayml/features?email=
(the plan credits: {"permitted": {"storageGB", "numPlanCredits"}, "used": {"numPlanCredits"}}).
The shared choices (validation, texts, the empty list) are in `_email_login`.

Runway's own choices:
- A refused login: 401 {"error": "Wrong username/password combination.", "code": 401}; a suspended
  account (`teach_login(..., suspended=True)`, or `suspend(email)` for features): 401 {"error":
  "This account has been suspended.", "code": 401}: the documented texts.
- `jwt.exp` is Unix seconds with a fraction (`1734858598.864`, the pages' shape), `iat` 30 days
  earlier. `exp_shape` = "millis" sends milliseconds, "iso" adds the ISO companion `expUTC`
  beside the number, "absent" leaves `exp` out.
- `password` comes back as the password itself (the page prints "<password>"; the worst case:
  the bot must never keep or show it), `jwt.token` as "<token>".

Test controls: teach_login(email, password, expires, suspended=False, credits={"permitted": …,
"used": …}); set_account(email, expires, **fields); set_expiry; set_error; suspend; break_login;
remove_account; require_subscription(); `accounts`; `exp_shape`; `empty_list_body`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from . import ServiceDouble
from ._email_login import EmailLoginRoutes, LoginAccount

UTC = dt.UTC
TOKEN_LIFE = dt.timedelta(days=30)  # iat to exp in every example
FRACTION = 0.864


def iso_ms(when: dt.datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class RunwayDouble(EmailLoginRoutes, ServiceDouble):
    name = "runway"
    prefix = "/v1/runwayml/"
    unauthorized: ClassVar[dict[str, Any]] = {"error": "Unauthorized", "code": 401}
    secret_fields: ClassVar[tuple[str, ...]] = ("password",)
    max_jobs_high = 10
    created_status = 200
    wrong_login = "Wrong username/password combination."

    def __init__(self, now: Any) -> None:
        super().__init__(now)
        self.setup_state()
        self.exp_shape: Literal["seconds", "millis", "iso", "absent"] = "seconds"

    def account_body(self, acc: LoginAccount) -> dict[str, Any]:
        jwt: dict[str, Any] = {"token": "<token>", "id": 123456}
        if acc.expires is not None:
            seconds = int(acc.expires.timestamp()) + FRACTION
            if self.exp_shape == "millis":
                jwt["exp"] = int(acc.expires.timestamp()) * 1000 + 864
            elif self.exp_shape != "absent":
                jwt["exp"] = seconds
            if self.exp_shape == "iso":
                jwt["expUTC"] = iso_ms(acc.expires)
            jwt["iat"] = seconds - TOKEN_LIFE.total_seconds()
        data: dict[str, Any] = {
            "email": acc.email,
            "password": acc.password or "<password>",
            "maxJobs": acc.max_jobs,
            "jwt": jwt,
        }
        if acc.error:
            data["error"] = acc.error
        return data

    def features_body(self, acc: LoginAccount) -> dict[str, Any]:
        return {
            "permitted": {"storageGB": 500, "numPlanCredits": acc.credits.get("permitted", 2250)},
            "used": {"numPlanCredits": acc.credits.get("used", 1315)},
            "teams": [],
        }
