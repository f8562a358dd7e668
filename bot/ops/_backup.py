"""`backup PATH`: copy the live database (safe while the bot runs) atomically, read-only on the source."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.config import Settings


def backup_target(destination: str | os.PathLike[str], now: datetime) -> tuple[Path, bool]:
    """The file to write, and whether `destination` names a directory to create first.

    A directory is an existing one or a path ending in a slash (`/data/backups/`, as in a nightly
    cron line, before the folder exists); it receives a dated file. Anything else is the file.
    """
    raw = os.fspath(destination)
    path = Path(raw)
    if raw.endswith(("/", os.sep)) or path.is_dir():
        return path / f"session-warden-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.sqlite3", True
    return path, False


def backup(
    settings: Settings, destination: str | os.PathLike[str], out: TextIO, *, now: datetime | None = None
) -> int:
    """Copy the live database (safe while the bot runs) to `destination`, atomically."""
    source = settings.database_path
    if not source.is_file():
        out.write(f"backup failed: no database at {source}\n")
        return 1
    destination, is_directory = backup_target(destination, now or datetime.now(UTC))
    if destination.resolve() == source.resolve():
        out.write("backup failed: the destination is the live database itself\n")
        return 1
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        what = "directory" if is_directory else "folder for the file"
        out.write(f"backup failed: cannot create the {what} {destination.parent}: {exc.strerror or exc}\n")
        return 1
    fd, tmp_name = tempfile.mkstemp(prefix=".backup-", suffix=".sqlite3", dir=destination.parent)
    os.close(fd)  # mkstemp made it 0600: account emails and user ids are team business
    tmp = Path(tmp_name)
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
                verdict = dst.execute("PRAGMA quick_check").fetchone()
                # A single file is easier to move around than one with -wal/-shm beside it.
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        if verdict is None or verdict[0] != "ok":
            out.write(f"backup failed: the copy does not pass quick_check ({verdict})\n")
            return 1
        os.replace(tmp, destination)
    except (OSError, sqlite3.Error) as exc:
        out.write(f"backup failed: {exc}\n")
        return 1
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    size = destination.stat().st_size
    out.write(f"backed up {source} to {destination} ({size:,} bytes)\n")
    return 0
