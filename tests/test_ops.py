"""The operator commands: `python -m bot check | healthcheck | backup`, and the process itself.

The entry point is run as a real subprocess against the useapi.net double (and, for the
signal test, the Discord double), exactly as an operator or a container engine runs it.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import sqlite3
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot import ops
from bot.__main__ import main
from bot.config import Settings
from bot.registration import record_registration
from bot.services import REGISTRY
from bot.store import Store
from bot.useapi import AccountInfo
from tests.doubles.discord_double import DiscordDouble
from tests.doubles.useapi_double import UseapiDouble
from tests.process import process_env, run_bot

ROOT = Path(__file__).resolve().parent.parent
DISCORD_TOKEN = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.Gx7Kq2.ops-test-discord-token-Qw8Zx9Lm"
USEAPI_TOKEN = "user:77-ops-test-useapi-token-Hj5Kl2"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LOG_LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: .*")


def settings_for(tmp_path: Path, base_url: str = "http://useapi.test", **overrides: object) -> Settings:
    settings = Settings(
        discord_token=DISCORD_TOKEN,
        useapi_token=USEAPI_TOKEN,
        useapi_base_url=base_url,
        database_path=tmp_path / "data" / "warden.sqlite3",
        useapi_timeout=timedelta(seconds=3),
    )
    return replace(settings, **overrides)  # type: ignore[arg-type]


def table_rows(report: str) -> list[list[str]]:
    """The check table's rows (header first), split on runs of two or more spaces."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("service "))
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append(re.split(r" {2,}", line.strip()))
    return rows


# -- check, through the real entry point ------------------------------------------------------------


