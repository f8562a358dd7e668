"""What to warn about, and when: pure functions of (accounts, stages, what was sent, now).

A stage is a lead time before an account's expiry (72h, 24h, 6h by default) plus "expired" at
zero. A warning is identified by a `WarningKey` (service, account, epoch, stage) where `epoch` is
the expiry it is about, so a renewal that moves the expiry yields new keys and re-arms every
stage by itself. Errors reported upstream and accounts that disappeared upstream are warned
about once each, under keys of the same shape.

When several stages of one expiry have been crossed (the bot was down, or an account was first
seen close to its expiry) only the most urgent is due; the others are returned as `skipped` so
the caller records them and they never fire later.

The scheduler does not plan every account at every pass: `Store.watch_window` selects in SQL the
accounts that can have something due now, and for the others only their earliest expiry per
service is needed, for `Plan.next_due` (tests/window_model.py states the selection in Python, and
the tests prove the two agree).
"""

from __future__ import annotations

import enum
import hashlib
import heapq
import operator
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.durations import DurationError, format_duration, parse_duration, parse_duration_list
from bot.models import StoredCredit, TrackedAccount, WarningKey, is_plausible

DEFAULT_STAGES: tuple[timedelta, ...] = (timedelta(hours=72), timedelta(hours=24), timedelta(hours=6))
EXPIRED = "expired"
GONE = "gone"
ERROR_PREFIX = "error:"
# A credit warning's stage: `credit:<figure key>` (bot.credits); its epoch is when the crossing
# of the threshold was seen, so a crossing after a top-up is a warning of its own.
CREDIT_PREFIX = "credit:"
ZERO = timedelta(0)


class Kind(enum.Enum):
    STAGE = "stage"
    ERROR = "error"
    GONE = "gone"
    CREDIT = "credit"


@dataclass(frozen=True)
class Alert:
    """A warning that is due now."""

    key: WarningKey
    kind: Kind
    account: TrackedAccount
    due_at: datetime  # when it fell due
    lead: timedelta | None = None  # for stage warnings; ZERO is "expired"
    # For credit warnings: the figure below its threshold, and the threshold as people read it.
    credit: StoredCredit | None = None
    threshold: str | None = None
    # Set by the scheduler when an earlier warning with this key was resolved (a reason that
    # cleared and came back): when that one was resolved, so this one gets its own identity.
    rearmed_after: datetime | None = None

    @property
    def nonce(self) -> str:
        """The Discord nonce of this warning's post (see `WarningKey.nonce_after`)."""
        rearmed = int(self.rearmed_after.timestamp()) if self.rearmed_after else None
        return self.key.nonce_after(rearmed)

    @property
    def urgency(self) -> tuple[int, datetime]:
        """Sort key, most urgent first: disappearances, errors, then soonest due moment."""
        return (_KIND_ORDER[self.kind], self.account.expires_at or self.due_at)


_KIND_ORDER = {Kind.GONE: 0, Kind.ERROR: 1, Kind.STAGE: 2, Kind.CREDIT: 3}


@dataclass(frozen=True)
class Upcoming:
    """A stage warning that will fall due later."""

    key: WarningKey
    account: TrackedAccount
    lead: timedelta
    due_at: datetime


@dataclass(frozen=True)
class Plan:
    due: tuple[Alert, ...]  # to post now, most urgent first
    skipped: tuple[WarningKey, ...]  # crossed stages passed over for a more urgent one
    upcoming: tuple[Upcoming, ...]  # soonest first; only the first `upcoming_limit` if plan() had one
    more_upcoming: int = 0  # upcoming stage warnings that `upcoming_limit` left out
    later: datetime | None = None  # the earliest stage moment of the accounts not planned
    # Accounts whose planning raised, with the exception: left out, the rest planned.
    unplanned: tuple[tuple[TrackedAccount, Exception], ...] = ()

    @property
    def next_due(self) -> datetime | None:
        """When the next stage warning falls due (None: nothing scheduled)."""
        soonest = self.upcoming[0].due_at if self.upcoming else None
        if soonest is None or self.later is None:
            return soonest or self.later
        return min(soonest, self.later)


# -- stages -------------------------------------------------------------------------------------


def format_stage(lead: timedelta) -> str:
    """A lead time as people read it (messages, log lines), as the README writes the stages:
    whole hours up to three days (72h, 24h, 6h), whole days beyond (7d), else exact (1h30m)."""
    seconds = int(lead.total_seconds())
    if seconds > 3 * 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds > 0 and seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return format_duration(lead)


def stage_name(lead: timedelta) -> str:
    """The stage's part of a WarningKey: 'expired', else whole days from two days up ('3d'),
    whole hours below ('24h', '6h'), else exact. Every warning sent is recorded under its key,
    so this spelling is frozen: another one would re-post, after an upgrade, warnings already
    sent. People read `stage_text` of it ('72h')."""
    seconds = int(lead.total_seconds())
    if lead <= ZERO:
        return EXPIRED
    if seconds >= 2 * 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds > 0 and seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return format_duration(lead)


def stage_text(stage: str) -> str:
    """A WarningKey's stage as people read it: '3d' becomes '72h'; 'expired', 'gone', 'error:…',
    'credit:…' and 'remind:…' stay as they are."""
    try:
        lead = parse_duration(stage, allow_bare_seconds=False)
    except DurationError:
        return stage
    return format_stage(lead)


def stage_label(lead: timedelta) -> str:
    """For people: 'expires within 24h' / 'expired'."""
    return "expired" if lead <= ZERO else f"expires within {format_stage(lead)}"


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

