"""Flow Music (Google Labs, formerly Producer AI / Riffusion) on useapi.net: accounts configured
from the refresh token of a flowmusic.app browser session.

Pages (../shared/upstream/flowmusic/, all dated June 3, 2026 on their `Source:` lines):
post-flowmusic-accounts.txt, get-flowmusic-accounts.txt, get-flowmusic-accounts-email.txt,
delete-flowmusic-accounts-email.txt, setup-flowmusic.txt; and the Flow Music row and note of
SERVICES.md.

What is warned about, and why: nothing has a documented deadline. `access_token_expires_at` is an
access token that lasts about an hour and that useapi.net refreshes by itself (Setup: "useapi.net
... refreshes the token automatically"), so it goes into `self_renewing_expires_at`, never
`expires_at`. The refresh token's own lifetime is not documented (OPEN), so `expires_at` stays
None. The documented "a person must act" signal is `error`, present only when the account needs
re-authentication ("re-run POST /accounts").

Choices where the pages are silent:
- The Setup page's manual "Copy your refresh token" step is cut off in the stored copy; it says
  only that flowmusic.app keeps the session, including a refresh token, in the browser. So the
  form accepts the bare token, the token in quotes, `refresh_token=…`, a JSON `"refresh_token":
  "…"` line, or the whole JSON session object (only `refresh_token` is sent on).
- URL-encoding: a refresh token is sent in a JSON body, not as a cookie, and never holds `%`; a
  paste with `%XX` escapes was URL-encoded on its way (a form-encoded request body, a cookie
  holding the session as URL-encoded JSON), so it is decoded once before it is read. `+` stays.
- A JWT (`eyJ….….…`) is refused as "the access token": the pages' access token example is one
  (`eyJ…zmQ`), their refresh token examples are not (`bdykxtrr5eaf...`, `l6e…z4v`).
- A blank max-jobs field is left out of the body: the page says it "defaults to the plan tier".
- The list's empty shape is 200 `{}`; a 404 of the list is not "no accounts" (see list_accounts).

Credits: none read (`credit_source` NONE). `credits_remaining` and `tokens_remaining` are
"live-pulled" by GET /accounts/{email} only ("Credit balances are omitted from the list", and
"are not included" in the POST answer), and they are absent for an account in error. The bot
reads no per-account details for Flow Music: nothing else it needs is there, and reading them
would be one more call per account every few hours (issue 21: no extra call per pass). Turning
that on later means `reads_details` plus reading those two fields here.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from bot.cookies import MAX_VALUE_LENGTH, clean_paste, read_max_jobs
from bot.form_errors import CookieError, Fixed, problem
from bot.useapi.base import AccountInfo, CreditSource, EmptyList, UseapiService
from bot.useapi.forms import FormField, Submission
from bot.useapi.parsing import optional_int, optional_str, parse_instant

log = logging.getLogger(__name__)

WHAT = "Flow Music refresh token"
# "the flowmusic.app refresh token (≥10 chars)" (POST page).
MIN_REFRESH_TOKEN_LENGTH = 10
MAX_JOBS_RANGE = (1, 16)
# OAuth-style tokens: URL-safe base64, standard base64 and the few other characters such tokens
# use. No spaces, quotes, commas, semicolons, percent signs or non-ASCII.
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-.~+/=]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
# `refresh_token=…`, `refresh_token: …`, `"refresh_token": "…"` (with an optional trailing comma).
_NAMED = re.compile(
    r"""^["']?refresh[_-]?token["']?\s*[:=]\s*(?P<value>.*?)\s*,?$""",
    re.IGNORECASE | re.DOTALL,
)
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_QUOTES = ('"', "'", "`")