async def test_check_against_the_double_prints_the_table_and_exits_0(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    async with UseapiDouble(token=USEAPI_TOKEN) as ua:
        ua.set_luma_account("soon@example.com", now + timedelta(days=2, hours=3, minutes=20))
        ua.set_luma_account("gone-by@example.com", now - timedelta(hours=5, minutes=30))
        ua.set_ltx_account("ltx@example.com", now + timedelta(hours=20, minutes=30))
        env = process_env(
            DISCORD_TOKEN=DISCORD_TOKEN,
            USEAPI_TOKEN=USEAPI_TOKEN,
            USEAPI_BASE_URL=ua.base_url,
            DATABASE_PATH=str(tmp_path / "data" / "warden.sqlite3"),
            SERVICES="luma,ltx",  # LTX is off by default; this test is about both
        )
        status, out, err = await run_bot("check", env=env, cwd=tmp_path)
        # It read the team's account summary and every known service's account list (switched on
        # or not) with the token, and nothing else.
        assert sorted(r.path for r in ua.requests) == sorted(
            ["/v2/account", *(c.accounts_path for c in REGISTRY.values())]
        )
        assert all(r.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}" for r in ua.requests)

    assert status == 0, out + err
    assert err == ""  # logging is at WARNING for check: nothing went wrong
    assert re.search(r"^configuration +ok +services luma, ltx", out, re.M)
    assert re.search(r"database +ok .*created, schema version \d+, writable", out)
    assert "Luma: token accepted, 2 account(s) configured" in out
    assert "LTX Studio: token accepted, 1 account(s) configured" in out
    rows = table_rows(out)
    assert rows[0] == ["service", "account", "expires (UTC)", "in", "source", "note"]
    expired, ltx, luma = rows[1:]
    assert expired[:2] == ["Luma", "gone-by@example.com"]
    assert expired[3] == "5h 30m ago" and expired[4] == "upstream" and expired[5].startswith("EXPIRED")
    assert ltx[:2] == ["LTX Studio", "ltx@example.com"]
    assert ltx[2] == (now + timedelta(hours=20, minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ltx[3] in ("20h 30m", "20h 29m")
    assert luma[:2] == ["Luma", "soon@example.com"] and luma[3] == "2d 3h"
    assert out.rstrip().endswith("check passed")
    assert DISCORD_TOKEN not in out + err and USEAPI_TOKEN not in out + err
    # Read-only apart from creating and migrating the database: upstream answers are not stored.
    store = await Store.open(tmp_path / "data" / "warden.sqlite3")
    try:
        assert await store.list_accounts() == []
    finally:
        await store.close()


async def test_check_with_a_wrong_token_exits_1_and_says_why(tmp_path: Path) -> None:
    async with UseapiDouble(token=USEAPI_TOKEN) as ua:
        env = process_env(
            DISCORD_TOKEN=DISCORD_TOKEN,
            USEAPI_TOKEN="user:77-not-the-right-token",
            USEAPI_BASE_URL=ua.base_url,
            DATABASE_PATH=str(tmp_path / "warden.sqlite3"),
            SERVICES="luma",
        )
        status, out, err = await run_bot("check", env=env, cwd=tmp_path)
    assert status == 1
    assert re.search(r"useapi\.net +FAIL +Luma: useapi\.net refused USEAPI_TOKEN \(HTTP 401\)", out)
    assert "check failed: 1 problem(s)" in out
    assert "not-the-right-token" not in out + err


async def test_check_when_useapi_is_unreachable_exits_1_and_logs_one_line_per_event(tmp_path: Path) -> None:
    env = process_env(
        DISCORD_TOKEN=DISCORD_TOKEN,
        USEAPI_TOKEN=USEAPI_TOKEN,
        USEAPI_BASE_URL="http://127.0.0.1:9",  # discard port: nothing listens
        DATABASE_PATH=str(tmp_path / "warden.sqlite3"),
        LOG_LEVEL="DEBUG",
        SERVICES="luma,ltx",
    )
    status, out, err = await run_bot("check", env=env, cwd=tmp_path)
    assert status == 1
    # A FAIL for each switched-on service; the switched-off ones are notes.
    assert (
        sum("FAIL" in line and "cannot connect to USEAPI_BASE_URL" in line for line in out.splitlines()) == 2
    )
    assert "check failed: 2 problem(s)" in out
    lines = err.splitlines()
    assert lines, "LOG_LEVEL=DEBUG shows the failed calls"
    assert all(LOG_LINE.fullmatch(line) for line in lines), lines
    assert any("could not connect" in line for line in lines)
    assert USEAPI_TOKEN not in err and DISCORD_TOKEN not in err


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"USEAPI_TOKEN": USEAPI_TOKEN}, "DISCORD_TOKEN is required"),
        ({"DISCORD_TOKEN": DISCORD_TOKEN}, "USEAPI_TOKEN is required"),
        (
            {"DISCORD_TOKEN": DISCORD_TOKEN, "USEAPI_TOKEN": USEAPI_TOKEN, "SYNC_INTERVAL": "soon"},
            "SYNC_INTERVAL",
        ),
    ],
)
async def test_check_with_invalid_configuration_exits_2(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    status, out, err = await run_bot("check", env=process_env(**env), cwd=tmp_path)
    assert status == 2
    assert out == ""
    assert named in err
    assert USEAPI_TOKEN not in err and DISCORD_TOKEN not in err
    assert not (tmp_path / "data").exists()  # nothing was created


# -- check, in process: every way it can go wrong ---------------------------------------------------


def mock(routes: dict[str, httpx.Response | Exception]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}"
        # A route a test doesn't name is a service with nothing configured (check reads every one).
        answer = routes.get(request.url.path, httpx.Response(200, json={}))
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler)


LUMA_OK = httpx.Response(
    200,
    json={"a@example.com": {"account": "a@example.com", "luma_session_expires": "2026-11-25 15:30:00 UTC"}},
)
LUMA_NONE = httpx.Response(404)
LTX_NONE = httpx.Response(404, json={"error": "Configuration not found.", "code": 404})


async def run_check(settings: Settings, routes: dict[str, httpx.Response | Exception]) -> tuple[int, str]:
    out = io.StringIO()
    status = await ops.check(settings, out, transport=mock(routes), now=NOW)
    return status, out.getvalue()


async def test_no_accounts_anywhere_is_fine(tmp_path: Path) -> None:
    status, out = await run_check(
        settings_for(tmp_path), {"/v1/luma/accounts": LUMA_NONE, "/v1/ltxstudio/accounts": LTX_NONE}
    )
    assert status == 0
    assert "Luma: token accepted, no account configured yet" in out
    assert "No account is tracked or configured yet." in out