_Ladder = tuple[tuple[timedelta, str], ...]  # (lead time, stage name), longest first
_Entry = tuple[datetime, tuple[str, str, int, str], timedelta, TrackedAccount]  # an upcoming stage
_SOONEST = operator.itemgetter(0, 1)  # due moment, then key: the order of Plan.upcoming


def _ladder(stages: Mapping[str, Sequence[timedelta]], service: str) -> _Ladder:
    return tuple((lead, stage_name(lead)) for lead in stages_for(stages, service))


def plan(
    accounts: Iterable[TrackedAccount],
    stages: Mapping[str, Sequence[timedelta]],
    recorded: Collection[WarningKey],
    now: datetime,
    *,
    upcoming_limit: int | None = None,
    later_expiries: Mapping[str, datetime] | None = None,
) -> Plan:
    """Which warnings are due at `now`, which crossed stages to skip, and what comes next.

    `recorded` holds the keys already sent or skipped. Accounts that disappeared upstream get
    one "gone" warning and nothing else; accounts with no known expiry get no stage warning.

    `upcoming_limit` keeps only the soonest upcoming warnings (the count of the others is
    `more_upcoming`). `later_expiries` is, per service, the earliest expiry among the accounts
    left out of `accounts` by the window selection (`Store.watch_window`): none of them has anything due, and the first
    stage of that expiry counts for `next_due`.
    """
    ladders: dict[str, _Ladder] = {}
    due: list[Alert] = []
    skipped: list[WarningKey] = []
    upcoming: list[_Entry] = []
    unplanned: list[tuple[TrackedAccount, Exception]] = []
    for acc in accounts:
        # One account's planning never stops the others' (whatever a stored row holds).
        try:
            _plan_account(acc, ladders, stages, recorded, now, due, skipped, upcoming)
        except Exception as exc:  # the rest of the accounts are planned all the same
            unplanned.append((acc, exc))
    due.sort(key=lambda a: (a.urgency, a.key))
    if upcoming_limit is None:
        upcoming.sort(key=_SOONEST)
        kept = upcoming
    else:
        kept = heapq.nsmallest(upcoming_limit, upcoming, key=_SOONEST)
    later: datetime | None = None
    for service, expiry in (later_expiries or {}).items():
        if not is_plausible(expiry):
            continue
        moment = expiry - (ladders.get(service) or _ladder(stages, service))[0][0]
        later = moment if later is None else min(later, moment)
    return Plan(
        tuple(due),
        tuple(skipped),
        tuple(Upcoming(WarningKey(*k), acc, lead, moment) for moment, k, lead, acc in kept),
        more_upcoming=len(upcoming) - len(kept),
        later=later,
        unplanned=tuple(unplanned),
    )


def _plan_account(
    acc: TrackedAccount,
    ladders: dict[str, _Ladder],
    stages: Mapping[str, Sequence[timedelta]],
    recorded: Collection[WarningKey],
    now: datetime,
    due: list[Alert],
    skipped: list[WarningKey],
    upcoming: list[_Entry],
) -> None:
    """`plan()` for one account: appends to `due`, `skipped` and `upcoming`."""
    service, name = acc.service, acc.account
    if acc.gone_at is not None:
        key = WarningKey(service, name, _epoch(acc.gone_at), GONE)
        if key not in recorded:
            due.append(Alert(key, Kind.GONE, acc, acc.gone_at))
        return
    expires = acc.expires_at
    expiry_epoch = _epoch(expires) if expires else 0
    if acc.last_error:
        key = WarningKey(service, name, expiry_epoch, error_stage(acc.last_error))
        if key not in recorded:
            due.append(Alert(key, Kind.ERROR, acc, acc.synced_at or now))
    # No deadline known: none, or one no real deadline can be (year 1 in a database an older
    # release wrote; `expires - lead` would overflow). The parsers never let one through.
    if expires is None or not is_plausible(expires):
        return
    ladder = ladders.get(service)
    if ladder is None:
        ladder = ladders[service] = _ladder(stages, service)
    crossed: list[tuple[timedelta, tuple[str, str, int, str]]] = []
    for lead, stage in ladder:  # longest first
        # Plain tuples: they equal WarningKeys; the few kept become WarningKeys below.
        plain = (service, name, expiry_epoch, stage)
        moment = expires - lead
        if moment <= now:
            crossed.append((lead, plain))
        elif plain not in recorded:
            upcoming.append((moment, plain, lead, acc))
    if crossed:
        lead, plain = crossed[-1]  # the most urgent crossed stage
        if plain not in recorded:
            due.append(Alert(WarningKey(*plain), Kind.STAGE, acc, expires - lead, lead))
        skipped.extend(WarningKey(*k) for _, k in crossed[:-1] if k not in recorded)


# -- the window: which accounts a pass must plan ------------------------------------------------


def horizon(stages: Mapping[str, Sequence[timedelta]], service: str, now: datetime) -> datetime:
    """The latest expiry at which an account of `service` has a stage crossed at `now`.

    An account expiring later has nothing due: even its longest stage is still ahead.
    """
    return now + stages_for(stages, service)[0]


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
            and alert.lead is not None
            and old.lead is not None
            and alert.lead > old.lead
        ):
            skipped.append(alert.key)
        else:
            due.append(alert)
    plan_now = replace(after, due=tuple(due), skipped=tuple(skipped))
    return plan_now, tuple(a.key for a in suppressed.values())


def next_wake(next_due: datetime | None, now: datetime, *, longest: timedelta) -> timedelta:
    """How long the scheduler may sleep: until the next due moment, but never longer than `longest`."""
    if next_due is None:
        return longest
    return max(ZERO, min(longest, next_due - now))
