"""The expiry watch in Discord: the scheduler loop, posting to the alert channel, `/alerts …`.

The loop runs a pass of `bot.watch.ExpiryWatch` at least every 30 s, right when the next stage
falls due, and at once when woken (settings changed, an account was registered). The pass itself
(sync, re-check, what to warn about, the bookkeeping) is in bot/watch.py and knows nothing of
Discord; this cog hands it the two ways to post (a warning, a sync notice). What the posts look
like is in _embeds.py; the buttons under each warning are cogs/register/_renew.py (Renew) and
_claim.py (I'm on it); every post and edit goes through cogs/_alert_channel.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import settings
from bot.app import WardenBot
from bot.durations import DurationError, format_duration, parse_duration
from bot.expiry import DEFAULT_STAGES, Alert, format_stages, next_wake, parse_stages
from bot.followup import How, PostedWarning, Reminder, Resolution
from bot.store import StoreError
from bot.sync import Notice, SyncState, load_state
from bot.useapi import AccountInfo
from bot.watch import DeliveryError, ExpiryWatch, PassReport, Posted
from cogs import _alert_channel as alert_channel
from cogs._format import safe
from cogs.alerts._claim import ClaimButton, TakeOverButton, redraw, warning_view
from cogs.alerts._embeds import (
    reminder_embed,
    sample_alert,
    status_embed,
    sync_notice_embed,
    warning_embed,
)
from cogs.common import admin_only, every_service_choice, offer_switched_on_services, reply
from cogs.register import renew_view

log = logging.getLogger(__name__)

MAX_SLEEP = timedelta(seconds=30)
MIN_SLEEP = timedelta(seconds=1)
WAKE_PAD = timedelta(milliseconds=100)
STATUS_UPCOMING = 8  # upcoming warnings /alerts status lists one by one
SERVICE_CHOICES = every_service_choice()  # narrowed per bot by offer_switched_on_services


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AlertsCog(commands.GroupCog, group_name="alerts", group_description="Expiry warnings for the team"):
    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot
        self.watch = ExpiryWatch(
            bot.store,
            bot.services,
            bot.clock,
            sync_interval=bot.settings.sync_interval,
            send_warning=self._send_warning,
            send_notice=self._send_notice,
            edit_warning=self._edit_warning,
            send_reminder=self._send_reminder,
            claim_timeout=bot.settings.claim_timeout,
            reminder_interval=bot.settings.reminder_interval,
            retention=bot.settings.retention,
        )
        self.lease = self.watch.lease
        self.last_report: PassReport | None = None  # the last pass that ended
        self._wake = asyncio.Event()
        super().__init__()
        offer_switched_on_services(self, bot)

    async def cog_load(self) -> None:
        # Tests that drive run_pass by hand set `WardenBot.alerts_autostart = False`. (An attribute
        # of this module would not do: loading an extension executes the module afresh.)
        self.bot.add_dynamic_items(ClaimButton, TakeOverButton)
        if getattr(self.bot, "alerts_autostart", True):
            self.scheduler.start()

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ClaimButton, TakeOverButton)
        task = self.scheduler.get_task()
        self.scheduler.cancel()
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=5)
        try:
            await self.lease.release()
        except (StoreError, ValueError) as exc:  # ValueError: the database is closed already
            log.warning("could not release the scheduler lease: %s", exc)

    def wake(self) -> None:
        """Run a pass now instead of at the next tick (settings changed, an account registered)."""
        self._wake.set()

    @commands.Cog.listener()
    async def on_account_registered(self, info: AccountInfo) -> None:
        """Dispatched by cogs/register.py. A renewal re-arms the account's stages, and a new
        expiry may be inside a stage already: plan again now, not at the next tick."""
        self.watch.follow_up_soon()  # its open warnings are resolved by the renewal
        self.wake()

    @commands.Cog.listener()
    async def on_account_removed(self, service_key: str, account: str, actor_id: int | None) -> None:
        """Dispatched once an account is no longer tracked (`/<service> remove`): its open
        warnings are resolved as removed by that admin, and the next pass edits them."""
        resolved = await self.bot.store.resolve_account_warnings(
            service_key, account, Resolution(How.REMOVED, actor_id), now=self.bot.clock.now()
        )
        if resolved:
            self.watch.follow_up_soon()
            self.wake()

    # -- the scheduler --------------------------------------------------------------------------

    @tasks.loop(seconds=0)  # the body sleeps: until the next due moment, at most MAX_SLEEP
    async def scheduler(self) -> None:
        self._wake.clear()  # a wake() during the pass below means: run another one at once
        report = await self.run_pass_safely()
        # Sleep until the next warning falls due (a hair later, so the pass finds it due), and at
        # most MAX_SLEEP: failed posts are retried and syncs started on that beat.
        delay = next_wake(report.next_due, self.bot.clock.now(), longest=MAX_SLEEP) + WAKE_PAD
        try:
            await asyncio.wait_for(self._wake.wait(), max(delay, MIN_SLEEP).total_seconds())
        except TimeoutError:
            pass

    @scheduler.before_loop
    async def _before_scheduler(self) -> None:
        await self.bot.wait_until_ready()

    async def run_pass_safely(self) -> PassReport:
        """A pass whose failure is logged, never raised: the loop must not die."""
        try:
            return await self.run_pass()
        except Exception as exc:
            log.exception("scheduler pass failed")
            report = PassReport(at=self.bot.clock.now(), error=f"{type(exc).__name__}: {exc}"[:300])
            self.last_report = report
            return report

    async def run_pass(self) -> PassReport:
        """One pass now; `last_report` is this pass's report once it has ended."""
        report = await self.watch.run_pass()
        self.last_report = report
        return report

    # -- talking to Discord ---------------------------------------------------------------------

    async def _send_warning(self, alert: Alert, rechecked: bool) -> Posted:
        embed = warning_embed(alert, rechecked=rechecked)
        # The nonce makes a repeat of this very warning (see WarningKey.nonce) return the first post.
        message = await self.post(embed=embed, view=warning_view(alert.key.service), nonce=alert.key.nonce)
        return Posted(message.id, message.channel.id, json.dumps(embed.to_dict()))

    async def _edit_warning(self, warning: PostedWarning) -> None:
        await redraw(self.bot, warning)

    async def _send_reminder(self, reminder: Reminder) -> Posted:
        about = reminder.about
        message = await alert_channel.reply(
            self.bot,
            about.channel_id,
            about.message_id,
            **await self._ping(),
            embed=reminder_embed(reminder),
            view=renew_view(reminder.key.service),
            nonce=reminder.key.nonce,
        )
        return Posted(message.id, message.channel.id)

    async def _send_notice(self, service: str, notice: Notice, state: SyncState) -> None:
        await self.post(embed=sync_notice_embed(service, notice, state), ping=notice == "failing")

    async def mention_role_id(self) -> int | None:
        return await settings.MENTION_ROLE.get(self.bot.store)

    async def _ping(self, ping: bool = True) -> dict[str, Any]:
        """The content and allowed mentions of a post: the role mention alone (when set and
        `ping`), and only that role may be pinged, whatever the embed contains."""
        role_id = await self.mention_role_id() if ping else None
        allowed = discord.AllowedMentions(
            everyone=False,
            users=False,
            roles=[discord.Object(role_id)] if role_id else False,
            replied_user=False,
        )
        return {"content": f"<@&{role_id}>" if role_id else None, "allowed_mentions": allowed}

    async def post(
        self,
        *,
        embed: discord.Embed,
        view: discord.ui.View | None = None,
        ping: bool = True,
        nonce: str | None = None,
    ) -> discord.Message:
        """Post to the alert channel, pinging the mention role (when set and `ping`). With a
        `nonce`, Discord answers a repeat within its dedup window with the message already
        posted. Raises DeliveryError."""
        kwargs: dict[str, Any] = {**await self._ping(ping), "embed": embed}
        if view is not None:
            kwargs["view"] = view
        if nonce is not None:
            kwargs["nonce"] = nonce
        return await alert_channel.post(self.bot, **kwargs)

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
        await settings.ALERT_CHANNEL.set(self.bot.store, channel.id if channel else None)
        await self._audit(interaction, "alerts_channel", f"channel:{channel.id}" if channel else None)
        self.wake()
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
            await settings.STAGES.set(self.bot.store, None, service.value)
            text = format_stages(DEFAULT_STAGES)
            await self._audit(interaction, "alerts_stages", service.value, "reset")
        else:
            try:
                parsed = parse_stages(stages)
            except DurationError as exc:
                await reply(
                    interaction, f"❌ {safe(str(exc), 300)}\nExample: `72h,24h,6h`. Nothing was changed."
                )
                return
            text = format_stages(parsed)
            await settings.STAGES.set(self.bot.store, text, service.value)
            await self._audit(interaction, "alerts_stages", service.value)
        self.wake()
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
            await settings.REMINDERS.set(self.bot.store, None, service.value)
            default = self.bot.settings.reminder_interval
            text = f"every {format_duration(default)} (the default)" if default else "off (the default)"
        elif raw in ("off", "0", "none"):
            await settings.REMINDERS.set(self.bot.store, "off", service.value)
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
            await settings.REMINDERS.set(self.bot.store, format_duration(value), service.value)
            text = f"every {format_duration(value)}"
        await self._audit(
            interaction, "alerts_reminders", service.value, "ok" if raw != "default" else "reset"
        )
        self.watch.follow_up_soon()  # a new interval may make a reminder due now
        self.wake()
        await reply(
            interaction,
            f"✅ {service.name} reminders: {text}. A reminder answers an expired or last-stage warning "
            "nobody has renewed or claimed.",
        )

    @app_commands.command(name="status", description="Channel, stages, next warnings and the last sync")
    @admin_only()
    async def status(self, interaction: discord.Interaction[WardenBot]) -> None:
        await reply(interaction, embed=await self.status_embed())

    @app_commands.command(
        name="test", description="Post a sample warning to check the channel and permissions"
    )
    @admin_only()
    async def test(self, interaction: discord.Interaction[WardenBot]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        service = next(iter(self.bot.services), "luma")
        alert = sample_alert(service, user_id=interaction.user.id, now=now)
        try:
            message = await self.post(embed=warning_embed(alert, test=True), view=warning_view(service))
        except DeliveryError as exc:
            await self._audit(interaction, "alerts_test", None, "failed")
            await reply(interaction, f"❌ The sample warning could not be posted: {exc}")
            return
        await self._audit(interaction, "alerts_test", None)
        await reply(interaction, f"✅ Posted a sample warning in <#{message.channel.id}>.")

    async def status_embed(self) -> discord.Embed:
        store = self.bot.store
        now = self.bot.clock.now()
        report = self.last_report
        return status_embed(
            now=now,
            channel_id=await self.bot.alert_channel_id(),
            channel_is_default=not await settings.ALERT_CHANNEL.raw(store),
            mention_role_id=await self.mention_role_id(),
            stages=await self.watch.stages(),
            plan=await self.watch.plan_for_status(now, upcoming_limit=STATUS_UPCOMING),
            failures={f.key: f for f in await store.alert_failures()},
            sync_states={key: await load_state(store, key) for key in self.bot.services},
            standing_by=self.lease.standing_by,
            last_error=report.error if report is not None else None,
            open_warnings=await store.posted_warnings(),
            faults=report.faults if report is not None else (),
        )


async def setup(bot: WardenBot) -> None:
    await bot.add_cog(AlertsCog(bot))
