"""The scheduler's window selection in Python: the model `Store.watch_window`'s SQL must agree with.

Tests only: production runs the SQL. `plan()` over the selection finds the same warnings as over
every account.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from bot.expiry import EXPIRED, GONE
from bot.models import TrackedAccount, WarningKey


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def must_plan(acc: TrackedAccount, until: datetime, recorded: Collection[WarningKey], now: datetime) -> bool:
    """Whether `plan()` can find something due for `acc` at `now`; `until` is its service's horizon.

    True for a disappearance not yet warned about, any upstream error (its warning depends on
    the text), and an expiry up to the horizon, except an expiry already past whose "expired"
    warning is recorded: every stage of it is crossed and the most urgent one was dealt with.
    """
    if acc.gone_at is not None:
        return (acc.service, acc.account, _epoch(acc.gone_at), GONE) not in recorded
    if acc.last_error:
        return True
    expires = acc.expires_at
    if expires is None or expires > until:
        return False
    return not (expires <= now and (acc.service, acc.account, _epoch(expires), EXPIRED) in recorded)


def select_window(
    accounts: Iterable[TrackedAccount],
    horizons: Mapping[str, datetime],
    recorded: Collection[WarningKey],
    now: datetime,
) -> tuple[list[TrackedAccount], dict[str, datetime]]:
    """The accounts of the services in `horizons` that a pass must plan, and, per service, the
    earliest expiry past the horizon among the others (for `plan(later_expiries=…)`).

    `plan()` over the selection finds the same warnings due as over every account, and the same
    `next_due` (earlier only if a stage still ahead is recorded already, after a clock was set
    back). It leaves out skipped stages of expiries whose "expired" warning is recorded: none of
    them can ever be due. `Store.watch_window` is this selection in SQL, so a pass reads only
    these accounts.
    """
    selected: list[TrackedAccount] = []
    later: dict[str, datetime] = {}
    for acc in accounts:
        until = horizons.get(acc.service)
        if until is None:
            continue
        if must_plan(acc, until, recorded, now):
            selected.append(acc)
        expires = acc.expires_at
        if acc.gone_at is None and expires is not None and expires > until:
            earliest = later.get(acc.service)
            later[acc.service] = expires if earliest is None else min(earliest, expires)
    return selected, later
