"""`healthcheck`: is the running bot's scheduler alive? Read-only, no network, nothing created.

Standard library only (plus bot.settings, bot.durations and bot.ops._text, which are too), so a container
engine's probe stays fast: no HTTP client, no aiosqlite, no discord.py.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.durations import format_duration
from bot.ops._text import iso_utc, relative
from bot.settings import HEARTBEAT, STOPPED_AT

if TYPE_CHECKING:
    from bot.config import Settings

# Written by the scheduler (bot/watch.py) at every pass, cleared when a bot starts or stops.
HEARTBEAT_KEY = HEARTBEAT.key
# healthcheck tolerates a heartbeat this far in the future (clocks of two processes, rounding).
CLOCK_SLACK = timedelta(seconds=60)


def read_heartbeat(path: Path, now: datetime | None = None) -> datetime:
    """The scheduler's last heartbeat; raises LookupError with a sentence when there is none
    (saying when the bot stopped, if it stopped; `now` for how long ago)."""
    if not path.is_file():
        raise LookupError(f"no database at {path}: the bot has not started here")
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=2)
    except sqlite3.Error as exc:
        raise LookupError(f"cannot open {path} read-only: {exc}") from exc
    try:
        rows = dict(
            conn.execute(
                "SELECT key, value FROM settings WHERE key IN (?, ?)", (HEARTBEAT_KEY, STOPPED_AT.key)
            ).fetchall()
        )
    except sqlite3.Error as exc:
        raise LookupError(f"cannot read {path}: {exc}") from exc
    finally:
        conn.close()
    raw = str(rows.get(HEARTBEAT_KEY, "")).strip()
    if not raw:
        stopped = str(rows.get(STOPPED_AT.key, "")).strip()
        if stopped.isdigit():
            at = datetime.fromtimestamp(int(stopped), tz=UTC)
            ago = relative(at - (now or datetime.now(UTC)))
            raise LookupError(f"the bot stopped at {iso_utc(at)} ({ago}) and has not run since")
        raise LookupError("no scheduler heartbeat yet: the bot is starting or its scheduler never ran")
    if not raw.isdigit():
        raise LookupError(f"the scheduler heartbeat {raw[:20]!r} is not a Unix time")
    return datetime.fromtimestamp(int(raw), tz=UTC)


def healthcheck(settings: Settings, out: TextIO, *, now: datetime | None = None) -> int:
    """0 while the scheduler's heartbeat is younger than HEALTH_MAX_AGE, else 1; one line either way."""
    now = now or datetime.now(UTC)
    limit = settings.health_max_age
    try:
        beat = read_heartbeat(settings.database_path, now)
    except LookupError as exc:
        out.write(f"unhealthy: {exc}\n")
        return 1
    age = now - beat
    if age < -CLOCK_SLACK:
        out.write(f"unhealthy: the scheduler heartbeat is {relative(-age)} in the future; check the clock\n")
        return 1
    shown = format_duration(max(age, timedelta(0)))
    if age > limit:
        out.write(
            f"unhealthy: last scheduler heartbeat {shown} ago ({iso_utc(beat)}), "
            f"older than HEALTH_MAX_AGE={format_duration(limit)}\n"
        )
        return 1
    out.write(f"healthy: scheduler heartbeat {shown} ago (limit {format_duration(limit)})\n")
    return 0
