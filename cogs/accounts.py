"""`/accounts list`: every tracked account at a glance, soonest expiry first, with what each has
left (its latest credit and quota figures, each in its own unit) next to its expiry; and
`/accounts owner` (admins): who owns an account, so its warnings ping them (bot/owners.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import format_dt

from bot.app import WardenBot
from bot.models import IMPLAUSIBLE, StoredCredit, TrackedAccount
from bot.owners import owner_of
from bot.services import REGISTRY
from cogs._format import COLOUR_INFO, DESCRIPTION_LIMIT, label, left_text, safe
from cogs.common import (
    acknowledge,
    admin_only,
    every_service_choice,
    offer_switched_on_services,
    refuse_unapproved,
    reply,
)
from cogs.register._remove import account_choices

SERVICE_CHOICES = every_service_choice()  # narrowed per bot by offer_switched_on_services


def _doubt(acc: TrackedAccount) -> str | None:
    """What useapi.net's latest answer about the account held that the bot read as unknown."""
    if not acc.unreadable:
        return None
    dates = [n.field for n in acc.unreadable if n.problem == IMPLAUSIBLE]
    others = [n.field for n in acc.unreadable if n.problem != IMPLAUSIBLE]
    said = []
    if dates:
        said.append("an implausible date (" + ", ".join(safe(f, 30) for f in dates[:2]) + ")")
    if others:
        said.append("values the bot could not read (" + ", ".join(safe(f, 30) for f in others[:2]) + ")")
    return "useapi.net sent " + " and ".join(said)


MAX_FIGURES = 3  # per account line: the main figures; a page stays within Discord's limits
STALE_AFTER = timedelta(hours=6)  # a figure read longer ago says when it was read


def credits_text(figures: Sequence[StoredCredit], now: datetime) -> str | None:
    """What the account has left, in each figure's own unit ("💳 480 of 500 credits left"); a
    figure whose window refilled since it was read says so instead of its old number."""
    said = []
    for figure in [f for f in figures if f.remaining is not None][:MAX_FIGURES]:
        name = "" if figure.label == figure.unit else f"{safe(figure.label, 40)}: "
        if figure.resets_at is not None and figure.resets_at <= now:
            said.append(f"{name}refilled {format_dt(figure.resets_at, 'R')}")
            continue
        text = name + safe(left_text(figure.remaining, figure.allowance, figure.unit), 80)
        if figure.resets_at is not None:
            text += f" (resets {format_dt(figure.resets_at, 'R')})"
        elif figure.read_at is not None and now - figure.read_at > STALE_AFTER:
            text += f" (as of {format_dt(figure.read_at, 'R')})"
        said.append(text)
    return "💳 " + " · ".join(said) if said else None


def _account_line(
    acc: TrackedAccount, figures: Sequence[StoredCredit] = (), now: datetime | None = None
) -> str:
    parts = [f"**{label(acc.service)}** · {safe(acc.account, 80)}"]
    doubt = _doubt(acc)
    if acc.expires_at is None and doubt:
        parts.append(f"deadline unknown ({doubt})")
        doubt = None
    elif acc.expires_at is None:
        parts.append("expiry unknown")
    else:
        parts.append(f"expires {format_dt(acc.expires_at, 'R')} ({format_dt(acc.expires_at, 'f')})")
    left = credits_text(figures, now) if now is not None else None
    if left:
        parts.append(left)
    if acc.registered_by and acc.registered_at:
        parts.append(f"renewed by <@{acc.registered_by}> {format_dt(acc.registered_at, 'R')}")
    elif acc.registered_at is None:
        parts.append("configured outside the bot")
    owner = owner_of(acc)
    if owner is None:
        parts.append("no owner")
    elif owner != acc.registered_by:
        parts.append(f"owner <@{owner}>")
    line = " · ".join(parts)
    if acc.gone_at:
        line += "\n  ⚠️ no longer on useapi.net"
    if acc.last_error:
        line += f"\n  ⚠️ useapi.net: {safe(acc.last_error, 150)}"
    if doubt:  # the deadline is the last one read; something else in the latest answer was odd
        line += f"\n  ⚠️ {doubt}: read as unknown"
    return line


PAGE_SIZE = 10  # accounts per page: a worst-case line is ~600 characters of Discord's 4096
PAGER_TIMEOUT = 600  # seconds the page buttons keep working


def accounts_page(
    accounts: Sequence[TrackedAccount],
    *,
    number: int,
    total: int,
    services: Iterable[str],
    title: str = "Tracked accounts",
    credits: Mapping[tuple[str, str], Sequence[StoredCredit]] | None = None,
    now: datetime | None = None,
) -> discord.Embed:
    """One page of `/accounts` (the accounts on it in order, soonest expiry first), within
    Discord's limits; `total` is the count over every page. `credits`: each account's stored
    figures (shown with `now`, so a refilled window is not shown as low)."""
    embed = discord.Embed(title=title, colour=COLOUR_INFO)
    if total == 0:
        commands = " or ".join(f"`/{REGISTRY[key].command_group} register`" for key in services)
        embed.description = f"No accounts are tracked yet. Register one with {commands}."
        return embed
    figures = credits or {}
    text = "\n".join(_account_line(acc, figures.get((acc.service, acc.account), ()), now) for acc in accounts)
    if len(text) > DESCRIPTION_LIMIT:  # only with many maximal lines: never cut mid-page silently
        text = text[: DESCRIPTION_LIMIT - 1] + "…"
    embed.description = text
    pages = page_count(total)
    where = f" · page {number} of {pages}" if pages > 1 else ""
    embed.set_footer(text=f"{total} account(s), soonest expiry first{where}")
    return embed


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def accounts_pages(
    accounts: Sequence[TrackedAccount], services: Iterable[str], *, title: str = "Tracked accounts"
) -> list[discord.Embed]:
    """Every page at once (for the pictures and the benchmark; the command reads page by page)."""
    keys = list(services)
    return [
        accounts_page(
            accounts[start : start + PAGE_SIZE],
            number=start // PAGE_SIZE + 1,
            total=len(accounts),
            services=keys,
            title=title,
        )
        for start in range(0, max(len(accounts), 1), PAGE_SIZE)
    ]


