"""Gemini Notebook (formerly NotebookLM) on useapi.net: accounts connected with the cookie table
of a signed-in Gemini Notebook session (notebook.google.com and accounts.google.com).

Pages (../shared/upstream/gemini-notebook/, dated September 29, 2026, and SERVICES.md's Gemini
Notebook row, note and "Credits and quotas"): post-gemini-notebook-accounts.txt,
get-gemini-notebook-accounts.txt, delete-gemini-notebook-accounts-email.txt (excerpts),
get-gemini-notebook-accounts-email.txt (not stored: what is known of it), setup-gemini-notebook.txt
and related-notes.txt (useapi.net's MCP tool texts, its useapi/notebooklm-api skill).

Routes: POST /v1/gemini-notebook/accounts (cookies, optional maxJobs 1-10; update mode `email` +
`maxJobs` and/or `outputLanguage` is not used by the bot); GET /accounts (stored, up to 60 s
old); GET /accounts/{email} (live at Google); DELETE /accounts/{email} → 204, 400 for a
malformed email, 404 `{"error": "Account <email> not found", "code": 404}`. 401 is
`{"error": "useapi.net ⁝ Unauthorized", "code": 401}`. Works on the free Google plan; 3 accounts
per useapi.net subscription, up to 100.

What is warned about, and why:
- The deadline is `cookiesExpireAt` (about 13 months after the account was added in the page's
  example): the copied Google sign-in can't outlive it.
- A person must act now when `health` is not OK, on `error`, and when the live read says the
  session is signed out or answers 596 ("the Google account needs to be reconnected"; the
  general 596 reading, `UseapiService.read_details`: "the account's session is broken on
  useapi.net: register it again", unless its text says it is being re-checked).
- The live read (`reads_details`) runs every DETAILS_INTERVAL per account, so a Google sign-out
  is found before the team next needs the account.

Credits (`credit_source` LIST): `lastKnownQuota.windows[]` of the list, one figure per usage
window: `window` ("5h", and a weekly one per useapi.net's MCP text), `remainingPercent` (else
100 − `usedPercent`) of 100 %, `resetsAt`. The live read's windows are read the same way when it
carries them. A window refills by itself at `resetsAt`: a low figure needs no person.

OPEN, and what is assumed (each to check against the live API):
- The POST body's cookie field is `cookies`, the table as pasted (Google Flow's name and shape;
  the excerpt stops in the Request Headers). Rows of other sites are dropped before sending.
- The POST answer is the account record of the list (or that record keyed by email); 201 for a
  new account, 200 for a re-added one.
- The empty list is 200 `{}`; a 404 whose error says nothing is configured reads as empty too;
  any other 404 is a failure, never "no accounts".
- `health` values other than "OK": healthy words count as OK, anything else is the reason.
- GET /accounts/{email} (page not stored) is read with the list's shape; its live signed-in
  state as one of `signedIn`, `signed_in`, `sessionValid`, `loggedIn`, `valid` (or
  `signedOut`); its windows under `lastKnownQuota`, `quota` or the top level. A 596 on it is
  final unless its text says the account is being re-checked.
- The weekly window's name: "weekly", "week", "7d", "1w" or "168h" are all the key "weekly";
  "5h", "5-hour", "5 hours" are "5h"; any other name is its own key.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.form_errors import Fixed
from bot.services import _google, _open_fields
from bot.useapi.base import AccountInfo, Credit, CreditFigure, CreditSource, EmptyList, UseapiService
from bot.useapi.errors import UseapiError
from bot.useapi.forms import Submission

log = logging.getLogger(__name__)

SITES = Fixed("notebook.google.com, accounts.google.com or google.com")
WHERE_TO_COPY = Fixed(
    "Open notebook.google.com signed in, then in the developer tools (F12) go to Application → "
    "Cookies, select the rows of notebook.google.com and of accounts.google.com and copy them "
    "(Ctrl+C) as they are: one cookie a line, columns separated by tabs."
)
_FIVE_HOURS = re.compile(r"5\s*-?\s*h(ours?)?|five[\s_-]*hours?", re.IGNORECASE)
_WEEKLY = re.compile(r"week(ly)?|7\s*d(ays?)?|1\s*w|168\s*h", re.IGNORECASE)
_KEY_CHARS = re.compile(r"[^a-z0-9]+")


def window_key(name: str) -> tuple[str, str]:
    """(key, label) of a usage window's name."""
    if _FIVE_HOURS.fullmatch(name.strip()):
        return "5h", "5-hour window"
    if _WEEKLY.fullmatch(name.strip()):
        return "weekly", "weekly window"
    key = _KEY_CHARS.sub("-", name.lower()).strip("-")[:40] or "window"
    return key, f"{name.strip()[:40]} window"


