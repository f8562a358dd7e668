"""Storage for the expiry watch: migration 002 on a v1 database, sent/skipped/failed records."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.expiry import WarningKey
from bot.store import Store, StoreError, migrations

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KEY = WarningKey("luma", "a@x.com", 1_800_000_000, "24h")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "warden.sqlite3")
    try:
        yield store
    finally:
        await store.close()


async def test_migration_002_upgrades_a_v1_database_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    version, sql = migrations()[0]
    assert version == 1
    with sqlite3.connect(path) as db:  # the database as the first release left it
        db.executescript(sql)
        db.execute(f"PRAGMA user_version = {version}")
        db.execute(
            "INSERT INTO accounts (service, account, expires_at, registered_by, first_seen_at) "
            "VALUES ('luma', 'a@x.com', 1800000000, 42, 1700000000)"
        )
        db.execute("INSERT INTO settings VALUES ('alert_channel_id', '1300000000000000200')")
    store = await Store.open(path)
    try:
        assert await store.schema_version() == 2
        (acc,) = await store.list_accounts()
        assert acc.account == "a@x.com" and acc.registered_by == 42
        assert await store.get_setting("alert_channel_id") == "1300000000000000200"
        assert await store.alert_keys() == set()
        await store.record_alert_sent(KEY, now=NOW, message_id=99)
        assert await store.alert_keys() == {KEY}
    finally:
        await store.close()


async def test_sent_and_skipped_are_remembered_and_a_send_clears_its_failures(store: Store) -> None:
    skipped = KEY._replace(stage="3d")
    await store.record_alerts_skipped([skipped], now=NOW)
    await store.record_alerts_skipped([], now=NOW)
    await store.record_alert_failure(KEY, reason="Missing Permissions", now=NOW)
    await store.record_alert_failure(KEY, reason="Unknown Channel", now=NOW + timedelta(minutes=1))
    (failure,) = await store.alert_failures()
    assert failure.key == KEY and failure.attempts == 2 and failure.reason == "Unknown Channel"
    assert failure.first_failed_at == NOW and failure.last_failed_at == NOW + timedelta(minutes=1)
    assert KEY not in await store.alert_keys()

    await store.record_alert_sent(KEY, now=NOW + timedelta(minutes=2), message_id=123)
    assert await store.alert_keys() == {KEY, skipped}
    assert await store.alert_failures() == []
    async with store.db.execute("SELECT status, message_id FROM alert_warnings ORDER BY stage") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("sent", 123), ("skipped", None)]


async def test_stale_failures_are_forgotten(store: Store) -> None:
    other = KEY._replace(account="b@x.com")
    await store.record_alert_failure(KEY, reason="x", now=NOW)
    await store.record_alert_failure(other, reason="y", now=NOW)
    await store.forget_alert_failures([other])
    assert [f.key for f in await store.alert_failures()] == [other]


async def test_a_failed_record_leaves_nothing_half_written(store: Store) -> None:
    await store.record_alert_failure(KEY, reason="x", now=NOW)
    await store.db.execute(
        "CREATE TEMP TRIGGER refuse BEFORE DELETE ON alert_failures BEGIN SELECT RAISE(ABORT, 'no'); END"
    )
    await store.db.commit()
    with pytest.raises(StoreError):
        await store.record_alert_sent(KEY, now=NOW, message_id=1)
    assert await store.alert_keys() == set()  # the insert was rolled back with the delete
    assert len(await store.alert_failures()) == 1
