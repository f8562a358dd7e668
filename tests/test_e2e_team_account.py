"""The team's useapi.net account, end to end: the real bot with its shipped defaults
(SERVICES=auto) against the Discord and useapi.net doubles, scheduler passes driven by a
FakeClock. The useapi.net double's GET /v2/account lists one Luma account unless a test says
otherwise (tests/doubles/useapi_double.py).

A lapsed subscription, a refused token, an API with accounts in error (with or without a
module), a broken account holding a slot: each warned once, resolved by an edit when it clears,
re-armed with a message of its own. SERVICES=auto switches on what useapi.net lists, and picks up
a new service at the next read without a restart. A retired service keeps its accounts and
refuses new ones. Every odd answer of /v2/account changes nothing. At most one /v2/account call
per sync interval.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import ops
from bot.config import Settings
from bot.team_watch import load_team_state
from bot.watch import PassReport
from tests.doubles.useapi_double import NO_SUBSCRIPTION
from tests.harness import USEAPI_TOKEN, Rig
from tests.test_alerts import START, clock, grant, rig, run_pass, warnings

__all__ = ["rig"]  # a fixture, imported for pytest

H = timedelta(hours=1)
INTERVAL = timedelta(minutes=15)  # SYNC_INTERVAL's default
EMAIL = "studio@example.com"
SUMMARY = "/v2/account"
SUBSCRIPTION_TITLE = "useapi.net subscription is not active"
TOKEN_TITLE = "useapi.net refuses the bot's API token"
GREEN = 0x2ECC71


def titles(rig: Rig) -> list[str]:
    return [m["embeds"][0]["title"] for m in warnings(rig)]


def live(rig: Rig, message: dict[str, Any]) -> dict[str, Any]:
    return rig.discord.messages[int(message["id"])]


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}


def summary_reads(rig: Rig) -> int:
    return len(rig.useapi.requests_to("GET", SUMMARY))


def log_lines(rig: Rig, text: str) -> list[str]:
    return [line for line in rig.raw_logs.lines if text in line]


def register_groups(rig: Rig) -> set[str]:
    """The `/<service>` groups synced to the guild (every command but the bot's own)."""
    synced = rig.discord.synced_guild_commands.get(rig.discord.guild_id, [])
    return {c["name"] for c in synced} - {"accounts", "access", "alerts", "notify"}


def command_syncs(rig: Rig) -> int:
    return len(rig.discord.requests_to("PUT", r"/applications/\d+/guilds/\d+/commands"))


def choices(rig: Rig, group: str, command: str) -> list[str]:
    synced = rig.discord.synced_guild_commands[rig.discord.guild_id]
    top = next(c for c in synced if c["name"] == group)
    sub = next(o for o in top["options"] if o["name"] == command)
    service = next(o for o in sub["options"] if o["name"] == "service")
    return [c["value"] for c in service["choices"]]


async def passes_until(
    rig: Rig, done: Any, *, step: timedelta = timedelta(minutes=1), most: int = 20
) -> PassReport:
    """Passes a `step` apart until `done(report)`; the report that was."""
    for _ in range(most):
        clock(rig).advance(step)
        report = await run_pass(rig)
        if done(report):
            return report
    raise AssertionError("never happened")


async def status_field(rig: Rig) -> str:
    status = await rig.slash("alerts", "status", user=rig.discord.admin_id)
    return fields(await rig.answer(status))["useapi.net account"]


# -- the subscription --------------------------------------------------------------------------


async def test_a_lapsed_subscription_is_warned_once_pinged_and_resolved_by_an_edit(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    await rig.start_bot()
    role = rig.discord.role_id
    await rig.slash("alerts", "mention", user=rig.discord.admin_id, role=role)
    first = await run_pass(rig)
    assert first.team.read is None and summary_reads(rig) == 1  # read at start-up, not again
    assert first.sent == []

    rig.useapi.lapse_subscription()  # the summary says so, and every other call answers 402
    clock(rig).advance(INTERVAL)
    report = await run_pass(rig)
    assert report.team.read is True
    [key] = report.team.sent
    assert key.stage == "team:subscription" and key.nonce != ""
    [message] = warnings(rig)
    assert message["content"] == f"<@&{role}>"  # pinged
    embed = message["embeds"][0]
    assert embed["title"] == SUBSCRIPTION_TITLE
    assert embed["description"] == (
        "The team's useapi.net subscription is not active: nothing can be rendered."
    )
    assert message["components"] == []  # nobody renews a subscription from Discord
    assert "account summary says the subscription is not active" in fields(message)["Seen"]

    # Every list read fails meanwhile: no second warning, no "can't read" notice either.
    for _ in range(8):
        await passes_until(rig, lambda r: True, step=timedelta(minutes=4))
    assert titles(rig) == [SUBSCRIPTION_TITLE]

    rig.useapi.restore_subscription()
    report = await passes_until(rig, lambda r: r.team.resolved, step=timedelta(minutes=5))
    assert report.team.resolved == [key]
    resolved = live(rig, message)
    assert resolved["embeds"][0]["title"] == f"✅ Resolved · {SUBSCRIPTION_TITLE}"
    assert resolved["embeds"][0]["color"] == GREEN and resolved["components"] == []
    assert fields(resolved)["Resolved"].startswith("useapi.net says the subscription is active again")
    assert len(warnings(rig)) == 1  # edited, not posted again

    # A second lapse is a new warning, with its own nonce (Discord would return the old one).
    rig.useapi.lapse_subscription()
    report = await passes_until(rig, lambda r: r.team.sent, step=INTERVAL)
    [again] = report.team.sent
    assert again.epoch > key.epoch and again.nonce != key.nonce
    assert len(warnings(rig)) == 2 and live(rig, warnings(rig)[1])["embeds"][0]["title"] == SUBSCRIPTION_TITLE


async def test_a_402_on_any_call_warns_and_an_active_summary_after_it_resolves(rig: Rig) -> None:
    session = "mK8jP2xZc9AfQw3LnT7vYbE1R"
    rig.useapi.add_luma_session(session, EMAIL, expires=START + 20 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    member = rig.discord.member_ids[0]
    await grant(rig, member)
    rig.useapi.inject("POST", "/v1/luma/accounts", status=402, body=NO_SUBSCRIPTION)
    opened = await rig.slash("luma", "register", user=member)
    answer = await rig.followup(await rig.submit(opened, {"cookie": session}, user=member))
    assert "subscription" in answer["content"]

    report = await run_pass(rig)  # the summary said active before the 402: the 402 wins
    [key] = report.team.sent
    assert key.stage == "team:subscription"
    [message] = warnings(rig)
    assert "answered HTTP 402" in fields(message)["Seen"]
    assert "Account has no subscription or subscription expired" in fields(message)["Seen"]

    clock(rig).advance(INTERVAL)  # the next summary says active, and nothing answered 402 since
    report = await run_pass(rig)
    assert report.team.resolved == [key]
    assert live(rig, message)["embeds"][0]["title"].startswith("✅ Resolved")


# -- the token ---------------------------------------------------------------------------------


async def test_a_refused_token_is_warned_after_three_401s_and_resolved_when_a_call_works(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)

    rig.useapi.token = "user:4242-a-token-reset-on-useapi-net"  # the team reset it on useapi.net
    outcomes = rig.bot.team.transport.outcomes  # type: ignore[union-attr]
    clock(rig).advance(INTERVAL)
    report = await run_pass(rig)  # the summary and the Luma list: two 401s, not yet three
    assert report.team.sent == [] and outcomes.token_refusals == 2
    clock(rig).advance(timedelta(minutes=1))  # both retried a minute later
    report = await run_pass(rig)
    assert outcomes.token_refusals == 4
    [key] = report.team.sent
    assert key.stage == "team:token"
    [message] = warnings(rig)
    assert message["embeds"][0]["title"] == TOKEN_TITLE
    what = fields(message)["What the bot's operator must do"]
    assert "`USEAPI_TOKEN`" in what and "restart the bot" in what
    assert message["components"] == []  # no Renew: members can't fix it
    for _ in range(5):
        await passes_until(rig, lambda r: True, step=timedelta(minutes=3))
    assert titles(rig) == [TOKEN_TITLE]  # and no "can't read Luma's accounts" notice

    rig.useapi.token = USEAPI_TOKEN  # the operator set the new token
    report = await passes_until(rig, lambda r: r.team.resolved, step=timedelta(minutes=5))
    assert report.team.resolved == [key]
    assert fields(live(rig, message))["Resolved"].startswith("useapi.net accepts the bot's API token again")


# -- broken accounts, with and without a module --------------------------------------------------


async def test_an_api_without_a_module_with_two_accounts_in_error_is_warned_and_resolved(rig: Rig) -> None:
    rig.useapi.summary_accounts["Midjourney API"] = {"total": 2, "active": 0, "error": 2}
    role = rig.discord.role_id
    await rig.start_bot()
    await rig.slash("alerts", "mention", user=rig.discord.admin_id, role=role)
    report = await run_pass(rig)
    [key] = report.team.sent
    assert (key.service, key.account, key.stage) == ("useapi.net", "Midjourney API", "team:errors")
    [message] = warnings(rig)
    assert message["embeds"][0]["title"] == "Midjourney API: 2 account(s) in error on useapi.net"
    assert message["content"] == f"<@&{role}>"  # nothing else warns about these accounts
    assert "no module" in fields(message)["Accounts in error"]
    assert message["components"] == []
    clock(rig).advance(INTERVAL)
    assert (await run_pass(rig)).team.sent == []  # once per state

    rig.useapi.summary_accounts["Midjourney API"] = {"total": 2, "active": 2}
    clock(rig).advance(INTERVAL)
    report = await run_pass(rig)
    assert report.team.resolved == [key]
    assert fields(live(rig, message))["Resolved"].startswith(
        "useapi.net no longer counts an account in error"
    )
    assert "Midjourney API" in await status_field(rig)

    # useapi.net stops listing it (retired, as a third party says Midjourney was): said once.
    del rig.useapi.summary_accounts["Midjourney API"]
    for _ in range(2):
        clock(rig).advance(INTERVAL)
        assert (await run_pass(rig)).team.sent == []
    assert len(log_lines(rig, "no longer lists 'Midjourney API'")) == 1


async def test_a_broken_account_holding_the_last_slot_is_named(rig: Rig) -> None:
    rig.useapi.summary_from_state = True  # the summary counts what the doubles hold
    rig.useapi.summary_accounts = {}
    emails = ("k1@example.com", "k2@example.com", "k3@example.com")
    for email in emails:
        rig.useapi.kling.set_account(email, START + 20 * 24 * H)
    rig.useapi.kling.set_error(emails[1], "Login failed")
    await rig.start_bot()
    assert list(rig.bot.services) == ["kling"]  # type: ignore[union-attr]
    report = await run_pass(rig)
    stages = sorted(k.stage for k in report.sent)
    assert stages[0].startswith("error:") and stages[1:] == ["team:errors", "team:slots"]
    by_title = {m["embeds"][0]["title"]: m for m in warnings(rig)}
    slot = by_title["Kling (Kling API): a broken account is holding a slot"]
    assert "uses 3 of its 3 account slots" in slot["embeds"][0]["description"]
    assert fields(slot)["Accounts in error"] == f"• {emails[1]}"
    assert "`/kling remove`" in fields(slot)["What to do"]
    errors = by_title["Kling (Kling API): 1 account(s) in error on useapi.net"]
    assert errors["content"] in (None, "")  # the account's own warning pinged already
    assert "Kling API (Kling, on): 3/3 · ⚠️ 1 in error" in await status_field(rig)

    rig.useapi.kling.remove_account(emails[1])  # the broken one deleted: the slot is free
    clock(rig).advance(INTERVAL)
    report = await run_pass(rig)
    assert sorted(k.stage for k in report.team.resolved) == ["team:errors", "team:slots"]


# -- SERVICES=auto ------------------------------------------------------------------------------


async def test_auto_switches_on_exactly_the_services_with_accounts_and_picks_up_a_new_one(rig: Rig) -> None:
    rig.useapi.summary_from_state = True
    rig.useapi.summary_accounts = {"Midjourney API": {"total": 1, "active": 1}}  # no module: ignored
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    rig.useapi.kling.set_account("k@example.com", START + 10 * 24 * H)
    await rig.start_bot()
    assert rig.settings.services == ("auto",)
    assert list(rig.bot.services) == ["luma", "kling"]  # type: ignore[union-attr]
    assert register_groups(rig) == {"luma", "kling"}
    assert choices(rig, "alerts", "stages") == ["luma", "kling"]
    syncs = command_syncs(rig)
    report = await run_pass(rig)
    assert set(report.synced) == {"luma", "kling"}

    # The team adds its first Dreamina account on useapi.net: the next read switches it on.
    rig.useapi.dreamina.set_account("d@example.com", "US", START + 10 * 24 * H)
    clock(rig).advance(timedelta(minutes=5))
    await run_pass(rig)
    assert "dreamina" not in rig.bot.services  # type: ignore[operator]  # not read yet
    clock(rig).advance(INTERVAL)
    await run_pass(rig)
    assert list(rig.bot.services) == ["luma", "dreamina", "kling"]  # type: ignore[union-attr]
    assert register_groups(rig) == {"luma", "dreamina", "kling"}
    assert choices(rig, "alerts", "stages") == ["luma", "dreamina", "kling"]
    assert choices(rig, "access", "audit") == ["luma", "dreamina", "kling"]
    assert command_syncs(rig) == syncs + 1
    report = await run_pass(rig)
    assert "dreamina" in report.synced  # watched without a restart
    opened = await rig.slash("dreamina", "register", user=rig.discord.admin_id)
    assert opened.type == 9  # the form

    clock(rig).advance(INTERVAL)
    await run_pass(rig)
    assert command_syncs(rig) == syncs + 1  # nothing changed: no sync

    # All of Kling's accounts deleted on useapi.net: gone from the summary, marked gone here.
    rig.useapi.kling.remove_account("k@example.com")
    for _ in range(3):
        clock(rig).advance(INTERVAL)
        await run_pass(rig)
    assert list(rig.bot.services) == ["luma", "dreamina"]  # type: ignore[union-attr]
    assert register_groups(rig) == {"luma", "dreamina"}


async def test_a_team_with_no_account_anywhere_is_offered_luma(rig: Rig) -> None:
    rig.useapi.summary_accounts = {}
    await rig.start_bot()
    assert list(rig.bot.services) == ["luma"]  # type: ignore[union-attr]
    assert register_groups(rig) == {"luma"}


async def test_without_the_summary_at_start_up_the_lists_decide(rig: Rig) -> None:
    rig.useapi.inject("GET", SUMMARY, status=503, times=1)
    rig.useapi.kling.set_account("k@example.com", START + 10 * 24 * H)
    await rig.start_bot()
    assert list(rig.bot.services) == ["kling"]  # type: ignore[union-attr]


# -- retired services ---------------------------------------------------------------------------


async def test_a_retired_service_keeps_its_accounts_is_off_under_auto_and_refuses_registrations(
    rig: Rig,
) -> None:
    emails = ("one@example.com", "two@example.com")
    for email in emails:
        rig.useapi.set_ltx_account(email, START + 10 * 24 * H)
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    await rig.start_bot(services=("luma", "ltx"))  # the team watched LTX Studio explicitly
    await run_pass(rig)
    await rig.stop_bot()

    rig.useapi.retire_ltx(410)
    read_before = len(rig.useapi.requests_to("GET", "/v1/ltxstudio/accounts"))
    await rig.start_bot(services=("auto",))
    assert list(rig.bot.services) == ["luma"]  # type: ignore[union-attr]
    assert "ltx" not in register_groups(rig)
    store = rig.bot.store  # type: ignore[union-attr]
    kept = await store.list_accounts("ltx")
    assert [a.account for a in kept] == list(emails) and all(a.gone_at is None for a in kept)
    assert log_lines(rig, "ltx looks retired on useapi.net")
    await run_pass(rig)
    assert len(rig.useapi.requests_to("GET", "/v1/ltxstudio/accounts")) == read_before + 1  # at start
    assert "LTX Studio: retired on useapi.net" in await status_field(rig)

    # Named in SERVICES, it stays, and its register command says it is retired.
    await rig.stop_bot()
    await rig.start_bot(services=("luma", "ltx"))
    answer = await rig.slash("ltx", "register", user=rig.discord.admin_id)
    assert answer.type == 4 and answer.data["flags"] & 64
    assert (await rig.answer(answer))["content"].startswith("LTX Studio is retired on useapi.net")
    assert "2 tracked LTX Studio account(s) stay listed" in (await rig.answer(answer))["content"]
    assert rig.useapi.requests_to("POST", ".*") == []
    assert (await rig.audited(lambda e: e.outcome == "refused:retired"))[0].outcome == "refused:retired"

    rig.useapi.restore_ltx()  # useapi.net brought it back
    clock(rig).advance(INTERVAL)
    await run_pass(rig)
    assert rig.bot.team.retired_since("ltx") is None  # type: ignore[union-attr]
    opened = await rig.slash("ltx", "register", user=rig.discord.admin_id)
    assert opened.type == 9


# -- the summary's odd answers and faults --------------------------------------------------------


FAULTS: dict[str, dict[str, Any]] = {
    "401": {"status": 401, "body": {"error": "Unauthorized", "code": 401}},
    "500": {"status": 500},
    "502 html": {"status": 502},
    "empty body": {"status": 200, "body": b""},
    "not json": {"malformed": True},
    "a list": {"status": 200, "body": []},
    "too slow": {"delay": 4},  # USEAPI_TIMEOUT is 3 s in the rig
}


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
async def test_a_failed_read_changes_nothing_and_is_said_once(rig: Rig, fault: dict[str, Any]) -> None:
    rig.useapi.summary_accounts["Midjourney API"] = {"total": 2, "error": 1}
    await rig.start_bot()
    await run_pass(rig)
    before = await load_team_state(rig.bot.store)  # type: ignore[union-attr]
    posted = len(warnings(rig))
    rig.useapi.inject("GET", SUMMARY, times=3, **fault)
    reads = []
    for _ in range(3):
        report = await passes_until(rig, lambda r: r.team.read is not None, step=timedelta(minutes=5))
        reads.append(report.team.read)
    assert reads == [False, False, False]
    assert not rig.bot.team.transport.outcomes.token_refused  # type: ignore[union-attr]  # one route
    after = await load_team_state(rig.bot.store)  # type: ignore[union-attr]
    assert after.summary == before.summary and after.read_at == before.read_at and after.failures == 3
    assert list(rig.bot.services) == ["luma"]  # type: ignore[union-attr]
    assert len(warnings(rig)) == posted  # the open warning stays open, nothing new
    assert len(log_lines(rig, "account summary could not be read")) == 1

    report = await passes_until(rig, lambda r: r.team.read is not None, step=timedelta(minutes=5))
    assert report.team.read is True and report.team.resolved == []
    assert len(log_lines(rig, "account summary can be read again")) == 1


ODD: dict[str, dict[str, Any]] = {
    "unknown keys": {"accounts": {"Luma API": {"total": 1}, "Sora API": {"total": 9, "error": 0}}},
    "odd types": {
        "subscriptionIsActive": "perhaps",
        "maxAccountsPerAPI": "3 or so",
        "accounts": {"Luma API": "lots"},
    },
    "no accounts": {"subscriptionIsActive": True},
    "accounts not an object": {"accounts": ["Luma API"]},
    "402 on the summary itself": {},
}


@pytest.mark.parametrize("body", ODD.values(), ids=ODD.keys())
async def test_odd_summaries_never_switch_anything_off_or_crash(rig: Rig, body: dict[str, Any]) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    await rig.start_bot()
    await run_pass(rig)
    if body:
        rig.useapi.summary_body = {**rig.useapi.team, "subscriptionIsActive": True, **body}
    else:
        rig.useapi.inject("GET", SUMMARY, status=402, body=NO_SUBSCRIPTION)
    clock(rig).advance(INTERVAL)
    report = await run_pass(rig)
    assert list(rig.bot.services) == ["luma"]  # type: ignore[union-attr]
    assert report.synced["luma"].ok and report.error is None and report.faults == []
    if body:
        assert report.team.sent == [] and warnings(rig) == []
        assert "Sora API" in await status_field(rig) or "unknown" in await status_field(rig)
    else:  # a 402 is a 402, whichever call gets it
        assert [k.stage for k in report.team.sent] == ["team:subscription"]


# -- the budget ----------------------------------------------------------------------------------


async def test_one_summary_read_per_sync_interval_at_most(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + 10 * 24 * H)
    await rig.start_bot()
    assert summary_reads(rig) == 1  # at start-up
    per_window: list[tuple[int, int]] = []
    for _window in range(4):  # an hour of passes, 30 s apart (the loop's longest sleep)
        summaries, others = summary_reads(rig), len(rig.useapi.requests) - summary_reads(rig)
        for _ in range(30):
            clock(rig).advance(timedelta(seconds=30))
            await run_pass(rig)
        per_window.append(
            (summary_reads(rig) - summaries, len(rig.useapi.requests) - summary_reads(rig) - others)
        )
    # Per SYNC_INTERVAL (15m): one summary read; the Luma list once (and its first details read).
    assert per_window == [(1, 2), (1, 1), (1, 1), (1, 1)]


async def test_the_last_good_summary_survives_a_restart(rig: Rig) -> None:
    rig.useapi.summary_accounts["Midjourney API"] = {"total": 3, "active": 3}
    await rig.start_bot()
    await run_pass(rig)
    read_at = (await load_team_state(rig.bot.store)).read_at  # type: ignore[union-attr]
    await rig.stop_bot()
    rig.useapi.inject("GET", SUMMARY, status=503, times=None)
    clock(rig).advance(H)
    await rig.start_bot()
    state = await load_team_state(rig.bot.store)  # type: ignore[union-attr]
    assert state.read_at == read_at and state.failures == 1
    assert "Midjourney API" in await status_field(rig)


async def test_status_shows_the_subscription_the_slots_and_the_reads_age(rig: Rig) -> None:
    rig.useapi.summary_accounts["Kling API"] = {"total": 2, "active": 2}
    await rig.start_bot()
    await run_pass(rig)
    clock(rig).advance(timedelta(minutes=7))
    text = await status_field(rig)
    assert "**Subscription**: ✅ active · 1 subscription(s) · renewed 2026-11-01" in text
    assert "(7 min old)" in text
    assert "**Slots** (3 per API):" in text
    assert "• Luma API (Luma, on): 1/3" in text and "• Kling API (Kling, on): 2/3" in text
    assert "Switched on (SERVICES=auto): Luma, Kling" in text


# -- check -------------------------------------------------------------------------------------


@pytest.mark.e2e
async def test_check_prints_the_account_summary_and_what_auto_switches_on(tmp_path: Path) -> None:
    from tests.doubles.useapi_double import UseapiDouble

    async with UseapiDouble(token=USEAPI_TOKEN) as ua:
        ua.summary_from_state = True
        ua.summary_accounts = {"Midjourney API": {"total": 3, "active": 2, "error": 1}}
        ua.set_luma_account(EMAIL, START + 2 * 24 * H)
        ua.kling.set_account("k@example.com", START + 2 * 24 * H)
        out = io.StringIO()
        settings = Settings(
            discord_token="MTMwMDAwMDAwMDAwMDAwMDAwMQ.Gx7Kq2.check-test-discord-token-Qw8Zx9",
            useapi_token=USEAPI_TOKEN,
            useapi_base_url=ua.base_url,
            database_path=tmp_path / "warden.sqlite3",
            useapi_timeout=timedelta(seconds=3),
        )
        status = await ops.check(settings, out, now=START)
        assert SUMMARY in [r.path for r in ua.requests]
    text = out.getvalue()
    assert status == 0, text
    lines = text.splitlines()
    assert any(line.startswith("configuration") and "services auto" in line for line in lines)
    assert "SERVICES=auto switches on: luma, kling" in text
    assert "subscription active (1 subscription(s), 3 account(s) per API, last renewed 2026-11-01)" in text
    assert "Luma API: 1 of 3 slots · Luma, switched on" in text
    assert "Kling API: 1 of 3 slots · Kling, switched on" in text
    assert "Midjourney API: 3 of 3 slots, 1 in error: a broken account holds a slot · no module" in text
    assert "Dreamina: switched off (auto: no account on useapi.net)" in text
    assert "Kling: token accepted, 1 account(s) configured (auto: 1 account(s) on useapi.net" in text
    assert USEAPI_TOKEN not in text
