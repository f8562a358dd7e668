"""Credits and quotas, and the answers that mean "act now" (issue 21), end to end: the real bot
(shipped defaults, but for SERVICES where a test is about another service) against the Discord
and useapi.net doubles, on a FakeClock, each scheduler pass driven by hand.

- `/alerts credits`: a threshold warns once per crossing, re-armed by a top-up and resolved by
  edit then, each crossing its own message (its own nonce); a quota window's warning resolves
  itself at the window's reset; bad input gets a sentence and changes nothing.
- `/accounts` shows what each account has left; a registration answer carrying credits shows them.
- 596 and 412, in registrations and in details reads; a 429's retryAt.
- The credit step makes no useapi.net call of its own (the counts are measured here).
Every rig is swept for secrets when its block ends (tests/harness.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import settings
from bot.watch import DETAILS_INTERVAL
from tests.catalogue import manual_rig
from tests.clock import FakeClock
from tests.conftest import services_marked
from tests.harness import Rig, running_rig
from tests.test_alerts import EPHEMERAL, SESSION, START, H, clock, cog, grant, run_pass, warnings

EMAIL = "studio@example.com"
BROKEN = {"error": f"Account {EMAIL} in error state: refresh token rejected", "code": 596}
NO_CREDITS = {"error": "Not enough credits: requested 3, available 0", "code": 412}
LATER = timedelta(minutes=1)


@pytest.fixture
async def rig(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    """Shipped defaults on a FakeClock, passes driven by hand; the bot is started by the test."""
    async with running_rig(
        tmp_path, clock=FakeClock(START), start=False, alerts_autostart=False, **services_marked(request)
    ) as rig:
        yield rig


async def credits_command(rig: Rig, service: str, threshold: str, *, user: int | None = None) -> str:
    answer = await rig.slash(
        "alerts", "credits", user=user or rig.discord.admin_id, service=service, threshold=threshold
    )
    assert answer.data["flags"] & EPHEMERAL
    return str((await rig.answer(answer))["content"])


def live(rig: Rig, message: dict[str, Any]) -> dict[str, Any]:
    """The message as Discord holds it now (after edits)."""
    return rig.discord.messages[int(message["id"])]


def field(message: dict[str, Any], name: str) -> str:
    return next(f["value"] for f in message["embeds"][0]["fields"] if f["name"] == name)


def buttons(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components") or [] for c in row["components"]]


def calls(rig: Rig) -> int:
    """Calls about the service's accounts (the team watch's GET /v2/account aside)."""
    return sum(1 for request in rig.useapi.requests if not request.path.startswith("/v2/account"))


async def after_details_interval(rig: Rig) -> None:
    """The live details are due again: a round of the reader beside the passes (bot/details.py)
    reads them, as the running bot's would, then a pass judges the figures."""
    clock(rig).advance(DETAILS_INTERVAL + LATER)
    await run_pass(rig)
    await cog(rig).watch.read_details()
    await run_pass(rig)


# -- /alerts credits, a Luma account --------------------------------------------------------------


async def test_a_threshold_warns_once_per_crossing_and_re_arms_after_a_top_up(rig: Rig) -> None:
    acc = rig.useapi.set_luma_account(EMAIL, START + 30 * 24 * H, credits={"usage": 9950, "limit": 10000})
    await rig.start_bot()
    await run_pass(rig)  # the list, and the new account's live details (its credits)
    assert warnings(rig) == []  # default: no threshold, no credit warning
    said = await credits_command(rig, "luma", "100")
    assert said.startswith(
        "✅ Luma credit warnings: credits below 100 credits. Each crossing is said once"
    ), said
    assert "live details" in said
    assert await settings.CREDIT_THRESHOLDS.raw(rig.bot.store, "luma") == "credits 100"  # type: ignore[union-attr]

    before = calls(rig)
    report = await run_pass(rig)
    assert calls(rig) == before  # the figures were stored by reads the bot made anyway
    (warning,) = warnings(rig)
    assert report.sent and report.sent[0].stage == "credit:credits"
    embed = warning["embeds"][0]
    assert embed["title"] == "Luma account low: credits below 100 credits"
    assert field(warning, "Left") == "50 of 10,000 credits left (credits)"
    assert buttons(warning) == ["warden:claim:luma"]  # nothing to renew: no Renew button

    # I'm on it: claimed, with nothing to renew.
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    click = rig.discord.button_click("warden:claim:luma", int(warning["id"]), user=member)
    claimed = await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(click))
    assert "Top the account up" in (await rig.answer(claimed))["content"]

    # Still low at the next reads: not said again.
    for _ in range(2):
        await after_details_interval(rig)
    assert len(warnings(rig)) == 1

    # Topped up: the warning is resolved by an edit, in green, without buttons.
    acc.credits = {"usage": 0, "limit": 20000}
    await after_details_interval(rig)
    message = live(rig, warning)
    assert message["embeds"][0]["title"].startswith("✅ Resolved")
    assert "Topped up" in field(message, "Resolved") and message.get("components") in (None, [])

    # Low again: a new warning, its own message (a new nonce: Discord's dedup window, still
    # open on the double's real clock, would otherwise hand back the first message).
    acc.credits = {"usage": 19990, "limit": 20000}
    await after_details_interval(rig)
    first, second = warnings(rig)
    assert first["id"] != second["id"] and first["nonce"] != second["nonce"]
    assert field(second, "Left") == "10 of 20,000 credits left (credits)"

    # `off` clears it: the open warning is resolved as no longer watched, nothing else is said.
    said = await credits_command(rig, "luma", "off")
    assert "no credit warnings (the default)" in said
    await run_pass(rig)
    assert "switched off or lowered" in field(live(rig, second), "Resolved")
    await after_details_interval(rig)
    assert len(warnings(rig)) == 2


