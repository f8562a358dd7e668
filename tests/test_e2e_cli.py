"""The command line as operators and scripts use it, as real processes: every command's --help,
errors that name the problem, and every command exiting with its own status whatever happens to
its output (`check | grep -q passed`, `audit | head -1`, a log pipe that went away)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.__main__ import COMMANDS, main
from bot.settings import HEARTBEAT
from bot.store import Store
from tests.doubles.discord_double import DiscordDouble
from tests.doubles.useapi_double import UseapiDouble
from tests.harness import answer_of
from tests.process import bot_env, process_env, run_bot, run_bot_with_reader_leaving

DISCORD_TOKEN = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.Gx7Kq2.cli-test-discord-token-Wq3Er5Ty"
USEAPI_TOKEN = "user:55-cli-test-useapi-token-Ui8Op0"
# What Python prints when output fails outside our control, or at exit (status 120).
UNCAUGHT = ("Traceback", "Exception ignored", "BrokenPipeError")


async def a_database(tmp_path: Path, *, heartbeat: bool = False, audit_entries: int = 0) -> Path:
    db = tmp_path / "warden.sqlite3"
    store = await Store.open(db)
    try:
        if heartbeat:
            await HEARTBEAT.set(store, int(time.time()))
        for n in range(audit_entries):
            await store.audit(
                now=datetime.now(UTC) - timedelta(minutes=n), actor_id=1, action="register", outcome="ok"
            )
    finally:
        await store.close()
    return db


# -- --help and errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
async def test_every_command_answers_help_and_does_nothing_else(tmp_path: Path, command: str) -> None:
    # No configuration at all: --help needs none, and must not touch a database or a file.
    for argv in ([command, "--help"], [command, "-h"], ["help", command]):
        status, out, err = await run_bot(*argv, env=process_env(), cwd=tmp_path)
        assert (status, err) == (0, ""), argv
        assert out.startswith(f"usage: python -m bot {command} [-h]"), out
        assert "Exit status: 0" in out, "each command's help says what its exit status means"
    assert os.listdir(tmp_path) == [], "--help created something"
    if command == "backup":
        assert not (tmp_path / "--help").exists()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["backup"], "python -m bot backup: error: the following arguments are required: PATH"),
        (["backup", "a", "b"], "python -m bot backup: error: unexpected argument 'b'"),
        (["check", "--verbose"], "python -m bot check: error: unknown option '--verbose'"),
        (["audit", "--limit"], "python -m bot audit: error: --limit needs a value"),
        (["audit", "--limit", "-3"], "--limit takes a whole number above 0, not '-3'"),
        (["demo", "--html"], "python -m bot demo: error: --html needs a value"),
        (["chek"], "unknown command 'chek'; the commands are run, check, healthcheck, backup, audit, demo"),
        (["help", "chek"], "unknown command 'chek'"),
        (["--json"], "python -m bot: error: unknown option '--json'"),
    ],
)
def test_a_wrong_command_line_exits_2_naming_the_problem_and_the_commands_usage(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert says in captured.err
    command = argv[0] if argv[0] in COMMANDS else None
    usage = f"usage: python -m bot {command} [-h]" if command else "usage: python -m bot [COMMAND]"
    assert captured.err.startswith(usage), captured.err


async def test_the_first_run_points_at_env_example(tmp_path: Path) -> None:
    for command in ("run", "check"):
        status, out, err = await run_bot(command, env=process_env(), cwd=tmp_path)
        assert (status, out) == (2, "")
        assert "DISCORD_TOKEN is required" in err and "USEAPI_TOKEN is required" in err
        assert "Copy .env.example to .env" in err and "fill in DISCORD_TOKEN and USEAPI_TOKEN" in err
    # Tokens set, something else wrong: not a first run, no such hint.
    env = process_env(DISCORD_TOKEN=DISCORD_TOKEN, USEAPI_TOKEN=USEAPI_TOKEN, SYNC_INTERVAL="soon")
    status, _, err = await run_bot("check", env=env, cwd=tmp_path)
    assert status == 2 and "SYNC_INTERVAL" in err and ".env.example" not in err


# -- a reader that leaves -----------------------------------------------------------------------


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "PYTHONUNBUFFERED"])
@pytest.mark.parametrize("read_lines", [0, 1], ids=["closed-at-once", "after-one-line"])
async def test_check_exits_with_its_status_when_its_reader_leaves(
    tmp_path: Path, unbuffered: str, read_lines: int
) -> None:
    """`check | head -1`, `check | grep -q ok`: it used to hang for ever (the pipe broke while the
    database was open, and aiosqlite's thread kept the process alive), or end with status 120."""
    async with UseapiDouble(token=USEAPI_TOKEN) as ua:
        ua.set_luma_account("studio@example.com", datetime.now(UTC) + timedelta(days=2))
        # useapi.net answers slowly, so the report's later lines come after the reader left.
        ua.inject("GET", r"/v1/.*", delay=0.2, times=None)
        env = process_env(
            DISCORD_TOKEN=DISCORD_TOKEN,
            USEAPI_TOKEN=USEAPI_TOKEN,
            USEAPI_BASE_URL=ua.base_url,
            DATABASE_PATH=str(tmp_path / "warden.sqlite3"),
            PYTHONUNBUFFERED=unbuffered,
        )
        status, err = await run_bot_with_reader_leaving("check", env=env, cwd=tmp_path, read_lines=read_lines)
        assert (status, err) == (0, "")
        # The same with a wrong token: the failure's status survives the closed pipe too.
        wrong = dict(env, USEAPI_TOKEN="user:55-not-the-right-token")
        status, err = await run_bot_with_reader_leaving(
            "check", env=wrong, cwd=tmp_path, read_lines=read_lines
        )
        assert (status, err) == (1, "")


@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "PYTHONUNBUFFERED"])
async def test_every_read_only_command_exits_with_its_status_when_its_reader_leaves(
    tmp_path: Path, unbuffered: str
) -> None:
    db = await a_database(tmp_path, heartbeat=True, audit_entries=120)
    env = process_env(DATABASE_PATH=str(db), PYTHONUNBUFFERED=unbuffered)
    missing = process_env(DATABASE_PATH=str(tmp_path / "nowhere" / "warden.sqlite3"))
    cases: list[tuple[list[str], dict[str, str], int]] = [
        (["healthcheck"], env, 0),
        (["healthcheck"], missing, 1),
        (["audit", "--limit", "100"], env, 0),
        (["audit", "--json", "--limit", "100"], env, 0),
        (["audit"], missing, 1),
        (["backup", "copies/"], env, 0),
        (["backup", "copies/"], missing, 1),
        (["--help"], env, 0),
        (["audit", "--help"], env, 0),
        (["help"], env, 0),
    ]
    for argv, environment, expected in cases:
        for read_lines in (0, 1):
            status, err = await run_bot_with_reader_leaving(
                *argv, env=environment, cwd=tmp_path, read_lines=read_lines
            )
            assert status == expected, (argv, read_lines, err)
            assert not any(word in err for word in UNCAUGHT), (argv, err)
    copies = list((tmp_path / "copies").iterdir())
    assert copies and all(
        sqlite3.connect(c).execute("PRAGMA quick_check").fetchone() == ("ok",) for c in copies
    )


