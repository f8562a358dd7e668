"""`/notify me` and what the bot owes a member: whether they take the early stages of their
accounts by direct message, and the note to show them after their next command."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.clock import from_epoch, to_epoch
from bot.tables.base import Database

# Said once per stretch of closed direct messages, after the member's next command.
DMS_REFUSED_NOTE = (
    "⚠️ Discord refused the bot's direct messages to you (your privacy settings close DMs from "
    "server members or from this bot), so the early warnings about your accounts went to the team's "
    "channel instead. Allow direct messages from this server's members to get them privately again, "
    "or turn them off with `/notify me off`."
)


class NotifyTable(Database):
    async def set_dm_early(self, user_id: int, on: bool) -> None:
        """`/notify me on|off`. Turning it on forgets an earlier refusal (it is said again)."""
        await self._write(
            "INSERT INTO member_notify (user_id, dm_early) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE "
            "SET dm_early = excluded.dm_early, "
            "told_refused = CASE WHEN excluded.dm_early THEN 0 ELSE told_refused END",
            (user_id, int(on)),
        )

    async def wants_dm(self, user_id: int) -> bool:
        async with self.db.execute("SELECT dm_early FROM member_notify WHERE user_id = ?", (user_id,)) as cur:
            row = await cur.fetchone()
        return bool(row and row[0])

    async def dm_refused(self, user_id: int, *, now: datetime) -> bool:
        """Discord refused a direct message to the member (their DMs are closed): leave them the
        note, unless they were told since the last time it worked. True when a note was left."""

        async def work(conn: aiosqlite.Connection) -> bool:
            cur = await conn.execute(
                "UPDATE member_notify SET refused_at = ?, note = ?, told_refused = 1 "
                "WHERE user_id = ? AND told_refused = 0",
                (to_epoch(now), DMS_REFUSED_NOTE, user_id),
            )
            if cur.rowcount == 0:
                await conn.execute(
                    "UPDATE member_notify SET refused_at = ? WHERE user_id = ?", (to_epoch(now), user_id)
                )
            return cur.rowcount > 0

        return await self._transaction(work)

    async def dm_delivered(self, user_id: int) -> None:
        """A direct message went through: a later refusal is a new stretch, said again."""
        await self._write(
            "UPDATE member_notify SET told_refused = 0, refused_at = NULL WHERE user_id = ? "
            "AND (told_refused = 1 OR refused_at IS NOT NULL)",
            (user_id,),
        )

    async def take_note(self, user_id: int) -> str | None:
        """The note the member is owed, removed as it is read (shown once)."""

        async def work(conn: aiosqlite.Connection) -> str | None:
            async with conn.execute(
                "SELECT note FROM member_notify WHERE user_id = ? AND note IS NOT NULL", (user_id,)
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            await conn.execute("UPDATE member_notify SET note = NULL WHERE user_id = ?", (user_id,))
            return str(row[0])

        return await self._transaction(work)

    async def leave_note(self, user_id: int, note: str) -> None:
        """Put a note back (showing it failed)."""
        await self._write(
            "UPDATE member_notify SET note = ? WHERE user_id = ? AND note IS NULL", (note, user_id)
        )

    async def notify_state(self, user_id: int) -> tuple[bool, datetime | None]:
        """(takes early stages by DM, when Discord last refused a DM to them)."""
        async with self.db.execute(
            "SELECT dm_early, refused_at FROM member_notify WHERE user_id = ?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return False, None
        return bool(row[0]), from_epoch(row[1])
