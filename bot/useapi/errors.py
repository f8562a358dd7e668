"""Every way a useapi.net call can fail, as one typed error with a sentence for people.

The statuses that mean a person must act now on one account (issue 21): 596, useapi.net's own
"the linked account's session is broken" (`SESSION_BROKEN`, when it is final: see
`UseapiService.session_broken_unless_said`), and 412, "the upstream account is out of credits"
(`OUT_OF_CREDITS`). A 429 that names when to come back (`Retry-After`, or `retryAt` in the body)
says that time (`retry_at`), and the scheduler waits until then.
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime, timedelta


class Failure(enum.Enum):
    BAD_REQUEST = "bad_request"  # 400: upstream rejected what was sent
    UNAUTHORIZED = "unauthorized"  # 401: the bot's USEAPI_TOKEN is wrong
    PAYMENT_REQUIRED = "payment_required"  # 402: the useapi.net subscription lapsed
    UNAVAILABLE = "unavailable"  # 404/410 on a route: the service is retired or unknown
    RATE_LIMITED = "rate_limited"  # 429 (and 503 with Retry-After)
    UPSTREAM_ERROR = "upstream_error"  # 5xx
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    BAD_RESPONSE = "bad_response"  # not JSON, wrong types, too large
    UNEXPECTED_STATUS = "unexpected_status"
    SESSION_BROKEN = "session_broken"  # 596, final: the linked account's session is broken
    OUT_OF_CREDITS = "out_of_credits"  # 412: the upstream account has no credits left


# The sentences an act-now answer becomes on the account (bot.signals words the reason with them).
SESSION_BROKEN_REASON = "the account's session is broken on useapi.net: register it again"
OUT_OF_CREDITS_REASON = "the account is out of credits upstream"
# A wait shorter than this is said in seconds ("in 17 s"); a longer one as the time to come back.
_SAY_SECONDS_UNTIL = timedelta(minutes=2)


# useapi.net's non-standard 596: the linked account's session is broken (final: "Re-add it",
# "reconnect"), or Google signed it out and useapi.net is re-checking it (transient: retry in a
# minute). Only a 596 speaks of the linked account's session.
SESSION_ERROR = 596
_FINAL_596 = re.compile(r"re-?add|reconnect|re-?connect|re-?register", re.IGNORECASE)
_RECHECKING_596 = re.compile(r"re-?check|being checked|checking again", re.IGNORECASE)


def session_broken(status: int | None, detail: str | None, *, unless_said: bool) -> bool:
    """Whether an answer means the linked account's session is broken for good (a person must
    register it again): a 596 whose text says to re-add or reconnect it, not one that says the
    account is being re-checked, and `unless_said` (the service's reading of a bare 596) when
    its text says neither."""
    if status != SESSION_ERROR:
        return False
    said = detail or ""
    if _FINAL_596.search(said):
        return True
    if _RECHECKING_596.search(said):
        return False
    return unless_said


def retry_time_text(retry_at: datetime, now: datetime | None = None) -> str:
    """When to try again, for people and the log: "at 14:05 UTC (in 12 min)" today, "on
    2026-12-01 at 08:00 UTC" further away."""
    now = now or datetime.now(UTC)
    moment = retry_at.astimezone(UTC)
    wait = moment - now
    if wait <= timedelta(0):
        return "now"
    if wait < timedelta(hours=20):
        minutes = max(1, round(wait.total_seconds() / 60))
        return f"at {moment:%H:%M} UTC (in {minutes} min)"
    return f"on {moment:%Y-%m-%d} at {moment:%H:%M} UTC"


class UseapiError(Exception):
    """A failed useapi.net call.

    `detail` is upstream's own `error` text (already scrubbed of the credential
    that was sent); `str(error)` is safe to log and show.

    `outcome_unknown`: the request reached useapi.net but its answer could not be read (a 2xx
    body that is not JSON, too deep, too large or not the documented shape; no answer in time
    after the request was sent; the connection dropped before the answer). A write may then
    have been made: a registration says the account may have been added.
    """

    def __init__(
        self,
        failure: Failure,
        *,
        service_label: str,
        status: int | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
        credential_noun: str = "cookie",
        outcome_unknown: bool = False,
        retry_at: datetime | None = None,
        registering: bool = False,
    ) -> None:
        self.failure = failure
        self.outcome_unknown = outcome_unknown
        self.credential_noun = credential_noun
        self.service_label = service_label
        self.status = status
        self.detail = detail
        self.retry_after = retry_after
        # When useapi.net says to come back (a 429's `retryAt`, or now + Retry-After).
        self.retry_at = retry_at
        # Raised by a registration: a 596 then speaks of the credential that was just pasted.
        self.registering = registering
        super().__init__(self.user_message())

    def again(self, failure: Failure | None = None, *, registering: bool | None = None) -> UseapiError:
        """The same answer as a plain UseapiError (every attribute kept), with another failure
        kind or registration context: for services that reclassify or reword an answer."""
        return UseapiError(
            failure or self.failure,
            service_label=self.service_label,
            status=self.status,
            detail=self.detail,
            retry_after=self.retry_after,
            credential_noun=self.credential_noun,
            outcome_unknown=self.outcome_unknown,
            retry_at=self.retry_at,
            registering=self.registering if registering is None else registering,
        )

    def _wait_text(self) -> str:
        if self.retry_at is not None and (
            self.retry_after is None or self.retry_after >= _SAY_SECONDS_UNTIL.total_seconds()
        ):
            return retry_time_text(self.retry_at)
        return f"in {max(1, round(self.retry_after))} s" if self.retry_after else "in a minute"

    def user_message(self) -> str:
        label = self.service_label
        said = f' useapi.net said: "{self.detail}"' if self.detail else ""
        match self.failure:
            case Failure.BAD_REQUEST if self.credential_noun == "cookie":
                return (
                    f"useapi.net did not accept that {label} cookie.{said} Copy a fresh cookie and try again."
                )
            case Failure.BAD_REQUEST:
                noun = self.credential_noun
                return f"useapi.net did not accept the {label} {noun}.{said} Check the {noun} and try again."
            case Failure.UNAUTHORIZED:
                return (
                    "useapi.net refused the bot's own API token (401). This is not your cookie: "
                    "ask the bot's operator to check USEAPI_TOKEN."
                )
            case Failure.PAYMENT_REQUIRED:
                return (
                    "The team's useapi.net subscription has expired or has no credits (402). "
                    f"Ask the bot's operator to renew it; nothing was changed.{said}"
                )
            case Failure.UNAVAILABLE:
                return f"{label} is not available on useapi.net right now (HTTP {self.status}). Nothing was changed."
            case Failure.RATE_LIMITED:
                busy = ", or the account is busy or out of usage" if self.status in (429, None) else ""
                return (
                    f"useapi.net is rate limiting the bot{busy} (HTTP {self.status or 429}).{said} "
                    f"Try again {self._wait_text()}."
                )
            case Failure.SESSION_BROKEN if self.registering:
                noun = self.credential_noun
                return (
                    f"useapi.net says the {label} session behind that {noun} is broken (HTTP 596).{said} "
                    f"Sign in to {label} again, then register with the fresh {noun}. Nothing was changed."
                )
            case Failure.SESSION_BROKEN:
                return f"The {label} {SESSION_BROKEN_REASON} (HTTP 596).{said}"
            case Failure.OUT_OF_CREDITS:
                return (
                    f"The {label} account is out of credits upstream (HTTP 412).{said} Top it up on "
                    f"{label}, or use another account."
                )
            case Failure.UPSTREAM_ERROR:
                return f"useapi.net had an error (HTTP {self.status}).{said} Try again in a few minutes."
            case Failure.TIMEOUT:
                return (
                    "useapi.net did not answer in time. It may be slow or down; try again in a few minutes."
                )
            case Failure.CONNECTION:
                return "The bot could not reach useapi.net. It may be down; try again in a few minutes."
            case Failure.BAD_RESPONSE:
                return (
                    "useapi.net sent an answer the bot could not read. Try again in a few minutes; "
                    "if it keeps happening, tell the bot's operator."
                )
            case _:
                return f"useapi.net answered with unexpected HTTP {self.status}.{said} Try again later."
