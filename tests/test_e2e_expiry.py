"""The expiry watch in real time: no FakeClock, the scheduler's own loop, the bot's own commands.

The useapi.net double gives a registered Luma session an expiry a few seconds ahead; an admin
sets stages of a few seconds with `/alerts stages` and a channel with `/alerts channel`.
The scheduler must post exactly one warning per stage (and one when expired), each on time,
and a bot restarted on the same database must post none of them again.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import WardenBot
from bot.watch import PassReport
from cogs.alerts import AlertsCog
from tests.harness import Rig, running_rig

EPHEMERAL = 64
SESSION = "ExpiryLumaSess10nHq4Lm8Wz"
EMAIL = "deadline@example.com"
STAGES = (
    (4, "Luma session expires within 4s"),
    (2, "Luma session expires within 2s"),
    (0, "Luma session expired"),
)
# From the due moment to the double receiving the post. The loop wakes 0.1 s after the due moment;
# the rest is one pass. Generous for a loaded CI machine; bench/ measures the real figure.
MAX_LATENESS = 2.0


def alerts_cog(bot: WardenBot | None) -> AlertsCog:
    assert bot is not None
    found = bot.get_cog("AlertsCog")
    assert found is not None and found.scheduler.is_running()  # type: ignore[attr-defined]
    return found  # type: ignore[return-value]


def warnings_in(rig: Rig, channel_id: int) -> list[Any]:
    """Accepted posts to the channel that carry an embed (renewal notices have none)."""
    return [
        r
        for r in rig.discord.requests_to("POST", rf"/channels/{channel_id}/messages")
        if r.json.get("embeds")
    ]


async def until(predicate: Any, timeout: float) -> None:
    async def poll() -> None:
        while not predicate():  # noqa: ASYNC110 - the scheduler loop exposes nothing to await
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def first_loop_pass(cog: AlertsCog, timeout: float = 5) -> tuple[PassReport, PassReport]:
    """The loop's first pass and one more by hand. `last_report` is published when a pass ends,
    so the first is complete; the second runs after it (passes share a lock)."""
    await until(lambda: cog.last_report is not None, timeout)
    first = cog.last_report
    assert first is not None
    return first, await cog.run_pass()


async def test_each_stage_warns_once_on_time_and_a_restart_sends_none_again(tmp_path: Path) -> None:
    async with running_rig(tmp_path) as rig:  # the system clock; the scheduler loop runs by itself
        admin, member = rig.discord.admin_id, rig.discord.member_ids[0]
        channel = rig.discord.general_channel_id

        set_stages = await rig.slash("alerts", "stages", user=admin, service="luma", stages="4s,2s")
        assert set_stages.data["flags"] & EPHEMERAL
        assert "4s, 2s before expiry, and when expired" in (await rig.answer(set_stages))["content"]
        granted = await rig.slash("access", "grant", user=admin, target=member)
        assert "may now register" in (await rig.answer(granted))["content"]

        # useapi.net will answer the registration with an expiry 6 to 7 seconds from now.
        expires = int(time.time()) + 7
        rig.useapi.add_luma_session(SESSION, EMAIL, expires=datetime.fromtimestamp(expires, UTC))
        opened = await rig.slash("luma", "register", user=member)
        done = await rig.followup(await rig.submit(opened, {"cookie": SESSION}, user=member))
        assert EMAIL in done["embeds"][0]["description"]

        # Choosing the channel wakes the scheduler, which then plans the three stages.
        chosen = await rig.slash("alerts", "channel", user=admin, channel=channel)
        assert f"<#{channel}>" in (await rig.answer(chosen))["content"]
        assert time.time() < expires - 4, "set-up took too long: the first stage is already due"

        await until(lambda: len(warnings_in(rig, channel)) == 3, timeout=expires - time.time() + 5)
        wall_minus_monotonic = time.time() - time.monotonic()
        posted = warnings_in(rig, channel)
        for (lead, title), rec in zip(STAGES, posted, strict=True):
            embed = rec.json["embeds"][0]
            assert embed["title"] == title
            assert EMAIL in embed["description"] and f"<t:{expires}:F>" in json.dumps(embed)
            button, claim = rec.json["components"][0]["components"]
            assert button["custom_id"] == "warden:renew:luma" and button["label"] == "Renew Luma"
            assert claim["custom_id"] == "warden:claim:luma" and claim["label"] == "I'm on it"
            # No role is set: only the account's owner (the member who registered it) is pinged.
            assert rec.json["allowed_mentions"]["parse"] == [] and rec.json.get("content") == f"<@{member}>"
            assert [int(u) for u in rec.json["allowed_mentions"]["users"]] == [member]
            lateness = rec.at + wall_minus_monotonic - (expires - lead)
            assert -0.05 < lateness < MAX_LATENESS, (title, lateness)

        # Exactly one per stage: another pass right now sends nothing.
        cog = alerts_cog(rig.bot)
        report = await cog.run_pass()
        assert report.leader and report.error is None and report.sent == [] and report.next_due is None
        # The alert channel got the renewal notice only; the warnings went where /alerts channel said.
        (notice,) = rig.discord.requests_to("POST", rf"/channels/{rig.discord.alert_channel_id}/messages")
        assert not notice.json.get("embeds") and EMAIL in notice.json["content"]

        # A new bot on the same database: it takes the lease, passes, and posts nothing again.
        await rig.stop_bot()
        restarted = await rig.start_bot()
        cog = alerts_cog(restarted)
        first, again = await first_loop_pass(cog)
        assert first.leader and first.error is None and first.sent == [] and first.skipped == []
        assert again.leader and again.error is None and again.sent == [] and again.failed == []
        assert len(warnings_in(rig, channel)) == 3
        store = restarted.store
        async with store.db.execute(
            "SELECT stage, status FROM alert_warnings WHERE account = ? ORDER BY recorded_at, stage DESC",
            (EMAIL,),
        ) as cur:
            rows = [tuple(r) for r in await cur.fetchall()]
        assert sorted(rows) == [("2s", "sent"), ("4s", "sent"), ("expired", "sent")]
