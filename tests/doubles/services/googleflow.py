"""A double of useapi.net's Google Flow accounts API (`ua.google_flow`).

Routes (../shared/upstream/google-flow/): POST /v1/google-flow/accounts {"cookies": "<DevTools
cookie table>"}; GET /v1/google-flow/accounts (the Dec 2025 summary per account: health, error?,
created, sessionData.expires, project, nextRefresh.scheduledFor; 200 {} when none);
GET /v1/google-flow/accounts/{email} (the full record: redacted accountCookies and
sessionCookies, sessionData, project, nextRefresh, health, credits, models);
DELETE /v1/google-flow/accounts/{email} (200 {"message": "Google Flow account <email> deleted"}).
The email in a path is URL-decoded. 401 {"error": "Unauthorized"} (the shared bearer check).

Choices where the pages are silent (tests may rely on them):
- POST without a string `cookies`: 400 {"error": "Parameter cookies is required"}. A table none
  of whose cookie values was taught: 400 {"error": GoogleFlowDouble.UNKNOWN_COOKIES} (useapi.net
  could not sign in with them). A new account answers 201, an update 200 (not printed).
- The POST answer is the full record without `health` (as printed); its email is
  `sessionData.user.email`, written out in full (the pages' "jo***@gmail.com" taken for the docs'
  redaction).
- GET/DELETE of an unknown email: 404 {"error": "Google Flow account <email> not found"} (the
  DELETE page's body; GET-email's 404 is not stored).
- `full_list=True` answers the list with the older (Nov 2025) full records instead.
- A cookie's `expires` is sent as given: an ISO string by default, or any raw value a test sets
  (a number, -1, "Session") with `set_cookie_expiry`.

Test controls: `teach(cookie_value, email, account_expires=..., ...)`: a posted table holding that
cookie value configures that account; `set_account(email, ...)` (configured outside the bot);
`set_cookie_expiry(email, *expires)`, `set_health(email, health, error=None)`,
`set_session(email, expires, next_refresh)`, `remove_account(email)`; state in `accounts`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote

from aiohttp import web

from .._common import Recorded
from . import ServiceDouble

UTC = dt.UTC
PREFIX = "/v1/google-flow/"
ACCOUNTS = "/v1/google-flow/accounts"


def iso_ms(when: dt.datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def table_values(table: str) -> list[str]:
    """Every cookie value in a DevTools cookie table (header-aware; independent of the bot's parser)."""
    lines = [line for line in table.replace("\r", "\n").split("\n") if line.strip()]
    if not lines:
        return []
    value_col = 1
    first = [cell.strip().lower() for cell in lines[0].split("\t")]
    if {"name", "value"} <= set(first):
        value_col = first.index("value")
        lines = lines[1:]
    found = []
    for line in lines:
        cells = line.split("\t")
        if len(cells) > value_col and cells[value_col].strip().strip('"'):
            found.append(cells[value_col].strip().strip('"'))
    return found


@dataclass
class FlowAccount:
    email: str
    # (name, raw expires) of the Google sign-in cookies; raw = what the API sends (string | number).
    account_cookies: list[tuple[str, Any]]
    session_expires: dt.datetime
    next_refresh: dt.datetime | None = None
    health: str = "OK"
    error: str | None = None
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(UTC))
    project_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class GoogleFlowDouble(ServiceDouble):
    name = "google_flow"
    prefix = PREFIX
    secret_fields: ClassVar[tuple[str, ...]] = ("cookies",)
    UNKNOWN_COOKIES = "Unable to sign in to Google Flow with the provided cookies"

    def __init__(self, now: Any) -> None:
        super().__init__(now)
        self.accounts: dict[str, FlowAccount] = {}
        self._taught: dict[str, FlowAccount] = {}  # cookie value -> template account
        self.full_list = False

    # -- test controls ---------------------------------------------------------------------

    def teach(
        self,
        cookie_value: str,
        email: str,
        *,
        account_expires: list[Any] | tuple[Any, ...] = (),
        session_expires: dt.datetime | None = None,
        next_refresh: dt.datetime | None = None,
        health: str = "OK",
        error: str | None = None,
    ) -> None:
        """A posted table with this cookie value configures `email`. account_expires: each
        accountCookies[].expires (a datetime becomes ISO; anything else is sent as is)."""
        self._taught[cookie_value] = self._account(
            email, account_expires, session_expires, next_refresh, health, error
        )

    def set_account(
        self,
        email: str,
        *,
        account_expires: list[Any] | tuple[Any, ...] = (),
        session_expires: dt.datetime | None = None,
        next_refresh: dt.datetime | None = None,
        health: str = "OK",
        error: str | None = None,
    ) -> FlowAccount:
        acc = self._account(email, account_expires, session_expires, next_refresh, health, error)
        self.accounts[email] = acc
        return acc

    def set_cookie_expiry(self, email: str, *expires: Any) -> None:
        self.accounts[email].account_cookies = _cookies(expires)

    def set_health(self, email: str, health: str, error: str | None = None) -> None:
        acc = self.accounts[email]
        acc.health, acc.error = health, error

    def set_session(self, email: str, expires: dt.datetime, next_refresh: dt.datetime | None = None) -> None:
        acc = self.accounts[email]
        acc.session_expires = expires
        acc.next_refresh = next_refresh or expires - dt.timedelta(hours=1)

    def remove_account(self, email: str) -> None:
        self.accounts.pop(email, None)

    def taught_secrets(self) -> list[str]:
        return list(self._taught)

    def posted_secrets(self, body: dict[str, Any]) -> list[str]:
        table = body.get("cookies")
        if not isinstance(table, str):
            return []
        return [table, *table_values(table)]

    def _account(
        self,
        email: str,
        account_expires: list[Any] | tuple[Any, ...],
        session_expires: dt.datetime | None,
        next_refresh: dt.datetime | None,
        health: str,
        error: str | None,
    ) -> FlowAccount:
        session = session_expires or self.now() + dt.timedelta(days=1)
        return FlowAccount(
            email=email,
            account_cookies=_cookies(account_expires),
            session_expires=session,
            next_refresh=next_refresh or session - dt.timedelta(hours=1),
            health=health,
            error=error,
            created=self.now(),
        )

    # -- routes ----------------------------------------------------------------------------

    def handle(self, rec: Recorded) -> web.Response | None:
        if rec.path == ACCOUNTS:
            if rec.method == "POST":
                return self._post(rec)
            if rec.method == "GET":
                return self._list()
            return None
        if rec.path.startswith(ACCOUNTS + "/") and "/" not in rec.path[len(ACCOUNTS) + 1 :]:
            email = unquote(rec.path[len(ACCOUNTS) + 1 :])
            if rec.method == "GET":
                return self._get_one(email)
            if rec.method == "DELETE":
                return self._delete(email)
        return None

    def _post(self, rec: Recorded) -> web.Response:
        body = rec.json if isinstance(rec.json, dict) else {}
        table = body.get("cookies")
        if not isinstance(table, str) or not table.strip():
            return self.json({"error": "Parameter cookies is required"}, 400)
        template = next((self._taught[v] for v in table_values(table) if v in self._taught), None)
        if template is None:
            return self.json({"error": self.UNKNOWN_COOKIES}, 400)
        created = template.email not in self.accounts
        acc = FlowAccount(
            email=template.email,
            account_cookies=list(template.account_cookies),
            session_expires=template.session_expires,
            next_refresh=template.next_refresh,
            health=template.health,
            error=template.error,
            created=self.now() if created else self.accounts[template.email].created,
        )
        self.accounts[acc.email] = acc
        record = self._full(acc)
        record.pop("health")  # the POST answer, as printed, has no health
        return self.json(record, 201 if created else 200)

    def _list(self) -> web.Response:
        if self.full_list:
            return self.json({email: self._full(acc) for email, acc in self.accounts.items()})
        return self.json({email: self._summary(acc) for email, acc in self.accounts.items()})

    def _get_one(self, email: str) -> web.Response:
        acc = self.accounts.get(email)
        if acc is None:
            return self._not_found(email)
        record = self._full(acc)
        record["credits"] = {"credits": 1250, "userPaygateTier": "PAYGATE_TIER_TWO"}
        record["models"] = {"videoModels": [{"key": "veo_3_1_t2v", "displayName": "Veo 3.1 - Quality"}]}
        return self.json(record)

    def _delete(self, email: str) -> web.Response:
        if self.accounts.pop(email, None) is None:
            return self._not_found(email)
        return self.json({"message": f"Google Flow account {email} deleted"})

    def _not_found(self, email: str) -> web.Response:
        return self.json({"error": f"Google Flow account {email} not found"}, 404)

    # -- shapes ----------------------------------------------------------------------------

    def _summary(self, acc: FlowAccount) -> dict[str, Any]:
        data: dict[str, Any] = {
            "created": iso_ms(acc.created),
            "health": acc.health,
            "nextRefresh": {"scheduledFor": iso_ms(acc.next_refresh or acc.session_expires)},
            "project": {"projectId": acc.project_id, "projectTitle": "Nov 11 - 02:56"},
            "sessionData": {"expires": iso_ms(acc.session_expires)},
        }
        if acc.error is not None:
            data["error"] = acc.error
        return data

    def _full(self, acc: FlowAccount) -> dict[str, Any]:
        data = self._summary(acc)
        data["accountCookies"] = [
            {
                "name": name,
                "value": "AYQ...(redacted)",
                "domain": ".google.com",
                "path": "/",
                "expires": expires,
                "httpOnly": True,
                "secure": False,
                "sameSite": "Lax",
            }
            for name, expires in acc.account_cookies
        ]
        data["sessionCookies"] = [
            {
                "name": "__Host-GAPS",
                "value": "1:eJy...(redacted)",
                "domain": "labs.google",
                "path": "/",
                "expires": iso_ms(acc.created + dt.timedelta(days=30)),
                "httpOnly": True,
                "secure": True,
                "sameSite": "Lax",
            }
        ]
        data["sessionData"] = {
            "user": {
                "name": "Flow Tester",
                "email": acc.email,
                "image": "https://lh3.googleusercontent.com/a/x",
            },
            "expires": iso_ms(acc.session_expires),
            "access_token": "ya29.a0A...(redacted)",
        }
        data["nextRefresh"] = {
            "messageId": "msg-" + acc.project_id[:6],
            "scheduledFor": iso_ms(acc.next_refresh or acc.session_expires),
        }
        return data


_COOKIE_NAMES = ("HSID", "SSID", "APISID", "SAPISID", "SID", "__Secure-1PSID", "__Secure-3PSID")


def _cookies(expires: list[Any] | tuple[Any, ...]) -> list[tuple[str, Any]]:
    return [
        (_COOKIE_NAMES[i % len(_COOKIE_NAMES)], iso_ms(e) if isinstance(e, dt.datetime) else e)
        for i, e in enumerate(expires)
    ]
