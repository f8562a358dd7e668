"""The database connection: opening (creating it owner-only, WAL), migrations, one writer at a
time, transactions, and the settings table. Each table's queries live in a module beside this one."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any, Self, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

_T = TypeVar("_T")

_MIGRATION_NAME = re.compile(r"(\d{3})_[a-z0-9_]+\.sql")


class StoreError(Exception):
    """The database could not be written or read (read-only, disk full, corrupt)."""


def migrations() -> list[tuple[int, str]]:
    """(version, sql) for every file in bot/migrations, in order."""
    found = []
    for entry in resources.files("bot").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.fullmatch(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 001, 002, … without gaps; found {versions}")
    return found


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only, before SQLite opens it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


class Database:
    """The connection and what every table's queries share."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db = db
        self.path = path
        # One writer at a time on this connection, so no commit lands inside a transaction.
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> Self:
        path = Path(path)
        try:
            _create_private(path)
            db = await aiosqlite.connect(path)
        except (OSError, aiosqlite.Error) as exc:
            raise StoreError(f"cannot open the database at {path}: {exc}") from exc
        db.row_factory = aiosqlite.Row
        store = cls(db, path)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA foreign_keys=ON")
            # Wait for a second instance's write instead of failing at once.
            await db.execute("PRAGMA busy_timeout=5000")
            await store.migrate()
        except aiosqlite.Error as exc:
            await db.close()
            raise StoreError(f"cannot prepare the database at {path}: {exc}") from exc
        return store

    @classmethod
    async def open_read_only(cls, path: Path | str) -> Self:
        """Open an existing database for reading only: nothing is created, migrated or written
        (`python -m bot audit`). StoreError when there is no database or it can't be read."""
        path = Path(path)
        if not path.is_file():
            raise StoreError(f"no database at {path}: the bot has not run here (check DATABASE_PATH)")
        try:
            db = await aiosqlite.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        except (OSError, aiosqlite.Error) as exc:
            raise StoreError(f"cannot open {path} read-only: {exc}") from exc
        db.row_factory = aiosqlite.Row
        store = cls(db, path)
        try:
            await db.execute("PRAGMA busy_timeout=5000")
            if await store.schema_version() == 0:
                raise StoreError(f"{path} is not a Session Warden database (no schema)")
        except aiosqlite.Error as exc:
            await db.close()
            raise StoreError(f"cannot read {path}: {exc}") from exc
        except StoreError:
            await db.close()
            raise
        return store

    async def close(self) -> None:
        await self.db.close()

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def quick_check(self) -> str:
        """SQLite's `PRAGMA quick_check` verdict: "ok", or the first problem it found."""
        async with self.db.execute("PRAGMA quick_check") as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else "?"

    async def probe_write(self) -> None:
        """Prove the file can be written without changing it: one write, rolled back.
        Raises sqlite3.Error (read-only file, disk full, locked)."""
        async with self._write_lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                await self.db.execute(
                    "INSERT OR REPLACE INTO settings (key, value) VALUES ('check_write_probe', '')"
                )
            finally:
                await self.db.rollback()

    async def migrate(self) -> int:
        current = await self.schema_version()
        for version, sql in migrations():
            if version <= current:
                continue
            log.info("applying database migration %03d", version)
            # executescript commits first; wrap each file so a failure leaves the old version intact.
            await self.db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
            current = version
        return current

    async def _write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one write in its own transaction; return rows changed."""
        async with self._write_lock:
            try:
                cur = await self.db.execute(sql, tuple(params))
                await self.db.commit()
            except aiosqlite.Error as exc:
                await self._rollback()
                raise StoreError(str(exc)) from exc
        return cur.rowcount

    async def _rollback(self) -> None:
        try:
            await self.db.rollback()
        except aiosqlite.Error:
            log.exception("rollback failed")

    async def _transaction(self, work: Callable[[aiosqlite.Connection], Awaitable[_T]]) -> _T:
        """Run `work` as ONE transaction; a failure rolls all of it back and raises StoreError.

        The write lock keeps another coroutine's `_write` (and its `commit()`) from landing in
        the middle, which would commit half of this transaction.
        """
        async with self._write_lock:
            try:
                await self.db.execute("BEGIN IMMEDIATE")
                try:
                    result = await work(self.db)
                except BaseException:
                    await self.db.rollback()
                    raise
                await self.db.commit()
            except sqlite3.Error as exc:
                raise StoreError(str(exc)) from exc
        return result

    async def get_setting(self, key: str) -> str | None:
        async with self.db.execute("SELECT value FROM settings WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return None if row is None else str(row[0])

    async def set_setting(self, key: str, value: str | None) -> None:
        if value is None:
            await self._write("DELETE FROM settings WHERE key = ?", (key,))
        else:
            await self._write(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
