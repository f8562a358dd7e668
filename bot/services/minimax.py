"""MiniMax (Hailuo AI) on useapi.net: accounts configured from the `/cursor` request URL and the
token of a signed-in hailuoai.video browser session, and max jobs.

Pages (../shared/upstream/minimax/, SERVICES.md's MiniMax row and notes), dated September 25,
2024, updated March 17, 2025: post-minimax-accounts-account.txt (POST `/v1/minimax/accounts`,
201, body `{url, token, maxJobs}`; older copies posted `account` too, on `/accounts/{account}`:
not used), get-minimax-accounts.txt (the list, keyed by account id), get-minimax-accounts-
account.txt (one account; the only Model and 404 text), setup-minimax.txt (updated November 24,
2025; its Step 3, "Locate token value", is not in the stored copy). DELETE
`/accounts/{account}` is in useapi.net's OpenAPI only: implemented, any 2xx (204 or 200) is a
deletion, 404 "not there".

What a person pastes: the Request URL of the `/cursor` call (DevTools → Network, filter
`/cursor`, Headers → General → Request URL), and the token of the same session. Both are
secrets: the URL's query carries the browser's `uuid` and `device_id` (identifying, and no page
says useapi.net treats them as public), so the whole field is treated as a password: never
stored, logged or shown, scrubbed from useapi.net's error text with each long query value, and
swept for.

The account key is useapi.net's `account` (the MiniMax user id, `"123456"`; a number is read as
its digits), else the list's key, else `jwt.user.id`.

What is warned about:
- the deadline is the session token's expiry: `jwt.exp_Expire` (ISO). The pages also give
  `jwt.exp`, a bare number (`1734858598.864`, read as Unix seconds with a fraction), and in
  their example the two disagree by three weeks (exp_Expire 2024-12-01, exp 2024-12-22): the
  ISO one wins, as the issue asks, and a disagreement is logged once per account (not every
  sync). Without `exp_Expire`, `exp` is the deadline.
- act now: `error` on the account.
Credits: none. No stored page documents a MiniMax credit or quota route (SERVICES.md, "Credits
and quotas": MiniMax "no credit route found"), so `credit_source` is NONE.

OPEN points and what is assumed (to check against the live API):
- where the token comes from (Setup's Step 3 is missing): taken to be the `token` request header
  of the same `/cursor` call; the field accepts the bare value, `token: …`, `token=…` or quotes;
- POST's error bodies: `{"error", "code"}` like the GET pages; a 401 whose text is not the
  bot-token "Unauthorized" is shown as it is, naming both possibilities (`_refusals`);
- the empty list: a 404 "Configuration not found…" with a JSON or empty body, or 200 `{}`; a
  plain-text 404 is a moved or retired route, never "no accounts";
- whether useapi.net renews the token by itself (not documented): the expiry is a deadline,
  re-read before each stage warning;
- `error`'s shape and every other odd field: unknown for that account only, logged once
  (`_lenient`), never "no accounts", never an account marked gone;
- the URL must be http(s), name a host, and have `/cursor` in its path; the host is not
  restricted (hailuoai.video and hailuoai.com appear in the pages, `jwt.host`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.cookies import read_max_jobs
from bot.form_errors import CookieError, problem
from bot.services._lenient import Lenient
from bot.services._refusals import reword
from bot.useapi.base import AccountInfo, CreditSource, EmptyList, UseapiService
from bot.useapi.errors import UseapiError
from bot.useapi.forms import TEXT_INPUT_LIMIT, FormField, Submission

SITE = "hailuoai.video"
MAX_JOBS_RANGE = (1, 10)
SUGGESTED_MAX_JOBS = 2  # "We recommend setting it to 2 (3 maximum) for Free, and 3 (4 maximum) for …"
MAX_ACCOUNT_LENGTH = 100
MIN_TOKEN_LENGTH = 16
# A query value at least this long is scrubbed from useapi.net's error text like the URL itself.
MIN_SCRUBBED_VALUE = 8
# A DevTools copy may bring its label along: "Request URL: https://…", "Request URL\thttps://…".
_URL_LABEL = re.compile(r"^(request\s*url|url)\s*[:=\t ]\s*", re.IGNORECASE)
_TOKEN_LABEL = re.compile(r"""^["']?token["']?\s*[:=]\s*""", re.IGNORECASE)
_QUOTES = ('"', "'", "`")
# Printable ASCII without spaces, quotes, commas, semicolons, angle brackets or backslashes.
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-.~+/=:!$&()*@%]+")
WHERE_URL = (
    "On hailuoai.video, signed in, open the developer tools (F12) → Network, type /cursor in the "
    "filter, click the request and copy Headers → General → Request URL."
)


