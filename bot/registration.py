"""Registering a credential with useapi.net and recording the outcome (no Discord here)."""

from __future__ import annotations

import functools
import logging
from dataclasses import replace
from datetime import datetime

from bot import metrics
from bot.account_diff import judge_registration
from bot.logs import secret_in_flight
from bot.store import BACKGROUND_PATIENCE, Store, StoreError, write_patience
from bot.sync import sync_soon
from bot.useapi import AccountInfo, Submission, UseapiError, UseapiService

log = logging.getLogger(__name__)


# The audit detail of a registration whose answer was lost after useapi.net got it.
MAYBE_ADDED = "answer lost after sending: may have been added, synced at the next pass"


class RecordingFailed(Exception):
    """useapi.net accepted the credential but the database could not record it."""

    def __init__(self, info: AccountInfo) -> None:
        super().__init__(f"{info.service} account {info.account} accepted upstream but not stored")
        self.info = info


async def record_registration(
    store: Store, info: AccountInfo, *, user_id: int, now: datetime, noun: str = "session"
) -> bool:
    """Store a registration's answer; what it means for the stored account is decided by
    `bot.account_diff.judge_registration`. True when the account was tracked already. Raises
    StoreError, having changed nothing."""
    return await store.record_registration(
        info,
        user_id=user_id,
        judge=functools.partial(judge_registration, info, user_id=user_id, now=now, noun=noun),
    )


async def register_account(
    service: UseapiService,
    submission: Submission,
    *,
    store: Store,
    user_id: int,
    now: datetime,
) -> AccountInfo:
    """Send the validated form upstream, store the account on success, audit either way.

    The credential is held in memory only for the call; the audit row names the
    account and the outcome, never the cookie or password. An account the bot tracked already
    comes back as renewed (`created` False), whatever status useapi.net answered with (Kling
    answers 201 to a renewal too).
    """
    with secret_in_flight(*submission.secrets):
        try:
            info = await service.register(submission)
        except UseapiError as exc:
            log.info("%s registration by %s failed: %s", service.key, user_id, exc.failure.value)
            # useapi.net got the request but its answer was lost: it may have added the account.
            maybe = exc.outcome_unknown
            metrics.record_registration(
                service.key, "maybe_added" if maybe else f"upstream:{exc.failure.value}"
            )
            status = f"HTTP {exc.status}" if exc.status else None
            try:
                await store.audit(
                    now=now,
                    actor_id=user_id,
                    action="register",
                    service=service.key,
                    outcome=f"upstream:{exc.failure.value}",
                    detail=" · ".join(filter(None, [status, MAYBE_ADDED if maybe else None])) or None,
                )
            except StoreError as store_exc:  # the member still hears useapi.net's answer
                log.warning("could not audit a refused %s registration: %s", service.key, store_exc)
            if maybe:
                log.warning(
                    "%s registration by %s: useapi.net's answer was lost (%s); the account may "
                    "have been added, syncing %s at the next pass",
                    service.key, user_id, exc.failure.value, service.key,
                )  # fmt: skip
                try:
                    await sync_soon(store, service.key)
                except StoreError as store_exc:  # the next regular sync finds it all the same
                    log.warning("could not ask for an early %s sync: %s", service.key, store_exc)
            raise
    try:
        # useapi.net has it now: worth waiting for the lock as long as the scheduler does.
        with write_patience(BACKGROUND_PATIENCE):
            async with store.atomic():  # the account and its audit entry, or neither
                tracked = await record_registration(
                    store, info, user_id=user_id, now=now, noun=service.expiry_noun
                )
                await store.audit(
                    now=now,
                    actor_id=user_id,
                    action="register",
                    service=service.key,
                    target=info.account,
                    outcome="ok",
                    detail=f"expires {info.expires_at.isoformat()}" if info.expires_at else "expiry unknown",
                )
    except StoreError as exc:
        metrics.record_registration(service.key, "not_recorded")
        raise RecordingFailed(info) from exc
    metrics.record_registration(service.key, "ok")
    if tracked and info.created:
        info = replace(info, created=False)  # useapi.net said "created"; the team renewed it
    log.info("%s account %s registered by %s", service.key, info.account, user_id)
    return info
