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


async def test_sigkill_mid_warning_pass_repeats_at_most_the_warning_in_flight(
    tmp_path: Path, doubles: tuple[DiscordDouble, UseapiDouble]
) -> None:
    dd, ua = doubles
    db = tmp_path / "warden.sqlite3"
    env = bot_env(dd, ua, db, discord_token=DISCORD_TOKEN, useapi_token=USEAPI_TOKEN)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=5)
    ua.set_luma_account("a@example.com", soon)  # inside the 6h stage: due at once
    ua.set_luma_account("b@example.com", soon + timedelta(minutes=1))
    channel = f"/channels/{dd.alert_channel_id}/messages"

    def warnings() -> list[str]:
        return [
            r.json["embeds"][0]["title"] + " " + json.dumps(r.json["embeds"][0])
            for r in dd.requests_to("POST", channel)
            if r.json and r.json.get("embeds")
        ]

    proc = await start_bot_process(env, tmp_path)
    try:
        await dd.wait_for(lambda r: r.method == "POST" and r.path == channel, timeout=20)
        proc.kill()  # the first warning is on the wire; its record may or may not be written
        await proc.wait()
    finally:
        await stop(proc)
    assert read_db(db, "PRAGMA integrity_check") == [("ok",)]
    sent_before = len(warnings())
    # The killed run never released its lease; a new process (another pid) would wait out its
    # 90 s. Let it lapse now rather than sleeping.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE scheduler_lease SET expires_at = 0")

    proc = await start_bot_process(env, tmp_path)
    try:
        for _ in range(100):  # both accounts warned for the 6h stage
            if {"a@example.com", "b@example.com"} <= {
                a for w in warnings() for a in ("a@example.com", "b@example.com") if a in w
            }:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)  # a further pass must send nothing new
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 15)
    per_account = {a: sum(a in w for w in warnings()) for a in ("a@example.com", "b@example.com")}
    assert per_account["b@example.com"] == 1
    assert 1 <= per_account["a@example.com"] <= 2  # the one in flight may be repeated, once
    assert sent_before >= 1
    assert read_db(db, "SELECT COUNT(*) FROM alert_warnings WHERE status = 'sent'") == [(2,)]
    assert read_db(db, "PRAGMA integrity_check") == [("ok",)]
