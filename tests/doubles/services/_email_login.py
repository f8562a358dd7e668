"""The routes Runway's and PixVerse's doubles share: accounts configured from an email, a password
and maxJobs on POST `<prefix>accounts/{email}`, listed on GET `<prefix>accounts`, one account on
GET/DELETE `<prefix>accounts/{email}`, and the live GET `<prefix>features?email=`.

`EmailLoginRoutes` is a mixin, not a ServiceDouble (the double discovery would mount it): each
service's module combines it with ServiceDouble and sets the shapes and texts that differ
(`account_body`, `features_body`, the status of a created account, the texts of a refused login).

Choices where the pages are silent (each service's module repeats the ones tests rely on):
- POST validation, in this order: a missing/blank email or password → 400 {"error": "Parameter
  <name> is required", "code": 400}; the body's email differing from the path's → 400 {"error":
  "Email in the request body must match the email in the URL path", "code": 400}; maxJobs not a
  whole number in range → 400 {"error": "Parameter maxJobs must be a number between 1 and N",
  "code": 400}; `require_subscription()` → 402 {"error": "Subscription required", "code": 402};
  a login never taught or a wrong password → `wrong_login` (401); a suspended one → 401
  {"error": "This account has been suspended.", "code": 401}.
- The empty list is a 404 whose body the pages only print as a sentence ("Configuration not
  found. To create configuration use POST /accounts/email."): by default {"error": <that>,
  "code": 404}; `empty_list_body = "empty"` gives an empty body, `"text"` the sentence as plain
  text (which the bot must not read as "no accounts").
- GET/DELETE of an unknown email: 404 {"error": "Configuration not found. …", "code": 404};
  DELETE of a known one: 204 (`delete_status = 200` answers {"email", "deleted": true}).
- features: `?email=` left out with several accounts → 400 {"error": "Parameter email is
  required when several accounts are configured", "code": 400}; an unknown email → 404 as
  above; a suspended account → the 401 above (`suspend(email)`), a password changed on the site
  → 401 {"error": <wrong_login text>} (`break_login(email)`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal
from urllib.parse import unquote

from aiohttp import web

from .._common import Recorded

UTC = dt.UTC
EMPTY_LIST_TEXT = "Configuration not found. To create configuration use POST /accounts/email."
SUSPENDED = "This account has been suspended."
SUBSCRIPTION_REQUIRED = {"error": "Subscription required", "code": 402}
MISMATCH = "Email in the request body must match the email in the URL path"


@dataclass
class LoginAccount:
    email: str
    expires: dt.datetime | None
    password: str = ""
    max_jobs: int = 5
    error: str | None = None
    suspended: bool = False  # the service refuses the account (features 401, POST 401)
    login_broken: bool = False  # the password was changed on the site (features 401)
    credits: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # service-specific shape controls


class EmailLoginRoutes:
    """Mixin for a ServiceDouble (gives `prefix`, `now`, `json`)."""

    prefix: ClassVar[str]
    max_jobs_high: ClassVar[int]
    created_status: ClassVar[int]  # POST's status for a new account
    wrong_login: ClassVar[str]  # the 401 text of a refused email/password
    json: Any

    def setup_state(self) -> None:
        self.accounts: dict[str, LoginAccount] = {}
        self._logins: dict[str, LoginAccount] = {}  # email -> template with the right password
        self.empty_list_body: Literal["json", "empty", "text"] = "json"
        self.delete_status = 204
        self._subscription_lapsed = False

    # ------------------------------------------------------------------ test controls

    def teach_login(self, email: str, password: str, expires: dt.datetime | None, **fields: Any) -> None:
        """POSTing this email and password configures that account (fields: see LoginAccount)."""
        self._logins[email] = LoginAccount(email, expires, password, **fields)

    def set_account(self, email: str, expires: dt.datetime | None, **fields: Any) -> LoginAccount:
        """An account configured outside the bot."""
        acc = LoginAccount(email, expires, **fields)
        self.accounts[email] = acc
        return acc

    def set_expiry(self, email: str, expires: dt.datetime | None) -> None:
        self.accounts[email].expires = expires

    def set_error(self, email: str, error: str | None) -> None:
        self.accounts[email].error = error

    def suspend(self, email: str, on: bool = True) -> None:
        self.accounts[email].suspended = on

    def break_login(self, email: str, on: bool = True) -> None:
        self.accounts[email].login_broken = on

    def remove_account(self, email: str) -> None:
        self.accounts.pop(email, None)

    def require_subscription(self) -> None:
        self._subscription_lapsed = True

    def restore_subscription(self) -> None:
        self._subscription_lapsed = False

    def taught_secrets(self) -> list[str]:
        return [a.password for a in [*self._logins.values(), *self.accounts.values()] if a.password]

    # ------------------------------------------------------------------ shapes (per service)

    def account_body(self, acc: LoginAccount) -> dict[str, Any]:
        raise NotImplementedError

    def features_body(self, acc: LoginAccount) -> dict[str, Any]:
        raise NotImplementedError

    # ------------------------------------------------------------------ routes

    def handle(self, rec: Recorded) -> web.Response | None:
        rest = rec.path[len(self.prefix) :]
        if rest in ("features", "features/") and rec.method == "GET":
            return self._features(rec)
        if rest == "accounts":
            return self._list() if rec.method == "GET" else None
        if not rest.startswith("accounts/") or "/" in rest[len("accounts/") :]:
            return None
        email = unquote(rest[len("accounts/") :])  # aiohttp decoded the path already
        if rec.method == "POST":
            return self._post(rec, email)
        if rec.method == "GET":
            acc = self.accounts.get(email)
            return self._not_found() if acc is None else self.json(self.account_body(acc))
        if rec.method == "DELETE":
            if self.accounts.pop(email, None) is None:
                return self._not_found()
            if self.delete_status == 204:
                return web.Response(status=204)
            return self.json({"email": email, "deleted": True}, self.delete_status)
        return None

    def _not_found(self) -> web.Response:
        return self.json({"error": EMPTY_LIST_TEXT, "code": 404}, 404)

    def _post(self, rec: Recorded, email: str) -> web.Response:
        if self._subscription_lapsed:
            return self.json(SUBSCRIPTION_REQUIRED, 402)
        body = rec.json if isinstance(rec.json, dict) else {}
        for name in ("email", "password"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                return self.json({"error": f"Parameter {name} is required", "code": 400}, 400)
        if body["email"] != email:
            return self.json({"error": MISMATCH, "code": 400}, 400)
        max_jobs = body.get("maxJobs")
        high = self.max_jobs_high
        if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or not 1 <= max_jobs <= high:
            return self.json(
                {"error": f"Parameter maxJobs must be a number between 1 and {high}", "code": 400}, 400
            )
        template = self._logins.get(email)
        if template is None or template.password != body["password"]:
            return self.json({"error": self.wrong_login, "code": 401}, 401)
        if template.suspended:
            return self.json({"error": SUSPENDED, "code": 401}, 401)
        new = email not in self.accounts
        acc = LoginAccount(
            email,
            template.expires,
            body["password"],
            max_jobs,
            credits=dict(template.credits),
            extra=dict(template.extra),
        )
        self.accounts[email] = acc
        return self.json(self.account_body(acc), self.created_status if new else 200)

    def _list(self) -> web.Response:
        if not self.accounts:
            if self.empty_list_body == "empty":
                return web.Response(status=404)
            if self.empty_list_body == "text":
                return web.Response(text=EMPTY_LIST_TEXT, status=404)
            return self._not_found()
        return self.json({email: self.account_body(acc) for email, acc in self.accounts.items()})

    def _features(self, rec: Recorded) -> web.Response:
        email = rec.query.get("email")
        if not email:
            if len(self.accounts) != 1:
                return self.json(
                    {
                        "error": "Parameter email is required when several accounts are configured",
                        "code": 400,
                    },
                    400,
                )
            email = next(iter(self.accounts))
        acc = self.accounts.get(email)
        if acc is None:
            return self._not_found()
        if acc.suspended:
            return self.json({"error": SUSPENDED, "code": 401}, 401)
        if acc.login_broken:
            return self.json({"error": self.wrong_login, "code": 401}, 401)
        return self.json(self.features_body(acc))
