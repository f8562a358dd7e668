"""The suite-wide secret sweep (tests/harness.py) must catch a leak wherever it happens.

Every `running_rig` block that ends cleanly is swept for the scenario's secrets (both tokens,
every credential the useapi.net double knows, every cookie value posted to it or typed into a
form) in Discord traffic, log lines, database bytes and the audit command's output; and for
every run of 8 characters of what was typed into a secret field. These tests leak on purpose,
through the real bot, and check the sweep names each place; that a rig with a leak fails its
test; and that hostile pastes into every service's form come back out nowhere, the real
`python -m bot audit` (table and `--json`) included.
"""

from __future__ import annotations

import json
import logging
import random
import string
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest

from bot.form_errors import PROBLEMS
from bot.services.luma import LumaService
from bot.useapi import AccountInfo, Submission
from cogs import _alert_channel as alert_channel
from cogs.errors import SOMETHING_WRONG
from cogs.register._form import FORM_BUG, REGISTER_BUG
from tests.harness import (
    DISCORD_TOKEN,
    MIN_SECRET_LENGTH,
    SWEEPS,
    USEAPI_TOKEN,
    Rig,
    running_rig,
    runs_in,
    secrets_in_pasted_text,
    sweep,
    typed_runs,
)
from tests.process import process_env, run_bot

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
    assert "no `luma_session`" in (await rig.answer(refused))["content"]
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


async def test_a_run_of_eight_typed_characters_is_a_leak_wherever_it_appears(tmp_path: Path) -> None:
    """Issue 18: the secret came back cut short ("found: mK8j…abc"): the sweep looks for every run
    of 8 characters of what was typed, in Discord traffic, logs, the database and the audit
    command's output, and its report shows none of them."""
    async with running_rig(tmp_path, sweep_secrets=False) as rig:
        await register(rig)
        assert rig.bot is not None
        await alert_channel.post(rig.bot, content=f"oops {TYPED_ONLY[2:10]}")
        logging.getLogger("cogs.register").info("oops %s", TYPED_ONLY[9:17])
        await rig.bot.store.audit(
            now=EXPIRES, actor_id=None, action="register", outcome="invalid_input", detail=TYPED_ONLY[15:23]
        )
    leaks = [leak for leak in sweep(rig).leaks if leak.startswith("a value typed into a form (luma's")]
    for place in ("POST /channels/", "log record", "formatted log line", "database file", "`audit` output"):
        assert any(place in leak for leak in leaks), place
    assert any("`audit --json` output" in leak for leak in leaks)
    assert not runs_in("\n".join(leaks), typed_runs(rig))  # named, not shown


async def test_a_run_of_seven_typed_characters_is_not_a_leak(tmp_path: Path) -> None:
    async with running_rig(tmp_path, sweep_secrets=False) as rig:
        await register(rig)
        assert rig.bot is not None
        await alert_channel.post(rig.bot, content=f"{TYPED_ONLY[:7]} {TYPED_ONLY[7:14]} {SESSION[:7]}")
    assert sweep(rig).leaks == []


# -- hostile pastes, through the real bot, into every service's form ---------------------------

