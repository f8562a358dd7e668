"""Mureka (mureka.ai) on useapi.net: accounts configured from an email and password (recommended),
or from the token and refresh token of a signed-in browser session.

Pages (../shared/upstream/mureka/ and SERVICES.md's Mureka row, note and "Credits and quotas"):
post-mureka-accounts.txt (January 19, 2026, updated July 21, 2026: email + password or token +
refresh_token; the January versions: a Google `sessionCookie`), get-mureka-accounts.txt and
get-mureka-accounts-account.txt (December 2, 2024, updated January 20, 2026: the cookie era and
the legacy shape), post-mureka-accounts-account.txt (the legacy token, "manual token renewal
every 30 days"), delete-mureka-accounts-account.txt (December 2, 2024; responses dropped),
get-mureka-profile.txt (February 13, 2026: credits) and mcp-tool-descriptions.txt (useapi.net's
MCP tool texts: the only hint at the July 2026 GET shapes).

Routes: POST /v1/mureka/accounts; GET /accounts (keyed by the Mureka account id, a numeric
string); GET /accounts/{account}; DELETE /accounts/{account} (any 2xx is a deletion); GET
/v1/mureka/profile?account= (plan and credits, live). The empty list is a 404 ("Configuration
not found. To create configuration use POST /accounts."). 401 is `{"error": "Unauthorized",
"code": 401}`.

What is warned about, and why:
- Email and password (`authMode: "email"`): no deadline. useapi.net "logs back in
  automatically" whenever Mureka ends the session.
- Token and refresh token: useapi.net refreshes the token by itself until the pair is "fully
  revoked or expired". The deadline is the refresh token's life where an answer shows it; the
  token's own expiry (the MCP text's "session token expiry (UTC)") is self-renewing: never a
  deadline, only a signal if it passes without being refreshed.
- The legacy token (no auto-refresh: `hasAutoRefresh` false or absent, no sign-in mode, no
  cookie) lasts 30 days: the deadline is its expiry where shown, else `updated` + 30 days.
- The January 2026 Google cookie mode (accounts configured then, or outside the bot): the
  deadline is `sessionCookie.expires`.
- A person must act now on `error` ("Session refresh failed …, manual update required", or the
  sign-in error of the 2026 list) and on a `health` that is not OK.

Credits (`credit_source` DETAILS, `reads_details`): `account_details` reads GET
/accounts/{account} and then GET /v1/mureka/profile?account= (one more call per account every
DETAILS_INTERVAL): `credits`, `credits_silver` and `user.gold` (the January 2026 POST example),
each its own figure. A profile that can't be read leaves the credits unknown and the account as
read. The plan's end (`user.vip_end_UTC`) is not a credential's deadline and is not read.

OPEN, and what is assumed (each to check against the live API):
- The July 2026 POST answer: the January shape (the account keyed by its id, or the record
  itself). An email-mode answer without an account id is matched by email in the list.
- The July 2026 GET shapes: `authMode` ("email"; other values read as token mode when
  `hasAutoRefresh` is true or the value names a token), `health`, `error`; the token's expiry
  under `tokenExpiresUTC`, `tokenExpireUTC`, `tokenExpiresAt`, `tokenExpiry`, `tokenExpires`,
  `tokenExpire` or `expiresUTC`; the refresh token's under `refreshTokenExpiresUTC`,
  `refreshTokenExpireUTC`, `refreshTokenExpiresAt`, `refreshTokenExpires`,
  `refreshTokenExpire` or `refresh_token_expires_at` (an ISO string or a number).
- The account id is `account`, else the list's key, else `user.id`; a number is taken as its digits.
- `updated` (1724514995 in the examples) is Unix seconds; `updatedUTC` wins when present.
- POST errors: 400 `{"error", "code"}`; a 401 whose text is not "Unauthorized" ("Wrong
  username/password combination.", the legacy page) is the member's login, not the bot's token.
- The profile: `credits` and `credits_silver` numbers; an unknown account's answer is not printed.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from bot.cookies import MAX_PASTE_LENGTH
from bot.form_errors import CookieError, Fixed, problem
from bot.logins import login_fields, parse_email, parse_password
from bot.services import _open_fields
from bot.useapi.base import (
    AccountInfo,
    Credit,
    CreditFigure,
    CreditSource,
    EmptyList,
    UseapiService,
    without_secrets,
)
from bot.useapi.errors import Failure, UseapiError
from bot.useapi.forms import FormField, Submission
from bot.useapi.parsing import FieldError, companion_first, parse_instant, require_object

log = logging.getLogger(__name__)

SITE = "mureka.ai"
MAX_ACCOUNT_LENGTH = 64
MIN_TOKEN_LENGTH = 10
LEGACY_TOKEN_LIFE = timedelta(days=30)  # "manual token renewal every 30 days"
PROFILE_PATH = "/v1/mureka/profile?account={account}"

_TOKEN_EXPIRY = (
    "tokenExpiresUTC",
    "tokenExpireUTC",
    "tokenExpiresAt",
    "tokenExpiry",
    "tokenExpires",
    "tokenExpire",
    "expiresUTC",
)
_REFRESH_EXPIRY = (
    "refreshTokenExpiresUTC",
    "refreshTokenExpireUTC",
    "refreshTokenExpiresAt",
    "refreshTokenExpires",
    "refreshTokenExpire",
    "refresh_token_expires_at",
)
_EMAIL_MODES = frozenset({"email", "password", "login", "email+password", "credentials"})
# Token characters: base64, base64url, JWT dots, and the few others such tokens use.
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-.~+/=]+")
_BEARER = re.compile(r"^bearer\s+", re.IGNORECASE)
_NAMED = re.compile(
    r"""^["']?(?:access[_-]?token|refresh[_-]?token|token)["']?\s*[:=]\s*(?P<value>.*?)\s*,?$""",
    re.IGNORECASE | re.DOTALL,
)
_QUOTES = ('"', "'", "`")
_UNAUTHORIZED = re.compile(r"^\W*(useapi\.net\W*)?unauthori[sz]ed\W*$", re.IGNORECASE)