@pytest.mark.parametrize("status_code", [404, 410])
async def test_retired_ltx_is_a_note_not_a_failure(tmp_path: Path, status_code: int) -> None:
    routes: dict[str, httpx.Response | Exception] = {
        "/v1/luma/accounts": LUMA_OK,
        # A retired route: plain text, not the documented JSON.
        "/v1/ltxstudio/accounts": httpx.Response(status_code, text="Gone"),
    }
    status, out = await run_check(settings_for(tmp_path, services=("luma", "ltx")), routes)
    pattern = rf"note +LTX Studio: not available on useapi\.net right now \(HTTP {status_code}\)"
    assert re.search(pattern, out)
    assert status == 0
    assert table_rows(out)[1][:5] == ["Luma", "a@example.com", "2026-11-25T15:30:00Z", "2d 3h", "upstream"]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (httpx.Response(401, json={"error": "Unauthorized"}), "refused USEAPI_TOKEN (HTTP 401)"),
        (
            httpx.Response(402, json={"error": "Subscription expired"}),
            'lapsed or has no credits (HTTP 402) (useapi.net said "Subscription expired")',
        ),
        (httpx.Response(410, text="Gone"), "not available on useapi.net right now (HTTP 410)"),
        (httpx.Response(429, headers={"Retry-After": "30"}), "rate limiting this token (HTTP 429)"),
        (httpx.Response(500, json={"error": "boom"}), 'answered HTTP 500 (useapi.net said "boom")'),
        (httpx.Response(200, text="<html>"), "not the documented account list"),
        (httpx.Response(200, json=["not", "an", "object"]), "not the documented account list"),
        (httpx.ConnectError("refused"), "cannot connect to USEAPI_BASE_URL"),
        (httpx.ReadTimeout("slow"), "did not answer within USEAPI_TIMEOUT"),
    ],
)
async def test_luma_failures_exit_1_with_the_reason(
    tmp_path: Path, answer: httpx.Response | Exception, reason: str
) -> None:
    settings = settings_for(tmp_path, services=("luma",))
    status, out = await run_check(settings, {"/v1/luma/accounts": answer})
    assert status == 1
    [line] = [line for line in out.splitlines() if "  FAIL  " in line]
    assert re.match(r"useapi\.net +FAIL +Luma: ", line) and reason in line
    assert "check failed: 1 problem(s)" in out


async def test_table_merges_the_database_with_upstream(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, services=("luma", "ltx"))
    store = await Store.open(settings.database_path)
    try:
        for account, expires in [("a@example.com", NOW + timedelta(days=1)), ("old@example.com", None)]:
            info = AccountInfo("luma", account, expires_at=expires)
            await record_registration(store, info, user_id=1, now=NOW - timedelta(days=3))
        ltx = AccountInfo("ltx", "l@example.com", expires_at=NOW + timedelta(hours=3))
        await record_registration(store, ltx, user_id=1, now=NOW - timedelta(days=3))
    finally:
        await store.close()
    routes: dict[str, httpx.Response | Exception] = {
        "/v1/luma/accounts": httpx.Response(
            200,
            json={
                "a@example.com": {
                    "account": "a@example.com",
                    "luma_session_expires": "2026-11-25 15:30:00 UTC",
                },
                "new@example.com": {
                    "account": "new@example.com",
                    "luma_session_expires": "2026-11-23 11:00:00 UTC",
                    "error": "Session refresh failed\x1b[31m",
                },
            },
        ),
        "/v1/ltxstudio/accounts": httpx.ConnectError("down"),
    }
    status, out = await run_check(settings, routes)
    assert status == 1  # LTX unreachable
    assert "3 tracked" not in out
    rows = table_rows(out)[1:]
    assert rows == [
        [
            "Luma",
            "new@example.com",
            "2026-11-23T11:00:00Z",
            "1h ago",
            "upstream",
            "EXPIRED; not tracked yet (the next sync adds it); useapi.net: Session refresh failed?[31m",
        ],
        [
            "LTX Studio",
            "l@example.com",
            "2026-11-23T15:00:00Z",
            "3h",
            "tracked",
            "useapi.net could not be read",
        ],
        # The fresh upstream expiry wins over the database's.
        ["Luma", "a@example.com", "2026-11-25T15:30:00Z", "2d 3h", "upstream"],
        ["Luma", "old@example.com", "unknown", "?", "tracked", "not on useapi.net any more"],
    ]
    assert "\x1b" not in out


