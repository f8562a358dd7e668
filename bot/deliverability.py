"""Whether a warning can be posted now, decided before anything is read for it.

The scheduler (bot/watch.py) asks `Deliverability.can_deliver()` before each delivery step.
While the answer is a reason, it reads nothing from useapi.net for a warning (no re-read of the
account list, no live details read before a stage warning) and posts nothing; the regular syncs
(SYNC_INTERVAL) and the regular details reads go on. The reason is logged once (and again when
it changes), shown by `/alerts status`, and kept in the database for `python -m bot check`.

The reasons:
- no alert channel is set (no ALERT_CHANNEL_ID and no `/alerts channel`): read from the settings
  at every question, so a channel set with `/alerts channel` is used at the next pass;
- the channel was deleted (404) or the bot lacks a permission there (403), as the last attempt
  to post there learned (cogs/_alert_channel.py calls `learn()`): Discord is not probed;
- Discord could not be reached at the last attempt.

A learned problem is forgotten, and posting is tried at the next pass, when
- `/alerts channel` is used (another channel, or the same one once its permissions are fixed);
- anything is posted to that channel (`/alerts test`, a renewal notice): `delivered()`;
- Discord's gateway connects again, for "unreachable" (the alerts cog calls `retry()`);
- RETRY_REFUSED (1 h) after a 403 or 404, RETRY_UNREACHABLE (15 min) after Discord was out of
  reach, for a fix the bot cannot see. Such a retry costs what a first attempt costs: one re-read
  of the service's account list before a stage warning (it then counts as the service's regular
  sync: the next one is SYNC_INTERVAL later) and the live details read of the due accounts.

Per service: `can_deliver(service)` takes the service, and `channel_of(service)` says where its
warnings go, so per-service channels can answer per service; today every service posts to the
one alert channel. Problems are learned per channel id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot import settings
from bot.clock import Clock, from_epoch, to_epoch
from bot.delivery import NO_CHANNEL, DeliveryError, Problem
from bot.store import StoreError

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

RETRY_REFUSED = timedelta(hours=1)  # after a 403 or a 404
RETRY_UNREACHABLE = timedelta(minutes=15)  # after Discord could not be reached
LEARNED = (Problem.FORBIDDEN, Problem.CHANNEL_GONE, Problem.UNREACHABLE)


@dataclass(frozen=True)
class Blocked:
    """Why no warning can be posted: what, where, since when, and when it is tried again by
    itself (None: not before the configuration changes)."""

    problem: Problem
    reason: str  # a sentence for people and the log (DeliveryError's)
    channel_id: int | None
    since: datetime
    retry_at: datetime | None = None

    @property
    def sooner(self) -> str:
        """What makes the bot try again before `retry_at`."""
        if self.problem is Problem.UNREACHABLE:
            return "when Discord's gateway connects again"
        return "after /alerts channel or a successful /alerts test"

    def to_json(self) -> str:
        return json.dumps(
            {
                "problem": self.problem.value,
                "reason": self.reason,
                "channel_id": self.channel_id,
                "since": to_epoch(self.since),
                "retry_at": to_epoch(self.retry_at),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str | None) -> Blocked | None:
        """Tolerant: anything unreadable is no stored problem."""
        if not raw:
            return None
        try:
            data = json.loads(raw)
            since = from_epoch(int(data["since"]))
            if since is None:
                return None
            channel_id = data.get("channel_id")
            retry_at = data.get("retry_at")
            return cls(
                problem=Problem(data["problem"]),
                reason=str(data["reason"])[:300],
                channel_id=int(channel_id) if channel_id is not None else None,
                since=since,
                retry_at=from_epoch(int(retry_at)) if retry_at is not None else None,
            )
        except (ValueError, TypeError, KeyError):
            return None


async def stored_problem(store: Store) -> Blocked | None:
    """What the running bot last learned about posting (for `check`, which has no Discord)."""
    return Blocked.from_json(await settings.DELIVERY_PROBLEM.get(store))


class Deliverability:
    """The one answer to "can a warning be posted now?", for the scheduler and `/alerts status`."""

    def __init__(
        self, store: Store, clock: Clock, channel_of: Callable[[str | None], Awaitable[int | None]]
    ) -> None:
        self._store = store
        self._clock = clock
        self._channel_of = channel_of
        self._unreachable: Blocked | None = None
        self._refused: dict[int, Blocked] = {}  # by channel id: 403 or 404
        self._unconfigured_since: datetime | None = None
        # The problem last logged, per channel (None: no channel, or Discord out of reach): a
        # service's own channel and the team's are asked in the same pass (bot/routing.py).
        self._said: dict[int | None, Problem] = {}
        self._say_again = False
        self._stored: Blocked | None = None
        self._stored_known = False  # a previous run may have left one

    async def can_deliver(self, service: str | None = None) -> str | None:
        """Why no warning (of `service`) can be posted now, or None: see the module docstring."""
        blocked = await self.blocked(service)
        return None if blocked is None else blocked.reason

    async def blocked(self, service: str | None = None) -> Blocked | None:
        now = self._clock.now()
        channel_id = await self._channel_of(service)
        found: Blocked | None = None
        if channel_id is None:
            self._unconfigured_since = self._unconfigured_since or now
            found = Blocked(Problem.UNCONFIGURED, NO_CHANNEL, None, self._unconfigured_since)
        else:
            if service is None:  # the team's channel is set (a service's own says nothing of it)
                self._unconfigured_since = None
            for learned in (self._unreachable, self._refused.get(channel_id)):
                if learned is not None and (learned.retry_at is None or now < learned.retry_at):
                    found = learned
                    break
        self._say(found)
        return found

    async def learn(self, channel_id: int | None, error: DeliveryError) -> None:
        """A post (or edit) in `channel_id` failed with `error`: remember a channel-wide problem."""
        if error.problem not in LEARNED:
            return
        now = self._clock.now()
        if error.problem is Problem.UNREACHABLE:
            self._unreachable = learned = self._renewed(self._unreachable, error, channel_id, now)
        elif channel_id is not None:
            previous = self._refused.get(channel_id)
            self._refused[channel_id] = learned = self._renewed(previous, error, channel_id, now)
        else:
            return
        self._say(learned)
        await self._save(learned)

    async def delivered(self, channel_id: int) -> None:
        """Something was posted to `channel_id`: whatever was learned about it no longer holds."""
        cleared = self._refused.pop(channel_id, None) is not None or self._unreachable is not None
        self._unreachable = None
        # This channel's problem, and one said without a channel (unset, Discord out of reach):
        # a post that worked answers both.
        said = self._said.pop(channel_id, None) is not None
        said = self._said.pop(None, None) is not None or said
        if cleared or said:
            log.info(
                "posting to channel %s works again; warnings are posted there as they fall due", channel_id
            )
        self._say_again = False
        await self._save(self._latest())

    async def retry(self, problem: Problem | None = None) -> bool:
        """Forget what was learned (only `problem`, when given): the next pass tries again.
        True when something was forgotten."""
        before = (self._unreachable, len(self._refused))
        if problem in (None, Problem.UNREACHABLE):
            self._unreachable = None
        self._refused = {
            channel: blocked
            for channel, blocked in self._refused.items()
            if problem is not None and blocked.problem is not problem
        }
        if any(problem in (None, said) for said in self._said.values()):
            self._say_again = True  # the same failure after a retry is news: say it again
        await self._save(self._latest())
        return (self._unreachable, len(self._refused)) != before

    # -- internals ------------------------------------------------------------------------------

    @staticmethod
    def _renewed(
        previous: Blocked | None, error: DeliveryError, channel_id: int | None, now: datetime
    ) -> Blocked:
        wait = RETRY_UNREACHABLE if error.problem is Problem.UNREACHABLE else RETRY_REFUSED
        fresh = Blocked(error.problem, str(error)[:300], channel_id, now, now + wait)
        if previous is not None and previous.problem is fresh.problem and previous.channel_id == channel_id:
            return replace(fresh, since=previous.since)  # the same problem still: since it began
        return fresh

    def _latest(self) -> Blocked | None:
        learned = [b for b in (self._unreachable, *self._refused.values()) if b is not None]
        return max(learned, key=lambda b: b.retry_at or b.since) if learned else None

    def _say(self, blocked: Blocked | None) -> None:
        """Log a problem once, and again only when it changes."""
        if blocked is None:
            return
        if self._said.get(blocked.channel_id) is blocked.problem and not self._say_again:
            return
        self._said[blocked.channel_id] = blocked.problem
        self._say_again = False
        retry = (
            f"; posting is tried again at {blocked.retry_at:%Y-%m-%d %H:%M} UTC, or at once {blocked.sooner}"
            if blocked.retry_at is not None
            else ""
        )
        log.warning(
            "no warning can be posted: %s. Until that changes the bot reads nothing from useapi.net "
            "for a warning (the regular syncs go on)%s",
            blocked.reason,
            retry,
        )

    async def _save(self, blocked: Blocked | None) -> None:
        """Keep the latest learned problem in the database, for `check`; written on change only."""
        if self._stored_known and blocked == self._stored:
            return
        try:
            await settings.DELIVERY_PROBLEM.set(self._store, blocked.to_json() if blocked else None)
        except StoreError as exc:  # read-only or full: the bot still knows; only `check` won't
            log.warning("could not record the alert channel's state for `check`: %s", exc)
            return
        self._stored, self._stored_known = blocked, True
