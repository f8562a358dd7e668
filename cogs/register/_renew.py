"""The Renew button under every warning: it opens the service's register form.

A `DynamicItem`: discord.py routes any click on a `warden:renew:<service>` custom id to it, so
buttons on messages posted before a restart keep working once `bot.add_dynamic_items(RenewButton)`
ran. The alerts cog, which posts the warnings, does that when it loads.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from cogs._format import label
from cogs.common import reply, warden
from cogs.errors import answer_error
from cogs.register._form import open_register_modal

if TYPE_CHECKING:
    from bot.app import WardenBot


class RenewButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"warden:renew:(?P<service>[a-z]+)"
):
    """Opens the service's register modal. Dynamic, so it works on messages sent before a restart."""

    def __init__(self, service: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Renew {label(service)}",
                emoji="🔑",
                style=discord.ButtonStyle.primary,
                custom_id=f"warden:renew:{service}",
            )
        )
        self.service = service

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls, interaction: discord.Interaction[WardenBot], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RenewButton:
        return cls(match["service"])

    async def callback(self, interaction: discord.Interaction[WardenBot]) -> None:  # type: ignore[override]
        try:
            service = warden(interaction).services.get(self.service)
            if service is None:
                await reply(
                    interaction,
                    f"{label(self.service)} is switched off on this bot (SERVICES), so it can't be renewed "
                    "here. Ask the bot's operator.",
                )
                return
            await open_register_modal(interaction, service)
        except Exception as exc:
            await answer_error(interaction, exc)


def renew_view(service: str) -> discord.ui.View:
    """A persistent view holding the service's Renew button, to send under a warning."""
    view = discord.ui.View(timeout=None)
    view.add_item(RenewButton(service))
    return view
