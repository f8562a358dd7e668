"""Per-member cooldown on registrations, so one person can't hammer useapi.net."""

from __future__ import annotations

from datetime import datetime, timedelta


class Cooldown:
    def __init__(self, period: timedelta) -> None:
        self.period = period
        self._last: dict[int, datetime] = {}

    def retry_after(self, user_id: int, now: datetime) -> timedelta | None:
        """How long this member must still wait, or None when they may go now."""
        last = self._last.get(user_id)
        if last is None or now - last >= self.period:
            return None
        return self.period - (now - last)

    def hit(self, user_id: int, now: datetime) -> None:
        self._last[user_id] = now
        # Forget old entries so the map stays as small as the set of recent users.
        if len(self._last) > 1000:
            self._last = {k: v for k, v in self._last.items() if now - v < self.period}
