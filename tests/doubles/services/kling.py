"""A double of useapi.net's Kling accounts API (pages in /work/shared/upstream/kling/).

Routes: POST /v1/kling/accounts (201), GET /v1/kling/accounts, GET /v1/kling/accounts/{email}
(adds `balance`), DELETE /v1/kling/accounts/{email}. Bodies follow the documented shapes; the
password comes back only as "…secured…". 401 is {"error": "Unauthorized", "code": 401}.

Choices where the pages are silent (tests rely on them):
- POST with a missing/empty email or password: 400 {"error": "Parameter email is required",
  "code": 400} (or password). maxJobs missing, not a whole number, or outside 1..50: 400
  {"error": "Parameter maxJobs must be a number between 1 and 50", "code": 400}.
  An email/password pair never taught (or a wrong password): the documented 400
  {"error": "Account does not exist or password is incorrect"}.
- `require_subscription()` answers every route with the documented 402
  {"error": "Subscription required", "code": 402} until `restore_subscription()`.
- The empty list is a 404. Its body is not printed on the page (only the sentence
  "Configuration not found. To create configuration use POST /accounts."): by default it is
  {"error": "Configuration not found. To create configuration use POST /accounts.", "code": 404};
  `empty_list_body = "empty"` gives an empty body, `"text"` a plain-text one (which the bot must
  not read as "no accounts").
- GET/DELETE of an unknown email: 404 {"error": "Account configuration not found. To create
  configuration use POST /accounts.", "code": 404}. DELETE (OpenAPI only) of a known one: 204.
- `session.ExpireTime` is the pages' placeholder 123456789 by default (`expire_time="placeholder"`);
  "seconds" / "millis" send the real instant in that unit, "absent" leaves it out. `utc=False` on an
  account leaves `ExpireTimeUTC` out.

Test controls: teach_login(email, password, expires, user_id=None, utc=True) (POSTing that
pair configures that account); set_account(email, expires, **fields) (configured outside the bot);
set_expiry(email, expires); set_error(email, text|None); remove_account(email); state in `accounts`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from aiohttp import web

from .._common import Recorded
from . import ServiceDouble

UTC = dt.UTC
SECURED = "…secured…"
PLACEHOLDER_EXPIRE_TIME = 123456789  # what every stored page prints for session.ExpireTime
INCORRECT = {"error": "Account does not exist or password is incorrect"}
SUBSCRIPTION_REQUIRED = {"error": "Subscription required", "code": 402}
EMPTY_LIST_TEXT = "Configuration not found. To create configuration use POST /accounts."
UNKNOWN_ACCOUNT_TEXT = "Account configuration not found. To create configuration use POST /accounts."


def iso_ms(when: dt.datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass
class KlingAccount:
    email: str
    expires: dt.datetime | None
    password: str = ""
    max_jobs: int = 5
    user_id: str = field(default_factory=lambda: "user" + uuid.uuid4().hex[:8])
    error: str | None = None
    utc: bool = True
    points: int = 56000


class KlingDouble(ServiceDouble):
    name = "kling"
    prefix = "/v1/kling/"
    unauthorized: ClassVar[dict[str, Any]] = {"error": "Unauthorized", "code": 401}
    secret_fields: ClassVar[tuple[str, ...]] = ("password",)

    def __init__(self, now: Any) -> None:
        super().__init__(now)
        self.accounts: dict[str, KlingAccount] = {}
        self._logins: dict[str, KlingAccount] = {}  # email -> template with the right password
        self.empty_list_body: Literal["json", "empty", "text"] = "json"
        self.expire_time: Literal["placeholder", "seconds", "millis", "absent"] = "placeholder"
        self._subscription_lapsed = False

    # ------------------------------------------------------------------ test controls

    def teach_login(
        self,
        email: str,
        password: str,
        expires: dt.datetime | None,
        *,
        user_id: str | None = None,
        utc: bool = True,
    ) -> None:
        template = KlingAccount(email, expires, password, utc=utc)
        if user_id is not None:
            template.user_id = user_id
        self._logins[email] = template

    def set_account(self, email: str, expires: dt.datetime | None, **fields: Any) -> KlingAccount:
        acc = KlingAccount(email, expires, **fields)
        self.accounts[email] = acc
        return acc

    def set_expiry(self, email: str, expires: dt.datetime | None) -> None:
        self.accounts[email].expires = expires

    def set_error(self, email: str, error: str | None) -> None:
        self.accounts[email].error = error

    def remove_account(self, email: str) -> None:
        self.accounts.pop(email, None)

    def require_subscription(self) -> None:
        self._subscription_lapsed = True

    def restore_subscription(self) -> None:
        self._subscription_lapsed = False

    def taught_secrets(self) -> list[str]:
        return [a.password for a in [*self._logins.values(), *self.accounts.values()] if a.password]

    # ------------------------------------------------------------------ routes

    def handle(self, rec: Recorded) -> web.Response | None:
        if self._subscription_lapsed:
            return self.json(SUBSCRIPTION_REQUIRED, 402)
        base = self.prefix + "accounts"
        if rec.path == base:
            if rec.method == "POST":
                return self._post(rec)
            if rec.method == "GET":
                return self._list()
            return None
        if rec.path.startswith(base + "/"):
            email = rec.path[len(base) + 1 :]  # aiohttp has already decoded the path
            if rec.method == "GET":
                return self._get_one(email)
            if rec.method == "DELETE":
                return self._delete(email)
        return None

    def _body(self, acc: KlingAccount) -> dict[str, Any]:
        session: dict[str, Any] = {"userId": acc.user_id}
        if acc.expires is not None:
            if self.expire_time == "placeholder":
                session["ExpireTime"] = PLACEHOLDER_EXPIRE_TIME
            elif self.expire_time == "seconds":
                session["ExpireTime"] = int(acc.expires.timestamp())
            elif self.expire_time == "millis":
                session["ExpireTime"] = int(acc.expires.timestamp() * 1000)
            if acc.utc:
                session["ExpireTimeUTC"] = iso_ms(acc.expires)
        data: dict[str, Any] = {
            "email": acc.email,
            "session": session,
            "maxJobs": acc.max_jobs,
            "password": SECURED,
        }
        if acc.error:
            data["error"] = acc.error
        return data

    def _post(self, rec: Recorded) -> web.Response:
        body = rec.json if isinstance(rec.json, dict) else {}
        for name in ("email", "password"):
            if not isinstance(body.get(name), str) or not body[name]:
                return self.json({"error": f"Parameter {name} is required", "code": 400}, 400)
        max_jobs = body.get("maxJobs")
        if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or not 1 <= max_jobs <= 50:
            return self.json(
                {"error": "Parameter maxJobs must be a number between 1 and 50", "code": 400}, 400
            )
        template = self._logins.get(body["email"])
        if template is None or template.password != body["password"]:
            return self.json(INCORRECT, 400)
        acc = KlingAccount(
            template.email,
            template.expires,
            body["password"],
            max_jobs,
            template.user_id,
            utc=template.utc,
        )
        self.accounts[acc.email] = acc
        return self.json(self._body(acc), 201)

    def _list(self) -> web.Response:
        if not self.accounts:
            if self.empty_list_body == "empty":
                return web.Response(status=404)
            if self.empty_list_body == "text":
                return web.Response(text=EMPTY_LIST_TEXT, status=404)
            return self.json({"error": EMPTY_LIST_TEXT, "code": 404}, 404)
        return self.json({email: self._body(acc) for email, acc in self.accounts.items()})

    def _get_one(self, email: str) -> web.Response:
        acc = self.accounts.get(email)
        if acc is None:
            return self.json({"error": UNKNOWN_ACCOUNT_TEXT, "code": 404}, 404)
        data = self._body(acc)
        data["balance"] = {
            "points": [
                {
                    "orderId": "123456789",
                    "type": "plan",
                    "amount": 66000,
                    "balance": acc.points,
                    "startTime": PLACEHOLDER_EXPIRE_TIME,
                    "endTime": PLACEHOLDER_EXPIRE_TIME,
                }
            ],
            "tickets": [],
            "nextApplyTime": PLACEHOLDER_EXPIRE_TIME,
            "total": acc.points,
        }
        return self.json(data)

    def _delete(self, email: str) -> web.Response:
        if self.accounts.pop(email, None) is None:
            return self.json({"error": UNKNOWN_ACCOUNT_TEXT, "code": 404}, 404)
        return web.Response(status=204)
