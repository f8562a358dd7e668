"""A per-member flood throttle on registrations: a token bucket (`REGISTER_RATE`).

A member may send `burst` registrations to useapi.net back to back (a retry after a failure,
three Luma accounts and an LTX one); after that the bucket refills evenly, one registration every
`period / burst`, so a script pasting in a loop reaches useapi.net at most `burst` times per
`period`. Only submits that are about to call useapi.net take a token: a form refused locally
costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.durations import DurationError, format_duration, parse_duration

# Buckets kept before the full ones are forgotten: about the number of recent registrants.
MAX_TRACKED_MEMBERS = 1000
MAX_BURST = 1000


@dataclass(frozen=True)
class RegisterRate:
    burst: int
    period: timedelta

    def __str__(self) -> str:
        return f"{self.burst}/{format_duration(self.period)}"

    @property
    def interval(self) -> timedelta:
        """Time to earn back one registration (rounded down, so a whole period refills the burst)."""
        return self.period // self.burst


DEFAULT_RATE = RegisterRate(burst=5, period=timedelta(minutes=1))
OFF_WORDS = ("off", "0", "none")


class RateError(ValueError):
    """An invalid rate; the message says what was wrong and what is accepted."""


def parse_rate(raw: str) -> RegisterRate | None:
    """`5/1m` -> RegisterRate(5, 1 minute); `off` (or `0`) -> None, no throttle."""
    text = raw.strip().lower().replace(" ", "")
    if text in OFF_WORDS:
        return None
    shown = raw.strip()[:40]
    burst_text, slash, period_text = text.partition("/")
    if not slash or not burst_text.isdigit():
        raise RateError(
            f"{shown!r} is not a rate; use COUNT/DURATION, for example 5/1m "
            "(5 registrations per member in a row, refilled over a minute), or off"
        )
    burst = int(burst_text)
    if not 1 <= burst <= MAX_BURST:
        raise RateError(f"the count in {shown!r} must be between 1 and {MAX_BURST} (or use off)")
    try:
        period = parse_duration(period_text)
    except DurationError as exc:
        raise RateError(f"the duration in {shown!r}: {exc}") from None
    if period < timedelta(seconds=1):
        raise RateError(f"the duration in {shown!r} must be at least 1s")
    return RegisterRate(burst, period)


class RegisterThrottle:
    """Token buckets per member, kept exactly as one time each (GCRA); pure, callers pass `now`.

    A member's time is when their bucket will be full again: each registration pushes it one
    interval later, and a registration is allowed while it is at most `burst - 1` intervals ahead.
    """

    def __init__(self, rate: RegisterRate | None) -> None:
        self.rate = rate
        self._full_at: dict[int, datetime] = {}

    def take(self, user_id: int, now: datetime) -> timedelta | None:
        """Spend one registration: None when allowed, else how long until the next one is."""
        rate = self.rate
        if rate is None:
            return None
        full_at = max(self._full_at.get(user_id, now), now)
        # A clock set back must not lock anyone out for longer than an empty bucket would.
        full_at = min(full_at, now + rate.burst * rate.interval)
        wait = full_at - now - (rate.burst - 1) * rate.interval
        if wait > timedelta(0):
            self._full_at[user_id] = full_at  # keep the clamp, so a clock set back stays bounded
            return wait
        self._full_at[user_id] = full_at + rate.interval
        self._forget_idle(now)
        return None

    def _forget_idle(self, now: datetime) -> None:
        # A full bucket is the same as no bucket: dropping those keeps the map small.
        if len(self._full_at) > MAX_TRACKED_MEMBERS:
            self._full_at = {k: t for k, t in self._full_at.items() if t > now}
