"""`/accounts`: every tracked account at a glance, soonest expiry first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import format_dt

from bot.app import WardenBot
from bot.models import TrackedAccount
from bot.services import REGISTRY
from cogs._format import COLOUR_INFO, DESCRIPTION_LIMIT, label, safe
from cogs.common import refuse_unapproved, reply


def _account_line(acc: TrackedAccount) -> str:
    parts = [f"**{label(acc.service)}** · {safe(acc.account, 80)}"]
    if acc.expires_at is None:
        parts.append("expiry unknown")
    else:
        parts.append(f"expires {format_dt(acc.expires_at, 'R')} ({format_dt(acc.expires_at, 'f')})")
    if acc.registered_by and acc.registered_at:
        parts.append(f"renewed by <@{acc.registered_by}> {format_dt(acc.registered_at, 'R')}")
    elif acc.registered_at is None:
        parts.append("configured outside the bot")
    line = " · ".join(parts)
    if acc.gone_at:
        line += "\n  ⚠️ no longer on useapi.net"
    if acc.last_error:
        line += f"\n  ⚠️ useapi.net: {safe(acc.last_error, 150)}"
    return line


def accounts_embed(accounts: Sequence[TrackedAccount], services: Iterable[str]) -> discord.Embed:
    """Every tracked account, in the order given (soonest expiry first), within embed limits."""
    embed = discord.Embed(title="Tracked accounts", colour=COLOUR_INFO)
    if not accounts:
        commands = " or ".join(f"`/{REGISTRY[key].command_group} register`" for key in services)
        embed.description = f"No accounts are tracked yet. Register one with {commands}."
        return embed
    lines: list[str] = []
    used = 0
    for index, acc in enumerate(accounts):
        line = _account_line(acc)
        remaining = len(accounts) - index
        tail = f"\n…and {remaining} more." if remaining else ""
        if used + len(line) + 1 + len(tail) > DESCRIPTION_LIMIT - 40:
            lines.append(f"…and {remaining} more.")
            break
        lines.append(line)
        used += len(line) + 1
    embed.description = "\n".join(lines)
    embed.set_footer(text=f"{len(accounts)} account(s), soonest expiry first")
    return embed


class AccountsCog(commands.Cog):
    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot

    @app_commands.command(name="accounts", description="Every tracked account and when its session expires")
    @app_commands.guild_only()
    async def accounts(self, interaction: discord.Interaction[WardenBot]) -> None:
        # Account emails are team business: approved members only, answered privately.
        if await refuse_unapproved(interaction, action="accounts", service=None):
            return
        accounts = await self.bot.store.list_accounts()
        await reply(interaction, embed=accounts_embed(accounts, self.bot.services))


async def setup(bot: WardenBot) -> None:
    await bot.add_cog(AccountsCog(bot))