URL_EMPTY = problem(
    "minimax_url_empty",
    "The /cursor request URL is empty. " + WHERE_URL,
    "The /cursor request URL was empty.",
)
URL_CURL = problem(
    "minimax_url_curl",
    "That is a curl command. Copy only the Request URL of the /cursor request.",
    "A curl command was pasted instead of the /cursor request URL.",
)
URL_SPACES = problem(
    "minimax_url_spaces",
    "The /cursor request URL is one line without spaces; what you pasted has some. "
    "Copy only the Request URL, exactly as the developer tools show it.",
    "The /cursor request URL had spaces or line breaks.",
)
URL_SHORTENED = problem(
    "minimax_url_shortened",
    "That URL is shortened (it contains '…'), like the example in the docs. Copy the whole "
    "Request URL from your own browser.",
    "The /cursor request URL was shortened with an ellipsis.",
)
URL_CHARACTERS = problem(
    "minimax_url_characters",
    "The /cursor request URL contains characters a URL can't hold (non-ASCII letters or "
    "control characters). Copy it again from the developer tools.",
    "The /cursor request URL held characters a URL can't hold.",
)
URL_NOT_WEB = problem(
    "minimax_url_not_web",
    "That is not a web address (it should start with https://). " + WHERE_URL,
    "The /cursor request URL was not a web address.",
)
URL_NOT_CURSOR = problem(
    "minimax_url_not_cursor",
    "That address is not the /cursor request (its path has no /cursor). " + WHERE_URL,
    "The pasted address was not the /cursor request.",
)
TOKEN_EMPTY = problem(
    "minimax_token_empty",
    "The token is empty. Copy the `token` request header of the same /cursor request.",
    "The MiniMax token was empty.",
)
TOKEN_IS_URL = problem(
    "minimax_token_is_url",
    "That is a web address, not the token: the /cursor request URL goes in the first field, "
    "and the token is the `token` request header of that request.",
    "A web address was pasted into the token field.",
)
TOKEN_SPACES = problem(
    "minimax_token_spaces",
    "The token is one line without spaces; what you pasted has some. Copy just the value of "
    "the `token` request header.",
    "The MiniMax token had spaces or line breaks.",
)
TOKEN_SHORTENED = problem(
    "minimax_token_shortened",
    "That token is shortened (it contains '...' or '…'), like the examples in the docs. Copy "
    "the whole value from your own browser.",
    "The MiniMax token was shortened with an ellipsis.",
)
TOKEN_CHARACTERS = problem(
    "minimax_token_characters",
    "The token contains characters a token can't hold (quotes, commas, semicolons, non-ASCII "
    "letters or control characters). Copy the value again, exactly as shown.",
    "The MiniMax token held characters a token can't hold.",
)
TOKEN_TOO_SHORT = problem(
    "minimax_token_too_short",
    "That token is only {length} characters; a MiniMax token is much longer. Copy the whole value.",
    "The MiniMax token was too short.",
)


def _unquote(text: str) -> str:
    text = text.strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        text = text[1:-1].strip()
    return text


def parse_cursor_url(raw: str | None) -> tuple[str, tuple[str, ...]]:
    """The `/cursor` request URL as pasted (label and quotes removed), and its long query values
    (scrubbed like the URL). Refusals are fixed sentences: the whole URL is a secret, so not even
    its host or path is named back."""
    text = _unquote(_URL_LABEL.sub("", (raw or "").strip(), count=1))
    if not text:
        raise CookieError(URL_EMPTY)
    if text.lower().startswith("curl "):
        raise CookieError(URL_CURL)
    if "\n" in text or "\r" in text or any(ch.isspace() for ch in text):
        raise CookieError(URL_SPACES)
    if "…" in text:
        raise CookieError(URL_SHORTENED)
    if not text.isascii() or not text.isprintable():
        raise CookieError(URL_CHARACTERS)
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        raise CookieError(URL_NOT_WEB)
    if "/cursor" not in parts.path.lower():
        raise CookieError(URL_NOT_CURSOR)
    values = tuple(
        value
        for _, value in parse_qsl(parts.query, keep_blank_values=False)
        if len(value) >= MIN_SCRUBBED_VALUE
    )
    return text, values


