"""The bot as a real process: killed mid-registration or mid-warning, stopped mid-registration,
started while Discord cannot be reached or refuses the token."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import GC_THRESHOLDS
from bot.settings import HEARTBEAT
from bot.store import Store
from tests.doubles.discord_double import DiscordDouble
from tests.doubles.useapi_double import UseapiDouble
from tests.harness import answer_of
from tests.process import StderrLines, bot_env, free_port, run_bot, start_bot_process

DISCORD_TOKEN = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.Gx7Kq2.process-test-token-Rt5Yu6"
USEAPI_TOKEN = "user:88-process-test-useapi-token-Op3Lk9"
SESSION = "ProcessSess10nSecret4Wq8Zm"
EXPIRES = datetime(2026, 12, 30, 10, 0, tzinfo=UTC)


@pytest.fixture
async def doubles() -> AsyncIterator[tuple[DiscordDouble, UseapiDouble]]:
    async with DiscordDouble(token=DISCORD_TOKEN) as dd, UseapiDouble(token=USEAPI_TOKEN) as ua:
        yield dd, ua


async def slash(dd: DiscordDouble, *args: str, user: int, **options: object):  # type: ignore[no-untyped-def]
    iid = await dd.dispatch_interaction(dd.slash_command(*args, options=options or None, user=user))
    return await dd.wait_for_callback(iid, timeout=10)


async def open_and_submit(dd: DiscordDouble, user: int) -> str:
    opened = await slash(dd, "luma", "register", user=user)
    assert opened.type == 9
    return await dd.dispatch_interaction(dd.modal_submit_for(opened, {"cookie": SESSION}, user=user))


def read_db(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


async def stop(proc: asyncio.subprocess.Process) -> str:
    if proc.returncode is None:
        proc.kill()
    _, err = await proc.communicate()
    return err.decode()


async def test_sigkill_mid_registration_loses_nothing_and_corrupts_nothing(
    tmp_path: Path, doubles: tuple[DiscordDouble, UseapiDouble]
) -> None:
    dd, ua = doubles
    db = tmp_path / "warden.sqlite3"
    env = bot_env(dd, ua, db, discord_token=DISCORD_TOKEN, useapi_token=USEAPI_TOKEN)
    member = dd.member_ids[0]
    ua.add_luma_session(SESSION, "studio@example.com", expires=EXPIRES)

    proc = await start_bot_process(env, tmp_path)
    try:
        await dd.wait_until_ready(timeout=20)
        granted = await slash(dd, "access", "grant", user=dd.admin_id, target=member)
        assert "may now register" in (await answer_of(dd, granted))["content"]
        ua.inject("POST", "/v1/luma/accounts", delay=5)
        await open_and_submit(dd, member)
        await ua.wait_for(lambda r: r.method == "POST", timeout=10)
        proc.kill()  # SIGKILL while useapi.net is still answering
        await proc.wait()
    finally:
        first_log = await stop(proc)

    assert read_db(db, "PRAGMA integrity_check") == [("ok",)]
    assert read_db(db, "SELECT kind, target_id FROM approvals") == [("user", member)]

    proc = await start_bot_process(env, tmp_path)
    try:
        await dd.wait_until_ready(timeout=20)
        ua.clear_faults()
        iid = await open_and_submit(dd, member)
        deferred = await dd.wait_for_callback(iid, timeout=10)
        assert deferred.type == 5
        # The answer fills the deferral in (an edit of @original keeps its flags: private).
        followup = await answer_of(dd, deferred, 10)
        assert "studio@example.com" in json.dumps(followup)
        assert followup["flags"] & 64
    finally:
        proc.send_signal(signal.SIGTERM)
        second_log = await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 0
    assert read_db(db, "SELECT account FROM accounts WHERE service = 'luma'") == [("studio@example.com",)]
    assert read_db(db, "PRAGMA integrity_check") == [("ok",)]
    everything = first_log + second_log[1].decode() + db.read_bytes().decode("latin-1")
    for secret in (SESSION, DISCORD_TOKEN, USEAPI_TOKEN):
        assert secret not in everything


async def test_sigterm_lets_a_registration_in_flight_finish(
    tmp_path: Path, doubles: tuple[DiscordDouble, UseapiDouble]
) -> None:
    dd, ua = doubles
    db = tmp_path / "warden.sqlite3"
    env = bot_env(
        dd,
        ua,
        db,
        discord_token=DISCORD_TOKEN,
        useapi_token=USEAPI_TOKEN,
        ADMIN_USER_IDS=str(dd.member_ids[0]),
    )
    member = dd.member_ids[0]  # an admin by ADMIN_USER_IDS, so approved
    ua.add_luma_session(SESSION, "studio@example.com", expires=EXPIRES)
    ua.inject("POST", "/v1/luma/accounts", delay=1.5)
    proc = await start_bot_process(env, tmp_path)
    try:
        await dd.wait_until_ready(timeout=20)
        await open_and_submit(dd, member)
        await ua.wait_for(lambda r: r.method == "POST", timeout=10)
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 15)
    finally:
        if proc.returncode is None:
            await stop(proc)
    assert proc.returncode == 0, err.decode()
    # The member still got their answer, and the account was recorded before the exit.
    assert any(
        "studio@example.com" in r.raw_body.decode() for r in dd.requests if r.path.startswith("/webhooks/")
    )
    assert read_db(db, "SELECT account FROM accounts") == [("studio@example.com",)]
    assert "waiting up to 5s for 1 registration(s) in flight" in err.decode()


async def kill_mid_warning_then_restart(
    tmp_path: Path, dd: DiscordDouble, ua: UseapiDouble, *, restart_after_nonce_window: bool
) -> dict[str, int]:
    """SIGKILL the bot while Discord has created its first warning but not yet answered (so it
    is never recorded), restart it, and count the messages each account's warning created."""
    db = tmp_path / "warden.sqlite3"
    env = bot_env(dd, ua, db, discord_token=DISCORD_TOKEN, useapi_token=USEAPI_TOKEN)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=5)
    ua.set_luma_account("a@example.com", soon)  # inside the 6h stage: due at once
    ua.set_luma_account("b@example.com", soon + timedelta(minutes=1))
    accounts = ("a@example.com", "b@example.com")
    channel = f"/channels/{dd.alert_channel_id}/messages"

    def created() -> dict[str, int]:
        texts = [json.dumps(m["embeds"]) for m in dd.channel_messages.get(dd.alert_channel_id, [])]
        return {a: sum(a in t for t in texts) for a in accounts}

    dd.slow_channel_answers(dd.alert_channel_id, 30)
    proc = await start_bot_process(env, tmp_path)
    try:
        await dd.wait_for(lambda r: r.method == "POST" and r.path == channel, timeout=20)
        assert sum(created().values()) == 1  # Discord has the first warning; the bot has no answer
        proc.kill()
        await proc.wait()
    finally:
        await stop(proc)
    assert read_db(db, "PRAGMA integrity_check") == [("ok",)]
    assert read_db(db, "SELECT COUNT(*) FROM alert_warnings WHERE status = 'sent'") == [(0,)]
    dd.clear_channel_faults()
    if restart_after_nonce_window:
        dd.nonce_window = 0  # the restart comes later than Discord remembers nonces
    # The killed run never released its lease; a new process (another pid) would wait out its
    # 90 s. Let it lapse now rather than sleeping.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE scheduler_lease SET expires_at = 0")

    proc = await start_bot_process(env, tmp_path)
    try:
        for _ in range(100):  # both accounts warned for the 6h stage, and both recorded
            if read_db(db, "SELECT COUNT(*) FROM alert_warnings WHERE status = 'sent'") == [(2,)]:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)  # a further pass must send nothing new
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 0
    assert read_db(db, "PRAGMA integrity_check") == [("ok",)]
    # Whatever Discord answered (a new message or the existing one), the id recorded is that
    # message's: the Renew button and any later edit find the message people see.
    recorded = {row[0] for row in read_db(db, "SELECT message_id FROM alert_warnings WHERE status = 'sent'")}
    live = {int(m["id"]) for m in dd.channel_messages[dd.alert_channel_id]}
    assert len(recorded) == 2 and recorded <= live
    return created()


