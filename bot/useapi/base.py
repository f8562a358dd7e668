"""What every useapi.net service shares: the account type, the HTTP transport, the interface."""

from __future__ import annotations

import email.utils
import enum
import json
import logging
import math
import re
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from bot import metrics
from bot.logs import scrub
from bot.models import IMPLAUSIBLE, UNREADABLE, FieldNote
from bot.useapi.errors import Failure, UseapiError, session_broken
from bot.useapi.forms import FormField, Submission
from bot.useapi.outcomes import CallOutcomes
from bot.useapi.parsing import MAX_NOTES, FieldError, clean_text, noting, parse_instant, require_object

log = logging.getLogger(__name__)

# A registration answer is a few hundred bytes; a megabyte means something is wrong upstream.
MAX_BODY_BYTES = 1_000_000
# An account list grows with the team: about 280 bytes an account, so ~57,000 accounts fit.
MAX_LIST_BODY_BYTES = 16_000_000


@dataclass(frozen=True)
class Credit:
    """One figure of what an account has left (credits, points, seconds of video, a quota
    window's percent), in its service's own unit. Services differ: see each module's
    `credit_source` and how its `parse_account` fills `AccountInfo.credits`.

    `key` is stable per service and figure ("credits", "video", "5h", "weekly"): thresholds
    (`/alerts credits`) and stored figures are keyed by it. `remaining` is what is left; `limit`
    the allowance it counts down from, when the service says (a percent threshold needs it);
    `resets_at` when a window or allowance refills by itself (Gemini Notebook's 5-hour window,
    Google Vids' monthly allowance): a low figure then passes without a person.
    """

    key: str
    label: str  # what people read: "credits", "video seconds", "5-hour window"
    unit: str  # "credits", "points", "seconds", "%", "tokens", "images"
    remaining: float | None = None
    limit: float | None = None
    resets_at: datetime | None = None


class CreditSource(enum.Enum):
    """Where a service's credit figures come from (see `UseapiService.credit_source`)."""

    NONE = "none"  # the service exposes no credit figure (say why in the module docstring)
    LIST = "list"  # the account list carries them: read at every sync, no extra call
    DETAILS = "details"  # the per-account GET the scheduler already makes (reads_details)
    REGISTRATION = "registration"  # only the POST answer shows them


@dataclass(frozen=True)
class CreditFigure:
    """One figure a service reports about what an account has left, described once in its module
    (`UseapiService.credit_figures`): `/alerts credits` offers and checks thresholds by it.

    `key` is `Credit.key`; `has_limit`: the service gives the allowance it counts down from, so
    a percent threshold works; `resets`: it refills by itself (a quota window, a monthly
    allowance), so a warning about it resolves at its reset time."""

    key: str
    label: str
    unit: str
    has_limit: bool = False
    resets: bool = False


