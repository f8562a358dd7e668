"""When useapi.net refuses a registration, whose fault it is: the member's credential or the
bot's own token (Runway, PixVerse, MiniMax).

useapi.net answers 401 both for the bot's USEAPI_TOKEN and, on some services, for the login a
member typed: Runway's POST page lists three 401 texts, "Unauthorized" (the token),
"Wrong username/password combination." and "This account has been suspended." (the account).
The shared sentence for 401 tells a member to ask the operator about USEAPI_TOKEN, which is
wrong for the other two. How they are told apart, by the error text only:
- no text, or "Unauthorized" alone (also "useapi.net ⁝ Unauthorized", the 2026 pages' form): the
  bot's token, as every GET page documents it: the shared sentence stands;
- a text about the account (suspended, password, username, banned, blocked, locked, disabled,
  credentials, login): the member's account or credential;
- any other 401 text: said as it is, naming both possibilities.
A 400 is always about what was sent.

(A registration useapi.net accepts may still carry an `error` that echoes what was sent: the
base `register()` scrubs it, for every service.)
"""

from __future__ import annotations

import re

from bot.useapi.errors import Failure, UseapiError
from bot.useapi.outcomes import is_bot_token_refusal

__all__ = ["CredentialRefused", "is_about_the_account", "is_bot_token_refusal", "reword"]

_ACCOUNT_TEXT = re.compile(
    r"suspend|password|user ?name|banned|blocked|locked|disabled|deactivated|credential|log ?in|sign ?in",
    re.IGNORECASE,
)
_SUSPENDED = re.compile(r"suspend|banned|blocked|disabled|deactivated", re.IGNORECASE)
_LOGIN = re.compile(r"password|user ?name|credential|log ?in|sign ?in", re.IGNORECASE)


def is_about_the_account(detail: str | None) -> bool:
    """A 401 text that is about the service account (suspended, password refused)."""
    return bool(detail) and not is_bot_token_refusal(detail) and bool(_ACCOUNT_TEXT.search(detail or ""))


class CredentialRefused(UseapiError):
    """useapi.net refused what the member typed (400, or a 401 that is not about the bot's token),
    worded for that credential rather than for a cookie or for USEAPI_TOKEN.

    `what` names the credential ("login", "URL and token"), `check` what to check, `site` where
    the account lives, `hint` a sentence added when the sign-in itself was refused."""

    def __init__(self, exc: UseapiError, *, what: str, check: str, site: str, hint: str = "") -> None:
        self.what, self.check, self.site, self.hint = what, check, site, hint
        super().__init__(
            Failure.BAD_REQUEST,
            service_label=exc.service_label,
            status=exc.status,
            detail=exc.detail,
            retry_after=exc.retry_after,
            credential_noun=what,
        )

    def user_message(self) -> str:
        label, detail = self.service_label, self.detail or ""
        said = f' useapi.net said: "{detail}"' if detail else ""
        hint = f" {self.hint}" if self.hint else ""
        if _SUSPENDED.search(detail):
            return (
                f"{label} has suspended or blocked this account (HTTP {self.status}).{said} "
                f"Sign in on {self.site} to see why, or register another account; nothing was changed."
            )
        if _LOGIN.search(detail):
            return (
                f"useapi.net could not sign in to {label} with that {self.what} (HTTP {self.status}).{said} "
                f"Check the {self.check}, and try again.{hint}"
            )
        if self.status == 401:
            return (
                f"useapi.net refused this {label} registration (HTTP 401).{said} Check the {self.check} "
                "and try again; if they are right, ask the bot's operator to check USEAPI_TOKEN."
            )
        return f"useapi.net did not accept that {label} {self.what}.{said} Check the {self.check}, and try again."


def reword(exc: UseapiError, *, what: str, check: str, site: str, hint: str = "") -> UseapiError:
    """`exc` as the member should read it: a 400, or a 401 whose text is not the bot-token one,
    becomes CredentialRefused; everything else (the bot's token, 402, 404, 5xx…) is unchanged."""
    if isinstance(exc, CredentialRefused):
        return exc
    if exc.failure is Failure.BAD_REQUEST or (
        exc.failure is Failure.UNAUTHORIZED and not is_bot_token_refusal(exc.detail)
    ):
        return CredentialRefused(exc, what=what, check=check, site=site, hint=hint)
    return exc