PADDED = "mK8jP2xZc9AfQw3LnT7vYbE1Rabc=="  # issue 18's bare Luma value with base64 padding
LONG = "".join(random.Random(18).choices(string.ascii_letters + string.digits, k=4000))
LTX_HEADER = "lt_id=user-1234567; lt_token=LtxTok3nHostile18q; lt_refresh_token=LtxRefreshHostile18w"
GOOGLE_SID = "g.a000HostileSidValue18Qw8Er"
GOOGLE_TABLE = "\n".join(
    [
        f"SID\t{GOOGLE_SID}\t.google.com\t/\t2027-01-01T00:00:00.000Z\t150\t✓\t✓\t\t\tHigh",
        "__Secure-1PSIDTS\tsidts-CjEBHostilePadded18==\t.google.com\t/\t2027-01-01T00:00:00.000Z",
        "_ga\tGA1.1.998877665\t.example.com\t/\t2027-01-01T00:00:00.000Z",
    ]
)
FLOW_TOKEN = "1//0gFlowMusicHostile18Tok"
PASSWORD = ' spaced "quoted" = pass;word '  # a password is sent exactly as typed
# (command group, form values, whether useapi.net is reached)
PASTES: list[tuple[str, dict[str, str], bool]] = [
    ("luma", {"cookie": f"  {PADDED}\n"}, True),
    ("luma", {"cookie": "NulSecretBefore9\x00NulSecretAfter77"}, False),
    ("luma", {"cookie": "\x1b[31mAnsiSecretCookie7Qz\x1b[0m"}, False),
    ("luma", {"cookie": "\u202eBidiSecretCookie4Wm\u202c\u200f"}, False),
    ("luma", {"cookie": LONG}, False),
    ("luma", {"cookie": LTX_HEADER}, False),  # another service's cookie
    ("luma", {"cookie": GOOGLE_TABLE}, False),
    ("luma", {"cookie": f"theme=darkmode-v2; {PADDED[:-2]}=x"}, False),  # the secret as a name
    ("ltx", {"cookie": f"Cookie: luma_session={PADDED}"}, False),
    (
        "ltx",
        {"cookie": "\n".join(f"{c.replace('=', chr(9), 1)}\t.ltx.studio\t/" for c in LTX_HEADER.split("; "))},
        True,
    ),
    ("flow", {"cookies": PADDED}, False),
    ("flow", {"cookies": GOOGLE_TABLE}, True),
    ("flowmusic", {"refresh_token": '{"currentKey": "FlowJsonKeyHostile18", "access": "x"}'}, False),
    (
        "flowmusic",
        {"refresh_token": "refresh_token=" + FLOW_TOKEN.replace("/", "%2F"), "max_jobs": "20x"},
        False,
    ),
    ("flowmusic", {"refresh_token": "refresh_token=" + FLOW_TOKEN.replace("/", "%2F")}, True),
    ("dreamina", {"email": "d@example.com", "password": "NulPassword18\x00Hostile", "region": "US"}, False),
    ("dreamina", {"email": "d@example.com", "password": PASSWORD, "region": "US"}, True),
    ("kling", {"email": "k@example.com", "password": "\x1b[2JKlingPassword18", "max_jobs": "5"}, False),
    ("kling", {"email": "k@example.com", "password": PASSWORD, "max_jobs": "99999"}, False),
    ("kling", {"email": "k@example.com", "password": PASSWORD, "max_jobs": "5"}, True),
]


async def submit_all(rig: Rig, pastes: list[tuple[str, dict[str, str], bool]]) -> None:
    """Each paste through its form, by approved members in turn (a member may register five times
    in a row): accepted where useapi.net is reached, refused before sending otherwise."""
    assert rig.bot is not None
    users = [*rig.discord.member_ids, rig.discord.admin_id]
    for user in rig.discord.member_ids:
        await rig.bot.approvals.grant("user", user, granted_by=rig.discord.admin_id, now=EXPIRES)
    for number, (group, values, reaches_upstream) in enumerate(pastes):
        user = users[number % len(users)]
        opened = await rig.slash(group, "register", user=user)
        answered = await rig.submit(opened, values, user=user)
        if reaches_upstream:
            text = (await rig.followup(answered))["content"]
            assert text.startswith("✅ useapi.net accepted"), (group, text)
        else:
            assert "Nothing was sent to useapi.net." in (await rig.answer(answered))["content"], group


async def refusals_in_the_audit_command(
    rig: Rig, tmp_path: Path, pastes: list[tuple[str, dict[str, str], bool]]
) -> list[dict[str, str]]:
    """The real `python -m bot audit` (table and `--json`) on the rig's database shows no run of
    what was typed; each refusal is its code and fixed sentence. Returns the refusals' entries."""
    wanted = typed_runs(rig)
    env = process_env(DATABASE_PATH=str(rig.settings.database_path))
    outputs = [
        await run_bot("audit", "--limit", "500", *flag, env=env, cwd=tmp_path) for flag in ((), ("--json",))
    ]
    for status, out, err in outputs:
        assert status == 0 and not runs_in(out + err, wanted)
    entries = [json.loads(line) for line in outputs[1][1].splitlines()]
    refused = [e for e in entries if e["outcome"].startswith("invalid_input:")]
    assert len(refused) == sum(not reaches for _, _, reaches in pastes)
    for entry in refused:
        assert entry["detail"] == PROBLEMS[entry["outcome"].removeprefix("invalid_input:")].audit
    return refused


