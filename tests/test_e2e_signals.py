"""What really needs a person (issue 13's principle), end to end through the scheduler: each
"act now" signal warns once, with the Renew button, and re-arms when it clears; a short-lived
token that useapi.net refreshes is never a deadline. Passes are driven by hand on a FakeClock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.signals import UNREFRESHED_GRACE
from bot.watch import DETAILS_INTERVAL
from tests.harness import Rig
from tests.test_alerts import START, H, clock, rig, run_pass, warnings

__all__ = ["rig"]  # a fixture, imported for pytest

EMAIL = "studio@example.com"


def titles(rig: Rig) -> list[str]:
    return [m["embeds"][0]["title"] for m in warnings(rig)]


def renew_buttons(message: dict[str, object]) -> list[str]:
    rows = message.get("components") or []
    assert isinstance(rows, list)
    return [c["custom_id"] for row in rows for c in row["components"] if "renew" in c["custom_id"]]


async def test_a_revoked_luma_session_warns_once_long_before_it_expires_and_re_arms(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 20 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    assert warnings(rig) == []  # the live check says valid: nothing to say
    assert any(r.path == f"/v1/luma/accounts/{EMAIL}" for r in rig.useapi.requests)

    rig.useapi.luma_accounts[EMAIL].revoked = True
    clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
    await run_pass(rig)
    (warning,) = warnings(rig)
    assert "no longer valid" in str(warning["embeds"][0]) and renew_buttons(warning) == ["warden:renew:luma"]

    # Read again hours later, still revoked: not said twice.
    for _ in range(3):
        clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
        await run_pass(rig)
    assert len(warnings(rig)) == 1
    stored = await rig.bot.store.get_account("luma", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.session_valid is False and stored.last_error

    # Valid again (renewed outside the bot), then revoked again: warned again. (Hours pass on the
    # FakeClock but not on the Discord double's real-time nonce window, which would otherwise
    # hand back the first message for the re-armed warning's identical nonce.)
    rig.discord.nonce_window = 0
    rig.useapi.luma_accounts[EMAIL].revoked = False
    clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
    await run_pass(rig)
    assert len(warnings(rig)) == 1
    stored = await rig.bot.store.get_account("luma", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.session_valid is True and stored.last_error is None, stored
    rig.useapi.luma_accounts[EMAIL].revoked = True
    clock(rig).advance(DETAILS_INTERVAL + timedelta(minutes=1))
    await run_pass(rig)
    assert len(warnings(rig)) == 2


async def test_an_expired_luma_session_is_not_also_called_revoked(rig: Rig) -> None:
    expires = START + 80 * H
    rig.useapi.set_luma_account(EMAIL, expires)
    await rig.start_bot()
    await run_pass(rig)
    clock(rig).set(expires + timedelta(minutes=5))
    await run_pass(rig)
    assert titles(rig) == ["Luma session expired"]


@pytest.mark.services("luma", "ltx")
async def test_an_ltx_token_useapi_renews_itself_is_watched_by_its_refresh_token(rig: Rig) -> None:
    rig.useapi.ltx_list_refresh_expiry = True
    token, refresh = START + 80 * H, START + 30 * 24 * H
    rig.useapi.set_ltx_account(EMAIL, token, refresh)
    await rig.start_bot()
    await run_pass(rig)
    stored = await rig.bot.store.get_account("ltx", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.expires_at == token and not stored.self_renewing

    # useapi.net moves tokenExpire forward by itself, with no registration in between.
    rig.useapi.set_ltx_expiry(EMAIL, token_expire=token + 24 * H)
    clock(rig).advance(rig.settings.sync_interval + timedelta(seconds=1))
    await run_pass(rig)
    stored = await rig.bot.store.get_account("ltx", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.self_renewing and stored.expires_at == refresh
    assert stored.self_renewing_expires_at == token + 24 * H

    # The tokenExpire stages no longer fire: the deadline is the refresh token's, 30 days out.
    clock(rig).set(token + 24 * H - 6 * H + timedelta(minutes=1))
    await run_pass(rig)
    assert warnings(rig) == []
    # ... but a tokenExpire that passes unrefreshed needs a person at once.
    clock(rig).set(token + 24 * H + UNREFRESHED_GRACE + rig.settings.sync_interval)
    await run_pass(rig)
    (warning,) = warnings(rig)
    assert "has not refreshed it" in str(warning["embeds"][0])


@pytest.mark.services("luma", "googleflow")
async def test_google_flow_warns_on_health_and_by_its_cookies_not_its_daily_session(rig: Rig) -> None:
    flow = rig.useapi.google_flow  # type: ignore[attr-defined]
    cookies_expire = START + 40 * 24 * H
    flow.set_account(
        EMAIL,
        account_expires=[cookies_expire, START + 90 * 24 * H],
        session_expires=START + 20 * H,
        next_refresh=START + 19 * H,
    )
    await rig.start_bot()
    await run_pass(rig)
    stored = await rig.bot.store.get_account("googleflow", EMAIL)  # type: ignore[union-attr]
    # The list is a summary: the deadline came from the account's details (its cookies).
    assert stored is not None and stored.expires_at == cookies_expire
    assert stored.self_renewing_expires_at == START + 20 * H

    # A week of useapi.net refreshing the day-long session: never a warning.
    for day in range(1, 8):
        flow.set_session(EMAIL, START + (20 + 24 * day) * H)
        clock(rig).set(START + 24 * day * H)
        await run_pass(rig)
    assert warnings(rig) == []
    stored = await rig.bot.store.get_account("googleflow", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.expires_at == cookies_expire  # kept through list syncs

    flow.set_health(EMAIL, "ERROR: sign-in required")
    clock(rig).advance(rig.settings.sync_interval + timedelta(seconds=1))
    await run_pass(rig)
    (warning,) = warnings(rig)
    assert "sign-in required" in str(warning["embeds"][0]) and renew_buttons(warning) == [
        "warden:renew:googleflow"
    ]


@pytest.mark.services("luma", "flowmusic")
async def test_flow_music_warns_only_when_its_hourly_token_is_not_refreshed(rig: Rig) -> None:
    music = rig.useapi.flowmusic  # type: ignore[attr-defined]
    music.set_account(EMAIL, access_token_expires_at=START + H)
    await rig.start_bot()
    await run_pass(rig)
    for hour in range(1, 25):  # a day of hourly refreshes by useapi.net
        music.set_access_expiry(EMAIL, START + (hour + 1) * H)
        clock(rig).set(START + hour * H)
        await run_pass(rig)
    assert warnings(rig) == []
    # The refresh stops: once the token is well past its expiry, a person is needed.
    clock(rig).set(START + 25 * H + UNREFRESHED_GRACE + rig.settings.sync_interval)
    await run_pass(rig)
    (warning,) = warnings(rig)
    assert "has not refreshed it" in str(warning["embeds"][0])
    # useapi.net's own word ("needs re-authentication") is a distinct reason: said once more.
    music.set_error(EMAIL, "account needs re-authentication (re-run POST /accounts)")
    clock(rig).advance(rig.settings.sync_interval + timedelta(seconds=1))
    await run_pass(rig)
    assert len(warnings(rig)) == 2 and "re-authentication" in str(warnings(rig)[1]["embeds"][0])
