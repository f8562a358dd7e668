"""The bare discord.py bot the benchmarks compare Session Warden with: the framework's floor.

It imports discord.py and nothing of this project, so its memory figure is discord.py's own.
`/luma register` answers with a fixed ephemeral reply (mode "reply") or opens a one-field modal
(mode "modal"), whose submit is deferred privately and then followed up with a fixed message.

Run as a script (bench/memory.py does), it connects with DISCORD_TOKEN to DISCORD_API_BASE and
DISCORD_GATEWAY_URL, prints "BARE READY" when ready, and stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands


class OneField(discord.ui.Modal, title="Bare form"):
    cookie: discord.ui.TextInput[OneField] = discord.ui.TextInput(
        label="Value", custom_id="cookie", max_length=4000
    )

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:  # type: ignore[override]
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("ok", ephemeral=True)


class BareBot(commands.Bot):
    """discord.py answering the same command with no work of its own."""

    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, help_command=None)
        self.mode = "reply"
        group = app_commands.Group(name="luma", description="bare")

        @group.command(name="register", description="bare")
        async def register(interaction: discord.Interaction[Any]) -> None:
            if self.mode == "reply":
                await interaction.response.send_message("ok", ephemeral=True)
            else:
                await interaction.response.send_modal(OneField())

        self.tree.add_command(group)


def main() -> None:
    discord.http.Route.BASE = os.environ["DISCORD_API_BASE"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])

    class Announcing(BareBot):
        async def on_ready(self) -> None:
            print("BARE READY", flush=True)

    bot = Announcing()

    async def run() -> None:
        stopping = asyncio.get_running_loop()
        stopping.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))
        async with bot:
            await bot.start(os.environ["DISCORD_TOKEN"])

    asyncio.run(run())


if __name__ == "__main__":
    main()
