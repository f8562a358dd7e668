"""Per-service channels (issue 23): `/alerts channel [channel] service` sends one service's
warnings to its own channel and leaves the others in the team's; a deleted or forbidden own
channel falls back to the team's channel at once and says so there once; `/alerts status`
shows the routing.

The real bot against the doubles, shipped defaults (two services where routing needs two), a
FakeClock, passes driven by hand (see tests/test_alerts.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.clock import FakeClock
from tests.conftest import services_marked
from tests.harness import Rig, running_rig
from tests.test_alerts import EMAIL, START, H, clock, key, run_pass, warnings
from tests.test_e2e_owners import answer

KLING = "kling@example.com"
OWN = 1300000000000000250  # a channel the double adds for Luma's warnings
FALLBACK_NOTICE = "Luma warnings can't be posted in their channel"


@pytest.fixture
async def rig(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    async with running_rig(
        tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False, **services_marked(request)
    ) as started:
        started.discord.channels[OWN] = started.discord._text_channel(OWN, "luma-alerts", 2)
        yield started


def notices(rig: Rig) -> list[str]:
    """What the team's channel was told in plain text (no embed)."""
    team = rig.discord.channel_messages.get(rig.discord.alert_channel_id, [])
    return [m["content"] for m in team if not m["embeds"]]


def titles(messages: list[dict[str, Any]]) -> list[str]:
    return [f"{m['embeds'][0]['title']} · {m['embeds'][0]['description']}" for m in messages]


async def routing_status(rig: Rig) -> str:
    status = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    fields = {f["name"]: f["value"] for f in (await rig.answer(status))["embeds"][0]["fields"]}
    return fields["Routing"]


@pytest.mark.services("luma", "kling")
async def test_a_service_in_its_own_channel_falls_back_when_it_is_deleted_and_says_so_once(rig: Rig) -> None:
    team = rig.discord.alert_channel_id
    expires = START + 5 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    rig.useapi.kling.set_account(KLING, expires)
    await rig.start_bot()
    said = await answer(rig, "alerts", "channel", user=rig.discord.admin_id, channel=OWN, service="luma")
    assert f"Luma warnings will go to <#{OWN}>" in said and "the other services' stay" in said
    shown = await routing_status(rig)
    assert f"**Luma** → <#{OWN}> (its own)" in shown and f"**Kling** → <#{team}> (the team's)" in shown

    assert len((await run_pass(rig)).sent) == 2
    assert titles(warnings(rig, OWN)) == [f"Luma session expires within 6h · **{EMAIL}**"]
    assert titles(warnings(rig, team)) == [f"Kling session expires within 6h · **{KLING}**"]
    clock(rig).set(expires + timedelta(seconds=5))
    assert len((await run_pass(rig)).sent) == 2
    assert len(warnings(rig, OWN)) == 2 and len(warnings(rig, team)) == 2

    # The channel goes. The next Luma post (a reminder answering the expired warning there) goes
    # to the team's channel at once, as a plain message, and the team's channel is told once.
    await rig.discord.delete_channel(OWN)
    clock(rig).advance(24 * H)
    report = await run_pass(rig)
    assert sorted(k.service for k in report.reminded) == ["kling", "luma"]
    assert [n for n in notices(rig) if FALLBACK_NOTICE in n] == [
        f"⚠️ {FALLBACK_NOTICE}: <#{OWN}> no longer exists. They come here until an admin picks another "
        "channel for them (`/alerts channel`)."
    ]
    reminders = [m for m in warnings(rig, team) if m["embeds"][0]["title"].startswith("Reminder")]
    luma_reminder = next(m for m in reminders if EMAIL in m["embeds"][0]["description"])
    assert luma_reminder["type"] == 0  # its warning's channel is gone: not a reply
    assert await rig.bot.store.get_setting("alert_channel_broken:luma") == f"{OWN}:deleted"  # type: ignore[union-attr]

    # Later Luma warnings go straight to the team's channel; nothing more is said.
    tried = len(rig.discord.requests_to("POST", rf"/channels/{OWN}/messages"))
    rig.useapi.set_luma_error(EMAIL, "Session refresh failed")
    clock(rig).advance(timedelta(minutes=16))
    sent = (await run_pass(rig)).sent
    assert [k.stage[:6] for k in sent] == ["error:"] and sent[0].service == "luma"
    assert warnings(rig, team)[-1]["embeds"][0]["title"].startswith("useapi.net reports a problem")
    assert len(rig.discord.requests_to("POST", rf"/channels/{OWN}/messages")) == tried
    assert len([n for n in notices(rig) if FALLBACK_NOTICE in n]) == 1
    shown = await routing_status(rig)
    assert f"**Luma** → <#{team}>: ⚠️ its own channel <#{OWN}> was deleted" in shown

    # Back to the team's channel by choice: the refusal is forgotten.
    back = await answer(rig, "alerts", "channel", user=rig.discord.admin_id, service="luma")
    assert f"Luma warnings go to the team's channel <#{team}> again" in back
    assert await rig.bot.store.get_setting("alert_channel_broken:luma") is None  # type: ignore[union-attr]


