"""Keep stored accounts in step with useapi.net's account lists, with backoff on failure.

`sync_service` reads one service's list and applies it in a single transaction: a failed read
or write changes nothing. What the list changes is decided by a pure function
(`bot.account_diff.diff_account_list`); the store only reads and writes (`apply_account_list`). `SyncState` is what the scheduler remembers per service (in the
settings table, as JSON): when to try next, how many attempts failed in a row, whether the
alert channel has been told about the failures, and a held mass disappearance. The state
changes are pure functions.

A read that would drop most of a service's tracked accounts at once (`is_mass_disappearance`)
is not believed at once: a glitch upstream (`{}`, an empty 404) would otherwise post a "gone"
warning per account. The read is applied except for the gone marks, which are held; the next
read, a minute later, decides: if it drops most of them again they are marked gone, otherwise
the hold is forgotten. A held read is an answered read: it ends a run of failures like any.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from bot import settings
from bot.account_diff import diff_account_list
from bot.clock import from_epoch, to_epoch
from bot.models import AccountListDiff, StoredAccount, SyncChanges
from bot.store import Store, StoreError
from bot.useapi import AccountInfo, UseapiError, UseapiService

log = logging.getLogger(__name__)

FAILURES_BEFORE_NOTICE = 3
FIRST_RETRY = timedelta(minutes=1)
# A Retry-After longer than this is treated as this: the scheduler must not go quiet for days.
MAX_RETRY_AFTER = timedelta(hours=6)
# A mass disappearance: at least this many tracked accounts missing, and more than half of them.
MASS_GONE_MIN = 2
# How soon a held mass disappearance is read again (never later than the sync interval).
HOLD_RECHECK = timedelta(minutes=1)

Notice = Literal["failing", "recovered"]


@dataclass(frozen=True)
class SyncResult:
    service: str
    at: datetime
    ok: bool
    seen: int = 0
    changes: SyncChanges = field(default_factory=SyncChanges)
    error: str | None = None  # a sentence safe to show and log
    failure: str | None = None  # UseapiError.failure value, or "storage"
    retry_after: float | None = None

    def summary(self) -> str:
        if not self.ok:
            return f"failed: {self.error}"
        parts = [f"{self.seen} account(s)"]
        for name in ("added", "changed", "gone", "returned"):
            count = len(getattr(self.changes, name))
            if count:
                parts.append(f"{count} {name}")
        text = "ok, " + ", ".join(parts)
        if self.changes.held:
            text += (
                f"; held: {len(self.changes.held)} of {self.changes.tracked} tracked account(s) missing,"
                " not marked gone unless the next read agrees"
            )
        return text


def is_mass_disappearance(missing: int, tracked: int) -> bool:
    """True when one read drops at least MASS_GONE_MIN tracked accounts and more than half."""
    return missing >= MASS_GONE_MIN and 2 * missing > tracked


async def apply_account_list(
    store: Store,
    service: str,
    infos: Sequence[AccountInfo],
    *,
    fetched_at: datetime,
    now: datetime,
    hold_gone: Callable[[int, int], bool] | None = None,
    detect_self_renewal: bool = False,
    noun: str = "session",
) -> SyncChanges:
    """Make the stored accounts of `service` agree with `infos`, in one transaction: the store
    reads what it holds, `bot.account_diff.diff_account_list` decides (see it for the rules and
    the arguments), the store writes that. Raises StoreError, having changed nothing."""

    def decide(stored: Mapping[str, StoredAccount], removed: set[str]) -> AccountListDiff:
        return diff_account_list(
            service,
            infos,
            stored,
            removed,
            fetched_at=fetched_at,
            now=now,
            hold_gone=hold_gone,
            detect_self_renewal=detect_self_renewal,
            noun=noun,
        )

    return await store.apply_account_list(service, decide)


async def sync_service(
    service: UseapiService, store: Store, now: datetime, *, confirming: bool = False
) -> SyncResult:
    """Read `service`'s account list and make the stored accounts agree with it.

    `now` must be taken before the call: accounts registered after it are left alone, because
    the list may have been read before their registration. A mass disappearance is held unless
    `confirming` (the previous read held one): then this read is believed as it is.
    """
    try:
        infos = await service.list_accounts()
    except UseapiError as exc:
        log.warning("sync %s failed: %s", service.key, exc.failure.value)
        return SyncResult(
            service.key, now, ok=False, error=str(exc), failure=exc.failure.value, retry_after=exc.retry_after
        )
    try:
        changes = await apply_account_list(
            store,
            service.key,
            infos,
            fetched_at=now,
            now=now,
            hold_gone=None if confirming else is_mass_disappearance,
            detect_self_renewal=service.detects_self_renewal,
            noun=service.expiry_noun,
        )
    except StoreError as exc:
        log.error("sync %s could not be stored: %s", service.key, exc)
        return SyncResult(
            service.key, now, ok=False, error="the bot's database could not be written", failure="storage"
        )
    result = SyncResult(service.key, now, ok=True, seen=len(infos), changes=changes)
    if changes.held:
        log.warning(
            "sync %s: the list lacks %d of %d tracked account(s); holding them, not marked gone "
            "unless the next read agrees: %s",
            service.key,
            len(changes.held),
            changes.tracked,
            result.summary(),
        )
    elif confirming and is_mass_disappearance(len(changes.gone), changes.tracked):
        log.warning(
            "sync %s: the next read agrees, %d account(s) marked gone: %s",
            service.key,
            len(changes.gone),
            result.summary(),
        )
    elif confirming:
        log.info("sync %s: the held disappearance was not confirmed: %s", service.key, result.summary())
    else:
        log.info("sync %s: %s", service.key, result.summary())
    return result


# -- schedule and backoff (pure) ----------------------------------------------------------------


@dataclass(frozen=True)
class SyncState:
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    outcome: str = "not synced yet"
    failures: int = 0  # consecutive
    next_at: datetime | None = None  # None: at the next pass
    notified: bool = False  # the channel was told about the current run of failures
    held_gone: int = 0  # accounts a mass disappearance held; the next read confirms or forgets it

    def is_due(self, now: datetime) -> bool:
        return self.next_at is None or now >= self.next_at

    def to_json(self) -> str:
        data: dict[str, Any] = asdict(self)
        for name in ("last_attempt_at", "last_success_at", "next_at"):
            data[name] = to_epoch(data[name])
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | None) -> SyncState:
        """Tolerant: an unreadable state is a fresh one (the next pass syncs)."""
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
            return cls(
                last_attempt_at=from_epoch(_opt_int(data.get("last_attempt_at"))),
                last_success_at=from_epoch(_opt_int(data.get("last_success_at"))),
                outcome=str(data.get("outcome", "not synced yet"))[:300],
                failures=max(0, int(data.get("failures", 0))),
                next_at=from_epoch(_opt_int(data.get("next_at"))),
                notified=bool(data.get("notified", False)),
                held_gone=max(0, int(data.get("held_gone", 0))),
            )
        except (ValueError, TypeError, AttributeError, OverflowError, OSError):
            log.warning("unreadable sync state %r; starting afresh", raw[:100])
            return cls()


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def backoff(failures: int, interval: timedelta, retry_after: float | None = None) -> timedelta:
    """1m, 2m, 4m … capped at `interval`; never sooner than upstream's Retry-After."""
    delay: timedelta = min(FIRST_RETRY * 2 ** min(max(failures - 1, 0), 20), interval)
    if retry_after is not None:
        delay = max(delay, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return delay


def advance(state: SyncState, result: SyncResult, interval: timedelta) -> SyncState:
    """The state after an attempt: next regular sync on success, backoff on failure, a re-read
    soon after a held mass disappearance. A failure keeps a hold for the read after it."""
    if result.ok:
        held = result.changes.held
        return replace(
            state,
            last_attempt_at=result.at,
            last_success_at=result.at,
            outcome=result.summary(),
            failures=0,
            next_at=result.at + (min(HOLD_RECHECK, interval) if held else interval),
            held_gone=len(held),
        )
    failures = state.failures + 1
    return replace(
        state,
        last_attempt_at=result.at,
        outcome=result.summary(),
        failures=failures,
        next_at=result.at + backoff(failures, interval, result.retry_after),
    )


def spread(states: Mapping[str, SyncState], interval: timedelta) -> dict[str, SyncState]:
    """Lists read in the same pass (all of them at start, or after an outage) are next read at
    even steps over `interval`, in key order, so later passes read one list each instead of
    all at once (with 13 services, a pass reading every list cost 50-70 ms). Only a regular
    next read moves, and only sooner: not a re-read after a held disappearance, not a backoff.
    Returns the states that change."""
    regular = sorted(
        key
        for key, state in states.items()
        if state.failures == 0
        and state.held_gone == 0
        and state.last_success_at is not None
        and state.next_at == state.last_success_at + interval
    )
    if len(regular) < 2:
        return {}
    out = {}
    for index, key in enumerate(regular):
        state = states[key]
        assert state.last_success_at is not None
        out[key] = replace(state, next_at=state.last_success_at + interval * (index + 1) / len(regular))
    return out


def notice_needed(state: SyncState) -> Notice | None:
    """What to tell the channel now: failures after N in a row, recovery after that was said."""
    if state.failures >= FAILURES_BEFORE_NOTICE and not state.notified:
        return "failing"
    if state.failures == 0 and state.notified:
        return "recovered"
    return None


def after_notice(state: SyncState, notice: Notice) -> SyncState:
    return replace(state, notified=notice == "failing")


async def sync_soon(store: Store, service: str) -> None:
    """Have the next scheduler pass read `service`'s list (at most 30 s away): a registration
    whose answer was lost may have added an account, and the list settles it."""
    state = await load_state(store, service)
    await save_state(store, service, replace(state, next_at=None))


async def load_state(store: Store, service: str) -> SyncState:
    return SyncState.from_json(await settings.SYNC_STATE.raw(store, service))


async def save_state(store: Store, service: str, state: SyncState) -> None:
    await settings.SYNC_STATE.set(store, state.to_json(), service)
