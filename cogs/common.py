"""Checks and reply helpers shared by every cog: who may do what, answered privately. Every
access check (commands, buttons, forms) is one of these.

Discord's 3 seconds (issue 18 §5): an interaction is acknowledged before anything waits on the
database. Checks made in memory (who is an admin, who is approved: bot/approvals.py, what was
typed) may answer at once; everything else comes after `acknowledge` (a private deferral), and
`reply` then fills the answer in. A command that opens a form answers with the form (a modal
can't follow a deferral), so nothing before it reads or writes the database. Refusals answer
first and audit after.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.store import BACKGROUND_PATIENCE, StoreError, write_patience

if TYPE_CHECKING:
    from bot.app import WardenBot

T = TypeVar("T")

log = logging.getLogger(__name__)

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
    """Admins, approved users and members of approved roles; from memory, never waiting on the
    database (so a form can open within Discord's 3 seconds whatever the database is doing)."""
    if is_admin(interaction):
        return True
    if interaction.guild_id is None:  # a button in a direct message: the member as the server knows them
        return await _member_in_home_guild_is_approved(interaction)
    return warden(interaction).approvals.approved_now(interaction.user.id, role_ids(interaction.user))


async def acknowledge(interaction: discord.Interaction[WardenBot], *, update: bool = False) -> None:
    """Acknowledge now, before any database work: a private "thinking…" answer that `reply`
    then fills in; `update`: a button that edits its own (private) message in place later."""
    if interaction.response.is_done():
        return
    if update:
        await interaction.response.defer()
    else:
        await interaction.response.defer(ephemeral=True, thinking=True)


async def _member_in_home_guild_is_approved(interaction: discord.Interaction[WardenBot]) -> bool:
    """Approved as a member of the bot's server (GUILD_ID, or the one server it is in): a user
    approval, an approved role, or Manage Server there."""
    bot = warden(interaction)
    user_id = interaction.user.id
    guild_id = bot.settings.guild_id or (bot.guilds[0].id if len(bot.guilds) == 1 else None)
    guild = bot.get_guild(guild_id) if guild_id else None
    member = None
    if guild is not None:
        member = guild.get_member(user_id)
        if member is None:
            try:
                member = await guild.fetch_member(user_id)
            except discord.NotFound:
                return False  # not (or no longer) in the server
            except discord.HTTPException:
                member = None  # Discord can't say now: user approvals still count
    if member is not None and member.guild_permissions.manage_guild:
        return True
    return bot.approvals.approved_now(user_id, role_ids(member) if member is not None else [])


async def refuse_unless(
    interaction: discord.Interaction[WardenBot],
    allowed: Callable[[discord.Interaction[WardenBot]], Awaitable[bool]],
    *,
    action: str,
    service: str | None,
    refused_as: str,
    sentence: str,
) -> bool:
    """Refuse privately and audit `action` when the interaction comes from outside the bot's
    server, or `allowed` says no; True when refused. The audit's outcome is `refused:outside` or
    `refused:<refused_as>`; the member reads why it came from outside, or `sentence`."""
    reason = outside_reason(interaction)
    if reason is None and await allowed(interaction):
        return False
    await reply(interaction, reason or sentence)  # answered first; the audit may wait
    bot = warden(interaction)
    await audit_after_answering(
        bot,
        actor_id=interaction.user.id,
        action=action,
        service=service,
        outcome="refused:outside" if reason else f"refused:{refused_as}",
    )
    return True


async def audit_after_answering(bot: WardenBot, **entry: Any) -> None:
    """Audit what was already answered (a refusal): nobody waits for it any more, so it waits
    for a busy database as long as the scheduler does; a failure is logged, never raised (the
    answer stands, only its audit entry is missing)."""
    try:
        with write_patience(BACKGROUND_PATIENCE):
            await bot.store.audit(now=bot.clock.now(), **entry)
    except StoreError as exc:
        log.warning("could not audit a refused %s: %s", entry.get("action"), exc)


async def refuse_unapproved(
    interaction: discord.Interaction[WardenBot],
    *,
    action: str,
    service: str | None,
    sentence: str = "You are not approved to register accounts.",
) -> bool:
    """Refuse privately and audit when the member is not approved (admins, approved users and
    members of approved roles are); True when refused. `sentence` is followed by how to get
    approved."""
    return await refuse_unless(
        interaction,
        is_approved,
        action=action,
        service=service,
        refused_as="not_approved",
        sentence=f"{sentence} {ACCESS_HELP}",
    )


async def refuse_non_admin(
    interaction: discord.Interaction[WardenBot], *, action: str, service: str | None, sentence: str
) -> bool:
    """Refuse privately and audit when the member is not an admin; True when refused."""

    async def admin(interaction: discord.Interaction[WardenBot]) -> bool:
        return is_admin(interaction)

    return await refuse_unless(
        interaction, admin, action=action, service=service, refused_as="not_admin", sentence=sentence
    )


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


_FILLED = "warden_deferral_filled"  # Interaction.extras: the "thinking…" answer was filled in


async def reply(
    interaction: discord.Interaction[WardenBot], content: str | None = None, **kwargs: Any
) -> None:
    """Answer privately, whether or not the interaction was answered or deferred already. After
    `acknowledge`, the first answer fills the private "thinking…" message in (its @original, as
    Discord documents for a deferral); later ones are follow-ups."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    response = interaction.response
    if not response.is_done():
        await response.send_message(content, ephemeral=True, **kwargs)
    elif (
        response.type is discord.InteractionResponseType.deferred_channel_message
        and not interaction.extras.get(_FILLED)
    ):
        interaction.extras[_FILLED] = True
        await interaction.edit_original_response(
            content=content if content is not None else discord.utils.MISSING, **kwargs
        )
    else:
        await interaction.followup.send(content or discord.utils.MISSING, ephemeral=True, **kwargs)


def offer_switched_on_services(cog: commands.Cog, bot: WardenBot) -> None:
    """Narrow every `service` choice of this cog's commands to the services switched on here.

    Choices are fixed when the class is defined (from every known service); the cog's own copies
    of its commands (one per bot) get the narrowed list, so a team never picks a service it
    doesn't run. Called again when SERVICES=auto switches services (each cog's
    `services_switched`); with none switched on, every service is offered.
    """
    from bot.services import REGISTRY

    switched_on = [(s.label, s.key) for s in bot.services.values()]
    choices: list[app_commands.Choice[str | int | float]] = [
        app_commands.Choice(name=name, value=key)
        for name, key in (switched_on or [(cls.label, key) for key, cls in REGISTRY.items()])
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
