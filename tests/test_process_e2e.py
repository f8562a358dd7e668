"""The bot as a real process: killed mid-registration, stopped mid-registration."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.doubles.discord_double import DiscordDouble
from tests.doubles.useapi_double import UseapiDouble
from tests.process import bot_env, start_bot_process

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
        assert "may now register" in granted.data["content"]
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
        followup = await dd.wait_for(
            lambda r: (
                r.method in ("POST", "PATCH")
                and r.path.startswith("/webhooks/")
                and "studio@example.com" in r.raw_body.decode()
            ),
            timeout=10,
        )
        assert followup.json["flags"] & 64
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
