"""Removing a tracked account and recording the outcome (no Discord here).

Where the service has a DELETE route the account is deleted on useapi.net first; only a DELETE
that worked, or a 404 (useapi.net doesn't have it), stops tracking. Any other answer is audited
and changes nothing. Without a route the bot stops tracking only, and the store remembers the
removal so the next sync doesn't add the account back (`Store.remove_account`). The outcome
comes back as a `Removal`; cogs/register/_remove.py words it for the admin.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime

from bot.store import BACKGROUND_PATIENCE, Store, StoreError, write_patience
from bot.useapi import UseapiError, UseapiService

log = logging.getLogger(__name__)


class Upstream(enum.Enum):
    """What happened to the account on useapi.net; the value is the audit entry's detail."""

    NO_ROUTE = "no DELETE route: still on useapi.net"  # useapi.net keeps it
    DELETED = "deleted on useapi.net"
    ABSENT = "useapi.net did not have it (404)"
    REFUSED = "the DELETE failed"  # see `Removal.error`; nothing changed anywhere


class Tracking(enum.Enum):
    """What happened to the account in the bot."""

    STOPPED = "stopped"  # no longer tracked
    NOT_TRACKED = "not_tracked"  # it wasn't tracked any more (someone removed it meanwhile)
    UNCHANGED = "unchanged"  # still tracked: the DELETE failed, or the database can't be written


@dataclass(frozen=True)
class Removal:
    upstream: Upstream
    tracking: Tracking
    error: UseapiError | None = None  # why useapi.net refused the DELETE

    @property
    def removed(self) -> bool:
        """The account is no longer tracked because of this removal."""
        return self.tracking is Tracking.STOPPED


async def remove_account(
    service: UseapiService, account: str, *, store: Store, actor_id: int, now: datetime
) -> Removal:
    """DELETE upstream where there is a route, then stop tracking and audit, in one transaction.
    A DELETE useapi.net refuses is audited with its failure and nothing else changes."""
    if service.delete_path is None:
        upstream = Upstream.NO_ROUTE
    else:
        try:
            deleted = await service.delete_account(account)
        except UseapiError as exc:
            try:
                await store.audit(
                    now=now,
                    actor_id=actor_id,
                    action="account_remove",
                    service=service.key,
                    target=account,
                    outcome=f"upstream:{exc.failure.value}",
                    detail=_refused_detail(exc),
                )
            except StoreError as store_exc:  # the admin still hears useapi.net's answer
                log.warning("could not audit a refused %s removal: %s", service.key, store_exc)
            return Removal(Upstream.REFUSED, Tracking.UNCHANGED, exc)
        upstream = Upstream.DELETED if deleted else Upstream.ABSENT
    try:
        # Done upstream (or nothing to do there): worth waiting for the lock like the scheduler.
        with write_patience(BACKGROUND_PATIENCE):
            removed = await store.remove_account(
                service.key, account, now=now, actor_id=actor_id, outcome="ok", detail=upstream.value
            )
    except StoreError as exc:
        log.error("could not stop tracking %s account after removal: %s", service.key, exc)
        return Removal(upstream, Tracking.UNCHANGED)
    return Removal(upstream, Tracking.STOPPED if removed else Tracking.NOT_TRACKED)


def _refused_detail(exc: UseapiError) -> str | None:
    """The audit detail of a failed DELETE: its HTTP status, and whether useapi.net may have
    acted on it (the request was sent, the answer lost)."""
    said = [f"HTTP {exc.status}"] if exc.status else []
    if exc.outcome_unknown:
        said.append("answer lost: may have been deleted")
    return "; ".join(said) or None