async def test_accounts_of_a_switched_off_service_are_still_listed(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, services=("luma",))
    store = await Store.open(settings.database_path)
    try:
        ltx = AccountInfo("ltx", "l@example.com", expires_at=NOW + timedelta(hours=3))
        await record_registration(store, ltx, user_id=1, now=NOW)
    finally:
        await store.close()
    status, out = await run_check(settings, {"/v1/luma/accounts": LUMA_NONE})
    assert status == 0
    assert table_rows(out)[1][-1] == "service switched off in SERVICES"


async def test_an_unusable_database_path_exits_1(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings = settings_for(tmp_path, database_path=blocker / "warden.sqlite3")
    status, out = await run_check(
        settings, {"/v1/luma/accounts": LUMA_OK, "/v1/ltxstudio/accounts": LTX_NONE}
    )
    assert status == 1
    assert re.search(r"database +FAIL +cannot open the database at .*not-a-directory", out)
    # useapi.net is still checked, so one run shows every problem.
    assert "Luma: token accepted, 1 account(s) configured" in out


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write a read-only file")
async def test_a_read_only_database_exits_1(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, services=("luma",))
    store = await Store.open(settings.database_path)
    await store.close()
    settings.database_path.chmod(0o400)
    status, out = await run_check(settings, {"/v1/luma/accounts": LUMA_NONE})
    assert status == 1
    assert re.search(r"database +FAIL +(cannot write|cannot prepare)", out)


async def test_a_corrupt_database_exits_1(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, services=("luma",))
    settings.database_path.parent.mkdir(parents=True)
    settings.database_path.write_bytes(b"this is not a database" * 100)
    status, out = await run_check(settings, {"/v1/luma/accounts": LUMA_NONE})
    assert status == 1
    assert re.search(r"database +FAIL", out)


async def test_a_database_from_a_newer_version_is_reported(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, services=("luma",))
    store = await Store.open(settings.database_path)
    await store.db.execute("PRAGMA user_version = 999")
    await store.close()
    status, out = await run_check(settings, {"/v1/luma/accounts": LUMA_NONE})
    assert status == 1
    assert "written by a newer Session Warden" in out


async def test_an_odd_discord_token_is_a_note(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, discord_token="not-a-bot-token", services=("luma",))
    status, out = await run_check(settings, {"/v1/luma/accounts": LUMA_NONE})
    assert status == 0
    assert re.search(r"note +DISCORD_TOKEN does not look like a bot token", out)
    assert "not-a-bot-token" not in out


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(days=2, hours=3, minutes=59), "2d 3h"),
        (timedelta(days=2, minutes=5), "2d"),
        (timedelta(hours=5, minutes=12, seconds=30), "5h 12m"),
        (timedelta(minutes=14), "14m"),
        (timedelta(seconds=59), "<1m"),
        (timedelta(0), "<1m"),
        (-timedelta(seconds=10), "<1m ago"),
        (-timedelta(hours=3, minutes=5), "3h 5m ago"),
        (-timedelta(days=40), "40d ago"),
    ],
)
def test_relative(delta: timedelta, shown: str) -> None:
    assert ops.relative(delta) == shown


# -- healthcheck --------------------------------------------------------------------------------------


def write_heartbeat(path: Path, value: str | None) -> None:
    async def write() -> None:
        store = await Store.open(path)
        try:
            await store.set_setting(ops.HEARTBEAT_KEY, value)
        finally:
            await store.close()

    asyncio.run(write())


def run_healthcheck(settings: Settings) -> tuple[int, str]:
    out = io.StringIO()
    status = ops.healthcheck(settings, out, now=NOW)
    text = out.getvalue()
    assert text.count("\n") == 1, "one line, whatever happens"
    return status, text


def test_healthcheck_reads_the_key_the_scheduler_writes() -> None:
    from bot.settings import HEARTBEAT

    assert ops.HEARTBEAT_KEY == HEARTBEAT.key


def test_healthcheck_without_a_database_fails_and_creates_nothing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    status, out = run_healthcheck(settings)
    assert status == 1
    assert out.startswith("unhealthy: no database at")
    assert not settings.database_path.parent.exists()


