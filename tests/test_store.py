"""Storage: migrations on empty and existing databases, accounts, approvals, audit."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.approvals import ApprovalCache
from bot.registration import record_registration
from bot.store import Store, StoreError, migrations
from bot.useapi import AccountInfo

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def test_fresh_database_gets_every_migration_wal_and_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "warden.sqlite3"
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(migrations())
        async with store.db.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]
        await store.set_setting("k", "v")  # creates the -wal and -shm files
        for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            assert stat.S_IMODE(os.stat(companion).st_mode) == 0o600, companion
    finally:
        await store.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


async def test_existing_v1_database_keeps_its_data_when_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    version, sql = migrations()[0]
    with sqlite3.connect(path) as db:  # a database as the first release left it
        db.executescript(sql)
        db.execute(f"PRAGMA user_version = {version}")
        db.execute(
            "INSERT INTO accounts (service, account, expires_at, first_seen_at) VALUES ('luma', 'a@x.com', 1800000000, 1700000000)"
        )
        db.execute("INSERT INTO approvals VALUES ('user', 42, 1, 1700000000)")
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(migrations())
        (account,) = await store.list_accounts()
        assert account.account == "a@x.com" and account.expires_at == datetime.fromtimestamp(1800000000, UTC)
        assert await ApprovalCache(store, max_age=0).is_approved(42, [])
        # Opening again is a no-op.
        assert await store.migrate() == len(migrations())
    finally:
        await store.close()


async def test_registration_upsert_and_order(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        late = AccountInfo("luma", "late@x.com", expires_at=NOW + timedelta(days=5), concurrency=4)
        soon = AccountInfo("ltx", "soon@x.com", expires_at=NOW + timedelta(hours=2), max_jobs=20)
        unknown = AccountInfo("luma", "unknown@x.com")
        for info in (late, soon, unknown):
            await record_registration(store, info, user_id=7, now=NOW)
        assert [a.account for a in await store.list_accounts()] == [
            "soon@x.com",
            "late@x.com",
            "unknown@x.com",
        ]
        # A renewal moves the expiry and keeps what the new answer doesn't say.
        renewed = AccountInfo("luma", "late@x.com", expires_at=NOW + timedelta(days=30))
        await record_registration(store, renewed, user_id=8, now=NOW + timedelta(hours=1))
        account = await store.get_account("luma", "late@x.com")
        assert account is not None
        assert account.expires_at == NOW + timedelta(days=30)
        assert account.concurrency == 4 and account.registered_by == 8
        assert account.first_seen_at == NOW
    finally:
        await store.close()


async def test_approvals_by_user_and_role(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        assert await store.grant("user", 1, granted_by=9, now=NOW)
        assert not await store.grant("user", 1, granted_by=9, now=NOW)
        assert await store.grant("role", 500, granted_by=9, now=NOW)
        assert await ApprovalCache(store, max_age=0).is_approved(1, [])
        assert await ApprovalCache(store, max_age=0).is_approved(2, [499, 500])
        assert not await ApprovalCache(store, max_age=0).is_approved(2, [499])
        assert await store.revoke("role", 500)
        assert not await store.revoke("role", 500)
        assert not await ApprovalCache(store, max_age=0).is_approved(2, [500])
        assert [(a.kind, a.target_id) for a in await store.list_approvals()] == [("user", 1)]
    finally:
        await store.close()


async def test_settings_and_audit(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    try:
        assert await store.get_setting("k") is None
        await store.set_setting("k", "v1")
        await store.set_setting("k", "v2")
        assert await store.get_setting("k") == "v2"
        await store.set_setting("k", None)
        assert await store.get_setting("k") is None
        await store.audit(
            now=NOW, actor_id=3, action="register", outcome="ok", service="luma", target="a@x.com"
        )
        (entry,) = await store.recent_audit()
        assert (entry.actor_id, entry.action, entry.outcome, entry.at) == (3, "register", "ok", NOW)
    finally:
        await store.close()


async def test_read_only_database_raises_store_error(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = await Store.open(path)
    await store.close()
    uri_store = await Store.open(path)
    try:
        await uri_store.db.execute("PRAGMA query_only = ON")
        with pytest.raises(StoreError):
            await uri_store.set_setting("k", "v")
        await uri_store.db.execute("PRAGMA query_only = OFF")
        await uri_store.set_setting("k", "v")  # the connection is still usable afterwards
    finally:
        await uri_store.close()


async def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open"):
        await Store.open(blocker / "db.sqlite3")
