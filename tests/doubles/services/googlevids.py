"""A double of useapi.net's Google Vids accounts API (`ua.google_vids`), pages dated October 7,
2026 in /work/shared/upstream/google-vids/.

Routes (after the shared bearer check, which answers {"error": "useapi.net ⁝ Unauthorized",
"code": 401}):
- POST /v1/google-vids/accounts {"cookies": "<DevTools cookie table>", "maxJobs"?: 1-10}: a new
  account 201, a re-added one 200 (cookies replaced; added, maxJobs and vidsDocId kept unless
  maxJobs is sent; a paused account comes back). Update mode {"email", "maxJobs"} without cookies.
- GET /v1/google-vids/accounts: the stored records keyed by email (email, maxJobs, added,
  updated?, cookie names, cookiesExpireAt, vidsDocId, limits {video, image, music}, health).
- GET /v1/google-vids/accounts/{email}: the record plus the live part (signedIn, and what is left
  of each allowance); 596 for a signed-out account.
- DELETE /v1/google-vids/accounts/{email}: 204 with an empty body.
- 400 {"error": "Path parameter email (<x>) not a valid email", "code": 400} for a path email
  without "@"; 404 {"error": "Account <email> not found", "code": 404} for an unknown one.

Choices where the pages are silent (tests may rely on them; each is OPEN upstream):
- POST without cookies or email: 400 {"error": "Parameter cookies is required", "code": 400}; a
  table none of whose values was taught: 400 {"error": UNKNOWN_COOKIES, "code": 400}; a taught
  free account: 400 {"error": FREE_ACCOUNT, "code": 400}; maxJobs not a whole number 1-10: 400.
- The POST answer is the GET-one record without the live part; `post_shape = "keyed"` wraps it
  in {email: record}.
- The empty list is 200 {}; `empty_list = "404-json"` answers 404 {"error": "No accounts
  configured", "code": 404}, `"404-text"` a plain-text 404.
- What is left is `<name>: {"left": n}` at the top of GET-one (the prose's `video.left`);
  `left_shape = "quota"` puts it under `quota.<name>.left` (the job records' shape), `"left"`
  under `left.<name>`.
- `sign_out(email, final=True)`: the account is paused (`paused: true` and health "Signed out"
  on the list; `pause_shape = "status"` shows `status: "paused"` instead and leaves health "OK")
  and GET-one answers 596 {"error": "Google signed <email> out. Re-add it at <url>", "code":
  596}. `final=False`: GET-one answers 596 "...being re-checked..." and the list is unchanged.
  `signed_in=False` on an account: GET-one answers 200 with `signedIn: false`.

Test controls: teach(cookie_value, email, ...), set_account(email, ...), sign_out(email,
final=True), set_health(email, health, error=None), set_left(email, **left), remove_account(email);
state in `accounts` (by email).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal
from urllib.parse import unquote

from aiohttp import web

from .._common import Recorded
from . import ServiceDouble
from .googleflow import iso_ms, table_values

UTC = dt.UTC
UNAUTHORIZED_2026 = {"error": "useapi.net ⁝ Unauthorized", "code": 401}
COOKIE_NAMES = ["SID", "HSID", "SSID", "APISID", "SAPISID", "__Secure-1PSIDTS", "OSID"]


@dataclass
class GoogleAccount:
    """One connected Google account (Vids or Notebook)."""

    email: str
    cookies_expire: dt.datetime
    max_jobs: int = 3
    added: dt.datetime = field(default_factory=lambda: dt.datetime.now(UTC))
    updated: dt.datetime | None = None
    health: str = "OK"
    error: str | None = None
    paused: bool = False  # Google signed it out and useapi.net paused it (final)
    rechecking: bool = False  # Google said signed out; useapi.net is re-checking (transient)
    signed_in: bool = True  # what the live read says when it answers 200
    free: bool = False  # a free Google account: Vids refuses it with 400
    limits: dict[str, int] = field(default_factory=lambda: {"video": 10000, "image": 1000, "music": 300})
    left: dict[str, int] = field(default_factory=lambda: {"video": 9400, "image": 980, "music": 300})
    doc_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    cookie: str = ""  # the cookie value that configured it (a secret)
    # Gemini Notebook's usage windows: (window, remainingPercent, resetsAt).
    windows: list[tuple[str, float, dt.datetime]] = field(default_factory=list)


class GoogleVidsDouble(ServiceDouble):
    name = "google_vids"
    prefix = "/v1/google-vids/"
    unauthorized: ClassVar[dict[str, Any]] = UNAUTHORIZED_2026
    secret_fields: ClassVar[tuple[str, ...]] = ("cookies",)
    UNKNOWN_COOKIES = "Google did not accept these cookies: the session is not signed in"
    FREE_ACCOUNT = (
        "This Google account has no Vids allowance (0 seconds of video and 0 images a month). "
        "Use an account on a paid Google AI plan."
    )
    SETUP_URL = "https://useapi.net/docs/start-here/setup-google-vids"

    def __init__(self, now: Any) -> None:
        super().__init__(now)
        self.accounts: dict[str, GoogleAccount] = {}
        self._taught: dict[str, GoogleAccount] = {}  # cookie value -> template
        self.post_shape: Literal["record", "keyed"] = "record"
        self.empty_list: Literal["object", "404-json", "404-text"] = "object"
        self.left_shape: Literal["top", "quota", "left"] = "top"
        self.pause_shape: Literal["paused", "status"] = "paused"

    @property
    def accounts_root(self) -> str:
        return self.prefix + "accounts"

    # -- test controls ---------------------------------------------------------------------

    def teach(self, cookie_value: str, email: str, **fields: Any) -> GoogleAccount:
        """A posted table holding this cookie value connects `email` (fields: GoogleAccount's)."""
        fields.setdefault("cookies_expire", self.now() + dt.timedelta(days=180))
        template = GoogleAccount(email, cookie=cookie_value, **fields)
        self._taught[cookie_value] = template
        return template

    def set_account(self, email: str, **fields: Any) -> GoogleAccount:
        """An account connected outside the bot."""
        fields.setdefault("cookies_expire", self.now() + dt.timedelta(days=180))
        fields.setdefault("added", self.now())
        acc = GoogleAccount(email, **fields)
        self.accounts[email] = acc
        return acc

    def sign_out(self, email: str, *, final: bool = True) -> None:
        acc = self.accounts[email]
        if final:
            acc.paused, acc.rechecking = True, False
            if self.pause_shape == "paused":
                acc.health = "Signed out"
        else:
            acc.rechecking = True

    def set_health(self, email: str, health: str, error: str | None = None) -> None:
        acc = self.accounts[email]
        acc.health, acc.error = health, error

    def set_left(self, email: str, **left: int) -> None:
        self.accounts[email].left.update(left)

    def remove_account(self, email: str) -> None:
        self.accounts.pop(email, None)

    def taught_secrets(self) -> list[str]:
        return [*self._taught, *(a.cookie for a in self.accounts.values() if a.cookie)]

    def posted_secrets(self, body: dict[str, Any]) -> list[str]:
        table = body.get("cookies")
        if not isinstance(table, str):
            return []
        return [table, *table_values(table)]

    # -- shapes ----------------------------------------------------------------------------

    def record(self, acc: GoogleAccount) -> dict[str, Any]:
        data: dict[str, Any] = {"email": acc.email, "maxJobs": acc.max_jobs, "added": iso_ms(acc.added)}
        if acc.updated is not None:
            data["updated"] = iso_ms(acc.updated)
        data.update(
            cookies=list(COOKIE_NAMES),
            cookiesExpireAt=iso_ms(acc.cookies_expire),
            vidsDocId=acc.doc_id,
            limits=dict(acc.limits),
            health=acc.health,
        )
        if acc.paused:
            if self.pause_shape == "paused":
                data["paused"] = True
            else:
                data["status"] = "paused"
        if acc.error is not None:
            data["error"] = acc.error
        return data

    def live(self, acc: GoogleAccount) -> dict[str, Any]:
        data = self.record(acc)
        data["signedIn"] = acc.signed_in
        if self.left_shape == "top":
            data.update({name: {"left": n} for name, n in acc.left.items()})
        elif self.left_shape == "quota":
            data["quota"] = {name: {"left": n} for name, n in acc.left.items()}
        else:
            data["left"] = dict(acc.left)
        return data

    def signed_out_answer(self, acc: GoogleAccount) -> web.Response:
        if acc.paused:
            text = f"Google signed {acc.email} out. Re-add it at {self.SETUP_URL}"
        else:
            text = "Google reported the account as signed out; it is being re-checked. Retry in a minute"
        return self.json({"error": text, "code": 596}, 596)

    # -- routes ----------------------------------------------------------------------------

    def handle(self, rec: Recorded) -> web.Response | None:
        root = self.accounts_root
        if rec.path == root:
            if rec.method == "POST":
                return self._post(rec)
            if rec.method == "GET":
                return self._list()
            return None
        rest = rec.path[len(root) + 1 :] if rec.path.startswith(root + "/") else ""
        if not rest or "/" in rest or rec.method not in ("GET", "DELETE"):
            return None
        email = unquote(rest)
        if "@" not in email:
            return self.json({"error": f"Path parameter email ({email}) not a valid email", "code": 400}, 400)
        acc = self.accounts.get(email)
        if acc is None:
            return self.json({"error": f"Account {email} not found", "code": 404}, 404)
        if rec.method == "DELETE":
            del self.accounts[email]
            return web.Response(status=204)
        if acc.paused or acc.rechecking:
            return self.signed_out_answer(acc)
        return self.json(self.live(acc))

    def _list(self) -> web.Response:
        if not self.accounts and self.empty_list == "404-json":
            return self.json({"error": "No accounts configured", "code": 404}, 404)
        if not self.accounts and self.empty_list == "404-text":
            return web.Response(text="Not Found", status=404)
        return self.json({email: self.record(acc) for email, acc in self.accounts.items()})

    def _bad(self, text: str) -> web.Response:
        return self.json({"error": text, "code": 400}, 400)

    def refuse(self, template: GoogleAccount) -> web.Response | None:
        """Why this service refuses a known account (Vids: a free one), or None."""
        return self._bad(self.FREE_ACCOUNT) if template.free else None

    def _post(self, rec: Recorded) -> web.Response:
        body = rec.json if isinstance(rec.json, dict) else {}
        max_jobs = body.get("maxJobs")
        if max_jobs is not None and (
            isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or not 1 <= max_jobs <= 10
        ):
            return self._bad("Parameter maxJobs must be a number between 1 and 10")
        table = body.get("cookies")
        if table is None and isinstance(body.get("email"), str):
            acc = self.accounts.get(body["email"])
            if acc is None:
                return self.json({"error": f"Account {body['email']} not found", "code": 404}, 404)
            if max_jobs is None:
                return self._bad("Parameter maxJobs is required")
            acc.max_jobs, acc.updated = max_jobs, self.now()
            return self.answer(acc, 200)
        if not isinstance(table, str) or not table.strip():
            return self._bad("Parameter cookies is required")
        template = next((self._taught[v] for v in table_values(table) if v in self._taught), None)
        if template is None:
            return self._bad(self.UNKNOWN_COOKIES)
        refused = self.refuse(template)
        if refused is not None:
            return refused
        old = self.accounts.get(template.email)
        acc = GoogleAccount(
            template.email,
            template.cookies_expire,
            max_jobs if max_jobs is not None else (old.max_jobs if old else template.max_jobs),
            added=old.added if old else self.now(),
            updated=self.now() if old else None,
            health="OK",
            limits=dict(template.limits),
            left=dict(template.left),
            windows=list(template.windows),
            doc_id=old.doc_id if old else template.doc_id,
            cookie=template.cookie,
        )
        self.accounts[acc.email] = acc
        return self.answer(acc, 200 if old else 201)

    def answer(self, acc: GoogleAccount, status: int) -> web.Response:
        record = self.record(acc)
        return self.json({acc.email: record} if self.post_shape == "keyed" else record, status)