@pytest.mark.parametrize(
    ("beat", "status", "text"),
    [
        (NOW - timedelta(seconds=40), 0, "healthy: scheduler heartbeat 40s ago (limit 3m)"),
        (NOW - timedelta(minutes=3), 0, "healthy: scheduler heartbeat 3m ago (limit 3m)"),
        (NOW + timedelta(seconds=30), 0, "healthy: scheduler heartbeat 0s ago (limit 3m)"),
        (
            NOW - timedelta(minutes=3, seconds=1),
            1,
            "unhealthy: last scheduler heartbeat 3m1s ago (2026-11-23T11:56:59Z), older than HEALTH_MAX_AGE=3m",
        ),
        (
            NOW + timedelta(hours=2),
            1,
            "unhealthy: the scheduler heartbeat is 2h in the future; check the clock",
        ),
    ],
)
def test_healthcheck_compares_the_heartbeat_with_health_max_age(
    tmp_path: Path, beat: datetime, status: int, text: str
) -> None:
    settings = settings_for(tmp_path)
    write_heartbeat(settings.database_path, str(int(beat.timestamp())))
    assert run_healthcheck(settings) == (status, text + "\n")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "no scheduler heartbeat yet"),
        ("yesterday", "'yesterday' is not a Unix time"),
    ],
)
def test_healthcheck_without_a_usable_heartbeat_fails(tmp_path: Path, value: str | None, reason: str) -> None:
    settings = settings_for(tmp_path)
    write_heartbeat(settings.database_path, value)
    status, out = run_healthcheck(settings)
    assert status == 1
    assert reason in out


def test_healthcheck_after_a_stop_says_so_until_a_scheduler_beats_again(tmp_path: Path) -> None:
    from bot.settings import STOPPED_AT

    settings = settings_for(tmp_path)
    stopped = NOW - timedelta(minutes=5)
    write_heartbeat(settings.database_path, None)

    async def mark() -> None:
        store = await Store.open(settings.database_path)
        try:
            await STOPPED_AT.set(store, int(stopped.timestamp()))
        finally:
            await store.close()

    asyncio.run(mark())
    status, out = run_healthcheck(settings)
    assert status == 1
    assert out == f"unhealthy: the bot stopped at {ops.iso_utc(stopped)} (5m ago) and has not run since\n"
    # A second instance on the same database beats again: its heartbeat is what counts.
    write_heartbeat(settings.database_path, str(int((NOW - timedelta(seconds=20)).timestamp())))
    assert run_healthcheck(settings) == (0, "healthy: scheduler heartbeat 20s ago (limit 3m)\n")


