"""The database connection: opening (creating it owner-only, WAL), migrations, one writer at a
time, transactions, and the settings table. Each table's queries live in a module beside this one.

Waiting for the write lock. Another process may hold the database's write lock for seconds (a
second instance's pass, `python -m bot backup`, an operator's sqlite3 shell). A write waits for it
as long as its caller's *patience* (`write_patience`): INTERACTIVE_PATIENCE for what a member
asked (the default: commands, buttons, forms), BACKGROUND_PATIENCE for the scheduler and
start-up. A write still locked out then raises `StoreBusy` and changed nothing; a member reads
"the database is busy, nothing was changed, try again" (cogs/errors.py).

The connection has one thread (aiosqlite), so a statement that waits inside SQLite's busy
handler holds up every other query of the bot. The lock is therefore asked for in short tries
(`BUSY_SLICE_MS` each, SQLite's own busy handler) with asyncio sleeps between them: meanwhile
reads and other work on the connection go on, and a write waiting for minutes' worth of
patience never starves them. In WAL mode reads never wait for a writer anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any, Self, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

_T = TypeVar("_T")

_MIGRATION_NAME = re.compile(r"(\d{3})_[a-z0-9_]+\.sql")

# Seconds a write waits for another process's write lock before giving up (StoreBusy).
# A member waits behind a deferred answer ("thinking…"); two seconds then "busy, try again" beats
# holding up the bot's one connection and every other member's writes behind it.
INTERACTIVE_PATIENCE = 2.0
# The scheduler's pass and start-up: what busy_timeout=5000 gave before (bot/lease.py's slack
# counts on it: a pass start waits this long at most, twice).
BACKGROUND_PATIENCE = 5.0
# One try at the lock blocks the connection's thread at most this long (SQLite's busy handler);
# also the most a read waits on a lock (in WAL mode reads wait only on a crashed writer's recovery).
BUSY_SLICE_MS = 100
# Opening and migrating wait as long as they always did: nothing else runs yet.
OPEN_BUSY_TIMEOUT_MS = 5000
_PAUSE_FIRST, _PAUSE_MOST = 0.02, 0.2  # seconds between tries, doubling

_patience: contextvars.ContextVar[float] = contextvars.ContextVar(
    "write_patience", default=INTERACTIVE_PATIENCE
)
# The Database whose transaction the current task is inside (`Database.atomic`), so writes made
# inside join it instead of waiting for the lock their own transaction holds.
_inside: contextvars.ContextVar[Database | None] = contextvars.ContextVar("inside_transaction", default=None)


class StoreError(Exception):
    """The database could not be written or read (read-only, disk full, corrupt)."""


class StoreBusy(StoreError):
    """Another process held the database's write lock longer than this write's patience; the
    write changed nothing and may simply be tried again."""


@contextlib.contextmanager
def write_patience(seconds: float) -> Iterator[None]:
    """Writes made inside (and in tasks started inside) wait up to `seconds` for the lock."""
    token = _patience.set(seconds)
    try:
        yield
    finally:
        _patience.reset(token)


def _busy_sentence(patience: float) -> str:
    return f"the database is busy: its write lock was held by someone else for over {patience:g} s"


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


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
            await db.execute(f"PRAGMA busy_timeout={OPEN_BUSY_TIMEOUT_MS}")
            await store.migrate()
            # From here on a write asks for the lock in short tries (see the module docstring).
            await db.execute(f"PRAGMA busy_timeout={BUSY_SLICE_MS}")
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
        patience = _patience.get()
        async with self._write_lock:
            try:
                await self._begin_immediate(asyncio.get_running_loop().time() + patience, patience)
            except StoreError as exc:  # the check words every sqlite3 failure the same way
                raise sqlite3.OperationalError(str(exc)) from exc
            try:
                await self.db.execute(
                    "INSERT OR REPLACE INTO settings (key, value) VALUES ('check_write_probe', '')"
                )
            finally:
                await self.db.rollback()

    async def writable(self) -> None:
        """Raise StoreBusy when the write lock can't be had within the caller's patience (nothing
        is written). Asked before work that can't be undone (a credential sent to useapi.net, a
        DELETE there), so a busy database stops it before it starts."""
        async with self.atomic():
            pass

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
        """Run one write in its own transaction (or the caller's `atomic` one); return rows changed."""
        async with self.atomic():
            try:
                cur = await self.db.execute(sql, tuple(params))
            except sqlite3.Error as exc:
                raise StoreError(str(exc)) from exc
        return cur.rowcount

    async def _rollback(self) -> None:
        try:
            await self.db.rollback()
        except sqlite3.Error:
            log.exception("rollback failed")

    async def _transaction(self, work: Callable[[aiosqlite.Connection], Awaitable[_T]]) -> _T:
        """Run `work` as ONE transaction (or inside the caller's `atomic` one); a failure rolls
        all of it back and raises StoreError (StoreBusy: the lock could not be had, nothing ran)."""
        async with self.atomic():
            try:
                return await work(self.db)
            except sqlite3.Error as exc:
                raise StoreError(str(exc)) from exc

    @contextlib.asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """One transaction for every write made inside (a change and its audit entry): all of
        them or, on any exception, none. Raises StoreBusy, having changed nothing, when the write
        lock can't be had within the caller's patience (`write_patience`).

        The in-process lock keeps another coroutine's writes (and their commits) out of the
        middle, which would commit half of this transaction; writes of this task join it.
        """
        if _inside.get() is self:
            yield
            return
        patience = _patience.get()
        deadline = asyncio.get_running_loop().time() + patience
        await self._acquire_write_lock(deadline, patience)
        try:
            await self._begin_immediate(deadline, patience)
            token = _inside.set(self)
            try:
                try:
                    yield
                except BaseException:
                    await self._rollback()
                    raise
                try:
                    await self.db.commit()
                except sqlite3.Error as exc:
                    await self._rollback()
                    raise StoreError(str(exc)) from exc
            finally:
                _inside.reset(token)
        finally:
            self._write_lock.release()

    async def _acquire_write_lock(self, deadline: float, patience: float) -> None:
        """This connection's writer slot (a write of this bot may be waiting for the lock)."""
        try:
            async with asyncio.timeout_at(deadline):
                await self._write_lock.acquire()
        except TimeoutError:
            raise StoreBusy(_busy_sentence(patience)) from None

    async def _begin_immediate(self, deadline: float, patience: float) -> None:
        """BEGIN IMMEDIATE, tried in short slices until `deadline` (see the module docstring);
        StoreBusy then. Other queries run between the tries."""
        loop = asyncio.get_running_loop()
        pause = _PAUSE_FIRST
        while True:
            try:
                await self._begin_once()
                return
            except sqlite3.Error as exc:
                if not _is_busy(exc):
                    raise StoreError(str(exc)) from exc
                left = deadline - loop.time()
                if left <= 0:
                    raise StoreBusy(_busy_sentence(patience)) from None
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, _PAUSE_MOST)

    async def _begin_once(self) -> None:
        """One BEGIN IMMEDIATE. Cancelled meanwhile (a shutdown, a cog unloaded mid-pass), the
        statement still runs in the connection's thread: it is waited for and rolled back
        before the connection is given back, or the next writer would find a transaction open."""
        begin = asyncio.ensure_future(self.db.execute("BEGIN IMMEDIATE"))
        try:
            await asyncio.shield(begin)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await begin
                await self.db.rollback()
            raise

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
