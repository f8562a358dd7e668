"""Google Vids on useapi.net: accounts connected with the cookie table of a signed-in Google Vids
session (docs.google.com), on a paid Google AI plan.

Pages (../shared/upstream/google-vids/, all dated October 7, 2026, and SERVICES.md's Google Vids
row, note and "Credits and quotas"): post-google-vids-accounts.txt, get-google-vids-accounts.txt,
get-google-vids-accounts-email.txt, delete-google-vids-accounts-email.txt (each an excerpt),
setup-google-vids.txt and related-notes.txt (useapi.net's MCP tool texts and its
useapi/google-vids-api scripts).

Routes: POST /v1/google-vids/accounts (cookies, optional maxJobs 1-10); GET /accounts (stored, no
call to Google); GET /accounts/{email} (URL-encoded; live at Google: signed-in state and what is
left of each monthly allowance); DELETE /accounts/{email} → 204, 400 for a malformed email,
404 `{"error": "Account <email> not found", "code": 404}`. 401 is `{"error": "useapi.net ⁝
Unauthorized", "code": 401}`.

What is warned about, and why:
- The deadline (`expires_at`) is `cookiesExpireAt`, about six months after the account was added:
  the copied Google sign-in can't outlive it, and only a fresh paste renews it.
- A person must act now when `health` is not OK, on `error`, when useapi.net paused the account
  after Google signed it out (it e-mails a re-add link; re-posting the cookies brings it back),
  when the live read says the session is signed out, and when it answers 596 with "Re-add it"
  (the general 596 reading, `UseapiService.read_details`: "the account's session is broken on
  useapi.net: register it again"). A 596 without it means useapi.net is re-checking the account
  (`session_broken_unless_said` False): a failed read, not a signal.
- The live read (`reads_details`) runs every DETAILS_INTERVAL per account: a browser reusing the
  sign-in ends useapi.net's copy "within minutes", long before `cookiesExpireAt`.

Credits (`credit_source` DETAILS): the list's `limits` (video seconds, images, music, as reported
when the account was added: `Credit.limit` only), and GET /accounts/{email}'s live "what is left"
(`Credit.remaining`). The allowances are monthly and reset on the 1st at 00:00 Pacific
(`resets_at`); a family plan shares its video seconds between members.

OPEN, and what is assumed (each to check against the live API):
- The POST body's cookie field is `cookies`, the table as pasted (Google Flow's name and shape;
  the excerpt stops before the Request Body). Rows of other sites are dropped before sending.
- The POST answer is the account record of GET /accounts/{email} (or that record keyed by email);
  201 for a new account, 200 for a re-added one. A 400 from a free Google account is shown with
  a sentence saying Vids needs a paid Google AI plan.
- The empty list is 200 `{}` (the list excerpt stops in its example; this family's siblings
  answer so). A 404 whose error says nothing is configured reads as empty too; any other 404
  (a moved route) is a failure, never "no accounts".
- `health` values other than "OK" are not printed: healthy words ("ok", "healthy", "active", …)
  count as OK, anything else is the reason. Which field carries the pause is not printed: `paused`
  true, a `pausedAt` time, or a `status`/`state` saying paused, signed out or re-add are read.
- The live signed-in state is one of `signedIn`, `signed_in`, `sessionValid`, `loggedIn`, `valid`
  (or `signedOut`), at the top or in `session`.
- What is left: `<name>.left` (the prose names `video.left`), `quota.<name>.left` (the job
  records' shape), `left.<name>`, `remaining.<name>`, `allowances.<name>.left` or
  `limits.<name>.left`; a limit as `limits.<name>` (a number) or `<…>.limit`/`.total`. Units:
  video in seconds, images in images (both printed); music, avatarVideo and speech are "units",
  "videos" and "uses" (not printed). A figure in a shape none of these fits is left out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.form_errors import Fixed
from bot.services import _google, _open_fields
from bot.useapi.base import AccountInfo, Credit, CreditFigure, CreditSource, EmptyList, UseapiService
from bot.useapi.errors import Failure, UseapiError
from bot.useapi.forms import Submission

log = logging.getLogger(__name__)

SITES = Fixed("docs.google.com or google.com")
WHERE_TO_COPY = Fixed(
    "Open docs.google.com/videos signed in, then in the developer tools (F12) go to Application → "
    "Cookies, select the rows of docs.google.com and copy them (Ctrl+C) as they are: one cookie a "
    "line, columns separated by tabs."
)
FREE_PLAN_HINT = (
    "A free Google account is refused too: Google Vids needs an account on a paid Google AI plan."
)
PAUSED = (
    "Google signed this account out and useapi.net paused it: register its cookies again "
    "(useapi.net also e-mailed a re-add link)"
)
_PAUSED_WORDS = re.compile(r"pause|signed.?out|re-?add", re.IGNORECASE)

# Each monthly allowance: (label, unit). video and image are printed; the rest are named in
# useapi.net's MCP tool text ("music, AI avatar videos (avatarVideo) and Gemini uses (speech)").
ALLOWANCES: dict[str, tuple[str, str]] = {
    "video": ("video seconds", "seconds"),
    "image": ("images", "images"),
    "music": ("music", "units"),
    "avatarVideo": ("AI avatar videos", "videos"),
    "speech": ("Gemini uses", "uses"),
}


def paused(obj: dict[str, Any]) -> str | None:
    """The pause useapi.net puts an account in after Google signed it out, in any shape read."""
    if _open_fields.flag(obj.get("paused")) is True:
        return PAUSED
    if any(_open_fields.instant(obj.get(name), name) for name in ("pausedAt", "pausedUTC", "paused_at")):
        return PAUSED
    for name in ("status", "state"):
        said = _open_fields.text(obj, name, limit=100)
        if said and _PAUSED_WORDS.search(said):
            return f"{PAUSED} (status: {said})"
    return None


def _limit_of(limits: dict[str, Any], name: str) -> float | None:
    plain = _open_fields.number(limits.get(name))
    if plain is not None:
        return plain
    nested = _open_fields.obj_at(limits, name) or {}
    return _open_fields.number(nested.get("limit", nested.get("total")))


def _left_of(obj: dict[str, Any], name: str) -> tuple[float | None, float | None]:
    """(what is left, the limit said beside it) of one allowance, from any shape read."""
    for path in ((name,), ("quota", name), ("allowances", name), ("limits", name)):
        node = _open_fields.obj_at(obj, *path)
        if node is not None:
            left = _open_fields.number(node.get("left", node.get("remaining")))
            if left is not None:
                return left, _open_fields.number(node.get("limit", node.get("total")))
    for container in ("left", "remaining"):
        node = _open_fields.obj_at(obj, container)
        if node is not None and _open_fields.number(node.get(name)) is not None:
            return _open_fields.number(node.get(name)), None
    return None, None


def vids_credits(obj: dict[str, Any], now: datetime) -> tuple[Credit, ...]:
    """Every allowance the answer gives a figure for, with the next monthly reset."""
    limits = _open_fields.obj_at(obj, "limits") or {}
    names = list(ALLOWANCES)
    for source in (limits, _open_fields.obj_at(obj, "quota") or {}, _open_fields.obj_at(obj, "left") or {}):
        names.extend(n for n in source if isinstance(n, str) and n not in names)
    resets = _open_fields.next_month_start_pacific(now)
    found: list[Credit] = []
    for name in names[:20]:
        left, beside = _left_of(obj, name)
        limit = _limit_of(limits, name)
        if limit is None:
            limit = beside
        if left is None and limit is None:
            continue
        label, unit = ALLOWANCES.get(name, (name[:40], "units"))
        found.append(
            Credit(key=name[:40], label=label, unit=unit, remaining=left, limit=limit, resets_at=resets)
        )
    return tuple(found)


class VidsRefused(UseapiError):
    """A 400 from Vids' POST: the cookies, or a free Google account (refused with 400)."""

    def user_message(self) -> str:
        said = f' useapi.net said: "{self.detail}"' if self.detail else ""
        return (
            f"useapi.net did not accept the Google Vids cookies.{said} Copy the cookie table again "
            f"from a signed-in Google Vids page. {FREE_PLAN_HINT}"
        )


