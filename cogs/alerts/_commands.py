"""`/alerts …`: where warnings go (the team's channel, a service's own), when (stages, quiet
hours), whom they ping (the role, an account's owner, the escalation role), how often they are
reminded about, when an account's credits are low (`/alerts credits`, bot/credits.py), what the
scheduler is doing, a sample warning, the live status board and the weekly digest. Admins only.

The commands change settings (bot/settings.py) and wake the scheduler loop (AlertsCog, _cog.py),
which plans with them at once; the status and the sample post go through it too.
"""

from __future__ import annotations

import functools
from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot import quiet, settings
from bot.app import WardenBot
from bot.credits import (
    ThresholdError,
    apply_edit,
    decode_thresholds,
    describe_figures,
    encode_thresholds,
    parse_edit,
    where_figures_come_from,
)
from bot.delivery import DeliveryError
from bot.digest import (
    WEEKDAYS,
    DigestSchedule,
    ScheduleError,
    matching_zones,
    next_digest_at,
    parse_time_of_day,
)
from bot.digest import parse_weekday as read_weekday
from bot.digest import parse_zone as read_zone
from bot.durations import DurationError, format_duration, parse_duration
from bot.escalation import parse_after
from bot.expiry import DEFAULT_STAGES, format_stages, parse_stages
from bot.services import REGISTRY
from bot.store import BACKGROUND_PATIENCE, write_patience
from bot.useapi import CreditSource
from cogs._format import safe
from cogs.alerts._claim import warning_view
from cogs.alerts._cog import AlertsCog
from cogs.alerts._embeds import quiet_text, sample_alert, warning_embed
from cogs.alerts._summary import moment
from cogs.common import (
    acknowledge,
    admin_only,
    every_service_choice,
    is_admin,
    offer_switched_on_services,
    outside_reason,
    reply,
)

SERVICE_CHOICES = every_service_choice()  # narrowed per bot by offer_switched_on_services


