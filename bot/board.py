"""What the live status board shows (issue 23), decided from plain data: no Discord, no I/O but
`team_subscription`.

The board is one message in a channel that the bot keeps up to date by editing it
(cogs/alerts/_board.py reads the data, draws what `build_board` returns and edits the message).
It shows:

- per switched-on service, how many of its accounts are fine, due within the service's first stage
  (its longest lead time: 72h by default), and need a person (useapi.net reports a reason, the
  account disappeared from useapi.net, or its deadline has passed); services without a single
  account are named together on one line;
- the next five deadlines still ahead;
- the open warnings, newest first, with who is on them;
- the team's useapi.net subscription (`team_subscription`) and the last successful sync: the
  stalest switched-on service's, so "synced 3 minutes ago" holds for every service.

`BoardState` is what the bot remembers about the board between passes and restarts: where the
message is, what it showed (a fingerprint of the drawing), when it was last edited, and why it
stopped. The message is edited only when what it shows changed, at most once per `EDIT_EVERY`
(`edit_due`): a burst of changes becomes one edit.
"""

from __future__ import annotations

import enum
import heapq
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import settings
from bot.clock import from_epoch, to_epoch
from bot.followup import PostedWarning
from bot.models import TrackedAccount
from bot.sync import FAILURES_BEFORE_NOTICE, SyncState
from bot.team_account import Kind as TeamKind
from bot.team_account import TeamState
from bot.team_watch import load_team_state

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

EDIT_EVERY = timedelta(minutes=1)  # the board is edited at most this often
NEXT_DEADLINES = 5
UNKNOWN = "unknown"
_SAID_UNREADABLE: set[str] = set()  # stored boards already said to be unreadable


class Standing(enum.Enum):
    """Where one account stands, for the board's counts."""

    FINE = "fine"
    SOON = "soon"  # its deadline is within the service's first stage
    PERSON = "person"  # a person must act: a reason, gone from useapi.net, or past its deadline


def standing(account: TrackedAccount, first_stage: timedelta | None, now: datetime) -> Standing:
    if account.gone_at is not None or account.last_error:
        return Standing.PERSON
    if account.expires_at is not None:
        if account.expires_at <= now:
            return Standing.PERSON
        if first_stage is not None and account.expires_at - now <= first_stage:
            return Standing.SOON
    return Standing.FINE


@dataclass(frozen=True)
class ServiceLine:
    service: str
    fine: int
    soon: int
    person: int
    first_stage: timedelta | None  # the window `soon` counts
    sync_failing: bool  # the account list failed to read FAILURES_BEFORE_NOTICE times in a row

    @property
    def standing(self) -> Standing:
        if self.person:
            return Standing.PERSON
        return Standing.SOON if self.soon else Standing.FINE


@dataclass(frozen=True)
class Deadline:
    service: str
    account: str
    at: datetime


@dataclass(frozen=True)
class Subscription:
    """The team's useapi.net subscription as last read; `state` is UNKNOWN until it is read."""

    state: str = UNKNOWN
    detail: str | None = None
    checked_at: datetime | None = None


@dataclass(frozen=True)
class Board:
    services: tuple[ServiceLine, ...]  # services with at least one account, in display order
    without_accounts: tuple[str, ...]  # switched-on services with none
    deadlines: tuple[Deadline, ...]  # the next NEXT_DEADLINES still ahead, soonest first
    open_warnings: tuple[PostedWarning, ...]  # newest first
    subscription: Subscription
    last_sync: datetime | None  # the stalest service's last successful sync
    never_synced: tuple[str, ...]  # switched-on services never read successfully

    @property
    def standing(self) -> Standing:
        """The worst of the services' standings, and PERSON while a warning is open."""
        if self.open_warnings or any(s.standing is Standing.PERSON for s in self.services):
            return Standing.PERSON
        if any(s.standing is Standing.SOON for s in self.services):
            return Standing.SOON
        return Standing.FINE


