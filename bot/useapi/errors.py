"""Every way a useapi.net call can fail, as one typed error with a sentence for people."""

from __future__ import annotations

import enum


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
    ) -> None:
        self.failure = failure
        self.outcome_unknown = outcome_unknown
        self.credential_noun = credential_noun
        self.service_label = service_label
        self.status = status
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(self.user_message())

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
                wait = f"in {max(1, round(self.retry_after))} s" if self.retry_after else "in a minute"
                return f"useapi.net is rate limiting the bot (429). Try again {wait}."
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
