"""The in-memory approval cache: immediate for its own changes, fresh within MAX_AGE for others'."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.approvals import ApprovalCache
from bot.store import Store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def test_own_changes_apply_at_once(stores: tuple[Store, Store]) -> None:
    cache = ApprovalCache(stores[0], max_age=3600)
    assert not await cache.is_approved(1, [10])
    assert await cache.grant("role", 10, granted_by=9, now=NOW)
    assert await cache.is_approved(1, [10]) and not await cache.is_approved(1, [11])
    assert await cache.grant("user", 2, granted_by=9, now=NOW)
    assert await cache.is_approved(2, [])
    assert await cache.revoke("role", 10)
    assert not await cache.is_approved(1, [10])
    assert await ApprovalCache(stores[0], max_age=0).is_approved(2, []) and not await ApprovalCache(
        stores[0], max_age=0
    ).is_approved(1, [10])


async def test_another_instances_changes_are_seen_once_the_cache_is_stale(
    stores: tuple[Store, Store],
) -> None:
    ours = ApprovalCache(stores[0], max_age=3600)
    theirs = ApprovalCache(stores[1])
    assert not await ours.is_approved(5, [])
    await theirs.grant("user", 5, granted_by=9, now=NOW)
    assert not await ours.is_approved(5, [])  # still within max_age
    fresh = ApprovalCache(stores[0], max_age=0)  # what `ours` sees once max_age has passed
    assert await fresh.is_approved(5, [])
    await theirs.revoke("user", 5)
    assert not await fresh.is_approved(5, [])
