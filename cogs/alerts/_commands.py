"""`/alerts …`: where warnings go, when, whom they ping, how often they are reminded about, what
the scheduler is doing, and a sample warning. Admins only.

The commands change settings (bot/settings.py) and wake the scheduler loop (AlertsCog, _cog.py),
which plans with them at once; the status and the sample post go through it too.
"""

from __future__ import annotations

from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot import settings
from bot.app import WardenBot
from bot.delivery import DeliveryError
from bot.durations import DurationError, format_duration, parse_duration
from bot.expiry import DEFAULT_STAGES, format_stages, parse_stages
from cogs._format import safe
from cogs.alerts._claim import warning_view
from cogs.alerts._cog import AlertsCog
from cogs.alerts._embeds import sample_alert, warning_embed
from cogs.common import acknowledge, admin_only, every_service_choice, offer_switched_on_services, reply

SERVICE_CHOICES = every_service_choice()  # narrowed per bot by offer_switched_on_services


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AlertsCommands(
    commands.GroupCog, group_name="alerts", group_description="Expiry warnings for the team"
):
    def __init__(self, bot: WardenBot, alerts: AlertsCog) -> None:
        self.bot = bot
        self.alerts = alerts
        super().__init__()
        offer_switched_on_services(self, bot)

    async def _audit(
        self,
        interaction: discord.Interaction[WardenBot],
        action: str,
        target: str | None,
        outcome: str = "ok",
    ) -> None:
        await self.bot.store.audit(
            now=self.bot.clock.now(),
            actor_id=interaction.user.id,
            action=action,
            target=target,
            outcome=outcome,
        )

    # -- /alerts … ------------------------------------------------------------------------------

    @app_commands.command(
        name="channel", description="Choose the channel for expiry warnings (empty: back to the default)"
    )
    @app_commands.describe(channel="Where warnings go; leave empty to use ALERT_CHANNEL_ID")
    @admin_only()
    async def channel(
        self, interaction: discord.Interaction[WardenBot], channel: discord.TextChannel | None = None
    ) -> None:
        await acknowledge(interaction)
        async with self.bot.store.atomic():  # the setting and its audit entry, or neither (busy)
            await settings.ALERT_CHANNEL.set(self.bot.store, channel.id if channel else None)
            await self._audit(interaction, "alerts_channel", f"channel:{channel.id}" if channel else None)
        self.alerts.wake()
        if channel is not None:
            await reply(
                interaction,
                f"✅ Warnings will go to <#{channel.id}>. Run `/alerts test` to check the bot can post there.",
            )
        elif self.bot.settings.alert_channel_id:
            await reply(
                interaction,
                f"✅ Warnings go to the default channel <#{self.bot.settings.alert_channel_id}> (ALERT_CHANNEL_ID).",
            )
        else:
            await reply(
                interaction,
                "⚠️ No alert channel is set now, so no warning can be posted. Pick one with `/alerts channel`.",
            )

    @app_commands.command(name="stages", description="When to warn before a service's sessions expire")
    @app_commands.describe(
        service="The service", stages="Lead times such as 7d,2d,12h (units s, m, h, d), or 'default'"
    )
    @app_commands.choices(service=SERVICE_CHOICES)
    @admin_only()
    async def stages(
        self, interaction: discord.Interaction[WardenBot], service: app_commands.Choice[str], stages: str
    ) -> None:
        if stages.strip().lower() in ("default", "reset"):
            stored, text, outcome = None, format_stages(DEFAULT_STAGES), "reset"
        else:
            try:
                parsed = parse_stages(stages)
            except DurationError as exc:
                await reply(
                    interaction, f"❌ {safe(str(exc), 300)}\nExample: `72h,24h,6h`. Nothing was changed."
                )
                return
            text = format_stages(parsed)
            stored, outcome = text, "ok"
        await acknowledge(interaction)  # before anything waits on the database
        async with self.bot.store.atomic():  # the setting and its audit entry, or neither (busy)
            await settings.STAGES.set(self.bot.store, stored, service.value)
            await self._audit(interaction, "alerts_stages", service.value, outcome)
        self.alerts.wake()
        off = (
            ""
            if service.value in self.bot.services
            else f"\n(Note: {service.name} is switched off on this bot.)"
        )
        await reply(
            interaction,
            f"✅ {service.name} warnings: {text.replace(',', ', ')} before expiry, and when expired.{off}",
        )

    @app_commands.command(name="mention", description="The role pinged by warnings (empty: ping nobody)")
    @app_commands.describe(role="The role to ping; leave empty to ping nobody")
    @admin_only()
    async def mention(
        self, interaction: discord.Interaction[WardenBot], role: discord.Role | None = None
    ) -> None:
        if role is not None and role.id == interaction.guild_id:
            await reply(interaction, "Warnings never ping @everyone. Pick a role made for this.")
            return
        await acknowledge(interaction)  # before anything waits on the database
        async with self.bot.store.atomic():
            await settings.MENTION_ROLE.set(self.bot.store, role.id if role else None)
            await self._audit(interaction, "alerts_mention", f"role:{role.id}" if role else None)
        if role is None:
            await reply(interaction, "✅ Warnings will ping nobody.")
        else:
            await reply(
                interaction,
                f"✅ Warnings will ping {role.mention}. If the role isn't mentionable, the bot needs "
                "Mention All Roles in the alert channel; `/alerts test` shows whether it works.",
            )

    @app_commands.command(name="reminders", description="How often to remind about a warning nobody took")
    @app_commands.describe(
        service="The service", interval="Such as 12h or 2d; 'off' for none; 'default' for REMINDER_INTERVAL"
    )
    @app_commands.choices(service=SERVICE_CHOICES)
    @admin_only()
    async def reminders(
        self, interaction: discord.Interaction[WardenBot], service: app_commands.Choice[str], interval: str
    ) -> None:
        raw = interval.strip().lower()
        if raw in ("default", "reset"):
            stored: str | None = None
            default = self.bot.settings.reminder_interval
            text = f"every {format_duration(default)} (the default)" if default else "off (the default)"
        elif raw in ("off", "0", "none"):
            stored = "off"
            text = "off"
        else:
            try:
                value = parse_duration(raw, allow_bare_seconds=False)
                if value < timedelta(minutes=1):
                    raise DurationError(f"{interval.strip()[:40]!r} is shorter than a minute")
            except DurationError as exc:
                await reply(
                    interaction,
                    f"❌ {safe(str(exc), 300)}\nExample: `12h`, `2d`, `off` or `default`. Nothing was changed.",
                )
                return
            stored = format_duration(value)
            text = f"every {stored}"
        await acknowledge(interaction)  # before anything waits on the database
        async with self.bot.store.atomic():  # the setting and its audit entry, or neither (busy)
            await settings.REMINDERS.set(self.bot.store, stored, service.value)
            await self._audit(
                interaction, "alerts_reminders", service.value, "ok" if raw != "default" else "reset"
            )
        self.alerts.watch.follow_up_soon()  # a new interval may make a reminder due now
        self.alerts.wake()
        await reply(
            interaction,
            f"✅ {service.name} reminders: {text}. A reminder answers an expired or last-stage warning "
            "nobody has renewed or claimed.",
        )

    @app_commands.command(name="status", description="Channel, stages, next warnings and the last sync")
    @admin_only()
    async def status(self, interaction: discord.Interaction[WardenBot]) -> None:
        await acknowledge(interaction)
        await reply(interaction, embed=await self.alerts.status_embed())

    @app_commands.command(
        name="test", description="Post a sample warning to check the channel and permissions"
    )
    @admin_only()
    async def test(self, interaction: discord.Interaction[WardenBot]) -> None:
        await acknowledge(interaction)
        now = self.bot.clock.now()
        service = next(iter(self.bot.services), "luma")
        alert = sample_alert(service, user_id=interaction.user.id, now=now)
        try:
            message = await self.alerts.post(
                embed=warning_embed(alert, test=True), view=warning_view(service)
            )
        except DeliveryError as exc:
            await self._audit(interaction, "alerts_test", None, "failed")
            await reply(interaction, f"❌ The sample warning could not be posted: {exc}")
            return
        await self._audit(interaction, "alerts_test", None)
        await reply(interaction, f"✅ Posted a sample warning in <#{message.channel.id}>.")
