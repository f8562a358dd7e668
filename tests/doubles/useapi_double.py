"""A local double of the useapi.net routes Session Warden uses (Luma and LTX Studio accounts here;
the other services in tests/doubles/services/, mounted by this class).

    async with UseapiDouble(token="t0k") as ua:
        ua.add_luma_session("mK8jP2xZc9AfQw3LnT7vYbE1R", "a@example.com", expires=...)
        # the bot POSTs {"session": ...} to f"{ua.base_url}/v1/luma/accounts" with "Bearer t0k"

Routes: POST/GET /v1/luma/accounts, GET/DELETE /v1/luma/accounts/{email},
POST/GET /v1/ltxstudio/accounts, GET /v1/ltxstudio/accounts/{email}. Bodies follow the documented
shapes (see /work/shared/upstream). Every route checks `Authorization: Bearer <token>` first:
401 {"error": "Unauthorized"} (LTX adds "code": 401).

Choices where the docs are silent (documented here so tests can rely on them):
- POST luma with a session the test never registered: 400 {"error": "Invalid session"}
  (LUMA_INVALID_SESSION). Empty/missing session: 400 {"error": "Parameter session is required"}.
- POST ltx: required cookie fields are lt_token and lt_refresh_token (the documented error names
  exactly those); a cookie whose lt_token is unknown: 400 {"error": "Invalid cookie", "code": 400}.
  Missing "cookie": 400 {"error": "Parameter cookie is required", "code": 400}. maxJobs outside
  1..100: 400. The list/one-account GETs omit refreshTokenExpire, as the documented model does
  (pass ltx_list_refresh_expiry=True to include it).
- Luma 404s (no accounts, unknown email) have an empty body; LTX 404s carry
  {"error": "...", "code": 404}. `retire_ltx()` answers every /v1/ltxstudio route with 404 (or the
  given status) and a plain-text body, so the bot must cope with a non-JSON error.
- Unknown routes: 404 {"error": "Not found"}, listed in `unknown_routes`.

Test controls:
- add_luma_session(session, email, expires, concurrency=4, credits={"usage": 20, "limit": 10000},
  user_id=None): POSTing that session configures that account.
- add_ltx_cookie(lt_token, email, token_expire, refresh_token_expire, lt_id=None, balance=150).
- set_luma_account(email, expires, ...) / set_ltx_account(email, token_expire, ...): put an account
  in upstream state directly (configured outside the bot).
- set_luma_expiry(email, expires) (counts as a useapi.net refresh: refresh_count += 1,
  refresh_last = now) / set_ltx_expiry(email, token_expire=None, refresh_token_expire=None).
- remove_luma_account(email) / remove_ltx_account(email); set_luma_error(email, text|None) /
  set_ltx_error(email, text|None); state in `luma_accounts` / `ltx_accounts` (dicts by email).
- inject(method, path_regex, status=None, body=None, headers=None, delay=None, times=1,
  malformed=False, hang=False): queue a fault for the next `times` matching requests (None =
  forever). body: dict/list -> JSON, str/bytes -> raw; big_json(n) builds an oversized valid
  body; malformed -> 200 `{not json`; hang -> no answer until stop(); delay -> sleep first (then
  the fault, or the normal answer if no status/body). `clear_faults()`.
- retire_ltx(status=404, body=None) / restore_ltx().

The team's account, GET /v2/account (../shared/upstream/account/get-account.txt): the documented
shape, `subscriptionIsActive`, `subscriptions`, `maxAccountsPerAPI`, `accounts` keyed by display
names (SUMMARY_NAMES: "Luma API", "Runway AP" [sic] … as the 2025 page spells them; the 2026
spellings are OPEN), `sub`; a wrong token: 401 {"error": "Unauthorized", "code": 401}.
- By default `accounts` is `summary_accounts`, {"Luma API": {"total": 1, "active": 1}}: the team
  has one Luma account, so SERVICES=auto (the shipped default) switches Luma on, as the old
  default did, and a test's rig offers `/luma register` like before. It does not follow the Luma
  list: tests that are not about the team account see no team warning.
- `summary_from_state = True`: `accounts` counts what the doubles hold instead (each service with
  an account, `error` = accounts with an error or a health other than OK, omitted when 0, as the
  page omits zero counts; LTX is absent while retired), then `summary_accounts` on top (an API
  without a module, an odd entry, or None to drop one).
- `team` holds the other top-level fields (change them freely, e.g. maxAccountsPerAPI, or a
  non-boolean subscriptionIsActive); `summary_body` replaces the whole answer (any JSON value,
  or raw bytes/str) when set.
- lapse_subscription() / restore_subscription(): subscriptionIsActive false, and every service
  route answers 402 {"error": "Account has no subscription or subscription expired"}.
- Faults: `inject("GET", "/v2/account", …)` as for any route (401, 402, 5xx, hang, malformed …).
Recording: `requests` (Recorded: method, path, query, headers, json, raw_body, at),
`requests_to(method, path_regex)`, `await wait_for(predicate, timeout)`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

from ._common import LocalServer, Recorded, Recorder, json_response, read_request
from .services import ServiceDouble
from .services import discover as discover_service_doubles

UTC = dt.UTC
SECURED = "…secured…"
ACCOUNT_PATH = "/v2/account"
NO_SUBSCRIPTION = {"error": "Account has no subscription or subscription expired"}
# How GET /v2/account names each service's API, by the service's route prefix.
SUMMARY_NAMES = {
    "/v1/luma/": "Luma API",
    "/v1/ltxstudio/": "LTX Studio API",
    "/v1/google-flow/": "Google Flow API",
    "/v1/google-vids/": "Google Vids API",
    "/v1/gemini-notebook/": "Gemini Notebook API",
    "/v1/dreamina/": "Dreamina API",
    "/v1/flowmusic/": "Flow Music API",
    "/v1/acemusic/": "ACE Music API",
    "/v1/mureka/": "Mureka API",
    "/v1/kling/": "Kling API",
    "/v1/runwayml/": "Runway AP",
    "/v2/pixverse/": "PixVerse API",
    "/v1/minimax/": "MiniMax API",
}


def luma_time(when: dt.datetime) -> str:
    """useapi.net's Luma expiry format: "2026-05-27 00:28:17 UTC"."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso_ms(when: dt.datetime) -> str:
    """ISO 8601 with milliseconds and Z: "2025-06-03T12:13:14.000Z"."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def epoch_ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def _redact(secret: str) -> str:
    return f"{secret[:4]}…{secret[-4:]}" if len(secret) > 8 else "…"


@dataclass
class LumaAccount:
    email: str
    expires: dt.datetime
    session: str = ""
    user_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    concurrency: int = 4
    credits: dict[str, int] | None = field(default_factory=lambda: {"usage": 20, "limit": 10000})
    updated: dt.datetime = field(default_factory=lambda: dt.datetime.now(UTC))
    refresh_last: dt.datetime | None = None
    refresh_count: int = 0
    executing: int = 0
    error: str | None = None
    revoked: bool = False  # the live check (sessionValid) says no long before the expiry


@dataclass
class LtxAccount:
    email: str
    token_expire: dt.datetime
    refresh_token_expire: dt.datetime | None = None
    cookie: dict[str, str] = field(default_factory=dict)
    max_jobs: int = 20
    updated: dt.datetime = field(default_factory=lambda: dt.datetime.now(UTC))
    balance: int = 150
    error: str | None = None


@dataclass
class _Fault:
    method: str
    path: re.Pattern[str]
    status: int | None
    body: Any
    headers: dict[str, str] | None
    delay: float | None
    times: int | None
    malformed: bool
    hang: bool
    after: bool = False  # the request is carried out first; only its answer is replaced (or lost)


class UseapiDouble:
    TOKEN = "useapi-test-token"
    LUMA_INVALID_SESSION = (400, {"error": "Invalid session"})
    LTX_INVALID_COOKIE = (400, {"error": "Invalid cookie", "code": 400})

    def __init__(
        self,
        token: str = TOKEN,
        *,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(UTC),
        ltx_list_refresh_expiry: bool = False,
    ) -> None:
        """`now` is the clock used for sessionValid and `updated` fields."""
        self.token = token
        self.now = now
        self.ltx_list_refresh_expiry = ltx_list_refresh_expiry
        self.luma_accounts: dict[str, LumaAccount] = {}
        self.ltx_accounts: dict[str, LtxAccount] = {}
        self._luma_sessions: dict[str, LumaAccount] = {}  # session value -> template account
        self._ltx_cookies: dict[str, LtxAccount] = {}  # lt_token value -> template account
        self._faults: list[_Fault] = []
        self._retired: tuple[int, Any] | None = None
        # GET /v2/account (see the module docstring).
        self.team: dict[str, Any] = {
            "id": 12345,
            "email": "team@example.com",
            "created": "2025-07-25T03:02:28.676Z",
            "name": "The Team",
            "subscriptionIsActive": True,
            "subscriptions": 1,
            "maxAccountsPerAPI": 3,
            "verified": "2025-07-25T03:02:53.252Z",
            "sub": "261101",
        }
        self.summary_accounts: dict[str, Any] = {"Luma API": {"total": 1, "active": 1}}
        self.summary_from_state = False
        self.summary_body: Any = None
        self._lapsed = False
        self._stopping = asyncio.Event()
        self._recorder = Recorder()
        self.requests = self._recorder.requests
        self.unknown_routes: list[Recorded] = []
        # The services under tests/doubles/services/, each on its own path prefix.
        self.service_doubles: list[ServiceDouble] = []
        for cls in discover_service_doubles():
            double = cls(self.now)
            setattr(self, cls.name, double)
            self.service_doubles.append(double)
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._server = LocalServer(app)

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        self._stopping.set()  # releases hanging handlers
        await self._server.stop()

    async def __aenter__(self) -> UseapiDouble:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    def requests_to(self, method: str, path_regex: str) -> list[Recorded]:
        return self._recorder.requests_to(method, path_regex)

    async def wait_for(self, predicate: Callable[[Recorded], bool], timeout: float = 5) -> Recorded:
        return await self._recorder.wait_for(predicate, timeout)

    # ------------------------------------------------------------------ test controls

    def add_luma_session(
        self,
        session_value: str,
        account_email: str,
        expires: dt.datetime,
        *,
        concurrency: int = 4,
        credits: dict[str, int] | None = None,
        user_id: str | None = None,
    ) -> None:
        self._luma_sessions[session_value] = LumaAccount(
            account_email,
            expires,
            session_value,
            user_id or str(uuid.uuid4()),
            concurrency,
            credits if credits is not None else {"usage": 20, "limit": 10000},
        )

    def add_ltx_cookie(
        self,
        lt_token_value: str,
        email: str,
        token_expire: dt.datetime,
        refresh_token_expire: dt.datetime | None,
        *,
        lt_id: str | None = None,
        balance: int = 150,
    ) -> None:
        self._ltx_cookies[lt_token_value] = LtxAccount(
            email, token_expire, refresh_token_expire, {"lt_id": lt_id} if lt_id else {}, balance=balance
        )

    def set_luma_account(self, email: str, expires: dt.datetime, **fields: Any) -> LumaAccount:
        """Create or replace an account upstream without the bot (fields: see LumaAccount)."""
        acc = LumaAccount(email, expires, **fields)
        self.luma_accounts[email] = acc
        return acc

    def set_ltx_account(
        self,
        email: str,
        token_expire: dt.datetime,
        refresh_token_expire: dt.datetime | None = None,
        **fields: Any,
    ) -> LtxAccount:
        fields.setdefault(
            "cookie", {"lt_id": "user-" + email.split("@")[0], "lt_token": "x", "lt_refresh_token": "y"}
        )
        acc = LtxAccount(email, token_expire, refresh_token_expire, **fields)
        self.ltx_accounts[email] = acc
        return acc

    def set_luma_expiry(self, email: str, expires: dt.datetime) -> None:
        acc = self.luma_accounts[email]
        acc.expires, acc.refresh_last, acc.refresh_count = expires, self.now(), acc.refresh_count + 1

    def set_ltx_expiry(
        self,
        email: str,
        token_expire: dt.datetime | None = None,
        refresh_token_expire: dt.datetime | None = None,
    ) -> None:
        acc = self.ltx_accounts[email]
        if token_expire is not None:
            acc.token_expire = token_expire
        if refresh_token_expire is not None:
            acc.refresh_token_expire = refresh_token_expire
        acc.updated = self.now()

    def remove_luma_account(self, email: str) -> None:
        self.luma_accounts.pop(email, None)

    def remove_ltx_account(self, email: str) -> None:
        self.ltx_accounts.pop(email, None)

    def set_luma_error(self, email: str, error: str | None) -> None:
        self.luma_accounts[email].error = error

    def set_ltx_error(self, email: str, error: str | None) -> None:
        self.ltx_accounts[email].error = error

    def inject(
        self,
        method: str,
        path: str,
        status: int | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        delay: float | None = None,
        times: int | None = 1,
        malformed: bool = False,
        hang: bool = False,
        after: bool = False,
    ) -> None:
        """Queue a fault for the next `times` requests whose method matches ("*" = any) and whose
        path fully matches the regex `path`. Faults apply before the bearer check, like an edge
        proxy would; with `after`, the request is carried out (an account is added) and only the
        answer is the fault: useapi.net acted, but its answer is unreadable, late or lost."""
        self._faults.append(
            _Fault(
                method.upper(), re.compile(path), status, body, headers, delay, times, malformed, hang, after
            )
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    @staticmethod
    def big_json(nbytes: int = 5 * 1024 * 1024) -> bytes:
        """A valid JSON object of about `nbytes` bytes, for "oversized body" faults."""
        return json.dumps({"padding": "x" * nbytes}).encode()

    def lapse_subscription(self) -> None:
        self._lapsed = True
        self.team["subscriptionIsActive"] = False

    def restore_subscription(self) -> None:
        self._lapsed = False
        self.team["subscriptionIsActive"] = True

    def summary_counts(self) -> dict[str, dict[str, int]]:
        """What the doubles hold, as GET /v2/account counts it (zero counts omitted)."""
        held: list[tuple[str, list[Any]]] = [("/v1/luma/", list(self.luma_accounts.values()))]
        if self._retired is None:
            held.append(("/v1/ltxstudio/", list(self.ltx_accounts.values())))
        for double in self.service_doubles:
            held.append((double.prefix, list(getattr(double, "accounts", {}).values())))
        counts: dict[str, dict[str, int]] = {}
        for prefix, accounts in held:
            if not accounts:
                continue
            broken = sum(
                1
                for a in accounts
                if getattr(a, "error", None) or getattr(a, "health", "OK") not in ("OK", None)
            )
            entry = {"total": len(accounts), "active": len(accounts) - broken}
            if broken:
                entry["error"] = broken
            counts[SUMMARY_NAMES.get(prefix, prefix)] = entry
        return counts

    def _account_summary(self, rec: Recorded) -> web.StreamResponse:
        if rec.headers.get("Authorization") != f"Bearer {self.token}":
            return json_response({"error": "Unauthorized", "code": 401}, 401)
        if self.summary_body is not None:
            return _raw_or_json(self.summary_body, 200)
        accounts: dict[str, Any] = dict(self.summary_counts()) if self.summary_from_state else {}
        for name, entry in self.summary_accounts.items():
            if entry is None:
                accounts.pop(name, None)
            else:
                accounts[name] = entry
        return json_response({**self.team, "accounts": accounts})

    def retire_ltx(self, status: int = 404, body: Any = None) -> None:
        self._retired = (status, body)

    def restore_ltx(self) -> None:
        self._retired = None

    # ------------------------------------------------------------------ request handling

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        rec = await read_request(request, request.path)
        self._recorder.add(rec)
        fault = self._take_fault(rec)
        if fault is not None and fault.after:
            answer = self._answer(rec)  # carried out; what goes back is the fault's
            fault = replace(fault, status=fault.status or answer.status, after=False)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.hang:
                await self._stopping.wait()
                if request.transport is not None:  # drop the connection: the client never gets an answer
                    request.transport.abort()
                return web.Response(status=599)
            if fault.malformed:
                return web.Response(
                    body=b"{not json",
                    status=fault.status or 200,
                    headers=fault.headers,
                    content_type="application/json",
                )
            if fault.status is not None or fault.body is not None:
                return _fault_response(fault)
        return self._answer(rec)

    def _answer(self, rec: Recorded) -> web.StreamResponse:
        """What useapi.net answers `rec`, faults aside."""
        if rec.path == ACCOUNT_PATH and rec.method == "GET":
            return self._account_summary(rec)
        if self._lapsed and rec.headers.get("Authorization") == f"Bearer {self.token}":
            return json_response(NO_SUBSCRIPTION, 402)
        ltx = rec.path.startswith("/v1/ltxstudio/")
        if ltx and self._retired is not None:
            status, body = self._retired
            if body is None:
                return web.Response(text="Not Found" if status == 404 else "Gone", status=status)
            return _raw_or_json(body, status)
        for double in self.service_doubles:
            if rec.path.startswith(double.prefix):
                if rec.headers.get("Authorization") != f"Bearer {self.token}":
                    return json_response(double.unauthorized, 401)
                answer = double.handle(rec)
                if answer is None:
                    self.unknown_routes.append(rec)
                    return json_response({"error": "Not found"}, 404)
                return answer
        if rec.headers.get("Authorization") != f"Bearer {self.token}":
            return json_response(
                {"error": "Unauthorized", "code": 401} if ltx else {"error": "Unauthorized"}, 401
            )
        route = _ROUTES.get((rec.method, re.sub(r"^(/v1/\w+/accounts)/[^/]+$", r"\1/{email}", rec.path)))
        if route is None:
            self.unknown_routes.append(rec)
            return json_response({"error": "Not found"}, 404)
        email = rec.path.rsplit("/", 1)[1] if route.__name__.endswith("_one") else None
        return route(self, rec, email) if email is not None else route(self, rec)

    def _take_fault(self, rec: Recorded) -> _Fault | None:
        for fault in self._faults:
            if fault.method in ("*", rec.method) and fault.path.fullmatch(rec.path):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    # Luma -------------------------------------------------------------------------------

    def _luma_summary(self, acc: LumaAccount) -> dict[str, Any]:
        data: dict[str, Any] = {
            "account": acc.email,
            "email": acc.email,
            "user_id": acc.user_id,
            "concurrency": acc.concurrency,
            "luma_session_expires": luma_time(acc.expires),
            "updated": acc.updated.strftime("%Y-%m-%d"),
            "refresh_count": acc.refresh_count,
            "executing": acc.executing,
        }
        if acc.refresh_last is not None:
            data["refresh_last"] = iso_ms(acc.refresh_last)
        if acc.error:
            data["error"] = acc.error
        return data

    def _luma_post(self, rec: Recorded) -> web.Response:
        session = (rec.json or {}).get("session") if isinstance(rec.json, dict) else None
        if not session or not isinstance(session, str):
            return json_response({"error": "Parameter session is required"}, 400)
        template = self._luma_sessions.get(session)
        if template is None:
            status, body = self.LUMA_INVALID_SESSION
            return json_response(body, status)
        created = template.email not in self.luma_accounts
        acc = LumaAccount(
            template.email,
            template.expires,
            session,
            template.user_id,
            template.concurrency,
            template.credits,
            updated=self.now(),
        )
        self.luma_accounts[acc.email] = acc
        return json_response(
            {
                "account": acc.email,
                "user_id": acc.user_id,
                "concurrency": acc.concurrency,
                "luma_session_expires": luma_time(acc.expires),
                "credits": acc.credits,
                "created": created,
            }
        )

    def _luma_list(self, rec: Recorded) -> web.Response:
        if not self.luma_accounts:
            return web.Response(status=404)  # documented: empty body means "none configured"
        return json_response({e: self._luma_summary(a) for e, a in self.luma_accounts.items()})

    def _luma_get_one(self, rec: Recorded, email: str) -> web.Response:
        acc = self.luma_accounts.get(email)
        if acc is None:
            return web.Response(status=404)
        data = self._luma_summary(acc)
        data.update(
            sessionValid=acc.error is None and not acc.revoked and acc.expires > self.now(),
            credits=acc.credits,
            luma_session=_redact(acc.session),
            session=_redact(acc.session),
        )
        return json_response(data)

    def _luma_delete_one(self, rec: Recorded, email: str) -> web.Response:
        if self.luma_accounts.pop(email, None) is None:
            return web.Response(status=404)
        return json_response({"account": email, "deleted": True, "remaining": len(self.luma_accounts)})

    # LTX Studio ---------------------------------------------------------------------------

    def _ltx_body(self, acc: LtxAccount, with_refresh: bool) -> dict[str, Any]:
        cookie = {k: (v if k == "lt_id" else SECURED) for k, v in acc.cookie.items()}
        data: dict[str, Any] = {
            "email": acc.email,
            "cookie": cookie,
            "maxJobs": acc.max_jobs,
            "updated": epoch_ms(acc.updated),
            "updatedUTC": iso_ms(acc.updated),
            "tokenExpire": epoch_ms(acc.token_expire),
            "tokenExpireUTC": iso_ms(acc.token_expire),
        }
        if with_refresh and acc.refresh_token_expire is not None:
            data["refreshTokenExpire"] = epoch_ms(acc.refresh_token_expire)
            data["refreshTokenExpireUTC"] = iso_ms(acc.refresh_token_expire)
        if acc.error:
            data["error"] = acc.error
        return data

    def _ltx_post(self, rec: Recorded) -> web.Response:
        body = rec.json if isinstance(rec.json, dict) else {}
        raw_cookie = body.get("cookie")
        if not raw_cookie or not isinstance(raw_cookie, str):
            return json_response({"error": "Parameter cookie is required", "code": 400}, 400)
        cookie = dict(
            part.strip().split("=", 1) for part in raw_cookie.split(";") if "=" in part and part.strip()
        )
        missing = [k for k in ("lt_token", "lt_refresh_token") if not cookie.get(k)]
        if missing:
            return json_response(
                {"error": "Missing required cookie fields: " + " | ".join(missing), "code": 400}, 400
            )
        try:
            max_jobs = int(body.get("maxJobs", 20))
        except (TypeError, ValueError):
            max_jobs = 0
        if not 1 <= max_jobs <= 100:
            return json_response({"error": "maxJobs must be between 1 and 100", "code": 400}, 400)
        template = self._ltx_cookies.get(cookie["lt_token"])
        if template is None:
            status, err = self.LTX_INVALID_COOKIE
            return json_response(err, status)
        cookie.setdefault("lt_id", template.cookie.get("lt_id", "user-" + template.email.split("@")[0]))
        acc = LtxAccount(
            template.email,
            template.token_expire,
            template.refresh_token_expire,
            cookie,
            max_jobs,
            updated=self.now(),
            balance=template.balance,
        )
        self.ltx_accounts[acc.email] = acc
        return json_response(self._ltx_body(acc, with_refresh=True))

    def _ltx_list(self, rec: Recorded) -> web.Response:
        if not self.ltx_accounts:
            return json_response(
                {
                    "error": "Configuration not found. To create configuration use POST /accounts.",
                    "code": 404,
                },
                404,
            )
        return json_response(
            {e: self._ltx_body(a, self.ltx_list_refresh_expiry) for e, a in self.ltx_accounts.items()}
        )

    def _ltx_get_one(self, rec: Recorded, email: str) -> web.Response:
        acc = self.ltx_accounts.get(email)
        if acc is None:
            return json_response({"error": f"Configuration for {email} not found", "code": 404}, 404)
        data = self._ltx_body(acc, self.ltx_list_refresh_expiry)
        data.update(
            balance={"LTXStudio_token": acc.balance},
            latestCreatedAtMs={"LTXStudio_token": epoch_ms(acc.updated)},
        )
        return json_response(data)


_ROUTES: dict[tuple[str, str], Callable[..., web.Response]] = {
    ("POST", "/v1/luma/accounts"): UseapiDouble._luma_post,
    ("GET", "/v1/luma/accounts"): UseapiDouble._luma_list,
    ("GET", "/v1/luma/accounts/{email}"): UseapiDouble._luma_get_one,
    ("DELETE", "/v1/luma/accounts/{email}"): UseapiDouble._luma_delete_one,
    ("POST", "/v1/ltxstudio/accounts"): UseapiDouble._ltx_post,
    ("GET", "/v1/ltxstudio/accounts"): UseapiDouble._ltx_list,
    ("GET", "/v1/ltxstudio/accounts/{email}"): UseapiDouble._ltx_get_one,
}


def _raw_or_json(body: Any, status: int, headers: dict[str, str] | None = None) -> web.Response:
    if isinstance(body, (bytes, str)):
        raw = body.encode() if isinstance(body, str) else body
        return web.Response(body=raw, status=status, headers=headers, content_type="application/json")
    return json_response(body, status, headers)


def _fault_response(fault: _Fault) -> web.Response:
    status = fault.status or 200
    if fault.body is not None:
        return _raw_or_json(fault.body, status, fault.headers)
    if status in (502, 503, 504):  # what a proxy in front of the API sends: HTML, not JSON
        html = f"<html><head><title>{status}</title></head><body>{status} Bad Gateway</body></html>"
        return web.Response(text=html, status=status, headers=fault.headers, content_type="text/html")
    reason = {429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "Error")
    return json_response({"error": reason}, status, fault.headers)
