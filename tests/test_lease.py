"""Two instances on one database: only the lease holder sends; the other says so once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.lease import Lease, new_instance_id
from bot.store import Store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=3)


def lease_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.lease"]


async def test_only_one_instance_holds_the_lease_and_the_other_logs_once(
    stores: tuple[Store, Store], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.lease")
    a = Lease(stores[0], "instance-a", ttl=TTL)
    b = Lease(stores[1], "instance-b", ttl=TTL)
    assert (await a.renew(NOW)).held
    status = await b.renew(NOW)
    assert not status.held and status.holder == "instance-a" and status.expires_at == NOW + TTL
    assert b.standing_by
    for minute in range(1, 10):  # a keeps renewing: b stands by, and says so only once
        now = NOW + timedelta(minutes=minute)
        assert (await a.renew(now)).held
        assert not (await b.renew(now)).held
    standing_by = [line for line in lease_lines(caplog) if "another instance (instance-a)" in line]
    assert len(standing_by) == 1 and "instance-b" in standing_by[0]


async def test_an_expired_lease_is_taken_over(
    stores: tuple[Store, Store], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.lease")
    a = Lease(stores[0], "instance-a", ttl=TTL)
    b = Lease(stores[1], "instance-b", ttl=TTL)
    await a.renew(NOW)
    assert not (await b.renew(NOW + TTL - timedelta(seconds=1))).held
    # a stopped renewing (crashed): once its lease has run out, b takes over.
    taken = await b.renew(NOW + TTL)
    assert taken.held and taken.holder == "instance-b"
    assert any("taken over by this instance (instance-b)" in line for line in lease_lines(caplog))
    # a comes back: it is now the one standing by.
    assert not (await a.renew(NOW + TTL + timedelta(seconds=1))).held


async def test_a_released_lease_is_taken_over_at_once(stores: tuple[Store, Store]) -> None:
    a = Lease(stores[0], "instance-a", ttl=TTL)
    b = Lease(stores[1], "instance-b", ttl=TTL)
    await a.renew(NOW)
    assert not (await b.renew(NOW)).held
    await a.release()
    assert (await b.renew(NOW + timedelta(seconds=1))).held
    # Releasing a lease someone else holds changes nothing.
    await a.release()
    assert (await b.renew(NOW + timedelta(seconds=2))).held


async def test_renewing_keeps_the_first_acquisition_time(stores: tuple[Store, Store]) -> None:
    a = Lease(stores[0], "instance-a", ttl=TTL)
    await a.renew(NOW)
    await a.renew(NOW + timedelta(minutes=1))
    row = await stores[0].claim_lease(
        "scheduler", "instance-a", now=NOW + timedelta(minutes=2), ttl_seconds=180
    )
    assert row.acquired_at == NOW and row.expires_at == NOW + timedelta(minutes=5)


def test_instance_ids_are_unique_per_process_start() -> None:
    assert new_instance_id() != new_instance_id()


async def test_a_restarted_container_takes_back_the_lease_its_crashed_run_left(
    stores: tuple[Store, Store],
) -> None:
    crashed = Lease(stores[0], "host-1:1:aaaa", ttl=TTL)
    assert (await crashed.renew(NOW)).held  # then SIGKILL: never released
    other_host = Lease(stores[1], "host-2:1:bbbb", ttl=TTL)
    assert not (await other_host.renew(NOW + timedelta(seconds=5))).held
    restarted = Lease(stores[1], "host-1:1:cccc", ttl=TTL)  # same hostname, PID 1 again
    assert (await restarted.renew(NOW + timedelta(seconds=10))).held
    assert not (await other_host.renew(NOW + timedelta(seconds=15))).held
