"""The weekly digest (issue 23): when it is due, and what it says, from plain data (no Discord, no
I/O).

An admin sets a weekday, a time of day and an IANA time zone (`/alerts digest monday 09:00
Europe/Berlin`); the digest is due at that local time every week, whatever the zone's offset that
day (`zoneinfo`): 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer. A local time
that doesn't exist on the day (inside a spring-forward gap) is read with the offset before the
gap, so it falls just after it (02:30 becomes 03:30); one that happens twice (autumn) is the first.

Once a week, exactly: each week's digest has a key (the ISO week of its local date, e.g.
`2026-W48`), recorded once Discord accepted the post (or once there was nothing to say), and the
post carries a nonce derived from it, so a post whose record was lost (a crash in between) is
answered by Discord with the first message instead of a second. A digest the bot was down for is
sent when it comes back within `GRACE`; later, that week's is skipped. Setting the schedule never
sends a digest whose moment has already passed (`DigestSchedule.since`).

What it says (`build_digest`): what falls due in the next seven days (with owners), what was
renewed through the bot in the last seven and by whom (the audit trail's registrations), the open
warnings and who is on them, and the accounts nobody owns (`bot.owners.owner_of`). Nothing at all
is posted when all four are empty.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.clock import from_epoch, to_epoch
from bot.followup import PostedWarning
from bot.models import AuditEntry, TrackedAccount
from bot.owners import owner_of

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
GRACE = timedelta(days=1)  # a digest missed by a downtime is still sent this long after its moment
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UTC_NAMES = frozenset({"utc", "z", "zulu", "gmt", "etc/utc", "etc/gmt", "universal", "etc/universal"})
_SAID_UNREADABLE: set[str] = set()  # stored schedules already said to be unreadable
_TIME = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?", re.IGNORECASE)


class ScheduleError(ValueError):
    """A schedule that can't be used; the message is the sentence for the admin."""


def parse_weekday(text: str) -> int:
    """Monday is 0. Full English names and their first three letters, any case."""
    word = text.strip().lower()
    for number, name in enumerate(WEEKDAYS):
        if word == name or (len(word) >= 3 and name.startswith(word)):
            return number
    shown = text.strip()[:30]
    raise ScheduleError(f"{shown!r} is not a weekday: use Monday, Tuesday, … Sunday (or Mon, Tue, …).")


def parse_time_of_day(text: str) -> time:
    """`09:00`, `9:30`, `17.45`, `9am`, `5:30 pm`; a 24-hour clock unless am/pm is given."""
    match = _TIME.fullmatch(text.strip())
    if match is not None:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        half = (match.group(3) or "").lower()
        if half:
            if not 1 <= hour <= 12:
                match = None
            else:
                hour = hour % 12 + (12 if half == "pm" else 0)
        if match is not None and hour < 24 and minute < 60:
            return time(hour, minute)
    shown = text.strip()[:30]
    raise ScheduleError(
        f"{shown!r} is not a time of day: use HH:MM on a 24-hour clock, such as 09:00 or 17:30."
    )


@functools.cache
def known_zones() -> tuple[str, ...]:
    """Every IANA zone name this machine's time-zone database has, sorted (empty without one)."""
    return tuple(sorted(zoneinfo.available_timezones()))


def matching_zones(typed: str, limit: int = 25) -> list[str]:
    """The zone names holding what was typed (case and spaces aside: "new york" finds
    America/New_York), those starting with it first, UTC among them; `limit`, Discord's most.
    The time zone autocomplete of `/alerts digest` and `/alerts quiet`."""
    wanted = typed.strip().casefold().replace(" ", "_")
    names = ("UTC", *(name for name in known_zones() if name != "UTC"))
    found = [name for name in names if wanted in name.casefold()]
    found.sort(key=lambda name: not name.casefold().startswith(wanted))  # stable: UTC, then sorted
    return found[:limit]


