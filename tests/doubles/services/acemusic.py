"""A double of useapi.net's ACE Music accounts API (`ua.acemusic`), pages dated November 14, 2026
in /work/shared/upstream/acemusic/.

Routes (after the shared bearer check: {"error": "useapi.net ⁝ Unauthorized", "code": 401}):
- POST /v1/acemusic/accounts {"email", "password", "maxJobs"?}: ACE Music is signed in to first;
  a new account 201, a re-added one 200 (the password replaced, a paused account resumed).
  Update mode {"email", "maxJobs"} without a password (nothing sent to ACE Music).
- GET /v1/acemusic/accounts: the stored records keyed by email (email, user_id, plan, maxJobs,
  added, updated?, health, error?).
- GET /v1/acemusic/accounts/{email}: the record plus the live part (plan_name, cycle, credits,
  costs, models); a paused account answers its stored fields and error only; `live_fails`
  answers the stored fields with `liveError`.
- DELETE /v1/acemusic/accounts/{email}: 204 by default (the page does not print the status):
  `delete_answer = "200-empty"` answers 200 with no body, `"200-json"` 200 {"deleted": true}.
- 404 {"error": "Account <email> is not configured", "code": 404} for an unknown email.

Choices where the pages are silent (tests may rely on them):
- POST: missing email 400 {"error": "Parameter email is required", "code": 400}; maxJobs not a
  whole number 1-10: 400; a wrong email or password (never taught): 400 {"error": WRONG_LOGIN,
  "code": 400} ("a wrong email or password answers 400 and stores nothing").
- The POST answer is the stored record; `post_shape = "keyed"` wraps it in {email: record},
  `"empty"` answers 201/200 with no body at all.
- The empty list is 200 {}; `empty_list = "404-json"` answers 404 {"error": "No ACE Music
  accounts are configured", "code": 404}, `"404-text"` a plain-text 404.

Test controls: teach_login(email, password, plan="free", credits=16), set_account(email, ...),
refuse_stored_password(email) (health "error" + the page's error text), set_credits(email, n),
remove_account(email); state in `accounts` (by email).
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
from .googleflow import iso_ms
from .googlevids import UNAUTHORIZED_2026

UTC = dt.UTC
WRONG_LOGIN = "ACE Music did not accept this email and password"
PASSWORD_REFUSED = (
    "ACE Music refused the stored email and password. Update the password with POST /accounts to "
    "resume using this account"
)


@dataclass
class AceAccount:
    email: str
    password: str = ""
    plan: str = "free"
    max_jobs: int = 4
    user_id: str = field(default_factory=lambda: str(uuid.uuid4().int)[:10])
    added: dt.datetime = field(default_factory=lambda: dt.datetime.now(UTC))
    updated: dt.datetime | None = None
    error: str | None = None
    credits: int = 16
    live_fails: bool = False

    @property
    def health(self) -> str:
        return "error" if self.error else "OK"


class AceMusicDouble(ServiceDouble):
    name = "acemusic"
    prefix = "/v1/acemusic/"
    unauthorized: ClassVar[dict[str, Any]] = UNAUTHORIZED_2026
    secret_fields: ClassVar[tuple[str, ...]] = ("password",)

    def __init__(self, now: Any) -> None:
        super().__init__(now)
        self.accounts: dict[str, AceAccount] = {}
        self._logins: dict[str, AceAccount] = {}  # email -> template with the right password
        self.post_shape: Literal["record", "keyed", "empty"] = "record"
        self.empty_list: Literal["object", "404-json", "404-text"] = "object"
        self.delete_answer: Literal["204", "200-empty", "200-json"] = "204"

    # -- test controls ---------------------------------------------------------------------

    def teach_login(self, email: str, password: str, **fields: Any) -> AceAccount:
        template = AceAccount(email, password, **fields)
        self._logins[email] = template
        return template

    def set_account(self, email: str, **fields: Any) -> AceAccount:
        fields.setdefault("added", self.now())
        acc = AceAccount(email, **fields)
        self.accounts[email] = acc
        return acc

    def refuse_stored_password(self, email: str) -> None:
        self.accounts[email].error = PASSWORD_REFUSED

    def set_credits(self, email: str, credits: int) -> None:
        self.accounts[email].credits = credits

    def remove_account(self, email: str) -> None:
        self.accounts.pop(email, None)

    def taught_secrets(self) -> list[str]:
        return [a.password for a in [*self._logins.values(), *self.accounts.values()] if a.password]

    # -- shapes ----------------------------------------------------------------------------

    def record(self, acc: AceAccount) -> dict[str, Any]:
        data: dict[str, Any] = {
            "email": acc.email,
            "user_id": acc.user_id,
            "plan": acc.plan,
            "maxJobs": acc.max_jobs,
            "added": iso_ms(acc.added),
        }
        if acc.updated is not None:
            data["updated"] = iso_ms(acc.updated)
        if acc.error:
            data["error"] = acc.error
        data["health"] = acc.health
        return data

    def live(self, acc: AceAccount) -> dict[str, Any]:
        data = self.record(acc)
        if acc.error:
            return data  # "a paused account answers with the stored fields and its error"
        if acc.live_fails:
            data["liveError"] = "ACE Music did not answer"
            return data
        data.update(
            plan_name=acc.plan.title(),
            cycle="monthly",
            credits=acc.credits,
            costs={"song": 4, "stems": {"0": 5, "2": 60}, "video_minute": 1},
            models=[
                {
                    "id": "acemusic-v1",
                    "name": "ACE Music v1",
                    "free": False,
                    "limits": {"prompt": 2000, "style": 1000, "lyrics": 5000},
                }
            ],
        )
        return data

    # -- routes ----------------------------------------------------------------------------

    def handle(self, rec: Recorded) -> web.Response | None:
        root = self.prefix + "accounts"
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
        acc = self.accounts.get(email)
        if acc is None:
            return self._not_configured(email)
        if rec.method == "GET":
            return self.json(self.live(acc))
        del self.accounts[email]
        if self.delete_answer == "200-empty":
            return web.Response(status=200)
        if self.delete_answer == "200-json":
            return self.json({"deleted": True})
        return web.Response(status=204)

    def _not_configured(self, email: str) -> web.Response:
        return self.json({"error": f"Account {email} is not configured", "code": 404}, 404)

    def _list(self) -> web.Response:
        if not self.accounts and self.empty_list == "404-json":
            return self.json({"error": "No ACE Music accounts are configured", "code": 404}, 404)
        if not self.accounts and self.empty_list == "404-text":
            return web.Response(text="Not Found", status=404)
        return self.json({email: self.record(acc) for email, acc in self.accounts.items()})

    def _bad(self, text: str) -> web.Response:
        return self.json({"error": text, "code": 400}, 400)

    def _post(self, rec: Recorded) -> web.Response:
        body = rec.json if isinstance(rec.json, dict) else {}
        email = body.get("email")
        if not isinstance(email, str) or not email.strip():
            return self._bad("Parameter email is required")
        max_jobs = body.get("maxJobs")
        if max_jobs is not None and (
            isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or not 1 <= max_jobs <= 10
        ):
            return self._bad("Parameter maxJobs must be a number between 1 and 10")
        old = self.accounts.get(email)
        password = body.get("password")
        if password is None:  # change maxJobs only
            if old is None:
                return self._not_configured(email)
            if max_jobs is None:
                return self._bad("Parameter maxJobs is required")
            old.max_jobs, old.updated = max_jobs, self.now()
            return self._answer(old, 200)
        template = self._logins.get(email)
        if template is None or not isinstance(password, str) or template.password != password:
            return self._bad(WRONG_LOGIN)
        acc = AceAccount(
            email,
            password,
            template.plan,
            max_jobs if max_jobs is not None else (old.max_jobs if old else template.max_jobs),
            old.user_id if old else template.user_id,
            added=old.added if old else self.now(),
            updated=self.now() if old else None,
            credits=template.credits,
        )
        self.accounts[email] = acc
        return self._answer(acc, 200 if old else 201)

    def _answer(self, acc: AceAccount, status: int) -> web.Response:
        if self.post_shape == "empty":
            return web.Response(status=status)
        record = self.record(acc)
        return self.json({acc.email: record} if self.post_shape == "keyed" else record, status)
