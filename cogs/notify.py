"""`/notify me`: a member takes the early warnings about the accounts they own by direct message
instead of in the team's channel; and what the bot owes a member, said after their next command.

Early means every stage but the service's last lead stage and "expired" (bot/owners.py,
`is_early`); the channel still gets those, and every act-now warning. The alerts cog sends the
direct messages (cogs/alerts/_cog.py); when Discord refuses one (the member's DMs are closed,
50007) the warning goes to the channel at once and the member is told once, privately, right
after the answer to the next command they use here (`on_app_command_completion`).
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import format_dt

from bot.app import WardenBot
from bot.owners import owner_of
from bot.store import StoreError
from cogs._format import label, safe
from cogs.common import acknowledge, reply

log = logging.getLogger(__name__)

OWNED_SHOWN = 10  # accounts named in the answer; the rest are counted


@app_commands.guild_only()
class NotifyCog(
    commands.GroupCog, group_name="notify", group_description="How the bot tells you about your accounts"
):
    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(
        name="me", description="Early warnings about accounts you own: by direct message, or not"
    )
    @app_commands.describe(dm="on: by direct message; off: in the team's channel; empty: show your choice")
    @app_commands.choices(
        dm=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")]
    )
    async def me(
        self, interaction: discord.Interaction[WardenBot], dm: app_commands.Choice[str] | None = None
    ) -> None:
        await acknowledge(interaction)
        store = self.bot.store
        user_id = interaction.user.id
        if dm is not None:
            await store.set_dm_early(user_id, dm.value == "on")
            await store.audit(
                now=self.bot.clock.now(), actor_id=user_id, action="notify_me", outcome=dm.value
            )
        on, refused_at = await store.notify_state(user_id)
        owned = [acc for acc in await store.list_accounts() if owner_of(acc) == user_id]
        names = ", ".join(f"{label(a.service)} **{safe(a.account, 60)}**" for a in owned[:OWNED_SHOWN])
        if len(owned) > OWNED_SHOWN:
            names += f" and {len(owned) - OWNED_SHOWN} more"
        yours = f"You own {names}." if owned else (
            "You own no tracked account yet: registering one through the bot, claiming a warning about "
            "an account nobody owns, or an admin (`/alerts owner`) makes you its owner."
        )  # fmt: skip
        if on:
            text = (
                "✅ Early warnings about the accounts you own come to you by direct message. The last stage, "
                "expiry and every warning that needs someone now still go to the team's channel and ping you there."
            )
            if refused_at is not None:
                text += (
                    f"\n⚠️ Discord refused the bot's last direct message to you ({format_dt(refused_at, 'R')}), "
                    "so that warning went to the channel: allow direct messages from this server's members."
                )
        else:
            text = (
                "✅ Warnings about the accounts you own go to the team's channel and ping you there. "
                "`/notify me dm: on` sends the early ones to you by direct message instead."
            )
        await reply(interaction, f"{text}\n{yours}")

    @commands.Cog.listener()
    async def on_app_command_completion(
        self,
        interaction: discord.Interaction[WardenBot],
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        """Say what the bot owes this member (a refused direct message), privately, once, after
        the answer to their command. A command answered with a form waits for the next one."""
        if interaction.response.type is discord.InteractionResponseType.modal:
            return
        store = self.bot.store
        try:
            note = await store.take_note(interaction.user.id)
        except StoreError as exc:  # the command itself was answered; the note waits for the next one
            log.warning("could not read the note owed to a member: %s", exc)
            return
        if note is None:
            return
        try:
            await reply(interaction, note)
        except discord.HTTPException as exc:
            log.info("could not give a member their note (%s); kept for their next command", exc.status)
            await store.leave_note(interaction.user.id, note)


async def setup(bot: WardenBot) -> None:
    await bot.add_cog(NotifyCog(bot))
