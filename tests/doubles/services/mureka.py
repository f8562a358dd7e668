"""A double of useapi.net's Mureka accounts API (`ua.mureka`), pages in
/work/shared/upstream/mureka/ (POST updated July 21, 2026; the GET pages January 20, 2026;
the profile February 13, 2026).

Routes (after the shared bearer check: {"error": "Unauthorized", "code": 401}):
- POST /v1/mureka/accounts {"email", "password"} or {"token", "refresh_token"}: 200 with the
  account keyed by its id (the January 2026 answer's shape: {"<id>": {...}}); `post_shape =
  "flat"` answers the record alone, `"no-id"` the record without an account id (email mode).
- GET /v1/mureka/accounts: the records keyed by account id; 404 {"error": "Configuration not
  found. To create configuration use POST /accounts.", "code": 404} when none (`empty_list =
  "text"`: that sentence as plain text).
- GET /v1/mureka/accounts/{account}: the record (with the session token's expiry); 404
  {"error": "Configuration not found. To create configuration use POST /accounts.", "code": 404}.
- DELETE /v1/mureka/accounts/{account}: 200 with an empty body by default (the page's responses
  were dropped: OPEN); `delete_answer = "204"` or `"200-json"` ({"deleted": true}).
- GET /v1/mureka/profile?account=<id> (also /profile/): {user: {...}, credits, credits_silver,
  ...}; 400 {"error": "Account <id> is not configured", "code": 400} for an unknown id (the
  page prints only a generic 400); `profile_fails` answers 500.

Record shapes, per account `mode` (the July 2026 GET shapes are OPEN; these are the assumptions
the bot reads):
- "email": {account, email, authMode: "email", updated, updatedUTC, health: "OK", error?}
- "token": {account, authMode: "token", token: "…secured…", hasAutoRefresh: true,
  tokenIssuedDaysAgo, tokenExpiresUTC, refreshTokenExpiresUTC?, updated, updatedUTC, error?}
- "cookie": the January 2026 record (hasAutoRefresh: true, sessionCookie {…, expires}).
- "legacy": the 2024 record {updated, account, token, updatedUTC, tokenIssuedDaysAgo}.

POST errors: an email/password never taught: 401 {"error": "Wrong username/password
combination.", "code": 401} (the legacy page's); a token pair never taught: 400 {"error":
"Failed to refresh the Mureka session", "code": 400}; neither pair complete: 400 {"error":
"Parameter email and password, or token and refresh_token, are required", "code": 400}.

Test controls: teach_login(email, password, account=None, ...), teach_tokens(token, refresh,
account=None, ...), set_account(account, mode=..., ...), set_error(account, text|None),
set_token_expiry(account, when), set_credits(account, credits, silver=None), remove_account(account);
state in `accounts` (by id).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal
from urllib.parse import unquote

from aiohttp import web

from .._common import Recorded
from . import ServiceDouble
from .googleflow import iso_ms

UTC = dt.UTC
SECURED = "abc…secured…xyz"
NOT_FOUND = "Configuration not found. To create configuration use POST /accounts."
WRONG_LOGIN = {"error": "Wrong username/password combination.", "code": 401}
TOKENS_REFUSED = "Failed to refresh the Mureka session"


def _new_id() -> str:
    return str(random.randint(10**13, 10**14 - 1))


@dataclass
class MurekaAccount:
    account: str
    mode: Literal["email", "token", "cookie", "legacy"] = "email"
    email: str | None = None
    secret: str = ""  # the password or token that configured it
    refresh: str = ""
    updated: dt.datetime = field(default_factory=lambda: dt.datetime.now(UTC))
    token_expires: dt.datetime | None = None
    refresh_expires: dt.datetime | None = None
    cookie_expires: dt.datetime | None = None
    error: str | None = None
    health: str | None = "OK"
    credits: int = 500
    silver: int | None = 4


class MurekaDouble(ServiceDouble):
    name = "mureka"
    prefix = "/v1/mureka/"
    unauthorized: ClassVar[dict[str, Any]] = {"error": "Unauthorized", "code": 401}
    secret_fields: ClassVar[tuple[str, ...]] = ("password", "token", "refresh_token")

    def __init__(self, now: Any) -> None:
        super().__init__(now)
        self.accounts: dict[str, MurekaAccount] = {}
        self._logins: dict[tuple[str, str], MurekaAccount] = {}
        self._tokens: dict[tuple[str, str], MurekaAccount] = {}
        self.post_shape: Literal["keyed", "flat", "no-id"] = "keyed"
        self.empty_list: Literal["json", "text"] = "json"
        self.delete_answer: Literal["200-empty", "204", "200-json"] = "200-empty"
        self.profile_fails = False

    # -- test controls ---------------------------------------------------------------------

    def teach_login(
        self, email: str, password: str, account: str | None = None, **fields: Any
    ) -> MurekaAccount:
        template = MurekaAccount(account or _new_id(), "email", email, password, **fields)
        self._logins[(email, password)] = template
        return template

    def teach_tokens(
        self, token: str, refresh: str, account: str | None = None, **fields: Any
    ) -> MurekaAccount:
        fields.setdefault("token_expires", self.now() + dt.timedelta(days=30))
        template = MurekaAccount(account or _new_id(), "token", None, token, refresh, **fields)
        self._tokens[(token, refresh)] = template
        return template

    def set_account(self, account: str, **fields: Any) -> MurekaAccount:
        fields.setdefault("updated", self.now())
        acc = MurekaAccount(account, **fields)
        self.accounts[account] = acc
        return acc

    def set_error(self, account: str, error: str | None) -> None:
        self.accounts[account].error = error

    def set_token_expiry(self, account: str, when: dt.datetime) -> None:
        acc = self.accounts[account]
        acc.token_expires, acc.updated = when, self.now()

    def set_credits(self, account: str, credits: int, silver: int | None = None) -> None:
        acc = self.accounts[account]
        acc.credits, acc.silver = credits, silver

    def remove_account(self, account: str) -> None:
        self.accounts.pop(account, None)

    def taught_secrets(self) -> list[str]:
        found = [p for (_, p) in self._logins] + [s for pair in self._tokens for s in pair]
        for acc in self.accounts.values():
            found.extend(s for s in (acc.secret, acc.refresh) if s)
        return found

    # -- shapes ----------------------------------------------------------------------------

    def record(self, acc: MurekaAccount, *, details: bool = False) -> dict[str, Any]:
        updated = {"updated": int(acc.updated.timestamp()), "updatedUTC": iso_ms(acc.updated)}
        data: dict[str, Any]
        if acc.mode == "legacy":
            data = {**updated, "account": acc.account, "token": SECURED, "tokenIssuedDaysAgo": 3}
        elif acc.mode == "cookie":
            data = {
                "account": acc.account,
                "token": SECURED,
                **updated,
                "tokenIssuedDaysAgo": 0,
                "hasAutoRefresh": True,
                "sessionCookie": {
                    "name": "__Secure-3PSID",
                    "value": "g.a000abc…secured…12345",
                    "domain": ".google.com",
                    "path": "/",
                    "expires": iso_ms(acc.cookie_expires or acc.updated + dt.timedelta(days=30)),
                    "httpOnly": True,
                    "secure": True,
                    "sameSite": "None",
                    "added": iso_ms(acc.updated),
                },
            }
        elif acc.mode == "token":
            data = {
                "account": acc.account,
                "authMode": "token",
                "token": SECURED,
                "hasAutoRefresh": True,
                "tokenIssuedDaysAgo": 0,
                **updated,
            }
            if details and acc.token_expires is not None:
                data["tokenExpiresUTC"] = iso_ms(acc.token_expires)
            if acc.refresh_expires is not None:
                data["refreshTokenExpiresUTC"] = iso_ms(acc.refresh_expires)
        else:
            data = {"account": acc.account, "email": acc.email, "authMode": "email", **updated}
            if details and acc.token_expires is not None:
                data["tokenExpiresUTC"] = iso_ms(acc.token_expires)
        if acc.health is not None and acc.mode in ("email", "token"):
            data["health"] = "error" if acc.error else acc.health
        if acc.error is not None:
            data["error"] = acc.error
        return data

    def profile(self, acc: MurekaAccount) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user": {
                "id": acc.account,
                "user_id": int(acc.account),
                "stage_name": "useapi.net",
                "is_vip": True,
                "vip_level": 2,
                "created_on": 1756353867,
                "vip_end": 1771632412,
                "vip_name": "Monthly Pro",
                "created_on_UTC": "2025-08-28T04:04:27.000Z",
                "vip_end_UTC": "2026-02-21T00:06:52.000Z",
            },
            "country_code": "US",
            "credits": acc.credits,
            "feed_list_count": 574,
        }
        if acc.silver is not None:
            data["credits_silver"] = acc.silver
        return data

    # -- routes ----------------------------------------------------------------------------

    def handle(self, rec: Recorded) -> web.Response | None:
        root = self.prefix + "accounts"
        if rec.path in (self.prefix + "profile", self.prefix + "profile/") and rec.method == "GET":
            return self._profile(rec)
        if rec.path == root:
            if rec.method == "POST":
                return self._post(rec)
            if rec.method == "GET":
                return self._list()
            return None
        rest = rec.path[len(root) + 1 :] if rec.path.startswith(root + "/") else ""
        if not rest or "/" in rest or rec.method not in ("GET", "DELETE"):
            return None
        account = unquote(rest)
        acc = self.accounts.get(account)
        if acc is None:
            return self.json({"error": NOT_FOUND, "code": 404}, 404)
        if rec.method == "GET":
            return self.json(self.record(acc, details=True))
        del self.accounts[account]
        if self.delete_answer == "204":
            return web.Response(status=204)
        if self.delete_answer == "200-json":
            return self.json({"deleted": True})
        return web.Response(status=200)

    def _profile(self, rec: Recorded) -> web.Response:
        if self.profile_fails:
            return self.json({"error": "Mureka did not answer", "code": 500}, 500)
        account = rec.query.get("account")
        if account is None and len(self.accounts) == 1:
            account = next(iter(self.accounts))
        acc = self.accounts.get(account or "")
        if acc is None:
            return self.json({"error": f"Account {account} is not configured", "code": 400}, 400)
        return self.json(self.profile(acc))

    def _list(self) -> web.Response:
        if not self.accounts:
            if self.empty_list == "text":
                return web.Response(text=NOT_FOUND, status=404)
            return self.json({"error": NOT_FOUND, "code": 404}, 404)
        return self.json({key: self.record(acc) for key, acc in self.accounts.items()})

    def _post(self, rec: Recorded) -> web.Response:
        body = rec.json if isinstance(rec.json, dict) else {}
        email, password = body.get("email"), body.get("password")
        token, refresh = body.get("token"), body.get("refresh_token")
        if isinstance(email, str) and isinstance(password, str) and email and password:
            template = self._logins.get((email, password))
            if template is None:
                return self.json(WRONG_LOGIN, 401)
        elif isinstance(token, str) and isinstance(refresh, str) and token and refresh:
            template = self._tokens.get((token, refresh))
            if template is None:
                return self.json({"error": TOKENS_REFUSED, "code": 400}, 400)
        else:
            return self.json(
                {
                    "error": "Parameter email and password, or token and refresh_token, are required",
                    "code": 400,
                },
                400,
            )
        acc = MurekaAccount(
            template.account,
            template.mode,
            template.email,
            template.secret,
            template.refresh,
            updated=self.now(),
            token_expires=template.token_expires,
            refresh_expires=template.refresh_expires,
            credits=template.credits,
        )
        self.accounts[acc.account] = acc
        record = self.record(acc, details=True)
        if self.post_shape == "keyed":
            return self.json({acc.account: record})
        if self.post_shape == "no-id":
            record.pop("account")
        return self.json(record)
