"""SQLite storage (aiosqlite, WAL): `Store` is the connection and every table's queries.

The schema lives in numbered files under bot/migrations/ and is applied in order, tracked by
`PRAGMA user_version`, so upgrading is just starting the bot. Each table's SQL lives in one
module under bot/tables/: accounts, approvals, audit, the alert log, the scheduler lease, the
credit figures, owners, `/notify me`, escalations; the connection, migrations, transactions and
settings in bot/tables/base.py.
"""

from __future__ import annotations

from bot.tables.accounts import AccountsTable
from bot.tables.alert_log import AlertLogTable
from bot.tables.approvals import ApprovalsTable
from bot.tables.audit import AuditTable
from bot.tables.base import (
    BACKGROUND_PATIENCE,
    INTERACTIVE_PATIENCE,
    StoreBusy,
    StoreError,
    migrations,
    write_patience,
)
from bot.tables.credits import CreditsTable
from bot.tables.escalations import EscalationsTable
from bot.tables.lease import LeaseTable
from bot.tables.notify import NotifyTable
from bot.tables.owners import OwnersTable

__all__ = [
    "BACKGROUND_PATIENCE",
    "INTERACTIVE_PATIENCE",
    "Store",
    "StoreBusy",
    "StoreError",
    "migrations",
    "write_patience",
]


class Store(
    AccountsTable, ApprovalsTable, AuditTable, AlertLogTable, LeaseTable, CreditsTable,
    OwnersTable, NotifyTable, EscalationsTable,
):  # fmt: skip
    """One connection to the database, with every table's queries."""