async def test_the_credit_step_adds_no_useapi_call_to_a_pass(rig: Rig) -> None:
    """Measured: a pass with nothing due makes no call, a pass after SYNC_INTERVAL makes one (the
    list), with thresholds set or not. (The team's GET /v2/account, read on the same schedule, is
    the team watch's, counted by tests/test_e2e_team_account.py.)"""
    rig.useapi.set_luma_account(EMAIL, START + 30 * 24 * H, credits={"usage": 9950, "limit": 10000})
    await rig.start_bot()
    await run_pass(rig)
    counted = []
    for threshold in (None, "100"):
        if threshold:
            await credits_command(rig, "luma", threshold)
        before = calls(rig)
        await run_pass(rig)
        idle = calls(rig) - before
        clock(rig).advance(rig.settings.sync_interval + timedelta(seconds=1))
        before = calls(rig)
        await run_pass(rig)
        counted.append((idle, calls(rig) - before))
    assert counted == [(0, 1), (0, 1)], counted


async def test_bad_thresholds_get_a_sentence_and_change_nothing(rig: Rig) -> None:
    await rig.start_bot()
    await credits_command(rig, "luma", "250")
    store = rig.bot.store  # type: ignore[union-attr]
    audited = len(await store.recent_audit())
    for typed, says in (
        ("lots", "Luma has no figure called `lots`"),
        ("150%", "more than 100%"),
        ("0", "A threshold of 0 never warns"),
        ("100 coins", "`coins` after the number is not understood"),
        ("", "Give a threshold"),
    ):
        said = await credits_command(rig, "luma", typed)
        assert said.startswith("❌ ") and says in said and said.endswith("Nothing was changed."), said
    assert await settings.CREDIT_THRESHOLDS.raw(store, "luma") == "credits 250"
    assert len(await store.recent_audit()) == audited
    status = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    shown = {f["name"]: f["value"] for f in (await rig.answer(status))["embeds"][0]["fields"]}
    assert shown["Credit thresholds"] == "Luma: credits below 250"
    # Members who are not admins can't.
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    said = await credits_command(rig, "luma", "off", user=member)
    assert "Only server admins" in said
    assert await settings.CREDIT_THRESHOLDS.raw(store, "luma") == "credits 250"


@pytest.mark.services("luma", "kling")
async def test_a_service_without_figures_says_why(rig: Rig) -> None:
    await rig.start_bot()
    said = await credits_command(rig, "kling", "100")
    assert said.startswith("❌ Kling has no credit or quota figure to watch: only GET /accounts/{email}")
    assert said.endswith("Nothing was changed.")
    assert await settings.CREDIT_THRESHOLDS.raw(rig.bot.store, "kling") is None  # type: ignore[union-attr]