def build_board(
    *,
    services: Sequence[str],
    accounts: Iterable[TrackedAccount],
    stages: Mapping[str, Sequence[timedelta]],
    open_warnings: Iterable[PostedWarning],
    sync_states: Mapping[str, SyncState],
    subscription: Subscription,
    now: datetime,
) -> Board:
    """What the board shows now. `services`: the switched-on ones, in display order (read when
    drawing: the set can change while the bot runs); accounts of other services are left out."""
    first_stage = {key: max(stages.get(key) or (), default=None) for key in services}
    counts: dict[str, dict[Standing, int]] = {key: dict.fromkeys(Standing, 0) for key in services}
    ahead: list[Deadline] = []
    for account in accounts:
        if account.service not in counts:
            continue
        counts[account.service][standing(account, first_stage[account.service], now)] += 1
        if account.gone_at is None and account.expires_at is not None and account.expires_at > now:
            ahead.append(Deadline(account.service, account.account, account.expires_at))
    lines = []
    for key in services:
        c = counts[key]
        if sum(c.values()):
            failing = sync_states.get(key, SyncState()).failures >= FAILURES_BEFORE_NOTICE
            lines.append(
                ServiceLine(
                    key, c[Standing.FINE], c[Standing.SOON], c[Standing.PERSON], first_stage[key], failing
                )
            )
    successes = {key: sync_states.get(key, SyncState()).last_success_at for key in services}
    known = [at for at in successes.values() if at is not None]
    return Board(
        services=tuple(lines),
        without_accounts=tuple(key for key in services if not sum(counts[key].values())),
        deadlines=tuple(heapq.nsmallest(NEXT_DEADLINES, ahead, key=lambda d: (d.at, d.service, d.account))),
        open_warnings=tuple(
            sorted((w for w in open_warnings if w.is_open), key=lambda w: w.recorded_at, reverse=True)
        ),
        subscription=subscription,
        last_sync=min(known) if known else None,
        never_synced=tuple(key for key, at in successes.items() if at is None),
    )


# -- the team's subscription ----------------------------------------------------------------------


def subscription_of(team: TeamState) -> Subscription:
    """What the team account watch knows (bot.team_watch): not active while its subscription
    warning holds (`subscriptionIsActive` false, or a call answered 402), active when the last
    good GET /v2/account said so, UNKNOWN before any readable answer."""
    checked = team.read_at
    if any(topic.kind is TeamKind.SUBSCRIPTION for topic in team.open_topics()):
        return Subscription("not active", "nothing can be rendered", checked)
    if team.summary is None or team.summary.subscription_active is None:
        return Subscription(checked_at=checked)
    if team.summary.subscription_active:
        return Subscription("active", None, checked)
    return Subscription("not active", "nothing can be rendered", checked)


async def team_subscription(store: Store) -> Subscription:
    """The team's useapi.net subscription, for the board: the one place the board asks."""
    return subscription_of(await load_team_state(store))


# -- what the bot remembers about the board -----------------------------------------------------


@dataclass(frozen=True)
class BoardState:
    channel_id: int
    message_id: int
    shown: str | None = None  # fingerprint of what the message shows now
    updated_at: datetime | None = None  # the last edit Discord accepted (or the post)
    tried_at: datetime | None = None  # the last edit tried, accepted or not (the rate limit)
    stopped: str | None = None  # why the bot no longer updates it, for /alerts status
    stopped_at: datetime | None = None

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "channel_id": self.channel_id,
            "message_id": self.message_id,
            "shown": self.shown,
            "updated_at": to_epoch(self.updated_at),
            "tried_at": to_epoch(self.tried_at),
            "stopped": self.stopped,
            "stopped_at": to_epoch(self.stopped_at),
        }
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | None) -> BoardState | None:
        """None for no board, and for a stored value that can't be read (logged)."""
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return cls(
                channel_id=int(data["channel_id"]),
                message_id=int(data["message_id"]),
                shown=str(data["shown"]) if data.get("shown") else None,
                updated_at=from_epoch(_opt_int(data.get("updated_at"))),
                tried_at=from_epoch(_opt_int(data.get("tried_at"))),
                stopped=str(data["stopped"])[:300] if data.get("stopped") else None,
                stopped_at=from_epoch(_opt_int(data.get("stopped_at"))),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            if raw not in _SAID_UNREADABLE:  # read at every pass: said once
                _SAID_UNREADABLE.add(raw)
                log.warning("the stored status board is unreadable; /alerts board posts a new one")
            return None

    def edit_due(self, fingerprint: str, now: datetime) -> bool:
        """Edit now: the board runs, shows something else, and was not tried within EDIT_EVERY."""
        if self.stopped is not None or fingerprint == self.shown:
            return False
        return self.tried_at is None or now - self.tried_at >= EDIT_EVERY

    def edited(self, fingerprint: str, now: datetime) -> BoardState:
        return replace(self, shown=fingerprint, updated_at=now, tried_at=now)

    def tried(self, now: datetime) -> BoardState:
        return replace(self, tried_at=now)

    def stop(self, reason: str, now: datetime) -> BoardState:
        return replace(self, stopped=reason, stopped_at=now)


def _opt_int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None


async def load_board(store: Store) -> BoardState | None:
    return BoardState.from_json(await settings.BOARD.raw(store))


async def save_board(store: Store, state: BoardState | None) -> None:
    await settings.BOARD.set(store, state.to_json() if state is not None else None)


def forget_said() -> None:
    """For tests: an unreadable stored board may be said again (the memory is per process)."""
    _SAID_UNREADABLE.clear()
