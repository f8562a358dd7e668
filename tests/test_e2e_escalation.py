"""Escalation (issue 23): `/alerts escalate <role> <after>` pings a second role once, as a reply,
about a last-stage, expired or act-now warning nobody claimed or renewed in time; a claim stops
it; a failed post is retried; a restart or a lost record never posts it twice. Off by default.

The real bot against the doubles, shipped defaults, a FakeClock, passes driven by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.watch import FOLLOW_THROUGH_EVERY
from tests.clock import FakeClock
from tests.doubles.discord_double import pinged
from tests.harness import Rig, running_rig
from tests.test_alerts import EMAIL, START, H, click, clock, grant, key, run_pass, warnings
from tests.test_e2e_owners import answer, until_edited


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with running_rig(tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False) as started:
        yield started


def escalations(rig: Rig) -> list[dict[str, Any]]:
    return [m for m in warnings(rig) if m["embeds"][0]["title"].startswith("Escalated")]


async def escalate_after_two_hours(rig: Rig) -> int:
    role = rig.discord.admin_role_id  # a second role, not the one warnings ping
    said = await answer(rig, "alerts", "escalate", user=rig.discord.admin_id, role=role, after="2h")
    assert "within 2h pings" in said and "A claim stops it" in said
    return role


async def test_a_warning_nobody_took_is_escalated_once_as_a_reply_even_across_restarts(rig: Rig) -> None:
    expires = START + 5 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "6h")]  # the last lead stage
    (warning,) = warnings(rig)
    role = await escalate_after_two_hours(rig)

    clock(rig).set(START + 2 * H - FOLLOW_THROUGH_EVERY)  # the follow-through runs once a minute
    assert (await run_pass(rig)).escalated == []
    clock(rig).set(START + 2 * H + timedelta(seconds=1))
    assert (await run_pass(rig)).escalated == [key("luma", EMAIL, expires, "6h")]
    (escalation,) = escalations(rig)
    assert escalation["type"] == 19 and escalation["message_reference"]["message_id"] == warning["id"]
    assert escalation["content"] == f"<@&{role}>" and pinged(escalation) == (set(), {role}, False)
    assert EMAIL in escalation["embeds"][0]["description"]
    assert [c["custom_id"] for c in escalation["components"][0]["components"]] == ["warden:renew:luma"]

    clock(rig).advance(H)
    assert (await run_pass(rig)).escalated == []
    await rig.stop_bot()
    await rig.start_bot()
    clock(rig).advance(FOLLOW_THROUGH_EVERY)
    assert (await run_pass(rig)).escalated == []

    # Posted but not recorded (a crash in between): tried again with the same nonce, and Discord
    # answers with the first message instead of a second.
    await rig.bot.store.db.execute("DELETE FROM escalations")  # type: ignore[union-attr]
    await rig.bot.store.db.commit()  # type: ignore[union-attr]
    clock(rig).advance(FOLLOW_THROUGH_EVERY)
    assert (await run_pass(rig)).escalated == [key("luma", EMAIL, expires, "6h")]
    assert len(escalations(rig)) == 1 and rig.discord.deduplicated

    status = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    fields = {f["name"]: f["value"] for f in (await rig.answer(status))["embeds"][0]["fields"]}
    assert fields["Escalation"].startswith(f"<@&{role}> after 2h")


async def test_a_claim_stops_it_and_a_failed_post_is_retried(rig: Rig) -> None:
    claimed_one, open_one = EMAIL, "second@example.com"
    expires = START + 5 * H
    rig.useapi.set_luma_account(claimed_one, expires)
    rig.useapi.set_luma_account(open_one, expires)
    await rig.start_bot()
    await escalate_after_two_hours(rig)
    assert len((await run_pass(rig)).sent) == 2
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    warning = next(m for m in warnings(rig) if claimed_one in m["embeds"][0]["description"])
    clock(rig).set(START + H)
    assert (
        "You're on Luma"
        in (await rig.answer(await click(rig, "warden:claim:luma", warning, member)))["content"]
    )
    await until_edited(rig, warning)  # the claim shows on the warning

    # The unclaimed one's escalation fails once (Discord errs) and goes at the next try.
    rig.discord.fail_channel_messages(rig.discord.alert_channel_id, 503, times=1)
    clock(rig).set(START + 2 * H + timedelta(seconds=1))
    assert (await run_pass(rig)).escalated == []
    clock(rig).advance(FOLLOW_THROUGH_EVERY)
    assert (await run_pass(rig)).escalated == [key("luma", open_one, expires, "6h")]
    clock(rig).set(START + 3 * H - timedelta(seconds=1))  # until the claim would lapse: nothing
    assert (await run_pass(rig)).escalated == []
    (only,) = escalations(rig)
    assert open_one in only["embeds"][0]["description"]


async def test_escalation_is_off_by_default_validated_and_switched_off(rig: Rig) -> None:
    expires = START + 5 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    admin = rig.discord.admin_id
    assert (await run_pass(rig)).sent == [key("luma", EMAIL, expires, "6h")]
    clock(rig).set(expires - timedelta(seconds=1))  # nobody took it for hours: no escalation
    assert (await run_pass(rig)).escalated == [] and escalations(rig) == []
    status = await rig.slash("alerts", "status", user=admin)
    assert {f["name"]: f["value"] for f in (await rig.answer(status))["embeds"][0]["fields"]}[
        "Escalation"
    ] == "off"
    for options, problem in (
        ({"role": rig.discord.admin_role_id, "after": "30s"}, "shorter than a minute"),
        ({"role": rig.discord.admin_role_id, "after": "soon"}, "Nothing was changed"),
        ({"after": "2h"}, "Give the role to ping"),
        ({"role": rig.discord.guild_id, "after": "2h"}, "never ping @everyone"),
    ):
        said = await answer(rig, "alerts", "escalate", user=admin, **options)
        assert problem in said, said
        assert await rig.bot.store.get_setting("escalate_role_id") is None  # type: ignore[union-attr]
    await escalate_after_two_hours(rig)
    assert await rig.bot.store.get_setting("escalate_after") == "2h"  # type: ignore[union-attr]
    assert "off" in await answer(rig, "alerts", "escalate", user=admin, after="off")
    assert await rig.bot.store.get_setting("escalate_role_id") is None  # type: ignore[union-attr]
    refused = await rig.slash("alerts", "escalate", user=rig.discord.member_ids[0], after="off")
    assert "Only server admins" in (await rig.answer(refused))["content"]