async def test_sigkill_mid_warning_pass_repeats_nothing_within_discords_nonce_window(
    tmp_path: Path, doubles: tuple[DiscordDouble, UseapiDouble]
) -> None:
    dd, ua = doubles
    per_account = await kill_mid_warning_then_restart(tmp_path, dd, ua, restart_after_nonce_window=False)
    assert per_account == {"a@example.com": 1, "b@example.com": 1}
    # The warning in flight was posted again, with the same nonce, and Discord returned the first.
    (repeat,) = dd.deduplicated
    assert "a@example.com" in repeat.raw_body.decode() and repeat.json["enforce_nonce"] is True


async def test_sigkill_mid_warning_pass_after_the_nonce_window_repeats_only_the_warning_in_flight(
    tmp_path: Path, doubles: tuple[DiscordDouble, UseapiDouble]
) -> None:
    dd, ua = doubles
    per_account = await kill_mid_warning_then_restart(tmp_path, dd, ua, restart_after_nonce_window=True)
    assert per_account == {"a@example.com": 2, "b@example.com": 1}
    assert dd.deduplicated == []


async def healthcheck(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    status, out, _ = await run_bot("healthcheck", env=env, cwd=cwd)
    return status, out.strip()


async def test_unreachable_discord_at_boot_is_retried_until_it_answers(tmp_path: Path) -> None:
    dd = DiscordDouble(token=DISCORD_TOKEN, port=free_port())  # not started: the port refuses
    async with UseapiDouble(token=USEAPI_TOKEN) as ua:
        db = tmp_path / "warden.sqlite3"
        env = bot_env(dd, ua, db, discord_token=DISCORD_TOKEN, useapi_token=USEAPI_TOKEN)
        # A fresh heartbeat left by the previous run must not vouch for a process that never connected.
        store = await Store.open(db)
        await store.set_setting(HEARTBEAT.key, str(int(time.time())))
        await store.close()

        proc = await start_bot_process(env, tmp_path)
        err = StderrLines(proc)
        try:
            await err.wait_for("cannot reach Discord", count=2, timeout=20)
            status, out = await healthcheck(env, tmp_path)
            assert status == 1 and out.startswith("unhealthy: no scheduler heartbeat yet"), out
            assert proc.returncode is None  # still waiting, not crashed

            await dd.start()  # Discord answers again, on the same address
            await dd.wait_until_ready(timeout=30)
            for _ in range(100):
                status, out = await healthcheck(env, tmp_path)
                if status == 0:
                    break
                await asyncio.sleep(0.2)
            assert status == 0, out
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 15)
            log = await err.finish()
            await dd.stop()
    assert proc.returncode == 0, log
    assert "Traceback" not in log
    attempts = err.matching("cannot reach Discord")
    for line, delay in zip(attempts, (2, 4, 8, 16), strict=False):  # one line per attempt, doubling
        assert "WARNING bot.runner: cannot reach Discord (Cannot connect to host 127.0.0.1:" in line
        assert line.endswith(f"; retrying in {delay} s")
    assert 2 <= len(attempts) <= 4
    # Once Discord answered, one normal start: commands synced once, one gateway session.
    app, guild = dd.application_id, dd.guild_id
    assert len(dd.requests_to("PUT", f"/applications/{app}/guilds/{guild}/commands")) == 1
    assert dd.identify_count == 1
    assert err.matching("synced 5 application commands") != []  # /luma, /accounts, /access, /alerts, /notify