async def test_hostile_pastes_come_back_out_nowhere(tmp_path: Path) -> None:
    services = ("luma", "ltx", "googleflow", "flowmusic", "dreamina", "kling")
    later = datetime.now(UTC) + timedelta(days=30)
    async with running_rig(tmp_path, services=services) as rig:
        assert rig.bot is not None
        rig.useapi.add_luma_session(PADDED, "luma@example.com", expires=later)
        rig.useapi.add_ltx_cookie("LtxTok3nHostile18q", "ltx@example.com", later, later)
        rig.useapi.google_flow.teach(GOOGLE_SID, "flow@example.com", account_expires=[later])
        rig.useapi.flowmusic.teach_token(FLOW_TOKEN, "music@example.com")
        rig.useapi.dreamina.teach_login("d@example.com", PASSWORD, "US", expires=later)
        rig.useapi.kling.teach_login("k@example.com", PASSWORD, later)
        await submit_all(rig, PASTES)
        # Read as the values they are: padding, DevTools rows, URL-encoding, a password as typed.
        posted = [r.json for r in rig.useapi.requests if r.method == "POST"]
        assert {"session": PADDED} in posted
        assert {
            "cookie": "lt_id=user-1234567; lt_token=LtxTok3nHostile18q; lt_refresh_token=LtxRefreshHostile18w",
            "maxJobs": 20,
        } in posted
        assert {"refresh_token": FLOW_TOKEN} in posted
        assert {"email": "d@example.com", "password": PASSWORD, "region": "US"} in posted
        # The audit trail as admins read it in Discord (swept with everything the bot sent): the
        # code and its fixed sentence.
        page = await rig.slash("access", "audit", user=rig.discord.admin_id)
        shown = (await rig.answer(page))["embeds"][0]["description"].replace("\\", "")
        assert "**invalid_input:password_control_chars**" in shown
        assert f"↳ {PROBLEMS['password_control_chars'].audit}" in shown
    assert len(typed_runs(rig)) > 4000  # the long paste alone has 3,993 runs
    refused = await refusals_in_the_audit_command(rig, tmp_path, PASTES)
    assert {e["outcome"] for e in refused} >= {
        "invalid_input:cookie_bad_characters",
        "invalid_input:cookie_too_long",
        "invalid_input:luma_cookie_missing",
        "invalid_input:ltx_cookies_missing",
        "invalid_input:table_is_single_value",
        "invalid_input:token_json_missing",
        "invalid_input:max_jobs_not_number",
        "invalid_input:max_jobs_out_of_range",
        "invalid_input:password_control_chars",
    }
    assert MIN_SECRET_LENGTH == 8


# The services added in 2026, each with a refused and an accepted hostile paste.
VIDS_SID = "g.a000HostileVidsSid18Zx4Tq"
NOTEBOOK_SID = "g.a000HostileNotebookSid18Mv"
MUREKA_TOKEN = "eyJhbGciOiJIUzI1NiJ9.MurekaHostileTok18.Sig9Qx"
MUREKA_REFRESH = "MurekaHostileRefresh18Lw7Kp"
MINIMAX_TOKEN = "eyJhbGciOiJIUzI1NiJ9.MiniMaxHostileTok18.Sg4Wd"
MINIMAX_URL = (
    "https://hailuoai.video/v3/api/multimodal/video/my/cursor?type=next&uuid=HostileUuid18-4c0d"
    "-8422-87e3f3b1a1d6&device_id=HostileDevice18Id7731&unix=1764003917482"
)


def google_rows(sid: str, domain: str) -> str:
    return "\n".join(
        [
            f"SID\t{sid}\t.google.com\t/\t2027-01-01T00:00:00.000Z\t150\t✓\t✓",
            f"OSID\tosid-{sid[6:]}==\t{domain}\t/\t2027-01-01T00:00:00.000Z",
            "_ga\tGA1.1.112233445\t.example.com\t/\t2027-01-01T00:00:00.000Z",
        ]
    )