def zone(name: str) -> tzinfo:
    """The time zone of a name `parse_zone` accepted (UTC without a time-zone database)."""
    if name == "UTC":
        return UTC
    return zoneinfo.ZoneInfo(name)


def parse_zone(text: str) -> str:
    """An IANA time-zone name as the database spells it (`europe/berlin` is `Europe/Berlin`);
    UTC and its aliases are `UTC`."""
    raw = text.strip()
    if raw.lower() in UTC_NAMES:
        return "UTC"
    by_lower = {name.lower(): name for name in known_zones()}
    name = by_lower.get(raw.lower())
    if name is not None:
        try:
            zoneinfo.ZoneInfo(name)
            return name
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    shown = raw[:40]
    if not known_zones():
        raise ScheduleError(
            f"{shown!r} can't be looked up: this machine has no time-zone database (install tzdata), "
            "so only UTC is available."
        )
    raise ScheduleError(
        f"{shown!r} is not a time zone I know: use an IANA name such as Europe/Berlin, "
        "America/New_York or Asia/Tokyo (the list offers them as you type), or UTC."
    )


@dataclass(frozen=True)
class DigestSchedule:
    """When the digest is due: every `weekday` (Monday 0) at `at`, local time in `zone` (an
    IANA name), for the weeks whose moment comes after `since` (when it was set)."""

    weekday: int
    at: time
    zone: str
    since: datetime

    def describe(self) -> str:
        return f"{WEEKDAYS[self.weekday].capitalize()}s at {self.at:%H:%M} ({self.zone})"

    def to_json(self) -> str:
        return json.dumps(
            {
                "weekday": self.weekday,
                "at": f"{self.at:%H:%M}",
                "zone": self.zone,
                "since": to_epoch(self.since),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str | None) -> DigestSchedule | None:
        """None for no schedule, and for a stored one that can't be read (logged)."""
        if not raw:
            return None
        try:
            data = json.loads(raw)
            weekday = int(data["weekday"])
            since = from_epoch(int(data["since"]))
            if not 0 <= weekday <= 6 or since is None:
                raise ValueError("out of range")
            return cls(weekday, parse_time_of_day(str(data["at"])), parse_zone(str(data["zone"])), since)
        except (ValueError, TypeError, KeyError, AttributeError):
            if raw not in _SAID_UNREADABLE:  # read at every pass: said once
                _SAID_UNREADABLE.add(raw)
                log.warning(
                    "the stored digest schedule is unreadable; no digest until /alerts digest sets one"
                )
            return None


def occurrence(schedule: DigestSchedule, local_day: date) -> datetime:
    """The digest's moment on `local_day` (which must be its weekday), in UTC."""
    return datetime.combine(local_day, schedule.at, tzinfo=zone(schedule.zone)).astimezone(UTC)


def _local_today(schedule: DigestSchedule, now: datetime) -> date:
    return now.astimezone(zone(schedule.zone)).date()


def next_digest_at(schedule: DigestSchedule, now: datetime) -> datetime:
    """The first moment after `now` the digest is due."""
    today = _local_today(schedule, now)
    day = today + timedelta(days=(schedule.weekday - today.weekday()) % 7) - WEEK
    moment = occurrence(schedule, day)
    while moment <= now:  # at most three steps: last week's, this week's, next week's
        day += WEEK
        moment = occurrence(schedule, day)
    return moment


def last_digest_at(schedule: DigestSchedule, now: datetime) -> datetime:
    """The latest moment at or before `now` the digest was due (whether or not it was sent)."""
    today = _local_today(schedule, now)
    day = today + timedelta(days=(schedule.weekday - today.weekday()) % 7) + WEEK
    moment = occurrence(schedule, day)
    while moment > now:
        day -= WEEK
        moment = occurrence(schedule, day)
    return moment


def week_key(schedule: DigestSchedule, moment: datetime) -> str:
    """The ISO week (`2026-W48`) of the local date of one of the digest's moments."""
    year, week, _ = moment.astimezone(zone(schedule.zone)).date().isocalendar()
    return f"{year}-W{week:02d}"


def digest_nonce(week: str) -> str:
    """The Discord message nonce of one week's digest (25 characters, Discord's most)."""
    digest = hashlib.sha256(f"weekly-digest\x1f{week}".encode()).digest()
    return "d" + base64.b32encode(digest).decode()[:24].lower()


@dataclass(frozen=True)
class DigestRecord:
    """The last week a digest was handled for: `sent` (with its message) or `empty`."""

    week: str
    outcome: str
    at: datetime
    message_id: int | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "week": self.week,
                "outcome": self.outcome,
                "at": to_epoch(self.at),
                "message_id": self.message_id,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str | None) -> DigestRecord | None:
        if not raw:
            return None
        try:
            data = json.loads(raw)
            at = from_epoch(int(data["at"]))
            if at is None:
                return None
            message = data.get("message_id")
            return cls(str(data["week"]), str(data["outcome"]), at, int(message) if message else None)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


