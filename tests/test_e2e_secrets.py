"""The suite-wide secret sweep (tests/harness.py) must catch a leak wherever it happens.

Every `running_rig` block that ends cleanly is swept for the scenario's secrets (both tokens,
every credential the useapi.net double knows, every cookie value posted to it or typed into a
form) in Discord traffic, log lines and database bytes. These tests leak on purpose, through
the real bot, and check the sweep names each place; and that a rig with a leak fails its test.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest

from cogs import _alert_channel as alert_channel
from tests.harness import (
    DISCORD_TOKEN,
    SWEEPS,
    USEAPI_TOKEN,
    Rig,
    running_rig,
    secrets_in_pasted_text,
    sweep,
)

SESSION = "SweepLumaSess10nKp3Wd8Rf"
TYPED_ONLY = "TypedButRefusedC00kieVal"  # typed into a form, never accepted: still a secret
EXPIRES = datetime(2026, 12, 20, 8, 30, tzinfo=UTC)


async def register(rig: Rig) -> None:
    member = rig.discord.member_ids[0]
    assert rig.bot is not None
    await rig.bot.approvals.grant("user", member, granted_by=rig.discord.admin_id, now=EXPIRES)
    rig.useapi.add_luma_session(SESSION, "sweep@example.com", expires=EXPIRES)
    opened = await rig.slash("luma", "register", user=member)
    refused = await rig.submit(opened, {"cookie": f"other_site={TYPED_ONLY}"}, user=member)
    assert "no `luma_session`" in refused.data["content"]
    opened = await rig.slash("luma", "register", user=member)
    await rig.followup(await rig.submit(opened, {"cookie": f"luma_session={SESSION}"}, user=member))


def test_pasted_text_yields_every_cookie_value_but_ids_and_short_values() -> None:
    assert secrets_in_pasted_text(f"Cookie: _ga=1; luma_session={SESSION}; tracker=GA1.2.3456789") == {
        SESSION,
        "GA1.2.3456789",
    }
    assert secrets_in_pasted_text("lt_id=user-12345678; lt_token=abcdefgh.ijk") == {"abcdefgh.ijk"}
    assert secrets_in_pasted_text(f"  {SESSION}\nagain ") == {SESSION}
    assert secrets_in_pasted_text("7") == set()


async def test_a_clean_scenario_sweeps_clean_with_the_discord_token_where_it_belongs(tmp_path: Path) -> None:
    async with running_rig(tmp_path, sweep_secrets=False) as rig:
        await register(rig)
    result = sweep(rig)
    assert result.leaks == []
    assert result.secrets == 4  # both tokens, the session, the refused cookie value
    assert result in SWEEPS
    # The Discord token did travel, but only as the bot's credentials.
    assert any(r.headers.get("Authorization") == f"Bot {DISCORD_TOKEN}" for r in rig.discord.requests)
    assert any(f.get("op") == 2 for f in rig.discord.gateway_received)


async def test_leaks_are_found_in_discord_traffic_logs_and_the_database(tmp_path: Path) -> None:
    async with running_rig(tmp_path, sweep_secrets=False) as rig:
        await register(rig)
        assert rig.bot is not None
        # Through the real bot: a message, a log line, a database row, each carrying one secret.
        await alert_channel.post(rig.bot, content=f"oops {SESSION}")
        logging.getLogger("cogs.register").info("oops %s", TYPED_ONLY)
        await rig.bot.store.set_setting("oops", USEAPI_TOKEN)
        # And the Discord token outside the Authorization header is a leak too.
        await alert_channel.post(rig.bot, embed=discord.Embed(description=DISCORD_TOKEN))
    leaks = sweep(rig).leaks
    assert any(leak.startswith("a Luma session taught") and "POST /channels/" in leak for leak in leaks)
    assert any("a value typed into a form" in leak and "log record" in leak for leak in leaks)
    assert any("a value typed into a form" in leak and "formatted log line" in leak for leak in leaks)
    assert any("a token" in leak and "database file warden.sqlite3" in leak for leak in leaks)
    assert sum(DISCORD_TOKEN[:4] in leak and "POST /channels/" in leak for leak in leaks) == 1
    assert all(SESSION not in leak and TYPED_ONLY not in leak for leak in leaks)  # named, not shown


async def test_a_rig_that_leaks_fails_its_test(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match=r"secret sweep: .*found in Discord request POST /channels/"):
        async with running_rig(tmp_path) as rig:
            rig.add_secret("ExtraSecretNamedByTheTest")
            assert rig.bot is not None
            await alert_channel.post(rig.bot, content="ExtraSecretNamedByTheTest")


async def test_a_failing_test_keeps_its_own_error(tmp_path: Path) -> None:
    with pytest.raises(ZeroDivisionError):
        async with running_rig(tmp_path) as rig:
            assert rig.bot is not None
            await alert_channel.post(rig.bot, content=USEAPI_TOKEN)
            _ = 1 / 0
