"""`/access grant|revoke|list|audit`: admins decide who may register accounts, and read the
audit trail.

The audit pages turn with a `DynamicItem` whose custom id carries the cursor, the filters and
the invoker (`warden:audit:…`, under Discord's 100 characters): nothing is held in memory, the
buttons keep working after a restart or a long pause, and every click is checked again (the
invoker only, still an admin). The message is private, so no one else sees the buttons anyway.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import format_dt

from bot.app import WardenBot
from bot.models import AuditEntry
from cogs._format import COLOUR_INFO, DESCRIPTION_LIMIT, label, safe
from cogs.common import (
    acknowledge,
    admin_only,
    every_service_choice,
    is_admin,
    offer_switched_on_services,
    outside_reason,
    reply,
    warden,
)
from cogs.errors import answer_error

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
        offer_switched_on_services(self, bot)

    def services_switched(self) -> None:
        """SERVICES=auto switched services: offer the new set in the `service` choices."""
        offer_switched_on_services(self, self.bot)

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
        await acknowledge(interaction)  # before anything waits on the database
        store = self.bot.store
        async with store.atomic():  # the approval and its audit entry, or neither (busy)
            added = await store.grant(
                kind, target.id, granted_by=interaction.user.id, now=self.bot.clock.now()
            )
            await self._audit(interaction, "access_grant", kind, target.id, "ok" if added else "unchanged")
        self.bot.approvals.remember(kind, target.id, approved=True)
        if added:
            await reply(interaction, f"✅ {_mention(kind, target.id)} may now register accounts.")
        else:
            await reply(interaction, f"{_mention(kind, target.id)} was already approved; nothing changed.")

    @app_commands.command(name="revoke", description="Withdraw a member's or role's approval")
    @app_commands.describe(target="The member or role to withdraw")
    @admin_only()
    async def revoke(self, interaction: discord.Interaction[WardenBot], target: Target) -> None:
        await acknowledge(interaction)
        kind = _kind(target)
        store = self.bot.store
        async with store.atomic():  # the withdrawal and its audit entry, or neither (busy)
            removed = await store.revoke(kind, target.id)
            await self._audit(interaction, "access_revoke", kind, target.id, "ok" if removed else "unchanged")
        self.bot.approvals.remember(kind, target.id, approved=False)
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
        await acknowledge(interaction)
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

    @app_commands.command(name="audit", description="The latest audit entries, newest first")
    @app_commands.describe(
        member="Only entries by or about this member", service="Only entries of this service"
    )
    @app_commands.choices(service=every_service_choice())
    @admin_only()
    async def audit(
        self,
        interaction: discord.Interaction[WardenBot],
        member: discord.User | None = None,
        service: str | None = None,
    ) -> None:
        await acknowledge(interaction)
        page = AuditPage(interaction.user.id, member.id if member else None, service)
        embed, view = await page.render(self.bot, older_than=None, newer_than=None)
        await reply(interaction, embed=embed, view=view)


# -- the audit pages --------------------------------------------------------------------------------

PAGE_SIZE = 10
# One entry's line is bounded (each part is), so a page always fits the description.
LINE_LIMIT = 380


def _target(entry: AuditEntry) -> str:
    target = entry.target or ""
    kind, _, ident = target.partition(":")
    if kind in ("user", "role") and ident.isdigit():
        return _mention(kind, int(ident))
    return safe(target, 80)


def audit_line(entry: AuditEntry) -> str:
    """One entry: when, who, what, on what, and how it ended (upstream and typed text escaped)."""
    who = f"<@{entry.actor_id}>" if entry.actor_id else "the bot"
    what = safe(entry.action.replace("_", " "), 40)
    if entry.service:
        what += f" · {safe(label(entry.service), 30)}"
    target = _target(entry)
    if target:
        what += f" · {target}"
    outcome = safe(entry.outcome, 40)
    outcome = f"**{outcome}**" if entry.outcome != "ok" else outcome
    line = f"`#{entry.id}` {format_dt(entry.at, 'f')} {who} — {what} → {outcome}"
    if entry.detail:
        line += f"\n  ↳ {safe(entry.detail, 150)}"
    return line[:LINE_LIMIT]


class AuditPage:
    """One page of `/access audit` for an invoker and its filters."""

    def __init__(self, invoker_id: int, member_id: int | None, service: str | None) -> None:
        self.invoker_id = invoker_id
        self.member_id = member_id
        self.service = service

    def _filters(self) -> dict[str, Any]:
        return {"member_id": self.member_id, "service": self.service}

    async def render(
        self, bot: WardenBot, *, older_than: int | None, newer_than: int | None
    ) -> tuple[discord.Embed, discord.ui.View]:
        store = bot.store
        entries = await store.audit_entries(
            limit=PAGE_SIZE, before_id=older_than, after_id=newer_than, **self._filters()
        )
        if not entries and newer_than is not None:  # nothing newer any more: show the newest page
            entries = await store.audit_entries(limit=PAGE_SIZE, **self._filters())
        has_newer = bool(entries) and bool(
            await store.audit_entries(limit=1, after_id=entries[0].id, **self._filters())
        )
        has_older = bool(entries) and bool(
            await store.audit_entries(limit=1, before_id=entries[-1].id, **self._filters())
        )
        scope = []
        if self.member_id:
            scope.append(f"by or about <@{self.member_id}>")
        if self.service:
            scope.append(f"for {label(self.service)}")
        embed = discord.Embed(title="Audit trail", colour=COLOUR_INFO)
        heading = f"Entries {' '.join(scope)}, newest first." if scope else "Newest first."
        if entries:
            text = heading + "\n\n" + "\n".join(audit_line(e) for e in entries)
            embed.set_footer(text=f"Entries #{entries[-1].id} to #{entries[0].id}")
        else:
            text = heading + "\n\nNo audit entry matches."
        embed.description = text[:DESCRIPTION_LIMIT]
        view = discord.ui.View(timeout=None)
        view.add_item(AuditPageButton(self, "n", entries[0].id if entries else 0, enabled=has_newer))
        view.add_item(AuditPageButton(self, "o", entries[-1].id if entries else 0, enabled=has_older))
        return embed, view


class AuditPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"warden:audit:(?P<way>[no]):(?P<cursor>\d+):(?P<invoker>\d+):(?P<member>\d+):(?P<service>[a-z]*)",
):
    """◀ Newer / Older ▶ under `/access audit`: the page cursor and filters live in the custom id."""

    def __init__(self, page: AuditPage, way: str, cursor: int, *, enabled: bool = True) -> None:
        newer = way == "n"
        super().__init__(
            discord.ui.Button(
                label="Newer" if newer else "Older",
                emoji="◀️" if newer else "▶️",
                style=discord.ButtonStyle.secondary,
                disabled=not enabled,
                custom_id=(
                    f"warden:audit:{way}:{cursor}:{page.invoker_id}:{page.member_id or 0}:{page.service or ''}"
                ),
            )
        )
        self.page = page
        self.way = way
        self.cursor = cursor

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls, interaction: discord.Interaction[WardenBot], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AuditPageButton:
        page = AuditPage(int(match["invoker"]), int(match["member"]) or None, match["service"] or None)
        return cls(page, match["way"], int(match["cursor"]))

    async def callback(self, interaction: discord.Interaction[WardenBot]) -> None:  # type: ignore[override]
        try:
            reason = outside_reason(interaction)
            if reason:
                await reply(interaction, reason)
            elif interaction.user.id != self.page.invoker_id:
                await reply(
                    interaction, "These pages belong to whoever ran `/access audit`. Run it yourself."
                )
            elif not is_admin(interaction):
                await reply(
                    interaction, "Only server admins (Manage Server) or the bot's listed admins can do that."
                )
            else:
                await acknowledge(interaction, update=True)  # the same private message, edited below
                newer = self.way == "n"
                embed, view = await self.page.render(
                    warden(interaction),
                    older_than=None if newer else self.cursor,
                    newer_than=self.cursor if newer else None,
                )
                await interaction.edit_original_response(embed=embed, view=view)
        except Exception as exc:
            await answer_error(interaction, exc)


async def setup(bot: WardenBot) -> None:
    await bot.add_cog(AccessCog(bot))
    bot.add_dynamic_items(AuditPageButton)


async def teardown(bot: WardenBot) -> None:
    bot.remove_dynamic_items(AuditPageButton)