TOKEN_EMPTY = problem(
    "mureka_token_empty",
    "The {what} is empty. Copy it again from your mureka.ai browser session.",
    "A Mureka token was empty.",
)
TOKEN_SPACES = problem(
    "mureka_token_spaces",
    "The {what} is one word with no spaces or line breaks; copy just its value.",
    "A Mureka token had spaces or line breaks.",
)
TOKEN_SHORTENED = problem(
    "mureka_token_shortened",
    "That {what} is shortened (it contains '...' or '…'), like the examples in the docs. "
    "Copy the whole value from your own mureka.ai session.",
    "A Mureka token was shortened with an ellipsis.",
)
TOKEN_CHARACTERS = problem(
    "mureka_token_characters",
    "The {what} contains characters a token can't hold (quotes, commas, semicolons, "
    "non-ASCII letters or control characters). Copy the value again, exactly as shown.",
    "A Mureka token held characters a token can't hold.",
)
TOKEN_TOO_SHORT = problem(
    "mureka_token_too_short",
    "That {what} is only {length} characters; copy the whole value (tokens are far longer).",
    "A Mureka token was too short.",
)
TOKEN_TOO_LONG = problem(
    "mureka_token_too_long",
    "That is {length} characters, longer than a token ({limit} at most). Copy only the token's value.",
    "A Mureka token field was longer than any token.",
)
JSON_UNREADABLE = problem(
    "mureka_json_unreadable",
    "That looks like JSON but could not be read. Paste just the token's value.",
    "The Mureka token field held JSON that could not be read.",
)
JSON_NOT_OBJECT = problem(
    "mureka_json_not_object",
    "That JSON is not an object. Paste just the token's value.",
    "The Mureka token field held JSON that was not an object.",
)
JSON_NO_TOKEN = problem(
    "mureka_json_without_token",
    "There is no `access_token` (or `token`) in that JSON. Copy the token of your mureka.ai session.",
    "The pasted Mureka session JSON had no access token.",
)
REFRESH_MISSING = problem(
    "mureka_refresh_missing",
    "The refresh token is empty: useapi.net needs the token and the refresh_token of the "
    "same mureka.ai session. Copy the refresh token too.",
    "The Mureka refresh token was missing.",
)
TOKEN_MISSING = problem(
    "mureka_token_missing",
    "The token is empty: useapi.net needs the token (access_token) and the refresh_token "
    "of the same mureka.ai session. Copy the token too.",
    "The Mureka token was missing.",
)
TOKENS_SAME = problem(
    "mureka_tokens_same",
    "The token and the refresh token are the same value. Copy the access token into the "
    "first field and the refresh_token into the second.",
    "The Mureka token and refresh token were the same value.",
)
BOTH_WAYS = problem(
    "mureka_both_ways",
    "Fill in either the email and password, or the token and refresh token, not both. "
    "Clear one pair and send the form again.",
    "Both the Mureka login and the tokens were filled in.",
)
NOTHING_FILLED = problem(
    "mureka_nothing_filled",
    "Nothing was filled in. Type the email and password of your Mureka account "
    "(recommended), or paste the token and refresh token of a mureka.ai browser session.",
    "Neither the Mureka login nor the tokens were filled in.",
)
# Which of the two token fields a refusal is about (the bot's words, never input).
TOKEN = Fixed("token")
REFRESH_TOKEN = Fixed("refresh token")


