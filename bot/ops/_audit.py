"""`audit`: the audit trail for operators, without Discord and without tokens, read-only.

Newest first, `limit` entries at a time; the last line names the `--before` cursor of the next
page. `--json` prints one JSON object per line instead (the same fields, times in UTC ISO 8601),
and the cursor on stderr, so the output pipes cleanly into jq.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from bot.config import Settings
from bot.models import AuditEntry
from bot.ops._text import iso_utc, printable, table
from bot.store import Store, StoreError

DEFAULT_LIMIT = 50
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class AuditQuery:
    since: timedelta | None = None
    limit: int = DEFAULT_LIMIT
    before_id: int | None = None
    member_id: int | None = None
    service: str | None = None
    as_json: bool = False


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": iso_utc(entry.at),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "service": entry.service,
        "target": entry.target,
        "outcome": entry.outcome,
        "detail": entry.detail,
    }


def format_entries(entries: list[AuditEntry]) -> str:
    header = ("id", "at (UTC)", "actor", "action", "service", "target", "outcome", "detail")
    body = [
        (
            str(e.id),
            iso_utc(e.at),
            str(e.actor_id) if e.actor_id is not None else "-",
            printable(e.action, 40),
            printable(e.service or "-", 20),
            printable(e.target or "-", 50),
            printable(e.outcome, 40),
            printable(e.detail or "", 80),
        )
        for e in entries
    ]
    return table(header, body)


async def audit(
    settings: Settings, query: AuditQuery, out: TextIO, err: TextIO, *, now: datetime | None = None
) -> int:
    """Print audit entries matching `query`; 0 when read (even none), 1 when the database can't be."""
    now = now or datetime.now(UTC)
    try:
        store = await Store.open_read_only(settings.database_path)
    except StoreError as exc:
        err.write(f"audit failed: {exc}\n")
        return 1
    try:
        # One more than asked: whether there is a next page, without a COUNT over the table.
        entries = await store.audit_entries(
            limit=query.limit + 1,
            before_id=query.before_id,
            since=now - query.since if query.since is not None else None,
            member_id=query.member_id,
            service=query.service,
        )
    except sqlite3.Error as exc:
        err.write(f"audit failed: cannot read {settings.database_path}: {exc}\n")
        return 1
    finally:
        await store.close()
    more = len(entries) > query.limit
    entries = entries[: query.limit]
    cursor = f"more entries: add --before {entries[-1].id}\n" if more else ""
    if query.as_json:
        for entry in entries:
            out.write(json.dumps(entry_json(entry)) + "\n")
        err.write(cursor)
        return 0
    if not entries:
        out.write("No audit entry matches.\n")
        return 0
    out.write(format_entries(entries))
    out.write(cursor)
    return 0
