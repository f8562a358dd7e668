"""Two instances on one database: only the lease holder sends; the other says so once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.lease import DEFAULT_TTL, KEEP_EVERY, RENEWAL_PERIOD, RENEWAL_SLACK, Lease, new_instance_id
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


async def test_a_restarted_container_takes_the_lease_back_within_one_renewal_period(
    stores: tuple[Store, Store], caplog: pytest.LogCaptureFixture
) -> None:
    """(Until issue 18 a run with the same host:pid took the lease at once, "left by a previous
    run of this process": two live containers with one host name, both PID 1, then both sent.)
    A container restarted in place after a crash is told apart from a live twin by renewals
    only: the crashed run's lease lapses DEFAULT_TTL (45 s) after its last renewal, not 90 s."""
    caplog.set_level(logging.INFO, logger="bot.lease")
    assert DEFAULT_TTL == RENEWAL_PERIOD + RENEWAL_SLACK == timedelta(seconds=45)
    crashed = Lease(stores[0], "host-1:1:aaaa")
    assert (await crashed.renew(NOW)).held  # its last renewal; then SIGKILL: never released
    restarted = Lease(stores[1], "host-1:1:cccc")  # same hostname, PID 1 again, a new run
    started = NOW + timedelta(seconds=5)
    standing = await restarted.renew(started)
    assert not standing.held and standing.expires_at == NOW + DEFAULT_TTL
    assert not (await restarted.renew(NOW + DEFAULT_TTL - timedelta(seconds=1))).held
    taken = await restarted.renew(standing.expires_at)  # the standby tries again at that moment
    assert taken.held and taken.holder == "host-1:1:cccc"
    assert standing.expires_at - started == timedelta(seconds=40)  # taken 40 s after the restart
    assert not any("previous run" in line for line in lease_lines(caplog))


async def test_two_live_instances_with_one_host_and_pid_never_both_hold_it(
    stores: tuple[Store, Store],
) -> None:
    """Two containers with the same host name, both PID 1, both renewing every pass."""
    first, second = Lease(stores[0], "warden:1:" + "a" * 16), Lease(stores[1], "warden:1:" + "b" * 16)
    holders = []
    for step in range(40):  # passes 10 s apart, interleaved
        now = NOW + timedelta(seconds=10 * step)
        one, two = await first.renew(now), await second.renew(now + timedelta(seconds=1))
        assert one.held != two.held
        holders.append(first.instance_id if one.held else second.instance_id)
    assert set(holders) == {first.instance_id}  # the first to take it keeps it while it lives


def test_in_one_process_two_runs_share_host_and_pid_but_not_their_id() -> None:
    a, b = new_instance_id(), new_instance_id()
    assert a.rsplit(":", 1)[0] == b.rsplit(":", 1)[0] and a != b
    assert len(a.rsplit(":", 1)[1]) == 16  # 64 random bits


def test_the_lease_outlives_every_gap_between_a_live_holders_renewals() -> None:
    """The scheduler sleeps at most MAX_SLEEP between passes and renews every KEEP_EVERY during
    one: both well inside the TTL, with the slack for a busy database and the wake-up padding."""
    from cogs.alerts._cog import MAX_SLEEP, WAKE_PAD

    assert MAX_SLEEP <= RENEWAL_PERIOD and KEEP_EVERY < RENEWAL_PERIOD
    busy_database = timedelta(seconds=5)  # SQLite's busy_timeout, bot/tables/base.py
    assert RENEWAL_PERIOD + WAKE_PAD + 2 * busy_database < DEFAULT_TTL