def test_healthcheck_on_something_that_is_not_the_database_fails(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    settings.database_path.parent.mkdir(parents=True)
    settings.database_path.write_bytes(b"\0" * 4096)
    status, out = run_healthcheck(settings)
    assert status == 1
    assert out.startswith("unhealthy: cannot read")


def test_healthcheck_does_not_write_to_the_database(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    write_heartbeat(settings.database_path, str(int(NOW.timestamp())))
    settings.database_path.chmod(0o400)
    before = settings.database_path.read_bytes()
    assert run_healthcheck(settings)[0] == 0
    assert settings.database_path.read_bytes() == before


async def test_healthcheck_process_is_fast_and_answers_0_or_1_only(tmp_path: Path) -> None:
    db = tmp_path / "warden.sqlite3"
    env = process_env(DISCORD_TOKEN=DISCORD_TOKEN, USEAPI_TOKEN=USEAPI_TOKEN, DATABASE_PATH=str(db))
    await asyncio.to_thread(write_heartbeat, db, str(int(time.time())))
    started = time.monotonic()
    status, out, err = await run_bot("healthcheck", env=env, cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert (status, err) == (0, "")
    assert out.startswith("healthy: scheduler heartbeat")
    assert elapsed < 5, f"healthcheck took {elapsed:.1f} s"

    await asyncio.to_thread(write_heartbeat, db, str(int(time.time()) - 3600))
    status, out, _ = await run_bot("healthcheck", env=env, cwd=tmp_path)
    assert status == 1 and out.startswith("unhealthy: last scheduler heartbeat 1h")

    # Docker reserves exit status 2, so even a broken configuration answers 1.
    broken = dict(env, HEALTH_MAX_AGE="never")
    status, out, err = await run_bot("healthcheck", env=broken, cwd=tmp_path)
    assert status == 1
    assert "HEALTH_MAX_AGE" in err


# -- backup ---------------------------------------------------------------------------------------------


async def test_backup_copies_the_live_database(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = await Store.open(settings.database_path)
    try:
        await record_registration(
            store, AccountInfo("luma", "a@example.com", expires_at=NOW), user_id=7, now=NOW
        )
        out = io.StringIO()
        # While the bot holds the database open, as it would in production.
        assert await asyncio.to_thread(ops.backup, settings, tmp_path / "backups" / "copy.sqlite3", out) == 0
    finally:
        await store.close()
    copy = tmp_path / "backups" / "copy.sqlite3"
    assert out.getvalue().startswith(f"backed up {settings.database_path} to {copy}")
    assert copy.stat().st_mode & 0o077 == 0
    assert not list(copy.parent.glob(".backup-*"))
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("SELECT account, registered_by FROM accounts").fetchall() == [
            ("a@example.com", 7)
        ]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        conn.close()
    # The copy is a working database: restoring is copying it back while the bot is stopped.
    restored = await Store.open(copy)
    try:
        assert [a.account for a in await restored.list_accounts()] == ["a@example.com"]
    finally:
        await restored.close()


def test_backup_into_a_directory_picks_a_dated_name(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    write_heartbeat(settings.database_path, "1")
    target = tmp_path / "backups"
    target.mkdir()
    assert ops.backup(settings, target, io.StringIO()) == 0
    assert next(p.name for p in target.iterdir()).startswith("session-warden-20")


@pytest.mark.parametrize("case", ["missing", "itself"])
def test_backup_refuses(tmp_path: Path, case: str) -> None:
    settings = settings_for(tmp_path)
    if case == "itself":
        write_heartbeat(settings.database_path, "1")
    out = io.StringIO()
    assert ops.backup(settings, settings.database_path, out) == 1
    assert out.getvalue().startswith("backup failed: ")


@pytest.mark.parametrize(
    ("given", "dated_in"),
    [
        ("backups/", "backups"),  # the README's cron line, before the folder exists
        ("nested/backups/", "nested/backups"),
        ("existing", "existing"),  # an existing directory, no slash
        ("copy.sqlite3", None),  # a missing path without a slash stays a file
        ("new/copy.sqlite3", None),
    ],
)
async def test_backup_process_writes_a_file_or_a_dated_copy_in_a_directory(
    tmp_path: Path, given: str, dated_in: str | None
) -> None:
    db = tmp_path / "data" / "warden.sqlite3"
    await asyncio.to_thread(write_heartbeat, db, "1")
    (tmp_path / "existing").mkdir()
    # No token at all: backup touches no network.
    env = process_env(DATABASE_PATH=str(db))
    for night in range(2):
        status, out, err = await run_bot("backup", given, env=env, cwd=tmp_path)
        assert (status, err) == (0, ""), out + err
        if night == 0:
            await asyncio.sleep(1.1)  # a second night: another dated name
    target = tmp_path / (dated_in or given)
    if dated_in is None:
        assert target.is_file()
        assert out == f"backed up {db} to {given} ({target.stat().st_size:,} bytes)\n"
    else:
        assert target.is_dir()
        copies = sorted(p.name for p in target.iterdir())
        assert len(copies) == 2 and all(
            re.fullmatch(r"session-warden-\d{8}T\d{6}Z\.sqlite3", c) for c in copies
        )
        assert f" to {Path(dated_in) / copies[-1]} (" in out
        target = target / copies[-1]
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("SELECT value FROM settings WHERE key = ?", (ops.HEARTBEAT_KEY,)).fetchone() == (
            "1",
        )
    finally:
        conn.close()


def test_backup_to_a_directory_path_that_is_a_file_fails_and_keeps_the_file(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    write_heartbeat(settings.database_path, "1")
    blocker = tmp_path / "backups"
    blocker.write_text("keep me")
    out = io.StringIO()
    assert ops.backup(settings, f"{blocker}/", out) == 1
    assert out.getvalue().startswith(f"backup failed: cannot create the directory {blocker}: ")
    assert blocker.read_text() == "keep me"


async def test_healthcheck_and_backup_need_no_token_but_check_and_run_do(tmp_path: Path) -> None:
    db = tmp_path / "warden.sqlite3"
    await asyncio.to_thread(write_heartbeat, db, str(int(time.time())))
    env = process_env(DATABASE_PATH=str(db))
    status, out, err = await run_bot("healthcheck", env=env, cwd=tmp_path)
    assert (status, err) == (0, "") and out.startswith("healthy: ")
    status, out, err = await run_bot("backup", "copy.sqlite3", env=env, cwd=tmp_path)
    assert (status, err) == (0, "") and (tmp_path / "copy.sqlite3").is_file()
    for command in ("check", "run"):
        status, out, err = await run_bot(command, env=env, cwd=tmp_path)
        assert status == 2, command
        assert "DISCORD_TOKEN is required" in err and "USEAPI_TOKEN is required" in err
    # Other settings are still checked, and named.
    status, out, err = await run_bot(
        "backup", "copy.sqlite3", env=dict(env, SYNC_INTERVAL="soon"), cwd=tmp_path
    )
    assert status == 2 and "SYNC_INTERVAL" in err and "TOKEN" not in err


def installed_script(tmp_path: Path) -> Path:
    """The `session-warden` console script of this environment (a stand-in of the same shape if absent)."""
    script = Path(sys.executable).parent / "session-warden"
    if script.is_file():
        return script
    script = tmp_path / "session-warden"
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom bot.__main__ import main\nsys.exit(main())\n")
    script.chmod(0o755)
    return script


async def test_help_names_the_program_that_was_run(tmp_path: Path) -> None:
    script = installed_script(tmp_path)
    proc = await asyncio.create_subprocess_exec(
        str(script), "--help", env=process_env(), cwd=tmp_path, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert out.decode().startswith("usage: session-warden [COMMAND]\n")
    proc = await asyncio.create_subprocess_exec(
        str(script), "nonsense", env=process_env(), cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2 and "usage: session-warden [COMMAND]" in err.decode()
    status, out_text, _ = await run_bot("--help", env=process_env(), cwd=tmp_path)
    assert status == 0 and out_text.startswith("usage: python -m bot [COMMAND]\n")


# -- the command line ----------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["nonsense"], ["check", "extra"], ["backup"], ["healthcheck", "x"]])
def test_bad_command_lines_exit_2_with_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage: python -m bot" in capsys.readouterr().err


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--help"])
    out = capsys.readouterr().out
    for command in ("run", "check", "healthcheck", "backup PATH"):
        assert f"  {command} " in out


async def test_the_running_bot_is_healthy_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """`docker stop` sends SIGTERM to PID 1: the bot must close and exit 0, not wait to be killed.
    Then healthcheck says it stopped, at once (a systemd or cron monitor sees the stop), instead
    of trusting the last heartbeat for HEALTH_MAX_AGE more."""
    async with (
        DiscordDouble(token=DISCORD_TOKEN) as dd,
        UseapiDouble(token=USEAPI_TOKEN) as ua,
    ):
        env = process_env(
            DISCORD_TOKEN=DISCORD_TOKEN,
            USEAPI_TOKEN=USEAPI_TOKEN,
            USEAPI_BASE_URL=ua.base_url,
            DISCORD_API_BASE=dd.api_base,
            DISCORD_GATEWAY_URL=dd.gateway_url,
            DATABASE_PATH=str(tmp_path / "warden.sqlite3"),
            GUILD_ID=str(dd.guild_id),
            LOG_LEVEL="DEBUG",
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
        )
        try:
            await dd.wait_until_ready(timeout=20)
            # The running scheduler's heartbeat is what the container's HEALTHCHECK reads.
            for _ in range(100):
                status, out, _ = await run_bot("healthcheck", env=env, cwd=tmp_path)
                if status == 0:
                    break
                await asyncio.sleep(0.1)
            assert (status, out[:29]) == (0, "healthy: scheduler heartbeat ")
            proc.send_signal(signal.SIGTERM)
            _, err_bytes = await asyncio.wait_for(proc.communicate(), 15)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        stopped = datetime.now(UTC)
        status, out, _ = await run_bot("healthcheck", env=env, cwd=tmp_path)
    assert status == 1, out
    said = re.fullmatch(r"unhealthy: the bot stopped at (\S+) \(<1m ago\) and has not run since\n", out)
    assert said, out
    assert abs(datetime.fromisoformat(said.group(1)) - stopped) < timedelta(seconds=5)
    err = err_bytes.decode()
    assert proc.returncode == 0, err
    lines = err.splitlines()
    assert any("stop requested" in line for line in lines)
    assert lines[-1].endswith("stopped cleanly")
    assert not [line for line in lines if "voice will NOT be supported" in line]
    assert all(LOG_LINE.fullmatch(line) for line in lines), [x for x in lines if not LOG_LINE.fullmatch(x)]
    assert DISCORD_TOKEN not in err and USEAPI_TOKEN not in err
