"""Owners of accounts (bot/owners.py says who owns what): an admin's choice, and a claim of an
account nobody owned."""

from __future__ import annotations

from datetime import datetime

from bot.clock import to_epoch
from bot.tables.base import Database


class OwnersTable(Database):
    async def set_owner(self, service: str, account: str, owner_id: int, *, now: datetime) -> bool:
        """An admin's choice (`/accounts owner`): `owner_id` owns the account from now on, until
        someone registers it again. False when the account is not tracked."""
        changed = await self._write(
            "UPDATE accounts SET owner_id = ?, owner_since = ? WHERE service = ? AND account = ?",
            (owner_id, to_epoch(now), service, account),
        )
        return changed > 0

    async def adopt_account(self, service: str, account: str, owner_id: int, *, now: datetime) -> bool:
        """A member claimed a warning about the account: they own it if nobody did (nobody
        registered it through the bot, nobody was given it). True when they became its owner."""
        changed = await self._write(
            "UPDATE accounts SET owner_id = ?, owner_since = ? WHERE service = ? AND account = ? "
            "AND owner_id IS NULL AND registered_by IS NULL",
            (owner_id, to_epoch(now), service, account),
        )
        return changed > 0