def parse_minimax_token(raw: str | None) -> str:
    """The session token: the bare value, `token: …`, `token=…`, quoted. Never repeated back."""
    text = _unquote(_TOKEN_LABEL.sub("", (raw or "").strip(), count=1))
    if text.lower().startswith("bearer "):
        text = text[len("bearer ") :].strip()
    if not text:
        raise CookieError(TOKEN_EMPTY)
    if text.lower().startswith(("http://", "https://")):
        raise CookieError(TOKEN_IS_URL)
    if any(ch.isspace() for ch in text):
        raise CookieError(TOKEN_SPACES)
    if "..." in text or "…" in text:
        raise CookieError(TOKEN_SHORTENED)
    if not _TOKEN_CHARS.fullmatch(text):
        raise CookieError(TOKEN_CHARACTERS)
    if len(text) < MIN_TOKEN_LENGTH:
        raise CookieError(TOKEN_TOO_SHORT, length=len(text))
    return text


class MiniMaxService(UseapiService):
    key = "minimax"
    label = "MiniMax"
    order = 70
    on_by_default = False
    command_group = "minimax"
    group_description = "MiniMax (Hailuo AI) accounts on useapi.net"
    register_description = "Paste the /cursor URL and token of a hailuoai.video session to add or renew it"
    credential_noun = "URL and token"
    expiry_noun = "session"
    form_intro = (
        "On hailuoai.video, signed in: open the developer tools (F12) → Network and refresh the "
        "page. Type /cursor in the filter and click the request. Under Headers, copy General → "
        "Request URL into the first field, and the `token` of Request Headers into the second. "
        "useapi.net's automated setup (useapi.net/assets/setup-browser/minimax) does this for you instead."
    )
    form_fields = (
        FormField(
            id="url",
            label="The /cursor request URL",
            description="DevTools → Network, filter /cursor on hailuoai.video: Headers → General → Request URL",
            placeholder="https://…/cursor?type=…",
            paragraph=True,
            min_length=1,
            max_length=TEXT_INPUT_LIMIT,
        ),
        FormField(
            id="token",
            label="MiniMax token",
            description="The token request header of that same /cursor request (Headers → Request Headers)",
            placeholder="The value of the token header",
            paragraph=True,
            min_length=1,
            max_length=TEXT_INPUT_LIMIT,
        ),
        FormField(
            id="max_jobs",
            label=f"Max concurrent jobs ({MAX_JOBS_RANGE[0]}-{MAX_JOBS_RANGE[1]})",
            description="Jobs useapi.net may run at once: it suggests 2 on a Free plan, 3 on Standard or Unlimited",
            placeholder=str(SUGGESTED_MAX_JOBS),
            min_length=1,
            max_length=2,
        ),
    )
    accounts_path = "/v1/minimax/accounts"
    empty_list = EmptyList.NOT_FOUND  # 200 {} reads as an empty list too
    details_path = "/v1/minimax/accounts/{account}"
    delete_path = "/v1/minimax/accounts/{account}"  # OpenAPI only; no stored page documents DELETE
    credit_source = CreditSource.NONE  # no documented credit route (see the module docstring)
    credit_note = "useapi.net documents no credit route for MiniMax"

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        url, query_values = parse_cursor_url(values.get("url"))
        token = parse_minimax_token(values.get("token"))
        max_jobs = read_max_jobs(
            values.get("max_jobs"), low=MAX_JOBS_RANGE[0], high=MAX_JOBS_RANGE[1], when_blank=None
        )
        return Submission(
            body={"url": url, "token": token, "maxJobs": max_jobs}, secrets=(url, token, *query_values)
        )

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        first = Lenient(self.key, key or "?")
        jwt = first.object(obj, "jwt")
        user = first.object(jwt, "user", label="jwt.user") if jwt else None
        account = (
            first.text(obj, "account", limit=MAX_ACCOUNT_LENGTH)
            or key
            or (first.text(user, "id", limit=MAX_ACCOUNT_LENGTH, label="jwt.user.id") if user else None)
            or ""
        )[:MAX_ACCOUNT_LENGTH]
        read = Lenient(self.key, account or "?")
        return AccountInfo(
            service=self.key,
            account=account,
            expires_at=read.deadline(jwt, ("exp_Expire",), "exp", prefix="jwt") if jwt else None,
            max_jobs=read.whole(obj, "maxJobs"),
            error=read.error(obj),
        )

    async def register(self, submission: Submission) -> AccountInfo:
        try:
            return await super().register(submission)
        except UseapiError as exc:
            raise reword(exc, what="URL and token", check="URL, token and max jobs", site=SITE) from None
