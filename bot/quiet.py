"""Quiet hours (`/alerts quiet <from> <to> <timezone>`): the team's night, when stage warnings
wait and nothing pings but an expiry or a warning that needs a person now.

Quiet hours are wall-clock times in an IANA time zone (`Europe/Berlin`), every day: from
`start` to `end`, across midnight when `start` is later than `end` (22:00 to 07:00). `start`
equal to `end` is no quiet hours at all (the command refuses it: `off` says that).

Daylight saving time is zoneinfo's: each day's quiet stretch begins at the first instant the
clocks there show `start` or later, and ends at the first instant they show `end` or later. On
the day the clocks jump forward past `start` (or `end`), that is the moment of the jump; on the
day they fall back, the first of the two moments showing it. A stretch is thus at most a day
plus the change long, and one that shrinks to nothing (both times inside the skipped hour) is
no stretch that day. Stretches that touch are one.

The rules (pure functions of the setting, the warning and now):
- `should_hold`: inside quiet hours a stage warning waits for their end, unless its deadline
  falls before that end (then it is posted at once); a reason, a disappearance and "expired"
  are never held;
- `may_ping`: inside quiet hours only "expired" and the act-now warnings ping;
- reminders and escalations wait for the end (bot/watch.py asks `is_quiet`).
A held warning is not recorded anywhere: every pass plans again from the database, so a
restart inside quiet hours loses nothing, and the scheduler wakes at `end_of_quiet`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import settings
from bot.expiry import EXPIRED, Alert, Kind

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

_CLOCK = re.compile(r"(\d{1,2})(?::(\d{2}))?")


class QuietError(ValueError):
    """A quiet-hours setting that can't be used; the message is a sentence for people."""


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo

    @property
    def zone_name(self) -> str:
        return self.zone.key

    def text(self) -> str:
        """As stored and shown: `22:00-07:00 Europe/Berlin`."""
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.zone_name}"

    # -- the stretches ------------------------------------------------------------------------

    def _stretch(self, day: date) -> tuple[datetime, datetime] | None:
        """The quiet stretch that begins on local `day`, in UTC, or None (none that day)."""
        if self.start == self.end:
            return None
        begins = first_instant_at(day, self.start, self.zone)
        end_day = day if self.start < self.end else day + timedelta(days=1)
        ends = first_instant_at(end_day, self.end, self.zone)
        return (begins, ends) if begins < ends else None

    def stretch_at(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The quiet stretch `now` is in (touching stretches joined), or None."""
        local_day = now.astimezone(self.zone).date()
        stretches = [s for d in range(-2, 3) if (s := self._stretch(local_day + timedelta(days=d)))]
        for begins, ends in stretches:
            if begins <= now < ends:
                for later_begins, later_ends in stretches:  # a stretch that starts as this one ends
                    if later_begins == ends:
                        ends = later_ends
                return begins, ends
        return None

    def is_quiet(self, now: datetime) -> bool:
        return self.stretch_at(now) is not None

    def end_of_quiet(self, now: datetime) -> datetime | None:
        """When the quiet hours `now` is in end (UTC); None when `now` is not in quiet hours."""
        stretch = self.stretch_at(now)
        return stretch[1] if stretch else None

    def next_start(self, now: datetime) -> datetime | None:
        """When the next quiet hours begin after `now` (UTC), for people; None: never."""
        local_day = now.astimezone(self.zone).date()
        for d in range(-1, 4):
            stretch = self._stretch(local_day + timedelta(days=d))
            if stretch and stretch[0] > now:
                return stretch[0]
        return None


def first_instant_at(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the clocks in `zone` show `wall` or later on `day`.

    An ordinary time is itself; of a time shown twice (the clocks fell back) the first; a time
    the clocks skipped (they jumped forward over it) is the moment of the jump."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall(first, zone) == naive:
        return first  # shown: fold=0 is its first showing
    # Skipped. fold=1 reads it with the offset after the jump (an instant before the jump, the
    # clocks still short of it), fold=0 with the one before (an instant after the jump, past
    # it): find the jump between them, to the second (offsets are whole seconds).
    low = int(naive.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    high = int(first.timestamp())
    low, high = min(low, high), max(low, high)
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(datetime.fromtimestamp(middle, UTC), zone) >= naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """What the clocks in `zone` show at `moment` (naive)."""
    return moment.astimezone(zone).replace(tzinfo=None)


# -- the rules ----------------------------------------------------------------------------------


def _needs_a_person_now(alert: Alert) -> bool:
    """Expired, a reason, a disappearance: said (and pinged) whatever the hour."""
    return alert.kind is not Kind.STAGE or alert.key.stage == EXPIRED


def should_hold(alert: Alert, quiet: QuietHours | None, now: datetime) -> bool:
    """Whether `alert` waits for the end of quiet hours instead of being posted now."""
    if quiet is None or _needs_a_person_now(alert):
        return False
    ends = quiet.end_of_quiet(now)
    if ends is None:
        return False
    deadline = alert.account.expires_at
    return deadline is not None and deadline > ends


def may_ping(alert: Alert | None, quiet: QuietHours | None, now: datetime) -> bool:
    """Whether a post about `alert` (None: any other post, a notice) may ping anyone now."""
    if quiet is None or not quiet.is_quiet(now):
        return True
    return alert is not None and _needs_a_person_now(alert)


# -- reading and writing the setting -------------------------------------------------------------


def parse_clock(raw: str) -> time:
    """`22:00`, `7:30`, `7` → a wall-clock time. Raises QuietError with a sentence."""
    match = _CLOCK.fullmatch(raw.strip())
    if not match:
        raise QuietError(
            f"{raw.strip()[:20]!r} is not a time of day: write it as 22:00 or 7:30 (24-hour clock)"
        )
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour == 24 and minute == 0:
        hour = 0
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise QuietError(f"{raw.strip()[:20]!r} is not a time of day: hours go 0-23, minutes 0-59")
    return time(hour, minute)


def parse_zone(raw: str) -> ZoneInfo:
    """An IANA time zone name (`Europe/Berlin`, `UTC`). Raises QuietError with a sentence."""
    name = raw.strip()
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name or "\\" in name:
        raise QuietError(
            f"{name[:40]!r} is not a time zone name: use one like Europe/Berlin or America/New_York"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise QuietError(
            f"{name[:40]!r} is not a time zone this bot knows: use an IANA name like Europe/Berlin, "
            "America/New_York or UTC (the list offers them as you type)"
        ) from None


def parse(raw: str) -> QuietHours:
    """The stored form, `22:00-07:00 Europe/Berlin`. Raises QuietError."""
    times, _, zone = raw.strip().partition(" ")
    start, _, end = times.partition("-")
    quiet = QuietHours(parse_clock(start), parse_clock(end), parse_zone(zone))
    if quiet.start == quiet.end:
        raise QuietError("quiet hours that start when they end are no quiet hours")
    return quiet


async def load(store: Store) -> QuietHours | None:
    """The team's quiet hours, or None (none set, or unreadable: said in the log)."""
    raw = await settings.QUIET_HOURS.get(store)
    if not raw:
        return None
    try:
        return parse(raw)
    except QuietError as exc:
        log.warning("stored quiet hours %r can't be used (%s); warning as if there were none", raw, exc)
        return None