JSON_UNREADABLE = problem(
    "token_json_unreadable",
    "That looks like JSON but could not be read. Paste just the value of `refresh_token`.",
    "The pasted JSON could not be read.",
)
JSON_NOT_OBJECT = problem(
    "token_json_not_object",
    "That JSON is not an object. Paste just the value of `refresh_token`.",
    "The pasted JSON was not an object.",
)
JSON_NO_TOKEN = problem(
    "token_json_missing",
    "There is no `refresh_token` in that JSON. Copy the refresh token of your flowmusic.app session.",
    "The pasted JSON had no refresh_token.",
)
JSON_TOKEN_NOT_TEXT = problem(
    "token_json_not_text",
    "The `refresh_token` in that JSON is not text. Copy its value again.",
    "The pasted JSON's refresh_token was not text.",
)
TOKEN_EMPTY = problem(
    "token_empty",
    "The {what} is empty. Copy its value again from flowmusic.app.",
    "The token was empty.",
)
TOKEN_LINE_BREAKS = problem(
    "token_line_breaks",
    "The {what} is a single line; what you pasted has line breaks. Copy just the value of `refresh_token`.",
    "The token had line breaks.",
)
TOKEN_SPACES = problem(
    "token_spaces",
    "The {what} has no spaces; what you pasted has some. Copy just the value of `refresh_token`.",
    "The token had spaces.",
)
TOKEN_SHORTENED = problem(
    "token_shortened",
    "That {what} is shortened (it contains '...' or '…'), like the examples in the docs. "
    "Copy the whole value from your own flowmusic.app session.",
    "The token was shortened with an ellipsis.",
)
TOKEN_IS_ACCESS_TOKEN = problem(
    "token_is_access_token",
    "That is an access token (it starts with `eyJ`), which lasts only an hour. "
    "Paste the `refresh_token` of the same session instead.",
    "An access token was pasted instead of the refresh token.",
)
TOKEN_TOO_LONG = problem(
    "token_too_long",
    "The {what} is too long ({length} characters). Copy it again.",
    "The token was too long.",
)
TOKEN_CHARACTERS = problem(
    "token_bad_characters",
    "The {what} contains characters a token can't hold (quotes, commas, semicolons, non-ASCII "
    "letters or control characters). Copy the value again, exactly as shown.",
    "The token held characters a token can't hold.",
)
TOKEN_TOO_SHORT = problem(
    "token_too_short",
    "That value is only {length} characters; a {what} has at least {least}. Copy the whole value.",
    "The token was too short.",
)


def _unquote(text: str) -> str:
    text = text.strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        text = text[1:-1].strip()
    return text


def _percent_decoded(text: str) -> str:
    """The paste with its `%XX` escapes decoded, when it has any. A refresh token never holds `%`,
    so escapes mean the paste was URL-encoded on the way: a form-encoded request body
    (`refresh_token=1%2F%2F0g…`) or a cookie holding the session as URL-encoded JSON. `+` stays
    a plus (a token's own character), as in a path, not a space as in a form."""
    if not _PERCENT_ESCAPE.search(text):
        return text
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:  # not UTF-8 once decoded: refused below as it was pasted
        return text