def quota_windows(obj: dict[str, Any]) -> tuple[Credit, ...]:
    """One Credit per usage window, in percent of 100, from any shape read."""
    windows: Any = None
    for container in (_open_fields.obj_at(obj, "lastKnownQuota"), _open_fields.obj_at(obj, "quota"), obj):
        if container is not None and isinstance(container.get("windows"), list):
            windows = container["windows"]
            break
    found: dict[str, Credit] = {}
    for window in windows or ():
        if not isinstance(window, dict):
            continue
        name = _open_fields.text(window, "window", 60) or _open_fields.text(window, "name", 60)
        if name is None:
            continue
        remaining = _open_fields.number(window.get("remainingPercent"))
        used = _open_fields.number(window.get("usedPercent"))
        if remaining is None and used is not None:
            remaining = round(100.0 - used, 2)
        key, label = window_key(name)
        found.setdefault(
            key,
            Credit(
                key=key,
                label=label,
                unit="%",
                remaining=remaining,
                limit=100.0,
                resets_at=_open_fields.instant(window.get("resetsAt"), "resetsAt"),
            ),
        )
    return tuple(found.values())


class GeminiNotebookService(UseapiService):
    key = "gemininotebook"
    label = "Gemini Notebook"
    order = 24
    on_by_default = False
    command_group = "notebook"
    group_description = "Gemini Notebook (NotebookLM) accounts on useapi.net"
    register_description = "Paste a fresh Google cookie table to add or renew the account"
    credential_noun = "cookies"
    expiry_noun = "cookies"
    form_intro = (
        "**Copying the cookie table**\n"
        "1. Sign in to Gemini Notebook (notebook.google.com) with the account, best in a browser "
        "profile you then delete (useapi.net's setup script makes one).\n"
        "2. Open the developer tools (F12) → Application → Cookies.\n"
        "3. Select the rows of notebook.google.com and of accounts.google.com and copy them "
        "(Ctrl+C); paste them below as they are (the second field takes the rest).\n"
        "The free Google plan works; a paid one raises the usage limits."
    )
    form_fields = _google.cookie_fields(
        "DevTools → Application → Cookies of Notebook and the Google sign-in: the rows"
    )
    accounts_path = "/v1/gemini-notebook/accounts"
    empty_list = EmptyList.EMPTY_OBJECT
    details_path = "/v1/gemini-notebook/accounts/{account}"
    delete_path = "/v1/gemini-notebook/accounts/{account}"
    reads_details = True
    credit_source = CreditSource.LIST
    credit_figures = (
        CreditFigure("5h", "5-hour window", "%", has_limit=True, resets=True),
        CreditFigure("weekly", "weekly window", "%", has_limit=True, resets=True),
    )

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        return _google.parse_cookie_form(values, where_to_copy=WHERE_TO_COPY, sites=SITES)

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        if key is None:
            key, obj = _open_fields.unwrap(obj, "email", "cookiesExpireAt", "health", "error")
        return replace(_google.read_account(self.key, obj, key), credits=quota_windows(obj))

    async def list_accounts(self) -> list[AccountInfo]:
        try:
            return await super().list_accounts()
        except UseapiError as exc:
            if _open_fields.says_nothing_configured(exc):
                return []
            raise
