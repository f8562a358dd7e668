"""`/alerts status` stays within Discord's embed limits with every field at its longest: every
service with a channel of its own that refused, quiet hours, escalation, failing syncs."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.expiry import Plan, Upcoming
from bot.followup import Claim, PostedWarning
from bot.models import WarningKey
from bot.quiet import QuietHours
from bot.routing import Broken, Route, Via
from bot.services import REGISTRY
from bot.sync import SyncState
from bot.watch import PassFault
from cogs.alerts._embeds import status_embed
from tests.test_owners import ACC

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_the_longest_status_fits() -> None:
    services = list(REGISTRY)
    long = "x" * 400
    acc = ACC
    keys = [WarningKey(services[i % len(services)], f"{i:03d}" + "a" * 90, 0, "24h") for i in range(40)]
    upcoming = tuple(
        Upcoming(k, acc, timedelta(hours=24), NOW + timedelta(hours=i)) for i, k in enumerate(keys)
    )
    open_warnings = [PostedWarning(k, 1, 2, NOW, None, claim=Claim(1300000000000000302, NOW)) for k in keys]
    embed = status_embed(
        now=NOW, channel_id=1, channel_is_default=False, mention_role_id=2,
        stages={key: tuple(timedelta(hours=h) for h in range(1, 40)) for key in services},
        plan=Plan((), (), upcoming, more_upcoming=99), failures={}, open_warnings=open_warnings,
        sync_states={key: SyncState(failures=9, outcome=long, last_attempt_at=NOW, next_at=NOW) for key in services},
        standing_by=True, last_error=long,
        faults=[PassFault("sync", key, long, long) for key in services],
        routes={key: Route(1300000000000000250 + i, Via.SERVICE, 1300000000000000250 + i, Broken(1, "forbidden"))
                for i, key in enumerate(services)},
        quiet_hours=QuietHours(time(22), time(7), ZoneInfo("America/Argentina/ComodRivadavia")),
        escalation=(3, timedelta(hours=2)),
    )  # fmt: skip
    assert len(embed) <= 6000 and len(embed.fields) <= 25
    assert all(len(f.value or "") <= 1024 for f in embed.fields)
    assert "Routing" in [f.name for f in embed.fields]