@pytest.mark.services("luma", "gemininotebook")
async def test_autocomplete_offers_the_chosen_services_figures(rig: Rig) -> None:
    await rig.start_bot()
    await credits_command(rig, "gemininotebook", "5h 10%")

    async def offered(typed: str, user: int) -> list[str]:
        payload = rig.discord.slash_command(
            "alerts", "credits", options={"service": "gemininotebook", "threshold": typed}, user=user
        )
        payload["type"] = 4
        payload["data"]["options"][0]["options"][1]["focused"] = True
        callback = await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(payload))
        assert callback.type == 8
        return [c["value"] for c in callback.data["choices"]]

    assert await offered("", rig.discord.admin_id) == ["5h 10%", "5h off", "weekly 10%", "weekly off", "off"]
    assert await offered("week", rig.discord.admin_id) == ["weekly 10%", "weekly off"]
    assert await offered("", rig.discord.member_ids[0]) == []


# -- a quota window that refills by itself ---------------------------------------------------------


async def test_a_quota_window_warning_says_its_reset_and_resolves_itself_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with manual_rig(tmp_path, monkeypatch, "luma", "gemininotebook") as rig:
        double = rig.useapi.gemini_notebook  # type: ignore[attr-defined]
        resets = START + 2 * H
        double.set_account(EMAIL, windows=[("5h", 8.0, resets), ("weekly", 80.0, START + 96 * H)])
        await rig.start_bot()
        await run_pass(rig)
        said = await credits_command(rig, "gemininotebook", "5h 10%, weekly 20%")
        assert "account list at every sync" in said
        await run_pass(rig)
        (warning,) = warnings(rig)
        assert warning["embeds"][0]["title"] == "Gemini Notebook account low: 5-hour window below 10%"
        assert field(warning, "Left") == "8% left (5-hour window)"
        assert f"<t:{int(resets.timestamp())}:F>" in field(warning, "Resets")

        # The reset passes: resolved by itself, and the old reading (the list still shows it,
        # resetsAt now past) is no new crossing.
        clock(rig).set(resets + timedelta(seconds=1))
        await run_pass(rig)
        assert "Refilled by itself" in field(live(rig, warning), "Resolved")
        clock(rig).advance(rig.settings.sync_interval + timedelta(seconds=1))
        await run_pass(rig)
        assert len(warnings(rig)) == 1

        # The next window runs low too: a new warning.
        double.accounts[EMAIL].windows = [("5h", 4.5, START + 9 * H), ("weekly", 60.0, START + 96 * H)]
        clock(rig).advance(rig.settings.sync_interval + timedelta(seconds=1))
        await run_pass(rig)
        assert len(warnings(rig)) == 2

        # /accounts shows the windows, in percent, with their reset.
        shown = await rig.slash("accounts", "list", user=rig.discord.admin_id, service="gemininotebook")
        text = (await rig.answer(shown))["embeds"][0]["description"]
        assert "💳 5-hour window: 4.5% left (resets <t:" in text and "weekly window: 60% left" in text


# -- /accounts and the registration answer ---------------------------------------------------------


async def test_accounts_shows_what_each_account_has_left_next_to_its_expiry(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 30 * 24 * H, credits={"usage": 1250, "limit": 5000})
    rig.useapi.set_luma_account("none@example.com", START + 20 * 24 * H, credits=None)
    await rig.start_bot()
    await run_pass(rig)
    shown = await rig.slash("accounts", "list", user=rig.discord.admin_id)
    lines = (await rig.answer(shown))["embeds"][0]["description"].split("\n")
    line = next(line for line in lines if EMAIL in line)
    assert "expires <t:" in line and "· 💳 3,750 of 5,000 credits left ·" in line, line
    other = next(line for line in lines if "none@" in line)
    assert "💳" not in other  # nothing known: nothing shown
    # Hours later, a read without figures keeps them, and says how old they are.
    rig.useapi.luma_accounts[EMAIL].credits = None
    for _ in range(2):
        await after_details_interval(rig)
    shown = await rig.slash("accounts", "list", user=rig.discord.admin_id)
    line = next(
        line for line in (await rig.answer(shown))["embeds"][0]["description"].split("\n") if EMAIL in line
    )
    assert "3,750 of 5,000 credits left (as of <t:" in line, line


async def test_a_registration_answer_shows_the_credits_it_carries(rig: Rig) -> None:
    rig.useapi.add_luma_session(SESSION, EMAIL, START + 30 * 24 * H, credits={"usage": 20, "limit": 10000})
    await rig.start_bot()
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    opened = await rig.slash("luma", "register", user=member)
    answer = await rig.followup(await rig.submit(opened, {"cookie": SESSION}, user=member))
    credits = field(answer, "Credits")
    assert credits == "9,980 of 10,000 credits left (20 used)"
    stored = await rig.bot.store.credits_of([("luma", EMAIL)])  # type: ignore[union-attr]
    assert [(f.key, f.remaining, f.allowance) for f in stored[("luma", EMAIL)]] == [("credits", 9980, 10000)]


