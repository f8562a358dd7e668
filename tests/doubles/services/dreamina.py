"""A double of useapi.net's Dreamina accounts API (pages in /work/shared/upstream/dreamina/).

Routes (after the shared bearer check, which answers 401 {"error": "Unauthorized"}):
- POST /v1/dreamina/accounts {"email","password","region","maxJobs"?} → 200 with the documented
  account (account, email, region, maxJobs, sessionExpires, session{expires, lastRefreshed,
  daysUntilExpiry}, models, credits).
- GET /v1/dreamina/accounts → 200 map keyed by `REGION:email` of {account, email, region,
  maxJobs, sessionExpires, error?}; 200 `{}` when nothing is configured.
- GET /v1/dreamina/accounts/{account} → 200 the full account, or 404
  {"error": "Unable to find configuration for account <account>"}.
- DELETE /v1/dreamina/accounts/{account} → 200 {"account", "deleted": true, "remaining"} or the 404.
`{account}` arrives URL-encoded (`US%3Aa%40b.com`); aiohttp hands the double the decoded path.

Choices where the pages are silent:
- Validation, in this order: missing/blank email → 400 "Parameter email is required" (the
  documented text), the same wording for password and region; a region other than US/CA → 400
  "Parameter region must be one of: US, CA"; maxJobs not a whole number 1-50 → 400
  "Parameter maxJobs must be a number between 1 and 50".
- A login the test never taught → 500 {"error": "Login failed: invalid credentials"} (the
  documented 500). `expire_subscription()` → every POST answers the documented 402.
- maxJobs left out: 10 for a new account (the documented default), the old value on a renewal.
- POST answers 200 for new and renewed accounts alike (the page prints only 200).
- GET-one with `live=False` on the account returns the documented fallback "summary without
  these fields" (no session, models, credits).

Test controls: teach_login(email, password, region="US", expires=..., ...) → posting those
three configures that account; set_account(email, region, expires, **fields) puts one in upstream
state directly; set_expiry(account, expires) (also sets lastRefreshed = now), set_error(account,
text|None), remove_account(account), expire_subscription(on=True). State: `accounts` by key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote

from aiohttp import web

from .._common import Recorded
from . import ServiceDouble

UTC = dt.UTC
REGIONS = ("US", "CA")
LOGIN_FAILED = (500, {"error": "Login failed: invalid credentials"})
NO_SUBSCRIPTION = (402, {"error": "Account has no subscription or subscription expired"})
DEFAULT_MAX_JOBS = 10


def iso_ms(when: dt.datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass
class DreaminaAccount:
    email: str
    region: str
    expires: dt.datetime
    password: str = ""
    max_jobs: int = DEFAULT_MAX_JOBS
    last_refreshed: dt.datetime = field(default_factory=lambda: dt.datetime.now(UTC))
    error: str | None = None
    credits_total: int = 500
    live: bool = True  # False: GET-one returns the "upstream queries failed" summary

    @property
    def key(self) -> str:
        return f"{self.region}:{self.email}"


class DreaminaDouble(ServiceDouble):
    name = "dreamina"
    prefix = "/v1/dreamina/"
    secret_fields: ClassVar[tuple[str, ...]] = ("password",)

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        super().__init__(now)
        self.accounts: dict[str, DreaminaAccount] = {}
        self._logins: dict[tuple[str, str, str], DreaminaAccount] = {}  # (email, password, region)
        self._subscription_expired = False

    # ------------------------------------------------------------------ test controls

    def teach_login(
        self,
        email: str,
        password: str,
        region: str = "US",
        *,
        expires: dt.datetime,
        credits_total: int = 500,
    ) -> None:
        self._logins[(email, password, region)] = DreaminaAccount(
            email, region, expires, password, credits_total=credits_total
        )

    def set_account(self, email: str, region: str, expires: dt.datetime, **fields: Any) -> DreaminaAccount:
        acc = DreaminaAccount(email, region, expires, **fields)
        self.accounts[acc.key] = acc
        return acc

    def set_expiry(self, account: str, expires: dt.datetime) -> None:
        acc = self.accounts[account]
        acc.expires, acc.last_refreshed = expires, self.now()

    def set_error(self, account: str, error: str | None) -> None:
        self.accounts[account].error = error

    def remove_account(self, account: str) -> None:
        self.accounts.pop(account, None)

    def expire_subscription(self, on: bool = True) -> None:
        self._subscription_expired = on

    def taught_secrets(self) -> list[str]:
        return [password for (_, password, _) in self._logins] + [
            acc.password for acc in self.accounts.values() if acc.password
        ]

    # ------------------------------------------------------------------ shapes

    def summary(self, acc: DreaminaAccount) -> dict[str, Any]:
        data: dict[str, Any] = {
            "account": acc.key,
            "email": acc.email,
            "region": acc.region,
            "maxJobs": acc.max_jobs,
            "sessionExpires": iso_ms(acc.expires),
        }
        if acc.error is not None:
            data["error"] = acc.error
        return data

    def full(self, acc: DreaminaAccount) -> dict[str, Any]:
        data = self.summary(acc)
        if not acc.live:
            return data
        days = max(0, (acc.expires - self.now()).days)
        data["session"] = {
            "expires": iso_ms(acc.expires),
            "lastRefreshed": iso_ms(acc.last_refreshed),
            "daysUntilExpiry": days,
        }
        data["models"] = {
            "video": ["seedance-2.0", "seedance-1.5-pro", "seedance-1.0-mini"],
            "image": ["seedream-4.5", "seedream-4.1", "seedream-4.0", "nano-banana", "seedream-3.0"],
        }
        data["credits"] = {
            "total": acc.credits_total,
            "vip": 0,
            "gift": acc.credits_total,
            "purchase": 0,
            "dailyClaimed": False,
        }
        return data

    # ------------------------------------------------------------------ routes

    def handle(self, rec: Recorded) -> web.Response | None:
        if rec.path == "/v1/dreamina/accounts":
            if rec.method == "POST":
                return self._post(rec)
            if rec.method == "GET":
                return self.json({key: self.summary(acc) for key, acc in self.accounts.items()})
            return None
        rest = rec.path.removeprefix("/v1/dreamina/accounts/")
        if rest == rec.path or not rest or "/" in rest:
            return None
        account = unquote(rest)
        acc = self.accounts.get(account)
        if rec.method not in ("GET", "DELETE"):
            return None
        if acc is None:
            return self.json({"error": f"Unable to find configuration for account {account}"}, 404)
        if rec.method == "GET":
            return self.json(self.full(acc))
        del self.accounts[account]
        return self.json({"account": account, "deleted": True, "remaining": len(self.accounts)})

    def _post(self, rec: Recorded) -> web.Response:
        body = rec.json if isinstance(rec.json, dict) else {}
        for name in ("email", "password", "region"):
            value = body.get(name)
            if not isinstance(value, str) or not value.strip():
                return self.json({"error": f"Parameter {name} is required"}, 400)
        email, password, region = body["email"], body["password"], body["region"]
        if region not in REGIONS:
            return self.json({"error": "Parameter region must be one of: US, CA"}, 400)
        max_jobs = body.get("maxJobs")
        if max_jobs is not None and (
            isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or not 1 <= max_jobs <= 50
        ):
            return self.json({"error": "Parameter maxJobs must be a number between 1 and 50"}, 400)
        if self._subscription_expired:
            status, error = NO_SUBSCRIPTION
            return self.json(error, status)
        template = self._logins.get((email, password, region))
        if template is None:
            status, error = LOGIN_FAILED
            return self.json(error, status)
        previous = self.accounts.get(f"{region}:{email}")
        acc = DreaminaAccount(
            email,
            region,
            template.expires,
            password,
            max_jobs=max_jobs
            if max_jobs is not None
            else (previous.max_jobs if previous else DEFAULT_MAX_JOBS),
            last_refreshed=self.now(),
            credits_total=template.credits_total,
        )
        self.accounts[acc.key] = acc
        return self.json(self.full(acc))
