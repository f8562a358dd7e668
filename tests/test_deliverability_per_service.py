"""The deliverability gate asked per service (bot/deliverability.py with bot/routing.py): a pass
asks for the team's channel and for each service with a warning due. Asking for both never
resets how long a problem has lasted, and each problem is logged once, not at every pass."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.deliverability import Deliverability
from bot.delivery import DeliveryError, Problem
from bot.store import Store
from tests.clock import FakeClock

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TEAM, OWN = 1300000000000000200, 1300000000000000777


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "warden.sqlite3")
    yield opened
    await opened.close()


def gate(store: Store, clock: FakeClock, team: int | None) -> Deliverability:
    async def channel_of(service: str | None) -> int | None:
        return OWN if service == "luma" else team  # Luma has a channel of its own

    return Deliverability(store, clock, channel_of)


async def test_no_team_channel_keeps_its_since_while_a_service_channel_works(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    delivery = gate(store, clock, team=None)
    with caplog.at_level(logging.WARNING, logger="bot.deliverability"):
        for _ in range(3):  # three passes, each asking for the team and for Luma
            team = await delivery.blocked()
            assert await delivery.can_deliver("luma") is None
            assert team is not None and team.problem is Problem.UNCONFIGURED and team.since == START
            clock.advance(timedelta(minutes=1))
    assert len([r for r in caplog.records if "no warning can be posted" in r.getMessage()]) == 1


async def test_two_channels_refusing_differently_are_each_said_once(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    delivery = gate(store, clock, team=TEAM)
    forbidden = DeliveryError("the bot lacks permission", channel_wide=True, problem=Problem.FORBIDDEN)
    gone = DeliveryError("the channel no longer exists", channel_wide=True, problem=Problem.CHANNEL_GONE)
    with caplog.at_level(logging.INFO, logger="bot.deliverability"):
        await delivery.learn(TEAM, forbidden)
        await delivery.learn(OWN, gone)
        for _ in range(3):
            assert (await delivery.blocked()).problem is Problem.FORBIDDEN  # type: ignore[union-attr]
            assert (await delivery.blocked("luma")).problem is Problem.CHANNEL_GONE  # type: ignore[union-attr]
            clock.advance(timedelta(minutes=1))
        said = [r.getMessage() for r in caplog.records if "no warning can be posted" in r.getMessage()]
        assert len(said) == 2
        # Luma's own channel works again: said for it; the team's problem stands, not said again.
        await delivery.delivered(OWN)
        assert await delivery.can_deliver("luma") is None
        assert (await delivery.blocked()).problem is Problem.FORBIDDEN  # type: ignore[union-attr]
    lines = [r.getMessage() for r in caplog.records]
    assert [line for line in lines if "works again" in line] == [
        f"posting to channel {OWN} works again; warnings are posted there as they fall due"
    ]
    assert len([line for line in lines if "no warning can be posted" in line]) == 2