class GoogleVidsService(UseapiService):
    key = "googlevids"
    label = "Google Vids"
    order = 22
    on_by_default = False
    command_group = "vids"
    group_description = "Google Vids accounts on useapi.net"
    register_description = "Paste a fresh Google cookie table to add or renew the account"
    credential_noun = "cookies"
    expiry_noun = "cookies"
    form_intro = (
        "**Copying the cookie table**\n"
        "1. Sign in to Google Vids (docs.google.com/videos) with the account, best in a browser "
        "profile you then delete (useapi.net's setup script makes one).\n"
        "2. Open the developer tools (F12) → Application → Cookies → docs.google.com.\n"
        "3. Select the rows and copy them (Ctrl+C); paste them below as they are.\n"
        "4. Don't open that account in a browser again: a browser still using the sign-in ends "
        "useapi.net's copy within minutes.\n"
        "The account needs a paid Google AI plan: a free one is refused."
    )
    form_fields = _google.cookie_fields(
        "DevTools → Application → Cookies of the signed-in Vids page: the rows, as copied"
    )
    accounts_path = "/v1/google-vids/accounts"
    empty_list = EmptyList.EMPTY_OBJECT
    details_path = "/v1/google-vids/accounts/{account}"
    delete_path = "/v1/google-vids/accounts/{account}"
    # Live at Google: a sign-out ends the account long before cookiesExpireAt.
    reads_details = True
    credit_source = CreditSource.DETAILS
    credit_figures = tuple(
        CreditFigure(name, label, unit, has_limit=True, resets=True)
        for name, (label, unit) in ALLOWANCES.items()
    )
    # "596: signed out or being re-checked. Retry in a minute": final only when it says "Re-add it".
    session_broken_unless_said = False

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        return _google.parse_cookie_form(values, where_to_copy=WHERE_TO_COPY, sites=SITES)

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        if key is None:
            key, obj = _open_fields.unwrap(obj, "email", "cookiesExpireAt", "health", "error")
        info = _google.read_account(self.key, obj, key)
        pause = paused(obj)
        return replace(
            info,
            error=info.error or pause,
            credits=vids_credits(obj, datetime.now(UTC)),
        )

    async def list_accounts(self) -> list[AccountInfo]:
        try:
            return await super().list_accounts()
        except UseapiError as exc:
            if _open_fields.says_nothing_configured(exc):
                return []
            raise

    async def register(self, submission: Submission) -> AccountInfo:
        try:
            return await super().register(submission)
        except UseapiError as exc:
            if exc.failure is not Failure.BAD_REQUEST or isinstance(exc, VidsRefused):
                raise
            raise VidsRefused(
                exc.failure, service_label=exc.service_label, status=exc.status, detail=exc.detail
            ) from None
