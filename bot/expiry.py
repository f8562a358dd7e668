"""What to warn about, and when: pure functions of (accounts, stages, what was sent, now).

A stage is a lead time before an account's expiry (72h, 24h, 6h by default) plus "expired" at
zero. A warning is identified by a `WarningKey` (service, account, epoch, stage) where `epoch` is
the expiry it is about, so a renewal that moves the expiry yields new keys and re-arms every
stage by itself. Errors reported upstream and accounts that disappeared upstream are warned
about once each, under keys of the same shape.

When several stages of one expiry have been crossed (the bot was down, or an account was first
seen close to its expiry) only the most urgent is due; the others are returned as `skipped` so
the caller records them and they never fire later.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.durations import DurationError, format_duration, parse_duration_list
from bot.store import TrackedAccount

DEFAULT_STAGES: tuple[timedelta, ...] = (timedelta(hours=72), timedelta(hours=24), timedelta(hours=6))
EXPIRED = "expired"
GONE = "gone"
ERROR_PREFIX = "error:"
ZERO = timedelta(0)


class WarningKey(NamedTuple):
    """What one warning is about; equal to the plain tuple the store keeps."""

    service: str
    account: str
    epoch: int  # the expiry (or the disappearance) in Unix seconds
    stage: str  # "3d", "24h", "6h", "expired", "error:<hash>", "gone"


class Kind(enum.Enum):
    STAGE = "stage"
    ERROR = "error"
    GONE = "gone"


@dataclass(frozen=True)
class Alert:
    """A warning that is due now."""

    key: WarningKey
    kind: Kind
    account: TrackedAccount
    due_at: datetime  # when it fell due
    threshold: timedelta | None = None  # for stage warnings; ZERO is "expired"

    @property
    def urgency(self) -> tuple[int, datetime]:
        """Sort key, most urgent first: disappearances, errors, then soonest due moment."""
        order = {Kind.GONE: 0, Kind.ERROR: 1, Kind.STAGE: 2}[self.kind]
        return (order, self.account.expires_at or self.due_at)


@dataclass(frozen=True)
class Upcoming:
    """A stage warning that will fall due later."""

    key: WarningKey
    account: TrackedAccount
    threshold: timedelta
    due_at: datetime


@dataclass(frozen=True)
class Plan:
    due: tuple[Alert, ...]  # to post now, most urgent first
    skipped: tuple[WarningKey, ...]  # crossed stages passed over for a more urgent one
    upcoming: tuple[Upcoming, ...]  # soonest first

    @property
    def next_due(self) -> datetime | None:
        """When the next stage warning falls due (None: nothing scheduled)."""
        return self.upcoming[0].due_at if self.upcoming else None


# -- stages -------------------------------------------------------------------------------------


def format_stage(threshold: timedelta) -> str:
    """Whole days from two days up (3d), else whole hours (24h, 6h), else exact (1h30m)."""
    seconds = int(threshold.total_seconds())
    if seconds >= 2 * 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds > 0 and seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return format_duration(threshold)


def stage_name(threshold: timedelta) -> str:
    """The stage's part of a WarningKey: '3d', '24h', '6h', 'expired'."""
    return EXPIRED if threshold <= ZERO else format_stage(threshold)


def stage_label(threshold: timedelta) -> str:
    """For people: 'expires within 24h' / 'expired'."""
    return "expired" if threshold <= ZERO else f"expires within {format_stage(threshold)}"


def parse_stages(raw: str) -> tuple[timedelta, ...]:
    """`7d,2d,12h` → lead times, longest first. "expired" is always a stage and may be written.

    Raises DurationError with a sentence for people.
    """
    parts = [p for p in raw.replace(",", " ").split() if p.lower() != EXPIRED]
    if not parts:
        raise DurationError("give at least one lead time, for example 72h,24h,6h (units s, m, h, d)")
    return tuple(parse_duration_list(",".join(parts)))


def format_stages(stages: Iterable[timedelta]) -> str:
    return ",".join(format_stage(s) for s in sorted(stages, reverse=True))