async def test_a_forbidden_service_channel_falls_back_each_time_until_it_works_again(rig: Rig) -> None:
    team = rig.discord.alert_channel_id
    second = "second@example.com"
    first_expires, second_expires = START + 5 * H, START + 5 * H + timedelta(minutes=30)
    rig.useapi.set_luma_account(EMAIL, first_expires)
    rig.useapi.set_luma_account(second, second_expires)
    await rig.start_bot()
    await answer(rig, "alerts", "channel", user=rig.discord.admin_id, channel=OWN, service="luma")
    rig.discord.fail_channel_messages(OWN, 403)

    report = await run_pass(rig)
    assert sorted(report.sent) == sorted(
        [key("luma", EMAIL, first_expires, "6h"), key("luma", second, second_expires, "6h")]
    )
    assert len(rig.discord.requests_to("POST", rf"/channels/{OWN}/messages")) == 2  # each tried first
    assert len(warnings(rig, team)) == 2 and warnings(rig, OWN) == []
    (told,) = [n for n in notices(rig) if FALLBACK_NOTICE in n]
    assert f"the bot may not post in <#{OWN}>" in told and "until it may again" in told
    assert "refused the last post" in await routing_status(rig)

    # The permission is back: the next post goes there, and the refusal is forgotten.
    rig.discord.clear_channel_faults()
    clock(rig).set(first_expires + timedelta(seconds=5))
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, first_expires, "expired")]
    assert titles(warnings(rig, OWN)) == [f"Luma session expired · **{EMAIL}**"]
    assert await rig.bot.store.get_setting("alert_channel_broken:luma") is None  # type: ignore[union-attr]

    # Refused again later: a new stretch, said again.
    rig.discord.fail_channel_messages(OWN, 403)
    clock(rig).set(second_expires + timedelta(seconds=5))
    assert (await run_pass(rig)).sent == [key("luma", second, second_expires, "expired")]
    assert len([n for n in notices(rig) if FALLBACK_NOTICE in n]) == 2
    assert titles(warnings(rig, team))[-1] == f"Luma session expired · **{second}**"


async def test_a_service_channel_and_the_teams_both_refusing_keeps_the_warning_pending(rig: Rig) -> None:
    expires = START + 5 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    await answer(rig, "alerts", "channel", user=rig.discord.admin_id, channel=OWN, service="luma")
    rig.discord.fail_channel_messages(OWN, 403)
    rig.discord.fail_channel_messages(rig.discord.alert_channel_id, 403)
    report = await run_pass(rig)
    assert report.sent == [] and [k for k, _ in report.failed] == [key("luma", EMAIL, expires, "6h")]
    assert await rig.bot.store.get_setting("alert_channel_broken:luma") is None  # type: ignore[union-attr]
    # Both refusals are learned (bot/deliverability.py): held, nothing tried, until the retry
    # an hour later (or /alerts channel, or a successful /alerts test).
    rig.discord.clear_channel_faults()
    clock(rig).advance(timedelta(seconds=30))
    held = await run_pass(rig)
    assert held.sent == [] and [k for k, _ in held.failed] == [key("luma", EMAIL, expires, "6h")]
    clock(rig).advance(timedelta(hours=1))
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "6h")]
    assert len(warnings(rig, OWN)) == 1 and notices(rig) == []
