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
from cogs.common import every_service_choice, offer_switched_on_services, refuse_unapproved, reply


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


PAGE_BUDGET = DESCRIPTION_LIMIT - 100  # room for nothing else: the footer says the page
PAGER_TIMEOUT = 600  # seconds the page buttons keep working


def accounts_pages(
    accounts: Sequence[TrackedAccount], services: Iterable[str], *, title: str = "Tracked accounts"
) -> list[discord.Embed]:
    """Every account, in the order given (soonest expiry first), on as many embeds as it takes;
    each within Discord's limits, each saying which page it is."""
    if not accounts:
        commands = " or ".join(f"`/{REGISTRY[key].command_group} register`" for key in services)
        embed = discord.Embed(title=title, colour=COLOUR_INFO)
        embed.description = f"No accounts are tracked yet. Register one with {commands}."
        return [embed]
    pages: list[list[str]] = [[]]
    used = 0
    for acc in accounts:
        line = _account_line(acc)
        if pages[-1] and used + len(line) + 1 > PAGE_BUDGET:
            pages.append([])
            used = 0
        pages[-1].append(line)
        used += len(line) + 1
    embeds = []
    for number, lines in enumerate(pages, start=1):
        embed = discord.Embed(title=title, colour=COLOUR_INFO, description="\n".join(lines))
        where = f" · page {number} of {len(pages)}" if len(pages) > 1 else ""
        embed.set_footer(text=f"{len(accounts)} account(s), soonest expiry first{where}")
        embeds.append(embed)
    return embeds


def accounts_embed(accounts: Sequence[TrackedAccount], services: Iterable[str]) -> discord.Embed:
    """The first page of `accounts_pages`."""
    return accounts_pages(accounts, services)[0]


class AccountsPager(discord.ui.View):
    """Previous / next under a private `/accounts` answer (only its reader sees and presses them)."""

    def __init__(self, pages: list[discord.Embed]) -> None:
        super().__init__(timeout=PAGER_TIMEOUT)
        self.pages = pages
        self.index = 0
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index == len(self.pages) - 1

    async def _show(self, interaction: discord.Interaction[WardenBot], step: int) -> None:
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self._update_buttons()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction[WardenBot], button: discord.ui.Button[AccountsPager]
    ) -> None:
        await self._show(interaction, -1)

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction[WardenBot], button: discord.ui.Button[AccountsPager]
    ) -> None:
        await self._show(interaction, +1)


class AccountsCog(commands.Cog):
    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot
        super().__init__()
        offer_switched_on_services(self, bot)

    @app_commands.command(name="accounts", description="Every tracked account and when its session expires")
    @app_commands.describe(service="Only this service's accounts")
    @app_commands.choices(service=every_service_choice())
    @app_commands.guild_only()
    async def accounts(
        self, interaction: discord.Interaction[WardenBot], service: app_commands.Choice[str] | None = None
    ) -> None:
        # Account emails are team business: approved members only, answered privately.
        if await refuse_unapproved(
            interaction, action="accounts", service=service.value if service else None
        ):
            return
        accounts = await self.bot.store.list_accounts(service.value if service else None)
        keys = [service.value] if service else list(self.bot.services)
        title = f"Tracked {service.name} accounts" if service else "Tracked accounts"
        pages = accounts_pages(accounts, keys, title=title)
        if len(pages) == 1:
            await reply(interaction, embed=pages[0])
        else:
            await reply(interaction, embed=pages[0], view=AccountsPager(pages))


async def setup(bot: WardenBot) -> None:
    await bot.add_cog(AccountsCog(bot))