async def test_sigterm_while_waiting_for_discord_exits_0_at_once(tmp_path: Path) -> None:
    dd = DiscordDouble(token=DISCORD_TOKEN, port=free_port())  # never started
    async with UseapiDouble(token=USEAPI_TOKEN) as ua:
        env = bot_env(
            dd, ua, tmp_path / "warden.sqlite3", discord_token=DISCORD_TOKEN, useapi_token=USEAPI_TOKEN
        )
        proc = await start_bot_process(env, tmp_path)
        err = StderrLines(proc)
        try:
            await err.wait_for("retrying in 4 s", timeout=20)
            proc.send_signal(signal.SIGTERM)
            # Within the 4 s wait, not after it: the wait itself is cut short.
            await asyncio.wait_for(proc.wait(), 3)
        finally:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
            log = await err.finish()
    assert proc.returncode == 0, log
    assert len(err.matching("cannot reach Discord")) == 2
    assert err.matching("stop requested before Discord answered") and err.lines[-1].endswith(
        "stopped cleanly"
    )
    assert "Traceback" not in log


async def test_a_token_discord_refuses_exits_1_at_once_with_one_line(
    tmp_path: Path, doubles: tuple[DiscordDouble, UseapiDouble]
) -> None:
    dd, ua = doubles
    env = bot_env(
        dd,
        ua,
        tmp_path / "warden.sqlite3",
        discord_token="MTMwMDAwMDAwMDAwMDAwMDAwMQ.Gx7Kq2.a-revoked-token-Qp4Wz8",
        useapi_token=USEAPI_TOKEN,
    )
    status, _, err = await run_bot(env=env, cwd=tmp_path, timeout=20)
    assert status == 1
    errors = [line for line in err.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and "Discord refused DISCORD_TOKEN" in errors[0]
    assert "Traceback" not in err and "cannot reach Discord" not in err
    assert len(dd.requests_to("GET", "/users/@me")) == 1  # tried once: retrying cannot help


async def test_an_unreachable_gateway_at_boot_is_retried_not_a_crash(
    tmp_path: Path, doubles: tuple[DiscordDouble, UseapiDouble]
) -> None:
    dd, ua = doubles  # REST answers; the gateway address refuses connections
    env = bot_env(dd, ua, tmp_path / "warden.sqlite3", discord_token=DISCORD_TOKEN, useapi_token=USEAPI_TOKEN)
    env["DISCORD_GATEWAY_URL"] = f"ws://127.0.0.1:{free_port()}/gateway"
    proc = await start_bot_process(env, tmp_path)
    err = StderrLines(proc)
    try:
        await err.wait_for("cannot reach Discord's gateway", count=2, timeout=20)
        assert proc.returncode is None
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        log = await err.finish()
    assert proc.returncode == 0, log
    assert "Traceback" not in log and " ERROR " not in log
    # discord.py's own attempt is one WARNING line too (bot.logs.ReconnectSummary).
    assert err.matching("WARNING discord.client: Discord connection lost (ClientConnectorError")
    # The login and the command sync happened once, not once per attempt.
    app, guild = dd.application_id, dd.guild_id
    assert len(dd.requests_to("PUT", f"/applications/{app}/guilds/{guild}/commands")) == 1


async def test_the_bots_own_process_freezes_its_start_up_heap_once_ready(
    doubles: tuple[DiscordDouble, UseapiDouble], tmp_path: Path
) -> None:
    """bot.runner's bot moves what start-up left alive out of the garbage collector's full
    collections (gc.freeze), once, after READY: they walk only what it made since; and it
    collects less often (bot.app.GC_THRESHOLDS)."""
    dd, ua = doubles
    env = bot_env(dd, ua, tmp_path / "warden.sqlite3", discord_token=DISCORD_TOKEN, useapi_token=USEAPI_TOKEN)
    proc = await start_bot_process(env, tmp_path)
    err = StderrLines(proc)
    try:
        (line,) = await err.wait_for("start-up heap frozen", timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 15)
        log = await err.finish()
    assert proc.returncode == 0, log
    frozen = re.search(r"heap frozen: (\d+) objects", line)
    assert frozen is not None and int(frozen.group(1)) > 10_000, line  # modules, classes, discord.py
    assert line.endswith(f"thresholds {GC_THRESHOLDS}"), line
    assert log.index("ready as") < log.index("start-up heap frozen")
    assert len(err.matching("start-up heap frozen")) == 1