@functools.cache
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

    def services_switched(self) -> None:
        """SERVICES=auto switched services: offer the new set in the `service` choices."""
        offer_switched_on_services(self, self.bot)

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
    @app_commands.describe(
        channel="Where warnings go; leave empty to use ALERT_CHANNEL_ID (with a service: the team's channel)",
        service="Only this service's warnings (empty: the team's channel, for every service without its own)",
    )
    @app_commands.choices(service=SERVICE_CHOICES)
    @admin_only()
    async def channel(
        self,
        interaction: discord.Interaction[WardenBot],
        channel: discord.TextChannel | None = None,
        service: app_commands.Choice[str] | None = None,
    ) -> None:
        await acknowledge(interaction)
        if service is not None:
            await self._service_channel(interaction, channel, service)
            return
        async with self.bot.store.atomic():  # the setting and its audit entry, or neither (busy)
            await settings.ALERT_CHANNEL.set(self.bot.store, channel.id if channel else None)
            await self._audit(interaction, "alerts_channel", f"channel:{channel.id}" if channel else None)
            await self.bot.delivery.retry()  # a new channel, or this one fixed: the next pass tries it
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

    async def _service_channel(
        self,
        interaction: discord.Interaction[WardenBot],
        channel: discord.TextChannel | None,
        service: app_commands.Choice[str],
    ) -> None:
        """`/alerts channel [channel] service`: a service's own channel, or back to the team's."""
        store = self.bot.store
        async with store.atomic():  # the settings and their audit entry, or none (busy)
            await settings.SERVICE_CHANNEL.set(store, channel.id if channel else None, service.value)
            await settings.SERVICE_CHANNEL_BROKEN.set(store, None, service.value)  # a new choice, a new start
            await self._audit(
                interaction,
                "alerts_channel",
                f"{service.value}:{channel.id}" if channel else f"{service.value}:team",
            )
        self.alerts.wake()
        team = await self.bot.alert_channel_id()
        if channel is not None:
            await reply(
                interaction,
                f"✅ {service.name} warnings will go to <#{channel.id}>; the other services' stay where they "
                f"are. If the bot can't post there, they go to the team's channel"
                f"{f' <#{team}>' if team else ''} and it says so there once. "
                f"`/alerts test service:{service.name}` checks the channel.",
            )
        elif team:
            await reply(interaction, f"✅ {service.name} warnings go to the team's channel <#{team}> again.")
        else:
            await reply(
                interaction,
                f"⚠️ {service.name} warnings go to the team's channel, and none is set: pick one with "
                "`/alerts channel`.",
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

    @app_commands.command(name="credits", description="Warn when an account's credits fall below a threshold")
    @app_commands.describe(
        service="The service",
        threshold="100 (in the service's unit), 10%, a figure and a threshold such as '5h 10%', or 'off'",
    )
    @app_commands.choices(service=SERVICE_CHOICES)
    @admin_only()
    async def credits(
        self, interaction: discord.Interaction[WardenBot], service: app_commands.Choice[str], threshold: str
    ) -> None:
        known = REGISTRY.get(service.value)
        if known is None or known.credit_source is CreditSource.NONE or not known.credit_figures:
            why = where_figures_come_from(known) if known is not None else "it is not a service the bot knows"
            await reply(
                interaction,
                f"❌ {service.name} has no credit or quota figure to watch: {why}. Nothing was changed.",
            )
            return
        await acknowledge(interaction)  # before anything waits on the database
        store = self.bot.store
        stored = await store.credit_keys(service.value)
        try:
            edit = parse_edit(threshold, service=service.name, figures=known.credit_figures, stored=stored)
        except ThresholdError as exc:
            main = known.credit_figures[0]
            await reply(
                interaction,
                # The sentence quotes what was typed only as a safe code span (bot.credits._shown).
                f"❌ {str(exc)[:600]}\nExample: `{main.key} {'10%' if main.has_limit else '100'}`, "
                f"or `off`. Nothing was changed.",
            )
            return
        async with store.atomic():  # read, changed and audited in one go, or not at all (busy)
            current = decode_thresholds(await settings.CREDIT_THRESHOLDS.raw(store, service.value))
            updated = apply_edit(current, edit)
            await settings.CREDIT_THRESHOLDS.set(store, encode_thresholds(updated), service.value)
            await self._audit(interaction, "alerts_credits", service.value, "ok" if updated else "off")
        self.alerts.wake()  # the next pass judges every account against the new thresholds
        figures = {f.key: f for f in known.credit_figures}
        if updated:
            text = ", ".join(
                f"{figures[t.key].label if t.key in figures else t.key} below "
                f"{t.text(None if t.percent or t.key not in figures else figures[t.key].unit)}"
                for t in updated.values()
            )
            said = (
                f"✅ {service.name} credit warnings: {text}. Each crossing is said once, and resolved "
                "when the figure is back above its threshold."
            )
        else:
            said = f"✅ {service.name}: no credit warnings (the default)."
        off = (
            ""
            if service.value in self.bot.services
            else f"\n(Note: {service.name} is switched off on this bot.)"
        )
        await reply(
            interaction,
            f"{said}\nIts figures ({describe_figures(known.credit_figures, stored)}) are "
            f"{where_figures_come_from(known)}.{off}",
        )

    @credits.autocomplete("threshold")
    async def _threshold_choices(
        self, interaction: discord.Interaction[WardenBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """What fits the chosen service: its figures with an example each, `off`, and what is set."""
        if outside_reason(interaction) or not is_admin(interaction):
            return []
        known = REGISTRY.get(str(getattr(interaction.namespace, "service", "") or ""))
        if known is None or known.credit_source is CreditSource.NONE:
            return []
        offered: list[str] = []
        stored = await settings.CREDIT_THRESHOLDS.raw(self.bot.store, known.key)
        if stored:
            offered.append(stored)
        for figure in known.credit_figures:
            offered.append(f"{figure.key} {'10%' if figure.has_limit else '100'}")
            offered.append(f"{figure.key} off")
        offered.append("off")
        typed = current.casefold().strip()
        return [
            app_commands.Choice(name=text[:100], value=text[:100])
            for text in dict.fromkeys(offered)
            if typed in text.casefold()
        ][:25]

    @app_commands.command(name="status", description="Channel, stages, next warnings and the last sync")
    @admin_only()
    async def status(self, interaction: discord.Interaction[WardenBot]) -> None:
        await acknowledge(interaction)
        await reply(interaction, embed=await self.alerts.status_embed())

    @app_commands.command(
        name="test", description="Post a sample warning to check the channel and permissions"
    )
    @app_commands.describe(service="Post it where this service's warnings go (empty: the team's channel)")
    @app_commands.choices(service=SERVICE_CHOICES)
    @admin_only()
    async def test(
        self, interaction: discord.Interaction[WardenBot], service: app_commands.Choice[str] | None = None
    ) -> None:
        await acknowledge(interaction)
        now = self.bot.clock.now()
        key = service.value if service else next(iter(self.bot.services), "luma")
        alert = sample_alert(key, user_id=interaction.user.id, now=now)
        try:
            message = await self.alerts.post(
                embed=warning_embed(alert, test=True, owner=interaction.user.id),
                view=warning_view(key),
                service=service.value if service else None,
            )
        except DeliveryError as exc:
            await self._audit(interaction, "alerts_test", None, "failed")
            await reply(interaction, f"❌ The sample warning could not be posted: {exc}")
            return
        await self._audit(interaction, "alerts_test", None)
        self.alerts.wake()  # the channel works: warnings held back for it go now
        await reply(interaction, f"✅ Posted a sample warning in <#{message.channel.id}>.")

    # -- the live status board and the weekly digest --------------------------------------------

    @app_commands.command(
        name="board", description="Post a live status board the bot keeps up to date (or stop it)"
    )
    @app_commands.describe(
        channel="Where to post it; leave empty for the alert channel",
        off="True: stop updating the board and delete it",
    )
    @admin_only()
    async def board(
        self,
        interaction: discord.Interaction[WardenBot],
        channel: discord.TextChannel | None = None,
        off: bool = False,
    ) -> None:
        await acknowledge(interaction)  # before anything waits on the database or Discord
        if off:
            old, deleted = await self.alerts.board.stop()
            await self._audit(interaction, "alerts_board", None, "off")
            if old is None:
                await reply(interaction, "There is no status board to stop.")
            elif deleted:
                await reply(interaction, "✅ The status board is stopped and its message deleted.")
            else:
                await reply(
                    interaction,
                    "✅ The status board is stopped. Its message could not be deleted (gone already, "
                    f"or the bot may not see <#{old.channel_id}>); remove it by hand if it is still there.",
                )
            return
        target = channel.id if channel is not None else await self.bot.alert_channel_id()
        if target is None:
            await reply(
                interaction,
                "❌ There is no alert channel to post the board in: name a channel "
                "(`/alerts board channel:#…`) or set one with `/alerts channel`. Nothing was changed.",
            )
            return
        # A database busy now could not keep the board: said before anything is posted.
        await self.bot.store.writable()
        with write_patience(BACKGROUND_PATIENCE):  # once posted, worth waiting to record it
            try:
                _, replaced = await self.alerts.board.create(target)
            except DeliveryError as exc:
                await self._audit(interaction, "alerts_board", f"channel:{target}", "failed")
                await reply(
                    interaction,
                    f"❌ The board could not be posted in <#{target}>: {_board_failure(exc)} Nothing was changed.",
                )
                return
            await self._audit(interaction, "alerts_board", f"channel:{target}")
        previous = {
            None: "",
            True: " The previous board was deleted.",
            False: " The previous board could not be deleted; remove it by hand if it is still there.",
        }[replaced]
        await reply(
            interaction,
            f"✅ Posted the status board in <#{target}>. The bot edits it when something changes, at most "
            f"once a minute; `/alerts board off:True` stops it.{previous}",
        )

    @app_commands.command(name="digest", description="A weekly summary in the alert channel (off by default)")
    @app_commands.describe(
        weekday="The day it comes (Monday … Sunday), or off",
        time="The time of day, 24-hour, such as 09:00",
        timezone="An IANA time zone such as Europe/Berlin (default UTC)",
    )
    @admin_only()
    async def digest(
        self,
        interaction: discord.Interaction[WardenBot],
        weekday: str,
        time: str | None = None,
        timezone: str | None = None,
    ) -> None:
        example = "For example `/alerts digest monday 09:00 Europe/Berlin`, or `/alerts digest off`."
        if weekday.strip().lower() in ("off", "none", "stop"):
            await acknowledge(interaction)  # before anything waits on the database
            async with self.bot.store.atomic():  # the setting and its audit entry, or neither (busy)
                await settings.DIGEST_SCHEDULE.set(self.bot.store, None)
                await self._audit(interaction, "alerts_digest", None, "off")
            await reply(interaction, "✅ The weekly digest is off.")
            return
        try:
            day = read_weekday(weekday)
            if time is None:
                raise ScheduleError("Say at what time of day it comes, such as 09:00.")
            at = parse_time_of_day(time)
            zone = read_zone(timezone) if timezone is not None else "UTC"
        except ScheduleError as exc:
            await reply(interaction, f"❌ {safe(str(exc), 300)}\n{example} Nothing was changed.")
            return
        now = self.bot.clock.now()
        schedule = DigestSchedule(day, at, zone, since=now)
        await acknowledge(interaction)  # before anything waits on the database
        async with self.bot.store.atomic():  # the setting and its audit entry, or neither (busy)
            await settings.DIGEST_SCHEDULE.set(self.bot.store, schedule.to_json())
            await self._audit(interaction, "alerts_digest", schedule.describe())
        channel = await self.bot.alert_channel_id()
        where = f"in <#{channel}>" if channel else "in the alert channel (none is set yet: `/alerts channel`)"
        await reply(
            interaction,
            f"✅ Weekly digest: {schedule.describe()}, {where}. The next one: "
            f"{moment(next_digest_at(schedule, now))}. It is skipped in a week with nothing to say.",
        )

    @digest.autocomplete("weekday")
    async def _weekdays(
        self, interaction: discord.Interaction[WardenBot], current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower()
        names = [*(day.capitalize() for day in WEEKDAYS), "off"]
        return [app_commands.Choice(name=n, value=n.lower()) for n in names if n.lower().startswith(typed)]

    @digest.autocomplete("timezone")
    async def _zones(
        self, interaction: discord.Interaction[WardenBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=n) for n in matching_zones(current)]

    # -- quiet hours, escalation ------------------------------------------------------------

    @app_commands.command(name="quiet", description="Quiet hours: stage warnings wait and nothing pings")
    @app_commands.rename(start="from")
    @app_commands.describe(
        start="When quiet hours begin, such as 22:00 (24-hour clock); 'off' for none",
        to="When they end, such as 07:00",
        timezone="The time zone of those hours, such as Europe/Berlin (offered as you type)",
    )
    @admin_only()
    async def quiet(
        self,
        interaction: discord.Interaction[WardenBot],
        start: str,
        to: str | None = None,
        timezone: str | None = None,
    ) -> None:
        await acknowledge(interaction)
        store = self.bot.store
        if start.strip().lower() in ("off", "none", "0"):
            async with store.atomic():  # the setting and its audit entry, or neither (busy)
                await settings.QUIET_HOURS.set(store, None)
                await self._audit(interaction, "alerts_quiet", None, "off")
            self.alerts.watch.follow_up_soon()  # held warnings and reminders go now
            self.alerts.wake()
            await reply(
                interaction, "✅ No quiet hours: warnings are posted, and ping, whenever they fall due."
            )
            return
        if not to or not timezone:
            await reply(
                interaction,
                "❌ Give when quiet hours begin and end and their time zone, such as `from: 22:00 to: 07:00 "
                "timezone: Europe/Berlin`, or `from: off` for none. Nothing was changed.",
            )
            return
        try:
            hours = quiet.QuietHours(
                quiet.parse_clock(start), quiet.parse_clock(to), quiet.parse_zone(timezone)
            )
            if hours.start == hours.end:
                raise quiet.QuietError(
                    "quiet hours that begin when they end are none: to have none, use `from: off`"
                )
        except quiet.QuietError as exc:
            await reply(interaction, f"❌ {safe(str(exc), 300)}. Nothing was changed.")
            return
        async with store.atomic():
            await settings.QUIET_HOURS.set(store, hours.text())
            await self._audit(interaction, "alerts_quiet", hours.text())
        self.alerts.watch.follow_up_soon()
        self.alerts.wake()
        now = self.bot.clock.now()
        await reply(
            interaction,
            f"✅ Quiet hours: {quiet_text(hours, now)}.\nInside them a stage warning waits for their end, "
            "unless its deadline comes first (then it is posted at once, without a ping); expiry and "
            "act-now warnings are posted at once and ping; reminders and escalations wait. "
            f"It is {now.astimezone(hours.zone):%H:%M} in {hours.zone_name} now.",
        )

    @quiet.autocomplete("timezone")
    async def _quiet_zones(
        self, interaction: discord.Interaction[WardenBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=n, value=n) for n in matching_zones(current)]

    @app_commands.command(
        name="escalate", description="Ping a second role about a warning nobody took in time (off by default)"
    )
    @app_commands.describe(
        role="The role to ping once, as a reply to the warning",
        after="How long a warning needing a person waits for a claim or renewal, such as 2h; 'off' for none",
    )
    @admin_only()
    async def escalate(
        self,
        interaction: discord.Interaction[WardenBot],
        role: discord.Role | None = None,
        after: str | None = None,
    ) -> None:
        await acknowledge(interaction)
        store = self.bot.store
        if (after or "").strip().lower() in ("off", "none", "0"):
            async with store.atomic():  # both settings and their audit entry, or none (busy)
                await settings.ESCALATE_ROLE.set(store, None)
                await settings.ESCALATE_AFTER.set(store, None)
                await self._audit(interaction, "alerts_escalate", None, "off")
            await reply(interaction, "✅ Escalation is off.")
            return
        if role is None or not after:
            await reply(
                interaction,
                "❌ Give the role to ping and after how long, such as `role: @Leads after: 2h`, or "
                "`after: off` to switch escalation off. Nothing was changed.",
            )
            return
        if role.id == interaction.guild_id:
            await reply(interaction, "Escalations never ping @everyone. Pick a role made for this.")
            return
        try:
            delay = parse_after(after)
        except DurationError as exc:
            await reply(
                interaction, f"❌ {safe(str(exc), 300)}\nExample: `2h`, `90m` or `off`. Nothing was changed."
            )
            return
        async with store.atomic():
            await settings.ESCALATE_ROLE.set(store, role.id)
            await settings.ESCALATE_AFTER.set(store, format_duration(delay))
            await self._audit(interaction, "alerts_escalate", f"role:{role.id}:{format_duration(delay)}")
        self.alerts.watch.follow_up_soon()
        self.alerts.wake()
        await reply(
            interaction,
            f"✅ A last-stage, expired or act-now warning nobody claims or renews within "
            f"{format_duration(delay)} pings {role.mention} once, as a reply. A claim stops it. If the role "
            "isn't mentionable, the bot needs Mention All Roles in the alert channel.",
        )


def _board_failure(exc: DeliveryError) -> str:
    """Why the board could not be posted, about the board's channel (not the alert channel's)."""
    if exc.forbidden:
        return "the bot lacks permission there (it needs View Channel and Send Messages)."
    if exc.channel_gone:
        return "the channel no longer exists."
    return f"{safe(str(exc), 300)}."