@dataclass(frozen=True)
class AccountInfo:
    """One account as useapi.net describes it. Every field but the key may be unknown."""

    service: str
    account: str
    # The instant a person must act by (renew the credential); the stages warn before it.
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    concurrency: int | None = None
    credits_usage: float | None = None
    credits_limit: float | None = None
    max_jobs: int | None = None
    updated_at: datetime | None = None
    error: str | None = None  # useapi.net says the account needs a person now
    created: bool | None = None
    # More "a person must act now" signals: Google Flow's `health` (anything but "OK"), Luma's
    # live `sessionValid` (GET /accounts/{email}).
    health: str | None = None
    session_valid: bool | None = None
    # A short-lived token useapi.net refreshes by itself (Google Flow's sessionData.expires, Flow
    # Music's access_token_expires_at): never a deadline, only worth a warning if it passes
    # without being refreshed. `next_refresh_at`: when useapi.net says it will refresh it.
    self_renewing_expires_at: datetime | None = None
    next_refresh_at: datetime | None = None
    # What the account has left, each figure in its own unit (empty: nothing known).
    credits: tuple[Credit, ...] = ()
    # A call about this account answered "a person must act now" (bot.signals): 596, the
    # session is broken (`SESSION_BROKEN`); 412, out of credits upstream (`OUT_OF_CREDITS`).
    # Only a details read sets it (`UseapiService.read_details`); None there means it answered.
    call_refusal: str | None = None
    # Fields of this answer read as unknown: an implausible date, or a value not of the
    # documented shape (`UseapiService.read_account`). Their names only, never their values.
    unreadable: tuple[FieldNote, ...] = ()

    def __post_init__(self) -> None:
        # The last guard before the accounts table, whatever a service's reader let through:
        # a count beyond a billion, or a figure that is not finite, is no plausible answer (and
        # an int past 2**63 stops SQLite's write for the whole list). Read as unknown.
        for name in ("concurrency", "max_jobs"):
            value = getattr(self, name)
            if value is not None and not -_COUNT_LIMIT <= value <= _COUNT_LIMIT:
                object.__setattr__(self, name, None)
        for name in ("credits_usage", "credits_limit"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                object.__setattr__(self, name, None)


_COUNT_LIMIT = 10**9


def without_secrets(info: AccountInfo, secrets: Sequence[str]) -> AccountInfo:
    """A registration answer whose texts no longer hold what was just sent. An accepted answer's
    `error` and `health` are shown to the member and stored as the reason to act, and useapi.net
    may quote the credential in them ("Session refresh failed for <cookie>"), whole or cut short:
    each secret, and any run of `bot.logs.WINDOW` characters of one, becomes `[redacted]`."""
    error = scrub(info.error, secrets) if info.error else info.error
    health = scrub(info.health, secrets) if info.health else info.health
    if error == info.error and health == info.health:
        return info
    return replace(info, error=error, health=health)


def _retry_at_in(payload: Any) -> datetime | None:
    """`retryAt` of an error body (useapi.net's 429: "the body carries retryAt when Google names
    the reset time"), at the top or in an error object `{code, message, retryAt}`; any time shape
    `parse_instant` reads. None when absent or unreadable: never an error of its own."""
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    for where in (payload, error if isinstance(error, dict) else {}):
        for name in ("retryAt", "retry_at", "retryAfterUTC"):
            try:
                with noting():
                    found = parse_instant(where.get(name), name)
            except FieldError:
                found = None
            if found is not None:
                return found
    return None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class Transport:
    """Bearer-authenticated JSON calls to useapi.net, failures turned into UseapiError.

    Logs method, path, status and time only: bodies and headers can hold secrets.
    """

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str, timeout: float) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        # Every answer, whichever call got it: the team-account watch reads 402s and 401s here.
        self.outcomes = CallOutcomes()

    async def request(
        self,
        method: str,
        path: str,
        *,
        label: str,
        json_body: dict[str, Any] | None = None,
        secrets: Sequence[str] = (),
        empty_on_404: bool = False,
        max_bytes: int = MAX_BODY_BYTES,
        credential_noun: str = "cookie",
    ) -> Any:
        """The decoded JSON body (see `request_with_status`)."""
        return (
            await self.request_with_status(
                method,
                path,
                label=label,
                json_body=json_body,
                secrets=secrets,
                empty_on_404=empty_on_404,
                max_bytes=max_bytes,
                credential_noun=credential_noun,
            )
        )[1]

    async def request_with_status(
        self,
        method: str,
        path: str,
        *,
        label: str,
        json_body: dict[str, Any] | None = None,
        secrets: Sequence[str] = (),
        empty_on_404: bool = False,
        max_bytes: int = MAX_BODY_BYTES,
        credential_noun: str = "cookie",
    ) -> tuple[int, Any]:
        """(status, decoded JSON body); the body is None for a "nothing configured" 404 when
        `empty_on_404`.

        A body longer than `max_bytes` is not read further: BAD_RESPONSE. So is a 2xx whose body
        is empty, `null` or not JSON.

        useapi.net answers an empty list with 404 and an empty (Luma) or JSON
        (LTX) body. Any other 404 body (a retired API's plain-text page) is not
        "no accounts": reading it so would mark every tracked account as gone.
        """
        url = self._base_url + path
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        started = time.perf_counter()
        response: httpx.Response | None = None
        try:
            request = self._http.build_request(
                method, url, json=json_body, headers=headers, timeout=self._timeout
            )
            response = await self._http.send(request, stream=True)
            try:
                body = await self._read_limited(response, max_bytes)
            finally:
                await response.aclose()
        except _TooLarge:
            assert response is not None
            log.warning("useapi %s %s answered with more than %d bytes", method, path, max_bytes)
            status = response.status_code
            self.outcomes.record(status, route=path)
            metrics.record_useapi_call(path, method, status)
            if not 200 <= status < 300:  # the status says what happened; the body is not needed
                retry_after = _retry_after(response.headers.get("Retry-After"))
                raise UseapiError(
                    _failure_for(status, retry_after),
                    service_label=label,
                    status=status,
                    retry_after=retry_after,
                    credential_noun=credential_noun,
                ) from None
            raise UseapiError(
                Failure.BAD_RESPONSE, service_label=label, status=status, outcome_unknown=True
            ) from None
        except httpx.TimeoutException as exc:
            log.warning(
                "useapi %s %s timed out after %.1fs (%s)",
                method, path, time.perf_counter() - started, type(exc).__name__,
            )  # fmt: skip
            metrics.record_useapi_call(path, method, "timeout")
            # A read timeout comes after the whole request was sent: useapi.net may have acted on it.
            raise UseapiError(
                Failure.TIMEOUT, service_label=label, outcome_unknown=isinstance(exc, httpx.ReadTimeout)
            ) from None
        except httpx.DecodingError:
            # A Content-Encoding that can't be undone: an answer that can't be read, like bad JSON.
            log.warning("useapi %s %s answered with a body that could not be decoded", method, path)
            metrics.record_useapi_call(path, method, response.status_code if response else "connection")
            raise UseapiError(
                Failure.BAD_RESPONSE,
                service_label=label,
                status=response.status_code if response is not None else None,
                outcome_unknown=True,
            ) from None
        except httpx.RequestError as exc:
            log.warning("useapi %s %s could not connect: %s", method, path, type(exc).__name__)
            metrics.record_useapi_call(path, method, "connection")
            # Dropped while waiting for (or reading) the answer: the request itself had been sent.
            after_sending = isinstance(exc, httpx.ReadError | httpx.RemoteProtocolError)
            raise UseapiError(
                Failure.CONNECTION, service_label=label, outcome_unknown=after_sending
            ) from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        status = response.status_code
        log.info("useapi %s %s -> %s in %.0f ms", method, path, status, elapsed_ms)
        metrics.record_useapi_call(path, method, status)

        payload = self._decode(body)
        if 200 <= status < 300:
            self.outcomes.record(status, route=path)
        if status == 404 and empty_on_404 and payload is not _NOT_JSON:
            return status, None
        if status == 204:  # No Content, as Flow Music's DELETE answers
            return status, None
        if 200 <= status < 300:
            # An empty or `null` 200 is not a documented answer of any route: reading it as
            # "no accounts" would mark every tracked account gone.
            if payload is _NOT_JSON or payload is None:
                raise UseapiError(
                    Failure.BAD_RESPONSE, service_label=label, status=status, outcome_unknown=True
                )
            return status, payload
        detail = self._error_text(payload, secrets)
        self.outcomes.record(status, detail, route=path)
        retry_after = _retry_after(response.headers.get("Retry-After"))
        retry_at = _retry_at_in(payload) if status in (429, 503) else None
        now = datetime.now(UTC)
        if retry_at is not None and retry_after is None:
            retry_after = max(0.0, (retry_at - now).total_seconds())
        elif retry_after is not None and retry_at is None:
            retry_at = now + timedelta(seconds=retry_after)
        failure = _failure_for(status, retry_after)
        raise UseapiError(
            failure,
            service_label=label,
            status=status,
            detail=detail,
            retry_after=retry_after,
            credential_noun=credential_noun,
            retry_at=retry_at,
        )

    async def _read_limited(self, response: httpx.Response, max_bytes: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise _TooLarge()
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _decode(body: bytes) -> Any:
        """The JSON in `body`, None for an empty body, `_NOT_JSON` for anything unreadable: not
        JSON, not UTF-8/16/32, nested deeper than the parser's recursion limit (`[[[[…`, which
        raises RecursionError), a number too long to convert. All the same unreadable answer."""
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return _NOT_JSON

    @staticmethod
    def _error_text(payload: Any, secrets: Sequence[str]) -> str | None:
        """`error` as text: a string, or the `message` of an error object (`{code, message,
        retryAt}`, the 2026 pages' shape); scrubbed of what was sent, and of every secret the bot
        holds (its tokens, a registration in flight): a features or list read sends none, yet its
        text is shown and stored too."""
        if not isinstance(payload, dict):
            return None
        said = payload.get("error")
        if isinstance(said, dict):
            said = said.get("message")
        if isinstance(said, str):
            text = " ".join(said.split())[:300]
            return scrub(scrub(text, secrets)) or None
        return None


class _TooLarge(Exception):
    """Raised mid-read when a body passes its limit."""


class _Watched(dict[str, Any]):
    """An account object that remembers which top-level fields a parser read, in order."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.names: list[str] = []

    def _saw(self, name: object) -> None:
        if isinstance(name, str) and dict.__contains__(self, name) and name not in self.names:
            self.names.append(name)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        self._saw(name)
        return super().get(name, default)

    def __getitem__(self, name: str) -> Any:
        self._saw(name)
        return super().__getitem__(name)

    def __contains__(self, name: object) -> bool:
        self._saw(name)
        return super().__contains__(name)


_LEADING_NAME = re.compile(r"[^\s:]*")
# (service, account, field, problem) already logged; bounded so a long run stays small.
_SAID: OrderedDict[tuple[str, str, FieldNote], None] = OrderedDict()
_SAID_LIMIT = 10_000
_PROBLEM_WORDS = {
    IMPLAUSIBLE: "an implausible date",
    UNREADABLE: "a value that is not of the documented shape",
}


def forget_said() -> None:
    """For tests: every field note may be logged again (the memory is per process)."""
    _SAID.clear()


def _say_once(service: str, account: str, notes: Sequence[FieldNote]) -> None:
    """Log each note once per account and field, not at every sync."""
    for found in notes:
        seen = (service, account[:320], found)
        if seen in _SAID:
            continue
        _SAID[seen] = None
        while len(_SAID) > _SAID_LIMIT:
            _SAID.popitem(last=False)
        log.warning(
            "%s %s: useapi.net sent %s for %s; read as unknown%s",
            service, account, _PROBLEM_WORDS.get(found.problem, found.problem), found.field,
            " (no deadline known from it)" if found.problem == IMPLAUSIBLE else "",
        )  # fmt: skip


_NOT_JSON = object()


def _failure_for(status: int, retry_after: float | None) -> Failure:
    if status == 400:
        return Failure.BAD_REQUEST
    if status == 401:
        return Failure.UNAUTHORIZED
    if status == 402:
        return Failure.PAYMENT_REQUIRED
    if status == 412:
        return Failure.OUT_OF_CREDITS
    if status in (404, 410):
        return Failure.UNAVAILABLE
    if status == 429 or (status == 503 and retry_after is not None):
        return Failure.RATE_LIMITED
    if 500 <= status < 600:
        return Failure.UPSTREAM_ERROR
    return Failure.UNEXPECTED_STATUS


class EmptyList(enum.Enum):
    """How a service's account list says "nothing configured" (useapi.net differs per service)."""

    NOT_FOUND = "404 with an empty or JSON body"
    EMPTY_OBJECT = "200 {}"


class UseapiService(ABC):
    """One useapi.net service: everything the bot knows about it, described once.

    A subclass in `bot/services/` is the whole description: its key and label, the command
    group and its register form, how a submit becomes the request body, how an answer is read
    (the account key and which expiry to warn about), its routes, and whether useapi.net may
    have retired it. Commands, forms, labels, choices, `check` and the docs test derive from it.
    """

    key: ClassVar[str]  # stored with every account, used in SERVICES
    label: ClassVar[str]  # what people read: "Luma", "LTX Studio"
    order: ClassVar[int]  # position in lists, choices and the default of SERVICES
    on_by_default: ClassVar[bool] = True  # part of SERVICES' default
    command_group: ClassVar[str]  # `/<command_group> register`
    group_description: ClassVar[str]
    register_description: ClassVar[str] = "Paste a fresh session cookie to renew the account"
    credential_noun: ClassVar[str] = "cookie"  # "useapi.net accepted the Luma cookie"
    expiry_noun: ClassVar[str] = "session"  # "Luma session expires within 6h"
    form_fields: ClassVar[tuple[FormField, ...]]
    # Longer steps shown above the fields, as a text block (Discord's Text Display): how to copy
    # a cookie table, which of two ways to sign in to fill in. Each field's description stays
    # one short sentence; None shows the fields alone.
    form_intro: ClassVar[str | None] = None
    accounts_path: ClassVar[str]  # POST registers, GET lists
    empty_list: ClassVar[EmptyList] = EmptyList.NOT_FOUND
    details_path: ClassVar[str | None] = None  # GET one account, `{account}` URL-encoded
    delete_path: ClassVar[str | None] = None
    # useapi.net retired the API (and may bring it back): a 404/410 is a fact, not a fault.
    may_be_retired: ClassVar[bool] = False
    # Other names useapi.net's account summary (GET /v2/account) may give this API, beside its
    # key, label, route and command group (bot/team_account.py matches them loosely).
    summary_names: ClassVar[tuple[str, ...]] = ()
    # GET details_path says what the list doesn't (Luma's live sessionValid, Google Flow's cookie
    # expiry): the scheduler reads it every few hours per account and before a stage warning.
    reads_details: ClassVar[bool] = False
    # The expiry may be renewed by useapi.net itself (LTX's tokenExpire): watch for it moving
    # forward with no registration, and then warn by refresh_expires_at instead (bot.store).
    detects_self_renewal: ClassVar[bool] = False
    # Where `parse_account` finds the account's credit or quota figures (AccountInfo.credits),
    # and which figures it reports, the main one first (a bare `/alerts credits` number is about
    # it). The module docstring says where they come from, or why there are none.
    credit_source: ClassVar[CreditSource] = CreditSource.NONE
    credit_figures: ClassVar[tuple[CreditFigure, ...]] = ()
    # For people, when the source is NONE: why there is no figure (`/alerts credits` says it).
    credit_note: ClassVar[str | None] = None
    # How a 596 whose text says neither "re-add it" nor "being re-checked" is read: the session
    # is broken (useapi.net's general meaning), or, for Google Vids, useapi.net re-checking it.
    session_broken_unless_said: ClassVar[bool] = True

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @property
    def transport(self) -> Transport:
        """The transport this service calls through (shared by every service of one bot)."""
        return self._transport

    @abstractmethod
    def parse_form(self, values: Mapping[str, str]) -> Submission:
        """Validate a submitted form (field id -> text); raise CookieError with a sentence for people."""

    @abstractmethod
    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        """Read one account object; raise FieldError on a malformed field."""

    @staticmethod
    def account_route(template: str, account: str) -> str:
        """A per-account route with the key URL-encoded (Dreamina's keys hold a colon, emails `@`)."""
        return template.format(account=quote(account, safe=""))

    @classmethod
    def account_path(cls, account: str) -> str:
        """GET-one / DELETE path of one account: `{accounts_path}/{account}`, the key URL-encoded."""
        return cls.account_route(cls.accounts_path + "/{account}", account)

    def read_account(self, obj: Any, key: str | None = None, *, what: str = "the answer") -> AccountInfo:
        """`parse_account`, with each field's trouble confined to that field: one field of one
        account, however odd, never makes the answer (or the whole list) unreadable.

        A field whose value makes the parser raise is read as absent (unknown: the store keeps
        what it had) and noted UNREADABLE; an implausible date is None and noted IMPLAUSIBLE by
        the parsers themselves. The notes go into `AccountInfo.unreadable` and each is logged
        once per account and field. Only an `obj` that is not an object, or a failure no single
        field explains, raises FieldError.

        Which field: the one the error names, else the fields the parser read, last read first,
        each tried without it (works for every service module, nested fields included).
        """
        data = require_object(obj, what)
        key = clean_text(key) if key is not None else None
        dropped: list[FieldNote] = []
        current = data  # copied only once a field has to go
        while True:
            with noting() as notes:
                try:
                    info = self.parse_account(current, key)
                    break
                except Exception as exc:  # whatever one field's value makes a parser raise
                    failure = exc
            culprit = self._culprit(current, key, failure)
            if culprit is None:
                raise FieldError(f"{what}: {type(failure).__name__}: {str(failure)[:200]}") from None
            dropped.append(FieldNote(culprit[:80], UNREADABLE))
            current = {k: v for k, v in current.items() if k != culprit}
        found = tuple(dict.fromkeys([*dropped, *notes]))[:MAX_NOTES]
        if found:
            info = replace(info, unreadable=found)
            _say_once(self.key, info.account or key or "?", found)
        return info

    def _culprit(self, current: dict[str, Any], key: str | None, error: Exception) -> str | None:
        """The top-level field of `current` that makes `parse_account` raise `error`, if one does."""
        read = _Watched(current)
        try:
            with noting():
                self.parse_account(read, key)
        except Exception:  # noqa: S110 - only the order of the reads is wanted here
            pass
        named = error.field if isinstance(error, FieldError) else None
        if named is None and isinstance(error, FieldError):
            named = _LEADING_NAME.match(str(error)).group(0)  # type: ignore[union-attr]
        if named:
            top = re.split(r"[.\[]", named, maxsplit=1)[0]
            if top in read.names:
                return top
        said = f"{type(error).__name__}: {error}"
        for name in reversed(read.names):
            trial = {k: v for k, v in current.items() if k != name}
            try:
                with noting():
                    self.parse_account(trial, key)
            except Exception as again:  # the same failure without it: not this field
                if f"{type(again).__name__}: {again}" == said:
                    continue
            return name
        return None

    async def account_details(self, account: str) -> AccountInfo:
        """GET details_path for one account (live data); UseapiError on any failure."""
        if self.details_path is None:
            raise UseapiError(Failure.UNAVAILABLE, service_label=self.label)
        body = await self._transport.request(
            "GET", self.account_route(self.details_path, account), label=self.label
        )
        try:
            info = self.read_account(body, account)
        except FieldError as exc:
            log.warning("useapi %s details: malformed answer: %s", self.key, exc)
            raise UseapiError(Failure.BAD_RESPONSE, service_label=self.label, status=200) from None
        return info if info.account == account else replace(info, account=account)

    def classified(self, exc: UseapiError, *, registering: bool = False) -> UseapiError:
        """`exc` as this service reads it: a 596 that means the session is broken for good
        becomes SESSION_BROKEN (one that says it is being re-checked stays a passing error)."""
        if exc.failure is not Failure.SESSION_BROKEN and session_broken(
            exc.status, exc.detail, unless_said=self.session_broken_unless_said
        ):
            return exc.again(Failure.SESSION_BROKEN, registering=registering)
        return exc

    async def read_details(self, account: str) -> AccountInfo:
        """`account_details` as the scheduler records it: an answer that means a person must act
        now on this account (596 session broken, 412 out of credits) is the account's state
        (`call_refusal`), not a failed read; any other failure raises UseapiError."""
        try:
            return await self.account_details(account)
        except UseapiError as exc:
            found = self.classified(exc)
            if found.failure in (Failure.SESSION_BROKEN, Failure.OUT_OF_CREDITS):
                log.info("useapi %s details: %s answered %s", self.key, account, found.failure.value)
                return AccountInfo(service=self.key, account=account, call_refusal=found.failure.value)
            raise found from None

    async def delete_account(self, account: str) -> bool:
        """DELETE delete_path for one account: True when useapi.net deleted it, False when it
        answered 404 "no such account" (an empty or JSON body). Raises UseapiError on any other
        answer, including a 404 page that is not JSON (a moved or retired route), and
        UNAVAILABLE when the service has no DELETE route.

        Answers differ per service (Luma `{account, deleted: true, remaining}`, Flow Music 204
        with no body, Google Flow `{message}`): any 2xx is a deletion.
        """
        if self.delete_path is None:
            raise UseapiError(Failure.UNAVAILABLE, service_label=self.label)
        try:
            status, _ = await self._transport.request_with_status(
                "DELETE", self.account_route(self.delete_path, account), label=self.label, empty_on_404=True
            )
        except UseapiError as exc:
            # A 2xx whose body can't be read (200 with nothing in it: ACE Music's and Mureka's
            # pages print no success body) still deleted the account.
            if exc.failure is Failure.BAD_RESPONSE and exc.status is not None and 200 <= exc.status < 300:
                return True
            raise
        return status != 404

    def register_path(self, submission: Submission) -> str:
        """Where a registration is POSTed: `accounts_path`, unless the service puts part of the
        submission in the route (Runway and PixVerse: `/accounts/{email}`, URL-encoded)."""
        return self.accounts_path

    async def register(self, submission: Submission) -> AccountInfo:
        secrets = submission.secrets
        try:
            status, body = await self._transport.request_with_status(
                "POST",
                self.register_path(submission),
                label=self.label,
                json_body=submission.body,
                secrets=secrets,
                credential_noun=self.credential_noun,
            )
        except UseapiError as exc:
            raise self.classified(exc, registering=True) from None
        # useapi.net answered 2xx: from here on, an unreadable answer may hide an added account.
        try:
            account = self.read_account(body)
        except FieldError as exc:
            log.warning("useapi %s register: malformed answer: %s", self.key, scrub(str(exc), secrets))
            raise UseapiError(
                Failure.BAD_RESPONSE, service_label=self.label, status=status, outcome_unknown=True
            ) from None
        if not account.account:
            if account.error:
                detail = scrub(account.error, secrets)
                raise UseapiError(
                    Failure.BAD_REQUEST,
                    service_label=self.label,
                    status=status,
                    detail=detail,
                    credential_noun=self.credential_noun,
                )
            raise UseapiError(
                Failure.BAD_RESPONSE, service_label=self.label, status=status, outcome_unknown=True
            )
        if account.created is None and status in (200, 201):
            # useapi.net answers 201 for a new account, 200 for an updated one, where the body
            # doesn't say (Luma's does, with `created`).
            account = replace(account, created=status == 201)
        return without_secrets(account, secrets)

    async def list_accounts(self) -> list[AccountInfo]:
        status, body = await self._transport.request_with_status(
            "GET",
            self.accounts_path,
            label=self.label,
            # Where the empty list is `{}`, a 404 is a moved or retired route, never "none".
            empty_on_404=self.empty_list is EmptyList.NOT_FOUND,
            max_bytes=MAX_LIST_BODY_BYTES,
        )
        if status == 404 and body is None:  # only the documented "nothing configured" 404
            return []
        # One account's odd field is confined to that field (read_account); only an entry that is
        # not an object at all, or a list that is not one, makes the list unreadable.
        try:
            accounts = [
                self.read_account(value, key, what=f"account {key[:60]!r}")
                for key, value in require_object(body, "the account list").items()
            ]
        except FieldError as exc:
            log.warning("useapi %s list: malformed answer: %s", self.key, exc)
            raise UseapiError(Failure.BAD_RESPONSE, service_label=self.label, status=200) from None
        return [a for a in accounts if a.account]