def _unquote(text: str) -> str:
    text = text.strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        text = text[1:-1].strip()
    return text


def _check_token(value: str, what: Fixed) -> str:
    value = _unquote(_BEARER.sub("", value.strip()))
    named = _NAMED.match(value)
    if named:
        value = _unquote(named.group("value"))
    if not value:
        raise CookieError(TOKEN_EMPTY, what=what)
    if any(ch.isspace() for ch in value):
        raise CookieError(TOKEN_SPACES, what=what)
    if "..." in value or "…" in value:
        raise CookieError(TOKEN_SHORTENED, what=what)
    if not _TOKEN_CHARS.fullmatch(value):
        raise CookieError(TOKEN_CHARACTERS, what=what)
    if len(value) < MIN_TOKEN_LENGTH:
        raise CookieError(TOKEN_TOO_SHORT, what=what, length=len(value))
    return value


def _from_json(text: str) -> tuple[str | None, str | None, tuple[str, ...]]:
    """The token and refresh token out of a pasted session object, and its other strings."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise CookieError(JSON_UNREADABLE) from None
    if not isinstance(data, dict):
        raise CookieError(JSON_NOT_OBJECT)
    for nest in ("currentSession", "session", "data"):
        if isinstance(data.get(nest), dict):
            data = data[nest]
            break
    token = data.get("access_token", data.get("token"))
    refresh = data.get("refresh_token")
    others = tuple(v for v in data.values() if isinstance(v, str) and len(v) >= MIN_TOKEN_LENGTH)
    return (
        token if isinstance(token, str) else None,
        refresh if isinstance(refresh, str) else None,
        others,
    )


def parse_tokens(token_raw: str, refresh_raw: str) -> tuple[str, str, tuple[str, ...]]:
    """(token, refresh token, other secrets the paste held) from the two fields. The token field
    may also hold the whole browser session as JSON (both values are taken from it)."""
    for raw in (token_raw, refresh_raw):
        if len(raw) > MAX_PASTE_LENGTH:
            raise CookieError(TOKEN_TOO_LONG, length=len(raw), limit=MAX_PASTE_LENGTH)
    others: tuple[str, ...] = ()
    token_text, refresh_text = token_raw.strip(), refresh_raw.strip()
    if token_text.startswith("{"):
        from_token, from_refresh, others = _from_json(token_text)
        if from_token is None:
            raise CookieError(JSON_NO_TOKEN)
        token_text = from_token
        if not refresh_text and from_refresh is not None:
            refresh_text = from_refresh
    if not refresh_text:
        raise CookieError(REFRESH_MISSING)
    if not token_text:
        raise CookieError(TOKEN_MISSING)
    token = _check_token(token_text, TOKEN)
    refresh = _check_token(refresh_text, REFRESH_TOKEN)
    if token == refresh:
        raise CookieError(TOKENS_SAME)
    return token, refresh, tuple(o for o in others if o not in (token, refresh))


def _first_instant(obj: dict[str, Any], names: tuple[str, ...]) -> datetime | None:
    for name in names:
        when = _open_fields.instant(obj.get(name), name)
        if when is not None:
            return when
    return None


def _account_id(obj: dict[str, Any], key: str | None) -> str | None:
    for value in (obj.get("account"), key, (_open_fields.obj_at(obj, "user") or {}).get("id")):
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_ACCOUNT_LENGTH]
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def mureka_expiry(obj: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """(deadline, self-renewing token expiry) of one account, by its sign-in mode."""
    mode = (_open_fields.text(obj, "authMode", 40) or "").lower()
    if mode in _EMAIL_MODES:
        return None, None  # useapi.net signs in again by itself
    cookie = obj.get("sessionCookie")
    if isinstance(cookie, dict) and cookie.get("expires") is not None:
        return parse_instant(cookie.get("expires"), "sessionCookie.expires"), None
    token_expiry = _first_instant(obj, _TOKEN_EXPIRY)
    refresh_expiry = _first_instant(obj, _REFRESH_EXPIRY)
    auto = _open_fields.flag(obj.get("hasAutoRefresh"))
    renewing = auto is True or "token" in mode or "refresh" in mode
    if refresh_expiry is not None:
        return refresh_expiry, token_expiry if renewing else None
    if renewing:
        return None, token_expiry
    if token_expiry is not None:
        return token_expiry, None
    updated = _updated(obj)
    has_token = obj.get("token") is not None or obj.get("tokenIssuedDaysAgo") is not None
    return (updated + LEGACY_TOKEN_LIFE if updated and has_token else None), None


def _updated(obj: dict[str, Any]) -> datetime | None:
    try:
        return companion_first(obj, "updatedUTC", "updated")
    except FieldError:
        return None


def profile_credits(obj: dict[str, Any]) -> tuple[Credit, ...]:
    """What GET /v1/mureka/profile says is left: `credits`, `credits_silver`, `user.gold`."""
    user = _open_fields.obj_at(obj, "user") or {}
    figures = (
        ("credits", "credits", _open_fields.number(obj.get("credits"))),
        ("silver", "silver credits", _open_fields.number(obj.get("credits_silver"))),
        ("gold", "Gold", _open_fields.number(user.get("gold", obj.get("gold")))),
    )
    return tuple(
        Credit(key=key, label=label, unit="credits", remaining=left)
        for key, label, left in figures
        if left is not None
    )


class MurekaLoginRefused(UseapiError):
    """A refused email and password (400, or the legacy page's 401 "Wrong username/password
    combination."): the member's login, not the bot's token."""

    def user_message(self) -> str:
        said = f' useapi.net said: "{self.detail}"' if self.detail else ""
        return (
            f"useapi.net could not sign in to Mureka with that email and password.{said} Check both "
            "and try again; use an account made with an email and password, not a Google sign-in."
        )


class MurekaTokensRefused(UseapiError):
    """A refused token and refresh token."""

    def user_message(self) -> str:
        said = f' useapi.net said: "{self.detail}"' if self.detail else ""
        return (
            f"useapi.net did not accept that Mureka token and refresh token.{said} Copy both again "
            "from a mureka.ai session you are signed in to, or use the email and password instead."
        )


class MurekaService(UseapiService):
    key = "mureka"
    label = "Mureka"
    order = 44
    on_by_default = False
    command_group = "mureka"
    group_description = "Mureka accounts on useapi.net"
    register_description = "Sign in with your Mureka email and password (or tokens) to add or renew it"
    credential_noun = "login"
    expiry_noun = "session token"
    form_intro = (
        "**Two ways to connect: fill in one pair, leave the other blank**\n"
        "• **Email and password** (recommended): the sign-in of a dedicated Mureka account. "
        "useapi.net signs in again by itself whenever Mureka ends the session.\n"
        "• **Token and refresh token**: copied from your browser after signing in to mureka.ai "
        "(see useapi.net's Setup Mureka). useapi.net refreshes them, but once they are revoked "
        "you must register again."
    )
    form_fields = (
        *(
            replace(field, required=False, min_length=None)
            for field in login_fields(
                "Mureka",
                "The email of the Mureka account, for the email-and-password way",
                "That account's password; useapi.net keeps it to sign in again, the bot never does",
            )
        ),
        FormField(
            id="token",
            label="Or: the session token (access_token)",
            description="The token of your signed-in mureka.ai browser session (see Setup Mureka)",
            placeholder="eyJ… (the whole value)",
            paragraph=True,
            required=False,
            max_length=4000,
        ),
        FormField(
            id="refresh_token",
            label="And its refresh token",
            description="The refresh_token of the same mureka.ai browser session",
            required=False,
            max_length=4000,
        ),
    )
    accounts_path = "/v1/mureka/accounts"
    empty_list = EmptyList.NOT_FOUND
    details_path = "/v1/mureka/accounts/{account}"
    delete_path = "/v1/mureka/accounts/{account}"
    # GET /accounts/{account} adds the session token's expiry, the profile the credits.
    reads_details = True
    credit_source = CreditSource.DETAILS
    credit_figures = (
        CreditFigure("credits", "credits", "credits"),
        CreditFigure("silver", "silver credits", "credits"),
        CreditFigure("gold", "Gold", "credits"),
    )

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        email_raw, password_raw = values.get("email") or "", values.get("password") or ""
        token_raw, refresh_raw = values.get("token") or "", values.get("refresh_token") or ""
        login = bool(email_raw.strip() or password_raw.strip())
        tokens = bool(token_raw.strip() or refresh_raw.strip())
        if login and tokens:
            raise CookieError(BOTH_WAYS)
        if not login and not tokens:
            raise CookieError(NOTHING_FILLED)
        if login:
            email = parse_email(email_raw, site=SITE)
            password = parse_password(password_raw, site=SITE)
            return Submission(body={"email": email, "password": password}, secrets=(password,))
        token, refresh, others = parse_tokens(token_raw, refresh_raw)
        return Submission(body={"token": token, "refresh_token": refresh}, secrets=(token, refresh, *others))

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        if key is None:
            key, obj = _open_fields.unwrap(
                obj, "account", "email", "authMode", "token", "error", "updatedUTC"
            )
        expires_at, renewing = mureka_expiry(obj)
        return AccountInfo(
            service=self.key,
            account=_account_id(obj, key) or "",
            expires_at=expires_at,
            self_renewing_expires_at=renewing,
            updated_at=_updated(obj),
            error=_open_fields.error_text(obj),
            health=_open_fields.health(obj),
            max_jobs=_open_fields.whole(obj.get("maxJobs")),
        )

    async def account_details(self, account: str) -> AccountInfo:
        info = await super().account_details(account)
        try:
            body = await self._transport.request(
                "GET", PROFILE_PATH.format(account=quote(account, safe="")), label=self.label
            )
            credits = profile_credits(require_object(body, "the profile"))
        except (UseapiError, FieldError) as exc:
            # The account itself was read: its credits are merely unknown this time.
            log.info("useapi mureka profile of %s unavailable: %s", account, type(exc).__name__)
            return info
        return replace(info, credits=credits)

    async def register(self, submission: Submission) -> AccountInfo:
        email_mode = "email" in submission.body
        try:
            return await super().register(submission)
        except UseapiError as exc:
            if isinstance(exc, MurekaLoginRefused | MurekaTokensRefused):
                raise
            refused = exc.failure is Failure.BAD_REQUEST or (
                exc.failure is Failure.UNAUTHORIZED
                and exc.detail is not None
                and not _UNAUTHORIZED.fullmatch(exc.detail)
            )
            if refused:
                kind = MurekaLoginRefused if email_mode else MurekaTokensRefused
                raise kind(
                    Failure.BAD_REQUEST, service_label=exc.service_label, status=exc.status, detail=exc.detail
                ) from None
            accepted = (
                exc.failure is Failure.BAD_RESPONSE and exc.status is not None and 200 <= exc.status < 300
            )
            if accepted and email_mode:
                found = await self._listed_with_email(str(submission.body["email"]))
                if found is not None:  # the registration's answer, in effect: scrubbed like one
                    return without_secrets(found, submission.secrets)
            raise

    async def _listed_with_email(self, email: str) -> AccountInfo | None:
        """The listed account whose `email` is this one: an email-mode answer without an id."""
        try:
            body = await self._transport.request(
                "GET", self.accounts_path, label=self.label, empty_on_404=True
            )
        except UseapiError:
            return None
        for key, value in (body or {}).items() if isinstance(body, dict) else ():
            if isinstance(value, dict) and str(value.get("email", "")).lower() == email.lower():
                try:
                    return self.parse_account(value, key)
                except FieldError:
                    return None
        return None