def _from_json_object(text: str) -> tuple[str, tuple[str, ...]]:
    """The refresh token out of a pasted JSON session object, and its other string values (the
    access token among them: scrubbed like the refresh token, never sent)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise CookieError(JSON_UNREADABLE) from None
    if not isinstance(data, dict):
        raise CookieError(JSON_NOT_OBJECT)
    # Some browser storage nests the session (`currentSession`); a bare session has it on top.
    nested = data.get("currentSession")
    session: dict[str, Any] = nested if isinstance(nested, dict) else data
    value = session.get("refresh_token")
    others = tuple(
        v
        for v in session.values()
        if isinstance(v, str) and len(v) >= MIN_REFRESH_TOKEN_LENGTH and v != value
    )
    if value is None:
        raise CookieError(JSON_NO_TOKEN)
    if not isinstance(value, str):
        raise CookieError(JSON_TOKEN_NOT_TEXT)
    return value, others


def parse_refresh_token(raw: str) -> tuple[str, tuple[str, ...]]:
    """Return the refresh token from what was pasted, and any other secrets the paste held.

    Accepts the bare token, the token in quotes, `refresh_token=…`, `"refresh_token": "…"`, or a
    JSON session object, each also URL-encoded. Error messages never repeat the paste.
    """
    what = Fixed(WHAT)
    text = clean_paste(raw, WHAT)
    if not text.startswith("{"):  # JSON as pasted keeps its strings' own `%` (a URL's)
        text = _percent_decoded(text).strip()
    others: tuple[str, ...] = ()
    if text.startswith("{"):
        value, others = _from_json_object(text)
    else:
        named = _NAMED.match(text)
        value = named.group("value") if named else text
    value = _unquote(value)
    if not value:
        raise CookieError(TOKEN_EMPTY, what=what)
    if "\n" in value or "\r" in value:
        raise CookieError(TOKEN_LINE_BREAKS, what=what)
    if any(ch.isspace() for ch in value):
        raise CookieError(TOKEN_SPACES, what=what)
    if "..." in value or "…" in value:
        raise CookieError(TOKEN_SHORTENED, what=what)
    if _JWT.fullmatch(value):
        raise CookieError(TOKEN_IS_ACCESS_TOKEN)
    if len(value) > MAX_VALUE_LENGTH:
        raise CookieError(TOKEN_TOO_LONG, what=what, length=len(value))
    if not _TOKEN_CHARS.fullmatch(value):
        raise CookieError(TOKEN_CHARACTERS, what=what)
    if len(value) < MIN_REFRESH_TOKEN_LENGTH:
        raise CookieError(TOKEN_TOO_SHORT, what=what, length=len(value), least=MIN_REFRESH_TOKEN_LENGTH)
    return value, others


def created_for_status(status: int) -> bool | None:
    """POST /accounts answers 201 for a new account and 200 for an updated one (same body)."""
    return {201: True, 200: False}.get(status)


class FlowMusicService(UseapiService):
    key = "flowmusic"
    label = "Flow Music"
    order = 40
    on_by_default = False
    command_group = "flowmusic"
    group_description = "Flow Music accounts on useapi.net"
    register_description = "Paste a fresh refresh token to add or renew the account"
    credential_noun = "refresh token"
    expiry_noun = "access token"
    form_fields = (
        FormField(
            id="refresh_token",
            label=WHAT,
            description="refresh_token of your flowmusic.app session, kept in your browser (Setup Flow Music)",
            placeholder="The refresh_token value (at least 10 characters)",
            min_length=1,
            max_length=4000,
        ),
        FormField(
            id="max_jobs",
            label="Max concurrent jobs (1-16)",
            description="How many jobs useapi.net may run at once; blank for your plan's default",
            placeholder="blank: the plan's default",
            required=False,
            max_length=2,
        ),
    )
    accounts_path = "/v1/flowmusic/accounts"
    empty_list = EmptyList.EMPTY_OBJECT
    details_path = "/v1/flowmusic/accounts/{account}"
    delete_path = "/v1/flowmusic/accounts/{account}"
    credit_source = CreditSource.NONE
    credit_note = (
        "only GET /accounts/{email} carries Flow Music's credits_remaining, and the bot does not "
        "read it (one more call per account)"
    )

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        token, others = parse_refresh_token(values.get("refresh_token", ""))
        max_jobs = read_max_jobs(
            values.get("max_jobs"),
            low=MAX_JOBS_RANGE[0],
            high=MAX_JOBS_RANGE[1],
            when_blank="your Flow Music plan's default",
        )
        body: dict[str, Any] = {"refresh_token": token}
        if max_jobs is not None:
            body["maxJobs"] = max_jobs
        return Submission(body=body, secrets=(token, *others))

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        account = optional_str(obj, "email", limit=320) or key
        return AccountInfo(
            service=self.key,
            account=(account or "")[:320],
            # No documented deadline: the refresh token's lifetime is OPEN.
            expires_at=None,
            self_renewing_expires_at=parse_instant(
                obj.get("access_token_expires_at"), "access_token_expires_at"
            ),
            updated_at=parse_instant(obj.get("refreshed_at"), "refreshed_at"),
            max_jobs=optional_int(obj, "maxJobs"),
            error=optional_str(obj, "error"),
        )