async def test_a_dreamina_registration_shows_and_keeps_its_credits(tmp_path: Path) -> None:
    """Dreamina's figures come only with a registration (`CreditSource.REGISTRATION`)."""
    from tests.test_service_dreamina import EXPIRES, PASSWORD, assert_swept

    email = "maker@example.com"
    async with running_rig(tmp_path, services=("luma", "dreamina"), sweep_secrets=False) as rig:
        rig.useapi.dreamina.teach_login(email, PASSWORD, "US", expires=EXPIRES, credits_total=24065)  # type: ignore[attr-defined]
        member = rig.discord.member_ids[0]
        await grant(rig, member)
        opened = await rig.slash("dreamina", "register", user=member)
        values = {"email": email, "password": PASSWORD, "region": "US"}
        answer = await rig.followup(await rig.submit(opened, values, user=member))
        assert field(answer, "Credits") == "24,065 credits left"
        said = await credits_command(rig, "dreamina", "30000")
        assert "carried only by registration answers" in said
        shown = await rig.slash("accounts", "list", user=rig.discord.admin_id, service="dreamina")
        assert "💳 24,065 credits left" in (await rig.answer(shown))["embeds"][0]["description"]
    assert_swept(rig, email)


# -- 596 and 412 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (596, BROKEN, "useapi.net says the Luma session behind that cookie is broken (HTTP 596)"),
        (412, NO_CREDITS, "The Luma account is out of credits upstream (HTTP 412)"),
    ],
)
async def test_596_and_412_at_registration_are_explained_and_store_nothing(
    rig: Rig, status: int, body: dict[str, Any], says: str
) -> None:
    rig.useapi.add_luma_session(SESSION, EMAIL, START + 30 * 24 * H)
    rig.useapi.inject("POST", "/v1/luma/accounts", status=status, body=body)
    await rig.start_bot()
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    opened = await rig.slash("luma", "register", user=member)
    answer = await rig.followup(await rig.submit(opened, {"cookie": SESSION}, user=member))
    assert says in answer["content"] and SESSION not in answer["content"]
    store = rig.bot.store  # type: ignore[union-attr]
    assert await store.list_accounts() == []
    assert (await store.recent_audit())[0].detail == f"HTTP {status}"


async def test_596_and_412_in_details_reads_warn_once_each_with_renew_and_resolve(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 30 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    assert warnings(rig) == []
    one = rf"/v1/luma/accounts/{EMAIL.replace('@', '%40')}|/v1/luma/accounts/{EMAIL}"
    rig.useapi.inject("GET", one, status=596, body=BROKEN, times=None)
    await after_details_interval(rig)
    (broken,) = warnings(rig)
    assert (
        field(broken, "useapi.net says") == "the account's session is broken on useapi.net: register it again"
    )
    assert "warden:renew:luma" in buttons(broken)
    await after_details_interval(rig)  # still 596: said once
    assert len(warnings(rig)) == 1
    stored = await rig.bot.store.get_account("luma", EMAIL)  # type: ignore[union-attr]
    assert stored is not None and stored.expires_at == START + 30 * 24 * H  # nothing erased

    rig.useapi.clear_faults()
    await after_details_interval(rig)
    assert "no longer reports a problem" in field(live(rig, broken), "Resolved")

    rig.useapi.inject("GET", one, status=412, body=NO_CREDITS, times=None)
    await after_details_interval(rig)
    _, empty = warnings(rig)
    assert field(empty, "useapi.net says") == "the account is out of credits upstream"


async def test_a_429_at_registration_says_when_to_try_again(rig: Rig) -> None:
    rig.useapi.add_luma_session(SESSION, EMAIL, START + 30 * 24 * H)
    back = (datetime.now(UTC) + timedelta(days=2)).replace(hour=8, minute=30, second=0, microsecond=0)
    rig.useapi.inject(
        "POST", "/v1/luma/accounts", status=429, body={"error": "Busy", "retryAt": back.isoformat()}
    )
    await rig.start_bot()
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    opened = await rig.slash("luma", "register", user=member)
    answer = await rig.followup(await rig.submit(opened, {"cookie": SESSION}, user=member))
    assert f"Try again on {back:%Y-%m-%d} at 08:30 UTC." in answer["content"], answer["content"]
