"""When a person must act now, whatever the deadline says: one reason, composed from every signal.

useapi.net says "an account needs you" in several ways: an `error` on the account (every service),
a call about the account answered 596 (its session is broken on useapi.net: register it again) or
412 (out of credits upstream), Google Flow's `health` other than "OK", Luma's live `sessionValid`
turning false, and a short-lived
token that useapi.net refreshes by itself (Google Flow's session, Flow Music's access token, an LTX
token seen renewing itself) passing without being refreshed. The store keeps each part and the one
reason they make (`accounts.last_error`), so the scheduler warns about each distinct reason once,
with the Renew button, and a reason that clears re-arms.

A short-lived token that useapi.net refreshes is never a deadline: warning on it every day trains a
team to mute the channel. Only its passing unrefreshed is a signal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.useapi.errors import OUT_OF_CREDITS_REASON, SESSION_BROKEN_REASON, Failure

# A self-renewing token still shown expired this long after its expiry was not refreshed: useapi.net
# refreshes ahead of expiry (Google Flow's nextRefresh is an hour before), so this is generous.
UNREFRESHED_GRACE = timedelta(minutes=15)
HEALTHY = "ok"
# What a refused call about the account (`AccountInfo.call_refusal`, a `Failure` value) means.
CALL_REFUSALS = {
    Failure.SESSION_BROKEN.value: SESSION_BROKEN_REASON,
    Failure.OUT_OF_CREDITS.value: OUT_OF_CREDITS_REASON,
}


def needs_person(
    *,
    error: str | None,
    health: str | None = None,
    session_valid: bool | None = None,
    self_renewing_expires_at: datetime | None = None,
    seen_at: datetime | None = None,
    noun: str = "session",
    expires_at: datetime | None = None,
    call_refusal: str | None = None,
) -> str | None:
    """The reason a person must act now, or None. The first signal present wins, most specific
    first: useapi.net's own error text says the most, then a call it refused about the account
    (596, 412). A session found invalid after its deadline passed is no news: the "expired"
    warning says it already."""
    if error and error.strip():
        return error.strip()
    if call_refusal is not None:
        return CALL_REFUSALS.get(
            call_refusal, f"useapi.net refused a call about the account ({call_refusal})"
        )
    if health is not None and health.strip() and health.strip().lower() != HEALTHY:
        return f"health: {health.strip()}"
    revoked_early = expires_at is None or seen_at is None or seen_at < expires_at
    if session_valid is False and revoked_early:
        return "the session is no longer valid (useapi.net's live check); renew it"
    if (
        self_renewing_expires_at is not None
        and seen_at is not None
        # seen_at is a real time; the stored expiry may be anything (9999-12-31 + grace overflows).
        and seen_at - UNREFRESHED_GRACE > self_renewing_expires_at
    ):
        return (
            f"the {noun} expired at {self_renewing_expires_at:%Y-%m-%d %H:%M} UTC and useapi.net "
            "has not refreshed it"
        )
    return None