PASTES_2026: list[tuple[str, dict[str, str], bool]] = [
    ("vids", {"cookies": PADDED}, False),
    ("vids", {"cookies": f"Cookie: SID={VIDS_SID}; HSID=HostileHsid18Value"}, False),
    ("vids", {"cookies": google_rows(VIDS_SID, "docs.google.com"), "max_jobs": "3"}, True),
    (
        "notebook",
        {"cookies": google_rows(NOTEBOOK_SID, "notebook.google.com").replace("osid-", "\u202eosid-")},
        False,
    ),
    ("notebook", {"cookies": json.dumps({"SID": NOTEBOOK_SID, "HSID": "HostileHsid18Value"})}, False),
    ("notebook", {"cookies": google_rows(NOTEBOOK_SID, "notebook.google.com")}, True),
    ("acemusic", {"email": "a@example.com", "password": "\x1b[31mAcePassword18Hostile\x1b[0m"}, False),
    ("acemusic", {"email": "a@example.com", "password": PASSWORD, "max_jobs": "2"}, True),
    ("mureka", {"token": f"{MUREKA_TOKEN[:20]}…", "refresh_token": MUREKA_REFRESH}, False),
    ("mureka", {"token": MUREKA_TOKEN, "refresh_token": MUREKA_TOKEN}, False),
    (
        "mureka",
        {
            "token": json.dumps(
                {"currentSession": {"access_token": MUREKA_TOKEN, "refresh_token": MUREKA_REFRESH}}
            )
        },
        True,
    ),
    ("mureka", {"email": "m@example.com", "password": PASSWORD}, True),
    ("runway", {"email": "r@example.com", "password": LONG[:300], "max_jobs": "5"}, False),
    ("runway", {"email": "r@example.com", "password": PASSWORD, "max_jobs": "5"}, True),
    (
        "pixverse",
        {"email": "p@example.com", "password": "NulPixPassword18\x00Hostile", "max_jobs": "3"},
        False,
    ),
    ("pixverse", {"email": "p@example.com", "password": PASSWORD, "max_jobs": "3"}, True),
    (
        "minimax",
        {"url": MINIMAX_URL.replace("/cursor", "/HostilePath18"), "token": MINIMAX_TOKEN, "max_jobs": "2"},
        False,
    ),
    ("minimax", {"url": MINIMAX_URL[:60] + "…", "token": MINIMAX_TOKEN, "max_jobs": "2"}, False),
    (
        "minimax",
        {"url": MINIMAX_URL, "token": f"{MINIMAX_TOKEN[:12]} {MINIMAX_TOKEN[12:]}", "max_jobs": "2"},
        False,
    ),
    (
        "minimax",
        {"url": f"Request URL: '{MINIMAX_URL}'", "token": f"token: {MINIMAX_TOKEN}", "max_jobs": "2"},
        True,
    ),
]


async def test_hostile_pastes_into_the_2026_services_come_back_out_nowhere(tmp_path: Path) -> None:
    services = ("googlevids", "gemininotebook", "acemusic", "mureka", "runway", "pixverse", "minimax")
    later = datetime.now(UTC) + timedelta(days=30)
    async with running_rig(tmp_path, services=services) as rig:
        rig.useapi.google_vids.teach(VIDS_SID, "vids@example.com")
        rig.useapi.gemini_notebook.teach(NOTEBOOK_SID, "notebook@example.com")
        rig.useapi.acemusic.teach_login("a@example.com", PASSWORD)
        rig.useapi.mureka.teach_tokens(MUREKA_TOKEN, MUREKA_REFRESH)
        rig.useapi.mureka.teach_login("m@example.com", PASSWORD)
        rig.useapi.runway.teach_login("r@example.com", PASSWORD, later)
        rig.useapi.pixverse.teach_login("p@example.com", PASSWORD, later)
        rig.useapi.minimax.teach_token(MINIMAX_TOKEN, "424242", later)
        await submit_all(rig, PASTES_2026)
        # Read as the values they are: a session object, a labelled and quoted URL, passwords as typed.
        posted = [r.json for r in rig.useapi.requests if r.method == "POST"]
        assert {"token": MUREKA_TOKEN, "refresh_token": MUREKA_REFRESH} in posted
        assert {"email": "m@example.com", "password": PASSWORD} in posted
        assert {"url": MINIMAX_URL, "token": MINIMAX_TOKEN, "maxJobs": 2} in posted
        assert {"email": "r@example.com", "password": PASSWORD, "maxJobs": 5} in posted
        tables = [str(body["cookies"]) for body in posted if "cookies" in body]
        assert len(tables) == 2 and not any(".example.com" in table for table in tables)  # Google's rows only
    refused = await refusals_in_the_audit_command(rig, tmp_path, PASTES_2026)
    assert {e["outcome"] for e in refused} == {
        "invalid_input:table_is_single_value",
        "invalid_input:table_is_cookie_header",
        "invalid_input:table_row_bad_value",
        "invalid_input:table_is_json",
        "invalid_input:password_control_chars",
        "invalid_input:mureka_token_shortened",
        "invalid_input:mureka_tokens_same",
        "invalid_input:password_too_long",
        "invalid_input:minimax_url_not_cursor",
        "invalid_input:minimax_url_shortened",
        "invalid_input:minimax_token_spaces",
    }


