"""What a scheduler pass reads, end to end (issue 19: every kind of pass inside its budget; the
figures are bench/pass_kinds.py's): the follow-through's round trips to the database do not grow
with the open warnings, a sync that changed nothing is not planned again in its pass, and lists
read together are then read in different passes. Passes are driven by hand on a FakeClock."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from bot.store import Store
from bot.watch import FOLLOW_THROUGH_EVERY
from tests.test_alerts import START, H, clock, cog, rig, run_pass, warnings

__all__ = ["rig"]  # a fixture, imported for pytest


@contextmanager
def counted(store: Store) -> Iterator[Counter[str]]:
    """Trips to aiosqlite's thread (each statement, fetch and commit is one) and the store's reads
    of the window and the open warnings, while inside."""
    calls: Counter[str] = Counter()
    saved: dict[str, Any] = {}

    def wrap(owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)
        saved[name] = (owner, original)

        async def counting(*args: Any, **kwargs: Any) -> Any:
            calls[label] += 1
            return await original(*args, **kwargs)

        setattr(owner, name, counting)

    wrap(store.db, "_execute", "trips")
    wrap(store, "watch_window", "window")
    wrap(store, "open_warnings", "open warnings")
    try:
        yield calls
    finally:
        for name, (owner, original) in saved.items():
            setattr(owner, name, original)


async def test_a_follow_through_makes_as_many_round_trips_for_3_open_warnings_as_for_30(rig: Any) -> None:
    for n in range(3):
        rig.useapi.set_luma_account(f"a{n}@x.com", START + 5 * H)
    await rig.start_bot()
    await run_pass(rig)
    assert len(warnings(rig)) == 3
    store = rig.bot.store

    async def follow_through() -> Counter[str]:
        clock(rig).advance(FOLLOW_THROUGH_EVERY)
        with counted(store) as calls:
            await cog(rig).run_pass()
        return calls

    few = await follow_through()
    for n in range(3, 30):
        rig.useapi.set_luma_account(f"a{n}@x.com", START + 5 * H)
    clock(rig).advance(rig.settings.sync_interval)
    await run_pass(rig)
    assert len(warnings(rig)) == 30
    many = await follow_through()
    assert few["open warnings"] == many["open warnings"] == 1
    assert few["trips"] == many["trips"], (few, many)


async def test_a_sync_that_changed_nothing_is_planned_once_one_that_renewed_again(rig: Any) -> None:
    expires = START + 5 * H
    rig.useapi.set_luma_account("a@x.com", expires)
    rig.useapi.set_luma_account("b@x.com", START + 20 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    store = rig.bot.store

    clock(rig).advance(rig.settings.sync_interval + timedelta(seconds=1))
    await cog(rig).run_pass()  # a sync, and the follow-through's minute is up: followed through
    clock(rig).advance(rig.settings.sync_interval + timedelta(seconds=1))
    with counted(store) as calls:
        report = await cog(rig).run_pass()
    assert report.synced["luma"].ok and not report.synced["luma"].changes.plan_moved
    assert (calls["window"], calls["open warnings"]) == (1, 1)  # the minute was up again

    await cog(rig).run_pass()
    rig.useapi.set_luma_account("a@x.com", expires + 30 * 24 * H)  # renewed on useapi.net
    await store.set_setting("sync:luma", None)  # the list is read at this pass
    with counted(store) as calls:
        report = await cog(rig).run_pass()
    assert report.synced["luma"].changes.changed == ("a@x.com",)
    assert (calls["window"], calls["open warnings"]) == (2, 1)  # planned again, followed through
    assert [k.account for k in report.resolved] == ["a@x.com"]

    await store.set_setting("sync:luma", None)
    with counted(store) as calls:
        report = await cog(rig).run_pass()
    assert report.synced["luma"].ok and (calls["window"], calls["open warnings"]) == (1, 0)


@pytest.mark.services("luma", "kling", "dreamina")
async def test_lists_read_together_at_start_are_then_read_one_pass_at_a_time(rig: Any) -> None:
    rig.useapi.set_luma_account("a@x.com", START + 20 * 24 * H)
    rig.useapi.kling.set_account("k@x.com", START + 20 * 24 * H)
    rig.useapi.dreamina.set_account("d@x.com", "US", START + 20 * 24 * H)
    await rig.start_bot()
    first = await run_pass(rig)
    assert set(first.synced) == {"luma", "kling", "dreamina"}

    step = rig.settings.sync_interval / 3
    read: list[list[str]] = []
    for _ in range(6):  # two intervals, a pass each third of one
        clock(rig).advance(step + timedelta(seconds=1))
        read.append(sorted((await run_pass(rig)).synced))
    assert read == [["dreamina"], ["kling"], ["luma"]] * 2