@dataclass(frozen=True)
class DueDigest:
    week: str
    at: datetime  # the moment it fell due

    @property
    def nonce(self) -> str:
        return digest_nonce(self.week)


def due_digest(schedule: DigestSchedule, now: datetime, record: DigestRecord | None) -> DueDigest | None:
    """The week whose digest is to go out now: its moment has come, after the schedule was set,
    at most GRACE ago, and that week was not handled yet. None otherwise."""
    moment = last_digest_at(schedule, now)
    if moment <= schedule.since or now - moment > GRACE:
        return None
    week = week_key(schedule, moment)
    if record is not None and record.week == week:
        return None
    return DueDigest(week, moment)


# -- what it says ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueItem:
    service: str
    account: str
    at: datetime
    owner: int | None


@dataclass(frozen=True)
class Renewal:
    service: str
    account: str
    by: int | None
    at: datetime


@dataclass(frozen=True)
class Unowned:
    service: str
    account: str


@dataclass(frozen=True)
class Digest:
    due: tuple[DueItem, ...]  # soonest first
    renewed: tuple[Renewal, ...]  # newest first
    open_warnings: tuple[PostedWarning, ...]  # newest first
    unowned: tuple[Unowned, ...]
    now: datetime

    @property
    def is_empty(self) -> bool:
        return not (self.due or self.renewed or self.open_warnings or self.unowned)


def build_digest(
    *,
    services: Sequence[str],
    accounts: Iterable[TrackedAccount],
    registrations: Iterable[AuditEntry],
    open_warnings: Iterable[PostedWarning],
    now: datetime,
) -> Digest:
    """The digest as of `now`. `services`: the switched-on ones (accounts of others are left
    out); `registrations`: audit entries of the last WEEK (others are ignored)."""
    tracked = [a for a in accounts if a.service in services and a.gone_at is None]
    order = {key: index for index, key in enumerate(services)}
    due = sorted(
        (
            DueItem(a.service, a.account, expires, owner_of(a))
            for a in tracked
            if (expires := a.expires_at) is not None and now < expires <= now + WEEK
        ),
        key=lambda d: (d.at, order[d.service], d.account),
    )
    renewed = sorted(
        (
            Renewal(entry.service or "?", entry.target or "?", entry.actor_id, entry.at)
            for entry in registrations
            if entry.action == "register" and entry.outcome == "ok" and now - WEEK <= entry.at <= now
        ),
        key=lambda r: r.at,
        reverse=True,
    )
    unowned = sorted(
        (Unowned(a.service, a.account) for a in tracked if owner_of(a) is None),
        key=lambda u: (order[u.service], u.account),
    )
    return Digest(
        due=tuple(due),
        renewed=tuple(renewed),
        open_warnings=tuple(
            sorted((w for w in open_warnings if w.is_open), key=lambda w: w.recorded_at, reverse=True)
        ),
        unowned=tuple(unowned),
        now=now,
    )


def forget_said() -> None:
    """For tests: an unreadable stored schedule may be said again (the memory is per process)."""
    _SAID_UNREADABLE.clear()
