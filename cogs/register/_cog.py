"""`/<service> register` for every switched-on service: a private modal, validation, then useapi.net.

Discord gives 3 seconds to answer an interaction and a modal can't follow a
deferral, so the command opens the modal at once (after a local approval
check), and the submit validates locally, defers, and only then calls upstream.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import WardenBot
from bot.useapi import UseapiService
from cogs.errors import answer_error
from cogs.register._form import MODAL_ID_PREFIX, open_register_modal, submit_registration
from cogs.register._remove import account_choices, ask_to_remove
from cogs.register._renew import RenewButton

log = logging.getLogger(__name__)


class ServiceGroup(app_commands.Group):
    """`/<service> …`: one group per switched-on service, named and described by the service."""

    def __init__(self, service: UseapiService) -> None:
        super().__init__(
            name=service.command_group,
            description=service.group_description,
            # What @app_commands.guild_only() gives a class: no DMs, offered in guilds only.
            guild_only=True,
            allowed_contexts=app_commands.AppCommandContext(guild=True),
        )
        self.service = service
        register: app_commands.Command[ServiceGroup, [], None] = app_commands.Command(
            name="register", description=service.register_description, callback=self._register
        )
        self.add_command(register)
        # Admins only, checked when run: Discord's default permissions apply to the whole group,
        # which members need for `register`.
        remove: app_commands.Command[ServiceGroup, [str], None] = app_commands.Command(
            name="remove",
            description=f"Admins: stop tracking a {service.label} account (and delete it on useapi.net)",
            callback=self._remove,
        )
        remove._params["account"].description = f"The tracked {service.label} account"
        remove.autocomplete("account")(self._account_choices)
        self.add_command(remove)

    async def _register(self, interaction: discord.Interaction[WardenBot]) -> None:
        await open_register_modal(interaction, self.service)

    async def _remove(self, interaction: discord.Interaction[WardenBot], account: str) -> None:
        await ask_to_remove(interaction, self.service, account)

    async def _account_choices(
        self, interaction: discord.Interaction[WardenBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await account_choices(interaction, self.service, current)


class RegisterCog(commands.Cog):
    """The register commands of every switched-on service, and submits of forms opened earlier.

    A group exists for every service with a module; only the switched-on ones are in the command
    tree. Under SERVICES=auto the bot switches services on and off as useapi.net's account
    summary changes (`services_switched`), and syncs the tree when that changed it."""

    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot
        self.all_groups = {key: ServiceGroup(service) for key, service in bot.all_services.items()}
        self.groups: list[ServiceGroup] = []

    async def cog_load(self) -> None:
        self.services_switched()

    async def cog_unload(self) -> None:
        for group in self.groups:
            self._remove(group)
        self.groups = []

    def services_switched(self) -> None:
        """Put exactly the switched-on services' groups in the command tree."""
        wanted = [self.all_groups[key] for key in self.bot.services if key in self.all_groups]
        for group in self.groups:
            if group not in wanted:
                self._remove(group)
        for group in wanted:
            if group not in self.groups:
                self.bot.tree.add_command(group)
        self.groups = wanted

    def _remove(self, group: ServiceGroup) -> None:
        self.bot.tree.remove_command(group.name)
        if self.bot.settings.guild_id:  # a synced tree holds its commands as the guild's copies
            self.bot.tree.remove_command(group.name, guild=discord.Object(self.bot.settings.guild_id))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[WardenBot]) -> None:
        """Submits of forms this process doesn't know: opened before a restart, or over an hour ago.

        discord.py only routes a submit to a modal it still holds; without this the member would
        see "This interaction failed" after every deploy.
        """
        if interaction.type is not discord.InteractionType.modal_submit or interaction.data is None:
            return
        custom_id = str(interaction.data.get("custom_id", ""))
        if not custom_id.startswith(MODAL_ID_PREFIX):
            return
        if custom_id in self.bot.issued_modal_ids:
            return  # discord.py delivers it to the modal's own on_submit
        service = self.bot.services.get(custom_id[len(MODAL_ID_PREFIX) :].partition(":")[0])
        if service is None:
            return  # a form of a service switched off since; nothing here can serve it
        values = dict(_submitted_values(interaction.data.get("components", [])))
        try:
            await submit_registration(interaction, service, values)
        except Exception as exc:  # the same answer a live modal's on_error gives
            await answer_error(interaction, exc)


def _submitted_values(components: Any) -> Iterator[tuple[str, str]]:
    """(custom_id, value) of every text input and select in a modal submit (action rows or labels)."""
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict):
            continue
        if component.get("type") == 4 and isinstance(component.get("value"), str):
            yield str(component.get("custom_id", "")), component["value"]
        elif component.get("type") == 3 and isinstance(component.get("values"), list):
            chosen = [v for v in component["values"] if isinstance(v, str)]
            yield str(component.get("custom_id", "")), chosen[0] if chosen else ""
        yield from _submitted_values(component.get("components"))
        if isinstance(component.get("component"), dict):
            yield from _submitted_values([component["component"]])


async def setup(bot: WardenBot) -> None:
    # A service switched off in SERVICES registers no commands at all.
    await bot.add_cog(RegisterCog(bot))
    # Renew buttons under warnings posted before a restart open the form this extension serves.
    bot.add_dynamic_items(RenewButton)


async def teardown(bot: WardenBot) -> None:
    bot.remove_dynamic_items(RenewButton)
