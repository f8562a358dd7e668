"""Operator commands that never touch Discord, one module each: `check`, `healthcheck`, `backup`
and `audit`; and `demo`, which touches only a local stand-in of it.

Each returns the process exit status and writes a short report to `out`: 0 when all is well,
1 when something is wrong (the report says what). An invalid configuration or command line is
reported by `bot.__main__` with status 2 before these run.

The names below are re-exported lazily, so `python -m bot healthcheck` imports only its own
standard-library module, not the HTTP client and aiosqlite that `check` needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.ops._audit import audit
    from bot.ops._backup import backup, backup_target
    from bot.ops._check import MIN_FREE_BYTES, Report, Row, check, format_table, merge_rows
    from bot.ops._demo import demo
    from bot.ops._healthcheck import CLOCK_SLACK, HEARTBEAT_KEY, healthcheck, read_heartbeat
    from bot.ops._text import iso_utc, relative

_WHERE = {
    "iso_utc": "_text",
    "relative": "_text",
    "audit": "_audit",
    "backup": "_backup",
    "backup_target": "_backup",
    "demo": "_demo",
    "MIN_FREE_BYTES": "_check",
    "Report": "_check",
    "Row": "_check",
    "check": "_check",
    "format_table": "_check",
    "merge_rows": "_check",
    "CLOCK_SLACK": "_healthcheck",
    "HEARTBEAT_KEY": "_healthcheck",
    "healthcheck": "_healthcheck",
    "read_heartbeat": "_healthcheck",
}

__all__ = [
    "CLOCK_SLACK",
    "HEARTBEAT_KEY",
    "MIN_FREE_BYTES",
    "Report",
    "Row",
    "audit",
    "backup",
    "backup_target",
    "check",
    "demo",
    "format_table",
    "healthcheck",
    "iso_utc",
    "merge_rows",
    "read_heartbeat",
    "relative",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