async def test_errors_still_exit_with_their_status_when_stderr_is_gone(tmp_path: Path) -> None:
    """A cron line whose mail pipe broke, a supervisor's log reader that died."""
    cases: list[tuple[list[str], dict[str, str], int]] = [
        (["check"], process_env(), 2),  # no token
        (["run"], process_env(), 2),
        (["nonsense"], process_env(), 2),
        (["audit", "--limit", "0"], process_env(), 2),
        (["healthcheck"], process_env(HEALTH_MAX_AGE="never"), 1),  # never 2 for Docker
        (["audit"], process_env(DATABASE_PATH=str(tmp_path / "none.sqlite3")), 1),
    ]
    for argv, env, expected in cases:
        status, out = await run_bot_with_reader_leaving(*argv, env=env, cwd=tmp_path, stream="stderr")
        assert status == expected, argv
        assert out == "" or argv == ["healthcheck"], (argv, out)


async def test_the_bot_keeps_running_without_its_log_reader_and_stops_with_0(tmp_path: Path) -> None:
    """`session-warden 2>&1 | tee bot.log`, and tee dies: the bot runs on, and SIGTERM still
    stops it cleanly with status 0."""
    async with DiscordDouble(token=DISCORD_TOKEN) as dd, UseapiDouble(token=USEAPI_TOKEN) as ua:
        env = bot_env(
            dd, ua, tmp_path / "warden.sqlite3", discord_token=DISCORD_TOKEN, useapi_token=USEAPI_TOKEN
        )
        read_fd, write_fd = os.pipe()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=env, cwd=tmp_path, stderr=write_fd
        )
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as log:
            first = await asyncio.wait_for(asyncio.to_thread(log.readline), 20)
        assert b"starting Session Warden" in first  # the log came through; now its reader is gone
        try:
            await dd.wait_until_ready(timeout=20)
            member = dd.member_ids[0]
            grant = dd.slash_command("access", "grant", options={"target": member}, user=dd.admin_id)
            iid = await dd.dispatch_interaction(grant)
            answered = await dd.wait_for_callback(iid, timeout=10)  # logging on, into the void
            assert "may now register" in (await answer_of(dd, answered, 10))["content"]
            for _ in range(100):
                status, out, _ = await run_bot("healthcheck", env=env, cwd=tmp_path)
                if status == 0:
                    break
                await asyncio.sleep(0.1)
            assert status == 0, out
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 15)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert proc.returncode == 0


async def test_audit_json_through_a_real_head(tmp_path: Path) -> None:
    """The shell pipeline itself, as an operator types it."""
    db = await a_database(tmp_path, audit_entries=300)
    env = process_env(DATABASE_PATH=str(db), PYTHONUNBUFFERED="1")
    proc = await asyncio.create_subprocess_shell(
        f"set -o pipefail; {sys.executable} -m bot audit --json --limit 300 | head -1",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        executable="/bin/bash",
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()  # with pipefail: audit itself exited 0
    assert json.loads(out.decode())["id"] == 300
    assert not any(word in err.decode() for word in UNCAUGHT)
    assert re.fullmatch(r"(more entries: add --before \d+\n)?", err.decode())