def stages_for(stages: Mapping[str, Sequence[timedelta]], service: str) -> tuple[timedelta, ...]:
    """The service's lead times plus zero ("expired"), longest first, without duplicates."""
    chosen = set(stages.get(service, DEFAULT_STAGES))
    chosen.add(ZERO)
    return tuple(sorted(chosen, reverse=True))


def error_stage(text: str) -> str:
    normalized = " ".join(text.split()).lower()
    return ERROR_PREFIX + hashlib.sha256(normalized.encode()).hexdigest()[:12]


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


# -- planning -----------------------------------------------------------------------------------


def plan(
    accounts: Iterable[TrackedAccount],
    stages: Mapping[str, Sequence[timedelta]],
    recorded: Collection[tuple[str, str, int, str]],
    now: datetime,
) -> Plan:
    """Which warnings are due at `now`, which crossed stages to skip, and what comes next.

    `recorded` holds the keys already sent or skipped. Accounts that disappeared upstream get
    one "gone" warning and nothing else; accounts with no known expiry get no stage warning.
    """
    due: list[Alert] = []
    skipped: list[WarningKey] = []
    upcoming: list[Upcoming] = []
    for acc in accounts:
        if acc.gone_at is not None:
            key = WarningKey(acc.service, acc.account, _epoch(acc.gone_at), GONE)
            if key not in recorded:
                due.append(Alert(key, Kind.GONE, acc, acc.gone_at))
            continue
        expiry_epoch = _epoch(acc.expires_at) if acc.expires_at else 0
        if acc.last_error:
            key = WarningKey(acc.service, acc.account, expiry_epoch, error_stage(acc.last_error))
            if key not in recorded:
                due.append(Alert(key, Kind.ERROR, acc, acc.synced_at or now))
        if acc.expires_at is None:
            continue
        crossed: list[tuple[timedelta, WarningKey]] = []
        for threshold in stages_for(stages, acc.service):  # longest first
            key = WarningKey(acc.service, acc.account, expiry_epoch, stage_name(threshold))
            moment = acc.expires_at - threshold
            if moment <= now:
                crossed.append((threshold, key))
            elif key not in recorded:
                upcoming.append(Upcoming(key, acc, threshold, moment))
        if crossed:
            threshold, key = crossed[-1]  # the most urgent crossed stage
            if key not in recorded:
                due.append(Alert(key, Kind.STAGE, acc, acc.expires_at - threshold, threshold))
            skipped.extend(k for _, k in crossed[:-1] if k not in recorded)
    due.sort(key=lambda a: (a.urgency, a.key))
    upcoming.sort(key=lambda u: (u.due_at, u.key))
    return Plan(tuple(due), tuple(skipped), tuple(upcoming))


def after_recheck(before: Plan, after: Plan) -> tuple[Plan, tuple[WarningKey, ...]]:
    """Reconcile the plan made before re-reading upstream with the one made after.

    A stage warning that is no longer due (the fresh expiry is later) is suppressed. The fresh
    expiry may have crossed a less urgent stage at once (a token refreshed to 48h away crosses
    3d): that is not warned about either, only recorded as skipped, because the fresh value is
    not inside the stage that was about to be warned about. The same or a more urgent stage is
    still warned about. Returns the plan to carry out and the suppressed keys.
    """
    still_due = {a.key for a in after.due}
    suppressed: dict[tuple[str, str], Alert] = {
        (a.key.service, a.key.account): a
        for a in before.due
        if a.kind is Kind.STAGE and a.key not in still_due
    }
    due: list[Alert] = []
    skipped = list(after.skipped)
    for alert in after.due:
        old = suppressed.get((alert.key.service, alert.key.account))
        if (
            old is not None
            and alert.kind is Kind.STAGE
            and alert.threshold is not None
            and old.threshold is not None
            and alert.threshold > old.threshold
        ):
            skipped.append(alert.key)
        else:
            due.append(alert)
    plan_now = Plan(tuple(due), tuple(skipped), after.upcoming)
    return plan_now, tuple(a.key for a in suppressed.values())


def next_wake(next_due: datetime | None, now: datetime, *, longest: timedelta) -> timedelta:
    """How long the scheduler may sleep: until the next due moment, but never longer than `longest`."""
    if next_due is None:
        return longest
    return max(ZERO, min(longest, next_due - now))
