"""`/alerts status` plans only the candidates for its few upcoming lines, yet says exactly what
planning every account would (`ExpiryWatch.plan_everything`, the straightforward model)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.expiry import stage_name, stages_for
from bot.registration import record_registration
from bot.services import build_services
from bot.store import Store
from bot.useapi import AccountInfo
from bot.watch import ExpiryWatch
from tests.clock import FakeClock

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def nothing(*_: object) -> None:
    raise AssertionError("nothing is posted here")


@pytest.mark.parametrize("seed", range(12))
async def test_the_status_plan_is_what_planning_everything_says(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient() as http:
        services = build_services(
            http, base_url="http://unused", token="t" * 20, timeout=1, enabled=("luma", "ltx")
        )
        watch = ExpiryWatch(
            store, services, FakeClock(NOW), sync_interval=timedelta(minutes=15),
            send_warning=nothing, send_notice=nothing,  # type: ignore[arg-type]
        )  # fmt: skip
        stages = await watch.stages()
        for n in range(rng.randint(0, 120)):
            service = rng.choice(("luma", "ltx"))
            expires = NOW + timedelta(hours=rng.uniform(-48, 24 * 12)) if rng.random() > 0.05 else None
            info = AccountInfo(service, f"a{n}@example.com", expires_at=expires)
            await record_registration(store, info, user_id=1, now=NOW - timedelta(days=1))
            if expires is not None and rng.random() < 0.3:  # some stages already dealt with
                lead = rng.choice(stages_for(stages, service))
                key = (service, info.account, int(expires.timestamp()), stage_name(lead))
                await store.record_alerts_skipped([key], now=NOW)  # type: ignore[list-item]
        limit = rng.choice((1, 3, 8))
        everything = await watch.plan_everything(NOW, upcoming_limit=limit)
        status = await watch.plan_for_status(NOW, upcoming_limit=limit)
        assert [a.key for a in status.due] == [a.key for a in everything.due]
        assert [u.key for u in status.upcoming] == [u.key for u in everything.upcoming]
        assert status.more_upcoming == everything.more_upcoming
