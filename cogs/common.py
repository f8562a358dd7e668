"""Checks and reply helpers shared by every cog: who may do what, answered privately."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from bot.app import WardenBot

T = TypeVar("T")

ACCESS_HELP = "Ask a server admin to run `/access grant` for you or one of your roles."


class Refused(app_commands.CheckFailure):
    """A check failed; the message is shown to the member privately as is."""


def warden(interaction: discord.Interaction[WardenBot]) -> WardenBot:
    return interaction.client  # type: ignore[no-any-return]


def outside_reason(interaction: discord.Interaction[WardenBot]) -> str | None:
    """Why this interaction may not be served here at all (DMs, other guilds), or None."""
    return warden(interaction).refusal_reason(interaction)


def role_ids(user: discord.abc.User) -> list[int]:
    return [role.id for role in getattr(user, "roles", [])]


def is_admin(interaction: discord.Interaction[WardenBot]) -> bool:
    """Manage Server in this server, or listed in ADMIN_USER_IDS."""
    bot = warden(interaction)
    if interaction.user.id in bot.settings.admin_user_ids:
        return True
    return interaction.guild_id is not None and interaction.permissions.manage_guild


async def is_approved(interaction: discord.Interaction[WardenBot]) -> bool:
    """Admins, approved users and members of approved roles."""
    if is_admin(interaction):
        return True
    return await warden(interaction).approvals.is_approved(interaction.user.id, role_ids(interaction.user))


async def refuse_unapproved(
    interaction: discord.Interaction[WardenBot], *, action: str, service: str | None
) -> bool:
    """Refuse privately and audit when the member may not register; True when refused."""
    reason = outside_reason(interaction)
    if reason is None and await is_approved(interaction):
        return False
    bot = warden(interaction)
    await bot.store.audit(
        now=bot.clock.now(),
        actor_id=interaction.user.id,
        action=action,
        service=service,
        outcome="refused:outside" if reason else "refused:not_approved",
    )
    await reply(interaction, reason or f"You are not approved to register accounts. {ACCESS_HELP}")
    return True


def admin_only() -> Callable[[T], T]:
    """app_commands check: Manage Server or ADMIN_USER_IDS."""

    def predicate(interaction: discord.Interaction[WardenBot]) -> bool:
        reason = outside_reason(interaction)
        if reason:
            raise Refused(reason)
        if not is_admin(interaction):
            raise Refused("Only server admins (Manage Server) or the bot's listed admins can do that.")
        return True

    return app_commands.check(predicate)


async def reply(
    interaction: discord.Interaction[WardenBot], content: str | None = None, **kwargs: Any
) -> None:
    """Answer privately, whether or not the interaction was answered or deferred already."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    if interaction.response.is_done():
        await interaction.followup.send(content or discord.utils.MISSING, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


def offer_switched_on_services(cog: commands.Cog, bot: WardenBot) -> None:
    """Narrow every `service` choice of this cog's commands to the services switched on here.

    Choices are fixed when the class is defined (from every known service); the cog's own copies
    of its commands (one per bot) get the narrowed list, so a team never picks a service it
    doesn't run.
    """
    choices: list[app_commands.Choice[str | int | float]] = [
        app_commands.Choice(name=s.label, value=s.key) for s in bot.services.values()
    ]
    for command in cog.walk_app_commands():
        if isinstance(command, app_commands.Command):
            param = command._params.get("service")
            if param is not None and param.choices:
                command._params["service"] = dataclasses.replace(param, choices=choices)


def every_service_choice() -> list[app_commands.Choice[str]]:
    """A `service` choice per known service, for the decorator (narrowed per bot, above)."""
    from bot.services import REGISTRY

    return [app_commands.Choice(name=cls.label, value=key) for key, cls in REGISTRY.items()]
