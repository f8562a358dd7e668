"""`/access grant|revoke|list`: admins decide who may register accounts."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import format_dt

from bot.app import WardenBot
from cogs.common import admin_only, reply

Target = discord.Member | discord.User | discord.Role


def _kind(target: Target) -> str:
    return "role" if isinstance(target, discord.Role) else "user"


def _mention(kind: str, target_id: int) -> str:
    return f"<@&{target_id}>" if kind == "role" else f"<@{target_id}>"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AccessCog(commands.GroupCog, group_name="access", group_description="Who may register accounts"):
    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot
        super().__init__()

    async def _audit(
        self,
        interaction: discord.Interaction[WardenBot],
        action: str,
        kind: str,
        target_id: int,
        outcome: str,
    ) -> None:
        await self.bot.store.audit(
            now=self.bot.clock.now(), actor_id=interaction.user.id, action=action,
            target=f"{kind}:{target_id}", outcome=outcome,
        )  # fmt: skip

    @app_commands.command(name="grant", description="Let a member or everyone with a role register accounts")
    @app_commands.describe(target="The member or role to approve")
    @admin_only()
    async def grant(self, interaction: discord.Interaction[WardenBot], target: Target) -> None:
        kind = _kind(target)
        if kind == "role" and target.id == interaction.guild_id:
            await reply(interaction, "Approving @everyone would let anyone register. Pick a narrower role.")
            return
        if kind == "user" and getattr(target, "bot", False):
            await reply(interaction, "Bots can't register accounts. Pick a person.")
            return
        added = await self.bot.approvals.grant(
            kind, target.id, granted_by=interaction.user.id, now=self.bot.clock.now()
        )
        await self._audit(interaction, "access_grant", kind, target.id, "ok" if added else "unchanged")
        if added:
            await reply(interaction, f"✅ {_mention(kind, target.id)} may now register accounts.")
        else:
            await reply(interaction, f"{_mention(kind, target.id)} was already approved; nothing changed.")

    @app_commands.command(name="revoke", description="Withdraw a member's or role's approval")
    @app_commands.describe(target="The member or role to withdraw")
    @admin_only()
    async def revoke(self, interaction: discord.Interaction[WardenBot], target: Target) -> None:
        kind = _kind(target)
        removed = await self.bot.approvals.revoke(kind, target.id)
        await self._audit(interaction, "access_revoke", kind, target.id, "ok" if removed else "unchanged")
        if removed:
            await reply(interaction, f"✅ {_mention(kind, target.id)} may no longer register accounts.")
        else:
            note = " (they may still be approved through a role)" if kind == "user" else ""
            await reply(
                interaction, f"{_mention(kind, target.id)} had no approval of its own; nothing changed{note}."
            )

    @app_commands.command(name="list", description="Who may register accounts")
    @admin_only()
    async def list(self, interaction: discord.Interaction[WardenBot]) -> None:
        approvals = await self.bot.store.list_approvals()
        embed = discord.Embed(title="Approved to register", colour=discord.Colour.blurple())
        lines = [
            f"{_mention(a.kind, a.target_id)} · by <@{a.granted_by}> {format_dt(a.granted_at, 'R')}"
            for a in approvals
        ]
        admins = ", ".join(f"<@{uid}>" for uid in sorted(self.bot.settings.admin_user_ids))
        lines.append(f"\nAlso approved: members with Manage Server{', and ' + admins if admins else ''}.")
        if not approvals:
            lines.insert(0, "Nobody has been approved yet. Use `/access grant`.")
        text = "\n".join(lines)
        embed.description = text if len(text) <= 4000 else text[:3990] + "\n…"
        await reply(interaction, embed=embed)


async def setup(bot: WardenBot) -> None:
    await bot.add_cog(AccessCog(bot))
