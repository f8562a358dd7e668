"""A double of useapi.net's MiniMax (Hailuo AI) accounts API (pages in
/work/shared/upstream/minimax/).

Routes (after the shared bearer check, which answers 401 {"error": "Unauthorized", "code": 401}):
POST /v1/minimax/accounts {"url", "token", "maxJobs"} (201 for a new account, 200 for an update),
GET /v1/minimax/accounts (an object keyed by account id), GET and DELETE
/v1/minimax/accounts/{account} (DELETE is OpenAPI only: 204).

Choices where the pages are silent (POST's errors and the empty list are OPEN):
- POST: a missing/blank url or token → 400 {"error": "Parameter <name> is required", "code": 400};
  a url without /cursor → 400 {"error": "Parameter url must be the /cursor request URL", "code":
  400}; maxJobs not a whole number 1-10 → 400 {"error": "Parameter maxJobs must be a number
  between 1 and 10", "code": 400}; a token never taught → 400 {"error": "MiniMax did not accept
  the url and token", "code": 400}.
- The empty list: 404 {"error": "Configuration not found. To create configuration use POST
  /accounts.", "code": 404} by default; `empty_list_body` = "empty" (no body), "text" (the
  sentence as plain text: not "no accounts"), or "object" (200 {}).
- GET/DELETE of an unknown account: that 404. DELETE of a known one: 204.
- The answer's shape is the pages' (account, jwt{token, user{…}, exp, iat, host, searchParams,
  iat_Issued, exp_Expire}, maxJobs, supportVideo, supportChat, supportAudio). `exp_shape`:
  "agree" (default: `exp`, Unix seconds with a fraction, and `exp_Expire` name one instant),
  "page" (`exp` three weeks after `exp_Expire`, as the pages' example), "iso_only", "number_only".
- `jwt.token` comes back "abc…secured…xyz", and neither the url nor its query is echoed.

Test controls: teach_token(token, account, expires, **fields) (POSTing that token configures
that account); set_account(account, expires, **fields); set_expiry; set_error; remove_account;
`accounts` (dict by account id); `exp_shape`; `empty_list_body`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from aiohttp import web

from .._common import Recorded
from . import ServiceDouble

UTC = dt.UTC
EMPTY_LIST_TEXT = "Configuration not found. To create configuration use POST /accounts."
REFUSED = {"error": "MiniMax did not accept the url and token", "code": 400}
PAGE_DISAGREEMENT = dt.timedelta(days=21)  # exp 2024-12-22 beside exp_Expire 2024-12-01
TOKEN_LIFE = dt.timedelta(days=30)


def iso_ms(when: dt.datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass
class MiniMaxAccount:
    account: str
    expires: dt.datetime | None
    token: str = ""
    max_jobs: int = 1
    error: str | None = None
    host: str = "hailuoai.video"


class MiniMaxDouble(ServiceDouble):
    name = "minimax"
    prefix = "/v1/minimax/"
    unauthorized: ClassVar[dict[str, Any]] = {"error": "Unauthorized", "code": 401}
    secret_fields: ClassVar[tuple[str, ...]] = ("url", "token")

    def __init__(self, now: Any) -> None:
        super().__init__(now)
        self.accounts: dict[str, MiniMaxAccount] = {}
        self._tokens: dict[str, MiniMaxAccount] = {}
        self.empty_list_body: Literal["json", "empty", "text", "object"] = "json"
        self.exp_shape: Literal["agree", "page", "iso_only", "number_only"] = "agree"

    # ------------------------------------------------------------------ test controls

    def teach_token(self, token: str, account: str, expires: dt.datetime | None, **fields: Any) -> None:
        self._tokens[token] = MiniMaxAccount(account, expires, token, **fields)

    def set_account(self, account: str, expires: dt.datetime | None, **fields: Any) -> MiniMaxAccount:
        acc = MiniMaxAccount(account, expires, **fields)
        self.accounts[account] = acc
        return acc

    def set_expiry(self, account: str, expires: dt.datetime | None) -> None:
        self.accounts[account].expires = expires

    def set_error(self, account: str, error: str | None) -> None:
        self.accounts[account].error = error

    def remove_account(self, account: str) -> None:
        self.accounts.pop(account, None)

    def posted_secrets(self, body: dict[str, Any]) -> list[str]:
        """The url and the token, and each long value of the url's query (the browser's uuid and
        device id): the sweep looks for every one of them on its own."""
        found = super().posted_secrets(body)
        url = body.get("url")
        if isinstance(url, str):
            found.extend(value for _, value in parse_qsl(urlsplit(url).query) if len(value) >= 8)
        return found

    def taught_secrets(self) -> list[str]:
        return [*self._tokens, *(a.token for a in self.accounts.values() if a.token)]

    # ------------------------------------------------------------------ shapes

    def body(self, acc: MiniMaxAccount) -> dict[str, Any]:
        jwt: dict[str, Any] = {
            "token": "abc…secured…xyz",
            "user": {
                "deviceID": "300000000001",
                "id": acc.account,
                "isAnonymous": False,
                "name": "Maker",
                "avatar": "https://cdn.example/avatar.png",
            },
            "host": acc.host,
            "searchParams": "device_platform=web&app_id=3001&version_code=22201&os_name=Windows",
        }
        if acc.expires is not None:
            number = acc.expires + (PAGE_DISAGREEMENT if self.exp_shape == "page" else dt.timedelta())
            issued = acc.expires - TOKEN_LIFE
            if self.exp_shape != "iso_only":
                jwt["exp"] = int(number.timestamp()) + 0.864
                jwt["iat"] = int(issued.timestamp()) + 0.864
            if self.exp_shape != "number_only":
                jwt["exp_Expire"] = iso_ms(acc.expires)
                jwt["iat_Issued"] = iso_ms(issued)
        data: dict[str, Any] = {
            "account": acc.account,
            "jwt": jwt,
            "maxJobs": acc.max_jobs,
            "supportVideo": True,
            "supportChat": True,
            "supportAudio": True,
        }
        if acc.error:
            data["error"] = acc.error
        return data

    def _not_found(self) -> web.Response:
        return self.json({"error": EMPTY_LIST_TEXT, "code": 404}, 404)

    # ------------------------------------------------------------------ routes

    def handle(self, rec: Recorded) -> web.Response | None:
        rest = rec.path[len(self.prefix) :]
        if rest == "accounts":
            if rec.method == "POST":
                return self._post(rec)
            if rec.method == "GET":
                return self._list()
            return None
        if not rest.startswith("accounts/") or "/" in rest[len("accounts/") :]:
            return None
        account = unquote(rest[len("accounts/") :])
        acc = self.accounts.get(account)
        if rec.method == "GET":
            return self._not_found() if acc is None else self.json(self.body(acc))
        if rec.method == "DELETE":
            if self.accounts.pop(account, None) is None:
                return self._not_found()
            return web.Response(status=204)
        return None

    def _list(self) -> web.Response:
        if not self.accounts:
            if self.empty_list_body == "object":
                return self.json({})
            if self.empty_list_body == "empty":
                return web.Response(status=404)
            if self.empty_list_body == "text":
                return web.Response(text=EMPTY_LIST_TEXT, status=404)
            return self._not_found()
        return self.json({key: self.body(acc) for key, acc in self.accounts.items()})

    def _post(self, rec: Recorded) -> web.Response:
        body = rec.json if isinstance(rec.json, dict) else {}
        for name in ("url", "token"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                return self.json({"error": f"Parameter {name} is required", "code": 400}, 400)
        if "/cursor" not in body["url"]:
            return self.json({"error": "Parameter url must be the /cursor request URL", "code": 400}, 400)
        max_jobs = body.get("maxJobs")
        if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or not 1 <= max_jobs <= 10:
            return self.json(
                {"error": "Parameter maxJobs must be a number between 1 and 10", "code": 400}, 400
            )
        template = self._tokens.get(body["token"])
        if template is None:
            return self.json(REFUSED, 400)
        new = template.account not in self.accounts
        acc = MiniMaxAccount(template.account, template.expires, body["token"], max_jobs, host=template.host)
        self.accounts[acc.account] = acc
        return self.json(self.body(acc), 201 if new else 200)
