"""A double of useapi.net's Gemini Notebook accounts API (`ua.gemini_notebook`), pages dated
September 29, 2026 in /work/shared/upstream/gemini-notebook/.

The same family as Google Vids (`GoogleVidsDouble`, whose routes, errors and test controls it
keeps): POST/GET /v1/gemini-notebook/accounts, GET/DELETE /v1/gemini-notebook/accounts/{email}
(204), 401 {"error": "useapi.net ⁝ Unauthorized", "code": 401}, 400 for a path email without
"@", 404 {"error": "Account <email> not found", "code": 404}.

What differs:
- The record is the list page's: email, tier, googleTier, googleTierCode, maxJobs, added,
  cookie names, cookiesExpireAt, addedVia, limits {notebooks, sourcesPerNotebook}, health,
  runningJobs, lastKnownQuota {windows: [{window, resetsAt, usedPercent, remainingPercent}]}
  ("5h" and "weekly" by default; `windows=[(name, remaining %, resets_at), ...]` sets them).
- The free Google plan works: no account is refused for its plan.
- GET one (page not stored: OPEN) answers the record plus `signedIn`; a signed-out account answers
  596 {"error": "Account <email> needs to be reconnected: <setup url>", "code": 596} (the
  notebooklm skill: "the Google account needs to be reconnected"); `sign_out(final=False)` answers
  596 "...being re-checked...".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from .googleflow import iso_ms
from .googlevids import COOKIE_NAMES, GoogleAccount, GoogleVidsDouble

UTC = dt.UTC


class GeminiNotebookDouble(GoogleVidsDouble):
    name = "gemini_notebook"
    prefix = "/v1/gemini-notebook/"
    SETUP_URL = "https://useapi.net/docs/start-here/setup-gemini-notebook"

    def teach(self, cookie_value: str, email: str, **fields: Any) -> GoogleAccount:
        fields.setdefault("cookies_expire", self.now() + dt.timedelta(days=400))
        fields.setdefault("windows", self.default_windows())
        return super().teach(cookie_value, email, **fields)

    def set_account(self, email: str, **fields: Any) -> GoogleAccount:
        fields.setdefault("cookies_expire", self.now() + dt.timedelta(days=400))
        fields.setdefault("windows", self.default_windows())
        return super().set_account(email, **fields)

    def default_windows(self) -> list[tuple[str, float, dt.datetime]]:
        now = self.now().replace(microsecond=0)
        return [("5h", 36.89, now + dt.timedelta(hours=3)), ("weekly", 80.0, now + dt.timedelta(days=4))]

    def sign_out(self, email: str, *, final: bool = True) -> None:
        super().sign_out(email, final=final)
        if final:
            self.accounts[email].health = "Signed out"  # the list's only sign of it (health)

    def refuse(self, template: GoogleAccount) -> web.Response | None:
        return None  # "works on the free Google plan"

    def record(self, acc: GoogleAccount) -> dict[str, Any]:
        data: dict[str, Any] = {
            "email": acc.email,
            "tier": "pro",
            "googleTier": "TIER_PRO",
            "googleTierCode": 2,
            "maxJobs": acc.max_jobs,
            "added": iso_ms(acc.added),
        }
        if acc.updated is not None:
            data["updated"] = iso_ms(acc.updated)
        data.update(
            cookies=[*COOKIE_NAMES[:5], "LSID", "OSID", "__Secure-OSID"],
            cookiesExpireAt=iso_ms(acc.cookies_expire),
            addedVia="setup-browser",
            limits={"notebooks": 500, "sourcesPerNotebook": 300},
            health=acc.health,
            runningJobs=0,
            lastKnownQuota={
                "windows": [
                    {
                        "window": name,
                        "resetsAt": iso_ms(resets),
                        "usedPercent": round(100 - remaining, 2),
                        "remainingPercent": remaining,
                    }
                    for name, remaining, resets in acc.windows
                ]
            },
        )
        if acc.error is not None:
            data["error"] = acc.error
        return data

    def live(self, acc: GoogleAccount) -> dict[str, Any]:
        data = self.record(acc)
        data["signedIn"] = acc.signed_in
        return data

    def signed_out_answer(self, acc: GoogleAccount) -> web.Response:
        if acc.paused:
            text = f"Account {acc.email} needs to be reconnected: {self.SETUP_URL}"
        else:
            text = "Google reported the account as signed out; it is being re-checked. Retry in a minute"
        return self.json({"error": text, "code": 596}, 596)
