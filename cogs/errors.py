"""One place where failed checks and unexpected errors become private replies."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.store import StoreBusy, StoreError
from cogs.common import Refused, reply

if TYPE_CHECKING:
    from bot.app import WardenBot

log = logging.getLogger(__name__)

SOMETHING_WRONG = "Something went wrong on the bot's side and nothing was changed. Try again; if it keeps happening, tell the bot's operator."
STORAGE_WRONG = "The bot could not write to its database, so nothing was changed. Tell the bot's operator (the disk may be full or read-only)."
# Another program held the database's write lock (a backup, an operator's sqlite3 shell, a second
# instance) longer than a member's write waits (bot/tables/base.py); nothing was written.
DATABASE_BUSY = (
    "⏳ The database is busy (another program is using it), so nothing was changed. Try again in a moment."
)


def message_for(error: Exception) -> str:
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original  # type: ignore[assignment]
    if isinstance(error, Refused):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return "Session Warden works only inside its server, not in direct messages."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
        return "You don't have permission to do that."
    if isinstance(error, StoreBusy):
        return DATABASE_BUSY
    if isinstance(error, StoreError):
        return STORAGE_WRONG
    return SOMETHING_WRONG


async def answer_error(interaction: discord.Interaction[WardenBot], error: Exception) -> None:
    """Log what deserves it and tell the member privately; never raise."""
    text = message_for(error)
    if text == DATABASE_BUSY:
        log.warning(
            "%s: %s", interaction.command.qualified_name if interaction.command else "interaction", error
        )
    elif text in (SOMETHING_WRONG, STORAGE_WRONG):
        command = interaction.command.qualified_name if interaction.command else "interaction"
        log.error("error in %s: %s", command, type(error).__name__, exc_info=error)
    try:
        await reply(interaction, text)
    except discord.HTTPException as exc:
        log.warning("could not tell the member about an error: %s", exc.status)


class ErrorsCog(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error
        bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign,assignment]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(
        self, interaction: discord.Interaction[WardenBot], error: app_commands.AppCommandError
    ) -> None:
        await answer_error(interaction, error)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ErrorsCog(bot))
