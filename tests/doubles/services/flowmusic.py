"""A double of useapi.net's Flow Music account routes (pages dated June 3, 2026, in
/work/shared/upstream/flowmusic/).

    ua.flowmusic.teach_token("l6eQ2mZp8wRt4vYx", "song@example.com")
    # POST /v1/flowmusic/accounts {"refresh_token": "l6eQ2mZp8wRt4vYx"} now configures that account

Routes: POST /v1/flowmusic/accounts (201 created / 200 updated, same record), GET
/v1/flowmusic/accounts (an object keyed by email, 200 `{}` when none), GET and DELETE
/v1/flowmusic/accounts/{email} (URL-encoded; DELETE answers 204 with an empty body).

Choices where the pages are silent (tests may rely on them):
- 401 body (not shown on the pages): {"error": "Unauthorized", "code": 401}, the shape of the
  documented 400. Tests of an empty or non-JSON 401 inject it.
- POST without a refresh_token (or an empty one): 400 {"error": "Parameter refresh_token is
  required", "code": 400} (documented). Shorter than 10 characters: 400 {"error": "Parameter
  refresh_token is invalid", "code": 400}. A token the test never taught: 400 {"error": "Failed
  to refresh token", "code": 400} (the page: "the token failed to refresh"). maxJobs not a whole
  number in 1..16: 400 {"error": "Parameter maxJobs must be between 1 and 16", "code": 400}. The
  "update maxJobs" mode ({"email", "maxJobs"} without a token) is served too.
- 404 bodies (GET-one, DELETE: "account not configured", body not shown):
  {"error": "Account <email> not configured", "code": 404}.
- maxJobs when the POST leaves it out: the plan tier's default, here free 2, starter 4, plus 12
  (the pages' example), member 16, unknown 4.
- The access token lasts one hour from each refresh; `credits_remaining`/`tokens_remaining` are
  only on GET-one, and only for an account without `error` (as documented).
- Tokens in answers are redacted like the pages' examples (`eyJ…redacted…zmQ`).

Test controls: teach_token(token, email, tier="plus", ...); set_account(email, ...) (configured
outside the bot); set_access_expiry(email, when) (a useapi.net refresh: refreshed_at = now,
refreshed_count += 1); set_error(email, text | None); remove_account(email); `accounts` (dict by
email).
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
ACCESS_TOKEN_LIFETIME = dt.timedelta(hours=1)
TIER_MAX_JOBS = {"free": 2, "starter": 4, "plus": 12, "member": 16, "unknown": 4}
PAID_TIERS = {"starter", "plus", "member"}


def iso_ms(when: dt.datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _redact(secret: str) -> str:
    return f"{secret[:3]}…redacted…{secret[-3:]}" if len(secret) > 8 else "…redacted…"


@dataclass
class FlowMusicAccount:
    email: str
    refresh_token: str = ""
    tier: str = "plus"
    max_jobs: int | None = None  # None: the tier's default
    user_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    added: dt.datetime = field(default_factory=lambda: dt.datetime.now(UTC))
    refreshed_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(UTC))
    refreshed_count: int = 0
    access_token_expires_at: dt.datetime | None = None  # None: refreshed_at + 1 h
    access_token: str = field(default_factory=lambda: "eyJhbGciOiJIUzI1NiJ9." + uuid.uuid4().hex + ".sig")
    error: str | None = None
    credits_remaining: int | None = 5000
    tokens_remaining: int | None = 60000

    def record(self) -> dict[str, Any]:
        data: dict[str, Any] = {"email": self.email, "tier": self.tier}
        if self.tier in PAID_TIERS:
            data.update(subscription_plan=f"{self.tier}-monthly", provider="g1_entitlement")
        expires = self.access_token_expires_at or self.refreshed_at + ACCESS_TOKEN_LIFETIME
        data.update(
            user_id=self.user_id,
            maxJobs=self.max_jobs if self.max_jobs is not None else TIER_MAX_JOBS.get(self.tier, 4),
            added=iso_ms(self.added),
            refreshed_at=iso_ms(self.refreshed_at),
            refreshed_count=self.refreshed_count,
            access_token=_redact(self.access_token),
            access_token_expires_at=iso_ms(expires),
            refresh_token=_redact(self.refresh_token),
            session_id=self.session_id,
        )
        if self.error:
            data["error"] = self.error
        return data


class FlowMusicDouble(ServiceDouble):
    name = "flowmusic"
    prefix = "/v1/flowmusic/"
    unauthorized: ClassVar[dict[str, Any]] = {"error": "Unauthorized", "code": 401}
    secret_fields: ClassVar[tuple[str, ...]] = ("refresh_token",)

    def __init__(self, now: Any) -> None:
        super().__init__(now)
        self.accounts: dict[str, FlowMusicAccount] = {}
        self._tokens: dict[str, FlowMusicAccount] = {}  # refresh token -> template account

    # ------------------------------------------------------------------ test controls

    def teach_token(self, token: str, email: str, *, tier: str = "plus", **fields: Any) -> None:
        """POSTing `token` configures (or refreshes) `email`."""
        self._tokens[token] = FlowMusicAccount(email, token, tier, **fields)

    def taught_secrets(self) -> list[str]:
        return [*self._tokens, *(a.refresh_token for a in self.accounts.values() if a.refresh_token)]

    def set_account(self, email: str, **fields: Any) -> FlowMusicAccount:
        fields.setdefault("refresh_token", "outside" + uuid.uuid4().hex)
        acc = FlowMusicAccount(email, **fields)
        self.accounts[email] = acc
        return acc

    def set_access_expiry(self, email: str, when: dt.datetime) -> None:
        acc = self.accounts[email]
        acc.access_token_expires_at = when
        acc.refreshed_at = self.now()
        acc.refreshed_count += 1

    def set_error(self, email: str, error: str | None) -> None:
        self.accounts[email].error = error

    def remove_account(self, email: str) -> None:
        self.accounts.pop(email, None)

    # ------------------------------------------------------------------ routes

    def handle(self, rec: Recorded) -> web.Response | None:
        rest = rec.path[len(self.prefix) :]
        if rest == "accounts":
            if rec.method == "POST":
                return self._post(rec)
            if rec.method == "GET":
                return self.json({e: a.record() for e, a in self.accounts.items()})
            return None
        if rest.startswith("accounts/") and "/" not in rest[len("accounts/") :]:
            # aiohttp decodes the path already; unquote again only if a client double-encoded.
            email = unquote(rest[len("accounts/") :])
            acc = self.accounts.get(email)
            if rec.method == "GET":
                if acc is None:
                    return self._not_configured(email)
                data = acc.record()
                if acc.error is None:
                    data.update(
                        credits_remaining=acc.credits_remaining, tokens_remaining=acc.tokens_remaining
                    )
                return self.json(data)
            if rec.method == "DELETE":
                if acc is None:
                    return self._not_configured(email)
                del self.accounts[email]
                return web.Response(status=204)
        return None

    def _not_configured(self, email: str) -> web.Response:
        return self.json({"error": f"Account {email} not configured", "code": 404}, 404)

    @staticmethod
    def _bad(text: str) -> web.Response:
        return ServiceDouble.json({"error": text, "code": 400}, 400)

    def _post(self, rec: Recorded) -> web.Response:
        body = rec.json if isinstance(rec.json, dict) else {}
        max_jobs = body.get("maxJobs")
        if max_jobs is not None:
            if isinstance(max_jobs, str) and max_jobs.isdigit():  # multipart sends text
                max_jobs = int(max_jobs)
            if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or not 1 <= max_jobs <= 16:
                return self._bad("Parameter maxJobs must be between 1 and 16")
        token = body.get("refresh_token")
        if token is None and isinstance(body.get("email"), str):
            # Update mode: email + maxJobs, no token refresh.
            acc = self.accounts.get(body["email"])
            if acc is None:
                return self._not_configured(body["email"])
            if max_jobs is None:
                return self._bad("Parameter maxJobs is required")
            acc.max_jobs = max_jobs
            return self.json(acc.record(), 200)
        if not isinstance(token, str) or not token:
            return self._bad("Parameter refresh_token is required")
        if len(token) < 10:
            return self._bad("Parameter refresh_token is invalid")
        template = self._tokens.get(token)
        if template is None:
            return self._bad("Failed to refresh token")
        now = self.now()
        existing = self.accounts.get(template.email)
        acc = FlowMusicAccount(
            template.email,
            token,
            template.tier,
            max_jobs if max_jobs is not None else (existing.max_jobs if existing else template.max_jobs),
            user_id=existing.user_id if existing else template.user_id,
            added=existing.added if existing else now,
            refreshed_at=now,
            refreshed_count=0,
            access_token_expires_at=template.access_token_expires_at,
            credits_remaining=template.credits_remaining,
            tokens_remaining=template.tokens_remaining,
        )
        self.accounts[acc.email] = acc
        return self.json(acc.record(), 200 if existing else 201)
