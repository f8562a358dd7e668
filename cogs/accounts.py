"""`/accounts`: every tracked account at a glance, soonest expiry first."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import WardenBot
from cogs.common import refuse_unapproved, reply
from cogs.embeds import accounts_embed


class AccountsCog(commands.Cog):
    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot

    @app_commands.command(name="accounts", description="Every tracked account and when its session expires")
    @app_commands.guild_only()
    async def accounts(self, interaction: discord.Interaction[Any]) -> None:
        # Account emails are team business: approved members only, answered privately.
        if await refuse_unapproved(interaction, action="accounts", service=None):
            return
        accounts = await self.bot.store.list_accounts()
        await reply(interaction, embed=accounts_embed(accounts, self.bot.services))


async def setup(bot: WardenBot) -> None:
    await bot.add_cog(AccountsCog(bot))