async def test_a_parser_bug_quoting_the_paste_is_logged_without_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception's message may quote its input (`int()`'s does): while a paste is in scope, the
    log gets the exception's type and where it was raised, the member a plain sentence, the audit
    trail a fixed one; the sweep at the end of the block finds nothing."""

    def buggy_parse(self: LumaService, values: Mapping[str, str]) -> Submission:
        int(values["cookie"])  # ValueError: invalid literal for int() with base 10: '<the paste>'
        raise AssertionError("unreachable")

    async def buggy_register(self: LumaService, submission: Submission) -> AccountInfo:
        raise RuntimeError(f"session {submission.body['session']} broke something")

    async with running_rig(tmp_path) as rig:
        member = rig.discord.member_ids[0]
        assert rig.bot is not None
        await rig.bot.approvals.grant("user", member, granted_by=rig.discord.admin_id, now=EXPIRES)
        with monkeypatch.context() as patch:
            patch.setattr(LumaService, "parse_form", buggy_parse)
            opened = await rig.slash("luma", "register", user=member)
            answered = await rig.submit(opened, {"cookie": SESSION}, user=member)
        assert (await rig.answer(answered))["content"] == SOMETHING_WRONG
        with monkeypatch.context() as patch:
            patch.setattr(LumaService, "register", buggy_register)
            opened = await rig.slash("luma", "register", user=member)
            followup = await rig.followup(await rig.submit(opened, {"cookie": SESSION}, user=member))
        assert followup["content"] == SOMETHING_WRONG
        logged = "\n".join(rig.raw_logs.lines)
        assert "reading the luma form failed: ValueError (its message is withheld)" in logged
        assert "registering a luma account failed: RuntimeError (its message is withheld)" in logged
        assert 'int(values["cookie"])' in logged  # where it was raised, for the operator
        # Each answered first, audited after: both entries, once they have landed.
        registered, read = (await rig.audited(lambda e: e.outcome == "error", count=2))[:2]
        assert (read.outcome, read.detail) == ("error", FORM_BUG)
        assert (registered.outcome, registered.detail) == ("error", REGISTER_BUG)


async def test_an_answer_quoting_the_cookie_cut_short_is_scrubbed(tmp_path: Path) -> None:
    """useapi.net's error text is shown to the member: a session it quotes, even cut short, is not."""
    async with running_rig(tmp_path) as rig:
        member = rig.discord.member_ids[0]
        assert rig.bot is not None
        await rig.bot.approvals.grant("user", member, granted_by=rig.discord.admin_id, now=EXPIRES)
        rig.useapi.inject(
            "POST", "/v1/luma/accounts", status=400, body={"error": f"Invalid session {SESSION[:12]}..."}
        )
        opened = await rig.slash("luma", "register", user=member)
        answer = await rig.followup(await rig.submit(opened, {"cookie": SESSION}, user=member))
        assert 'useapi.net said: "Invalid session [redacted]..."' in answer["content"]
