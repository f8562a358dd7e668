"""`/<service> remove <account>`: admins stop tracking an account, deleting it on useapi.net where
the service has a DELETE route; private, with a confirm button.

The confirm is a plain `View` with a timeout, not a DynamicItem: a confirmation must not
outlive the moment it was asked for (a restart or two minutes drop it). What a removal does
(the DELETE, the audit, the store) is bot/removal.py; this module asks, confirms, and says
what happened.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot import removal
from bot.app import WardenBot
from bot.events import ACCOUNT_REMOVED
from bot.removal import Removal, Tracking, Upstream
from bot.store import StoreBusy, StoreError
from bot.useapi import Failure, UseapiService
from cogs._format import COLOUR_WARN, safe, when
from cogs.common import acknowledge, is_admin, outside_reason, refuse_non_admin, reply, warden
from cogs.errors import DATABASE_BUSY, answer_error

log = logging.getLogger(__name__)

ADMINS_ONLY = "Only server admins (Manage Server) or the bot's listed admins can remove accounts."
CONFIRM_TIMEOUT = 120.0  # seconds
# Discord's limits: an autocomplete choice's name and value, and how many choices.
CHOICE_LIMIT = 100
CHOICES = 25


async def account_choices(
    interaction: discord.Interaction[WardenBot], service: UseapiService, current: str
) -> list[app_commands.Choice[str]]:
    """The tracked accounts of the service holding what was typed (those starting with it
    first), 25 at most, Discord's limit; none for non-admins. One indexed query per keystroke,
    whatever the number of accounts."""
    if outside_reason(interaction) or not is_admin(interaction):
        return []
    names = await warden(interaction).store.account_names(
        service.key, current, limit=CHOICES, longest=CHOICE_LIMIT
    )
    return [app_commands.Choice(name=name, value=name) for name in names]


async def ask_to_remove(
    interaction: discord.Interaction[WardenBot], service: UseapiService, account: str
) -> None:
    if await refuse_non_admin(
        interaction, action="account_remove", service=service.key, sentence=ADMINS_ONLY
    ):
        return
    await acknowledge(interaction)  # before anything waits on the database
    tracked = await warden(interaction).store.get_account(service.key, account)
    if tracked is None:
        await reply(
            interaction,
            f"No {service.label} account **{safe(account, 100)}** is tracked, so nothing was removed. "
            f"Pick one from the list `/{service.command_group} remove` offers.",
        )
        return
    if service.delete_path is not None:
        effect = (
            f"useapi.net will **delete** the account, so {service.label} jobs can no longer use it, "
            "and the bot stops watching it."
        )
    else:
        effect = (
            f"useapi.net has no delete route for {service.label}: the bot only stops watching it, and "
            "useapi.net **keeps** the account (delete it on useapi.net yourself if it must go)."
        )
    embed = discord.Embed(
        title=f"Remove {service.label} account {safe(account, 100)}?",
        description=f"{effect}\nIts {service.expiry_noun} expires {when(tracked.expires_at)}. Its audit entries stay.",
        colour=COLOUR_WARN,
    )
    view = ConfirmRemoval(service, account, interaction.user.id)
    await reply(interaction, embed=embed, view=view)
    view.message_interaction = interaction


class ConfirmRemoval(discord.ui.View):
    def __init__(self, service: UseapiService, account: str, invoker_id: int) -> None:
        super().__init__(timeout=CONFIRM_TIMEOUT)
        self.service = service
        self.account = account
        self.invoker_id = invoker_id
        self.message_interaction: discord.Interaction[WardenBot] | None = None

    async def interaction_check(self, interaction: discord.Interaction[WardenBot]) -> bool:  # type: ignore[override]
        if interaction.user.id != self.invoker_id:
            await reply(interaction, "Only the admin who asked can confirm this removal.")
            return False
        return True

    async def on_timeout(self) -> None:
        if self.message_interaction is None:
            return
        try:
            await self.message_interaction.edit_original_response(
                content="Nothing was removed: the confirmation timed out.", embed=None, view=None
            )
        except discord.HTTPException as exc:
            log.info("could not close an expired removal confirmation: %s", exc.status)

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[WardenBot], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await answer_error(interaction, error)

    @discord.ui.button(label="Remove", style=discord.ButtonStyle.danger, emoji="🗑️")
    async def confirm(
        self, interaction: discord.Interaction[WardenBot], button: discord.ui.Button[Any]
    ) -> None:
        self.stop()
        # Rights may have changed meanwhile.
        if await refuse_non_admin(
            interaction, action="account_remove", service=self.service.key, sentence=ADMINS_ONLY
        ):
            return
        # Answer within Discord's 3 s: the DELETE may take up to USEAPI_TIMEOUT, and the database
        # may be busy. Nothing before this waits on either.
        await interaction.response.edit_message(
            content=f"Removing **{safe(self.account, 100)}**…", embed=None, view=None
        )
        bot = warden(interaction)
        with bot.in_flight():  # a shutdown lets it finish: DELETE done upstream, then recorded
            try:
                # A database busy now could not record the removal: say so before the DELETE.
                await bot.store.writable()
            except StoreBusy:
                text = f"{DATABASE_BUSY} Nothing was deleted on useapi.net."
            except StoreError as exc:  # read-only or full: as before, the answer says what stuck
                log.warning("the database can't be written before a removal: %s", exc)
                text = await remove_account(bot, self.service, self.account, interaction.user.id)
            else:
                text = await remove_account(bot, self.service, self.account, interaction.user.id)
        await interaction.edit_original_response(content=text)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[WardenBot], button: discord.ui.Button[Any]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(content="Nothing was removed.", embed=None, view=None)


async def remove_account(bot: WardenBot, service: UseapiService, account: str, actor_id: int) -> str:
    """Remove the account (bot.removal) and tell the alerts cog; the answer for the admin."""
    result = await removal.remove_account(
        service, account, store=bot.store, actor_id=actor_id, now=bot.clock.now()
    )
    if result.removed:
        bot.dispatch(ACCOUNT_REMOVED, service.key, account, actor_id)
    return removal_sentence(service, account, result)


def removal_sentence(service: UseapiService, account: str, result: Removal) -> str:
    """What the admin reads about a removal's outcome."""
    shown = f"**{safe(account, 100)}**"
    if result.error is not None and result.error.outcome_unknown:
        # The DELETE reached useapi.net but its answer was lost: it may be gone there already.
        lost = {
            Failure.TIMEOUT: "did not answer in time",
            Failure.CONNECTION: "dropped the connection",
        }.get(result.error.failure, "sent an answer the bot could not read")
        return (
            f"⚠️ The bot can't tell whether useapi.net deleted {service.label} account {shown}: useapi.net "
            f"{lost} after it got the request. The account is still tracked. The next sync of useapi.net's "
            "list settles it (if useapi.net no longer lists it, the bot says the account is gone); run "
            f"`/{service.command_group} remove` again to be sure."
        )
    if result.error is not None:
        return (
            f"❌ {shown} was not removed: {result.error.user_message()} "
            "The account is still tracked and still configured on useapi.net."
        )
    if result.tracking is Tracking.UNCHANGED:
        upstream = "It was deleted on useapi.net, but the" if result.upstream is Upstream.DELETED else "The"
        return (
            f"⚠️ {upstream} bot could not update its database, so it still lists {shown}. "
            "Tell the bot's operator (the disk may be full or read-only)."
        )
    if result.tracking is Tracking.NOT_TRACKED:
        return f"{shown} was no longer tracked (someone removed it meanwhile); nothing else changed."
    if result.upstream is Upstream.NO_ROUTE:
        return (
            f"✅ The bot no longer watches {service.label} account {shown}. useapi.net has no delete route "
            f"for {service.label}, so the account **is still configured there**: delete it on useapi.net "
            f"if it must go. The bot won't add it back while useapi.net keeps it; `/{service.command_group} "
            "register` it again to resume watching."
        )
    if result.upstream is Upstream.DELETED:
        return f"✅ Deleted {service.label} account {shown} on useapi.net; the bot no longer watches it."
    return (
        f"✅ useapi.net no longer had {service.label} account {shown} (404), so there was nothing to "
        "delete there; the bot no longer watches it."
    )