def accounts_embed(accounts: Sequence[TrackedAccount], services: Iterable[str]) -> discord.Embed:
    """The first page of `accounts_pages`."""
    return accounts_pages(accounts, services)[0]


class AccountsPager(discord.ui.View):
    """Previous / next under a private `/accounts` answer; each press reads only that page."""

    def __init__(self, bot: WardenBot, service: str | None, total: int, title: str) -> None:
        super().__init__(timeout=PAGER_TIMEOUT)
        self.bot, self.service, self.total, self.title = bot, service, total, title
        self.index = 0
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= page_count(self.total) - 1

    async def page(self) -> discord.Embed:
        accounts = await self.bot.store.list_accounts(
            self.service, limit=PAGE_SIZE, offset=self.index * PAGE_SIZE
        )
        services = [self.service] if self.service else list(self.bot.services)
        credits = await self.bot.store.credits_of((acc.service, acc.account) for acc in accounts)
        return accounts_page(
            accounts,
            number=self.index + 1,
            total=self.total,
            services=services,
            title=self.title,
            credits=credits,
            now=self.bot.clock.now(),
        )

    async def _show(self, interaction: discord.Interaction[WardenBot], step: int) -> None:
        await acknowledge(interaction, update=True)  # the same private message, edited below
        self.index = max(0, min(page_count(self.total) - 1, self.index + step))
        self._update_buttons()
        await interaction.edit_original_response(embed=await self.page(), view=self)

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


@app_commands.guild_only()
class AccountsCog(
    commands.GroupCog,
    group_name="accounts",
    group_description="Tracked accounts: when each expires, who owns it",
):
    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot
        super().__init__()
        offer_switched_on_services(self, bot)

    def services_switched(self) -> None:
        """SERVICES=auto switched services: offer the new set in the `service` choices."""
        offer_switched_on_services(self, self.bot)

    @app_commands.command(name="list", description="Every tracked account and when its session expires")
    @app_commands.describe(service="Only this service's accounts")
    @app_commands.choices(service=SERVICE_CHOICES)
    async def list_accounts(
        self, interaction: discord.Interaction[WardenBot], service: app_commands.Choice[str] | None = None
    ) -> None:
        # Account emails are team business: approved members only, answered privately.
        key = service.value if service else None
        if await refuse_unapproved(interaction, action="accounts", service=key):
            return
        await acknowledge(interaction)  # before anything waits on the database
        title = f"Tracked {service.name} accounts" if service else "Tracked accounts"
        pager = AccountsPager(self.bot, key, await self.bot.store.count_accounts(key), title)
        first = await pager.page()
        if page_count(pager.total) == 1:
            await reply(interaction, embed=first)
        else:
            await reply(interaction, embed=first, view=pager)

    @app_commands.command(name="owner", description="Who owns an account: its warnings ping them")
    @app_commands.describe(
        service="The account's service", account="The account (offered as you type)", member="Its owner"
    )
    @app_commands.choices(service=SERVICE_CHOICES)
    @admin_only()
    async def owner(
        self,
        interaction: discord.Interaction[WardenBot],
        service: app_commands.Choice[str],
        account: str,
        member: discord.Member,
    ) -> None:
        await acknowledge(interaction)
        what = f"{service.name} account **{safe(account, 100)}**"
        if member.bot:
            await reply(interaction, f"❌ A bot can't own {what}: pick a member. Nothing was changed.")
            return
        store = self.bot.store
        tracked = await store.get_account(service.value, account)
        if tracked is None:
            await reply(
                interaction,
                f"❌ No {what} is tracked, so nothing was changed. Pick one from the list the "
                "`account` option offers.",
            )
            return
        before = owner_of(tracked)
        async with store.atomic():  # the choice and its audit entry, or neither (busy)
            await store.set_owner(service.value, account, member.id, now=self.bot.clock.now())
            await store.audit(
                now=self.bot.clock.now(), actor_id=interaction.user.id, action="account_owner",
                service=service.value, target=account, outcome="ok", detail=f"owner:{member.id}",
            )  # fmt: skip
        was = f" (was <@{before}>)" if before and before != member.id else ""
        await reply(
            interaction,
            f"✅ <@{member.id}> owns {what} now{was}: its warnings name and ping them beside the role, "
            "and they can take its early warnings by direct message with `/notify me`. Whoever registers "
            "it through the bot next becomes its owner.",
        )

    @owner.autocomplete("account")
    async def _owner_accounts(
        self, interaction: discord.Interaction[WardenBot], current: str
    ) -> list[app_commands.Choice[str]]:
        chosen = getattr(interaction.namespace, "service", None)
        service = self.bot.services.get(chosen) if isinstance(chosen, str) else None
        if service is None:
            return []
        return await account_choices(interaction, service, current)


async def setup(bot: WardenBot) -> None:
    await bot.add_cog(AccountsCog(bot))
