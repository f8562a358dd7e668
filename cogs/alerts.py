"""The expiry watch: the scheduled pass that syncs and warns, `/alerts …`, and the Renew button.

Each pass (at least every 30 s, and right when the next stage falls due):
1. writes the heartbeat and renews the scheduler lease; an instance without it does nothing else;
2. posts the warnings due now: stage warnings only after re-reading that service's account
   list (useapi.net may have refreshed the session itself), so a refreshed expiry re-plans
   instead of warning;
3. reads each service's account list when its sync is due (SYNC_INTERVAL, or backoff after a
   failure), tells the channel once after repeated failures and once on recovery, and posts
   what the fresh lists revealed (errors, disappearances, new accounts close to expiry).

Decisions live in bot.expiry and bot.sync; this module only schedules them and talks to Discord.
Warnings are recorded as sent only once Discord accepted them; a failure is recorded with its
reason (for /alerts status) and retried on the next pass.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands, tasks
from discord.utils import format_dt

from bot.app import ALERT_CHANNEL_SETTING, WardenBot
from bot.durations import DurationError
from bot.expiry import (
    DEFAULT_STAGES,
    Alert,
    Kind,
    Plan,
    WarningKey,
    after_recheck,
    format_stages,
    next_wake,
    parse_stages,
    plan,
    stage_label,
)
from bot.lease import Lease
from bot.store import StoreError, TrackedAccount
from bot.sync import (
    Notice,
    SyncResult,
    SyncState,
    advance,
    after_notice,
    load_state,
    notice_needed,
    save_state,
    sync_service,
)
from cogs.common import admin_only, reply, warden
from cogs.embeds import COLOUR_INFO, COLOUR_WARN, label, safe, when
from cogs.errors import answer_error
from cogs.register import open_register_modal

log = logging.getLogger(__name__)

MENTION_SETTING = "alert_mention_role_id"
STAGES_SETTING = "stages:{service}"
HEARTBEAT_SETTING = "scheduler_heartbeat"  # read by `python -m bot healthcheck`
MAX_SLEEP = timedelta(seconds=30)
MIN_SLEEP = timedelta(seconds=1)
WAKE_PAD = timedelta(milliseconds=100)
# An account list read this recently counts as fresh for the check before a warning.
RECHECK_MAX_AGE = timedelta(seconds=60)
COLOUR_URGENT = discord.Colour.red()
SERVICE_CHOICES = [
    app_commands.Choice(name="Luma", value="luma"),
    app_commands.Choice(name="LTX Studio", value="ltx"),
]


@dataclass
class PassReport:
    """What one scheduler pass did; tests read it, /alerts status shows the last one."""

    at: datetime
    leader: bool = False
    synced: dict[str, SyncResult] = field(default_factory=dict)
    sent: list[WarningKey] = field(default_factory=list)
    skipped: list[WarningKey] = field(default_factory=list)
    suppressed: list[WarningKey] = field(default_factory=list)  # no longer due after the re-check
    failed: list[tuple[WarningKey, str]] = field(default_factory=list)
    notices: list[tuple[str, Notice]] = field(default_factory=list)
    next_due: datetime | None = None
    channel_problem: str | None = None  # posting failed for every warning this pass, and why
    error: str | None = None


class DeliveryError(Exception):
    """A post to the alert channel failed; the message says why, for people and the log."""

    def __init__(self, reason: str, *, channel_wide: bool) -> None:
        super().__init__(reason)
        self.channel_wide = channel_wide  # later posts this pass would fail the same way


# -- the Renew button ---------------------------------------------------------------------------


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
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RenewButton:
        return cls(match["service"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:  # type: ignore[override]
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
    view = discord.ui.View(timeout=None)
    view.add_item(RenewButton(service))
    return view


# -- embeds -------------------------------------------------------------------------------------


def _noun(service: str) -> str:
    return "token" if service == "ltx" else "session"


def _renewed_by(acc: TrackedAccount) -> str:
    if acc.registered_by and acc.registered_at:
        return f"<@{acc.registered_by}> {format_dt(acc.registered_at, 'R')}"
    return "configured outside the bot"


def warning_embed(alert: Alert, *, rechecked: bool = True, test: bool = False) -> discord.Embed:
    """One warning. Every piece of upstream data is escaped: it can't ping or format anything."""
    acc = alert.account
    service = label(acc.service)
    if alert.kind is Kind.GONE:
        title = f"{service} account no longer on useapi.net"
        stage = "disappeared upstream"
        colour = COLOUR_URGENT
    elif alert.kind is Kind.ERROR:
        title = f"useapi.net reports a problem with a {service} account"
        stage = "error reported upstream"
        colour = COLOUR_URGENT
    else:
        threshold = alert.threshold or timedelta(0)
        stage = stage_label(threshold)
        title = f"{service} {_noun(acc.service)} {stage}"
        colour = COLOUR_URGENT if threshold <= timedelta(hours=6) else COLOUR_WARN
    if test:
        title = f"[Test] {title}"
    embed = discord.Embed(title=title, description=f"**{safe(acc.account)}**", colour=colour)
    embed.add_field(name="Service", value=service)
    embed.add_field(name="Stage", value=stage)
    embed.add_field(name="Expires", value=when(acc.expires_at), inline=False)
    if acc.refresh_expires_at:
        embed.add_field(name="Refresh token expires", value=when(acc.refresh_expires_at), inline=False)
    embed.add_field(name="Last renewed", value=_renewed_by(acc), inline=False)
    if alert.kind is Kind.ERROR and acc.last_error:
        embed.add_field(name="useapi.net says", value=safe(acc.last_error, 1000), inline=False)
    if alert.kind is Kind.GONE:
        embed.add_field(
            name="What happened",
            value=f"useapi.net stopped listing this account {format_dt(alert.due_at, 'R')}. "
            "Renders through it will fail until someone registers it again.",
            inline=False,
        )
    if not rechecked:
        embed.add_field(
            name="Note",
            value="useapi.net could not be re-checked just now; this is the last known expiry.",
            inline=False,
        )
    command = f"/{acc.service} register"
    embed.set_footer(text=f"Renew with the button below or {command}." + (" This is a test." if test else ""))
    return embed


def sync_notice_embed(service: str, notice: Notice, state: SyncState) -> discord.Embed:
    if notice == "failing":
        embed = discord.Embed(
            title=f"Can't read useapi.net's {label(service)} accounts",
            description=(
                f"The last {state.failures} attempts failed. Expiry warnings for {label(service)} use "
                "the last known data until this works again."
            ),
            colour=COLOUR_WARN,
        )
        embed.add_field(name="Last error", value=safe(state.outcome, 500) or "unknown", inline=False)
        if state.next_at:
            embed.add_field(name="Next try", value=format_dt(state.next_at, "R"))
    else:
        embed = discord.Embed(
            title=f"useapi.net's {label(service)} accounts can be read again",
            description="Expiry data is current again.",
            colour=discord.Colour.green(),
        )
    return embed


# -- the cog ------------------------------------------------------------------------------------


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AlertsCog(commands.GroupCog, group_name="alerts", group_description="Expiry warnings for the team"):
    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot
        self.lease = Lease(bot.store)
        self.last_report: PassReport | None = None
        self._pass_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(RenewButton)
        # Tests that drive run_pass by hand set `WardenBot.alerts_autostart = False`. (An attribute
        # of this module would not do: loading an extension executes the module afresh.)
        if getattr(self.bot, "alerts_autostart", True):
            self.scheduler.start()

    async def cog_unload(self) -> None:
        task = self.scheduler.get_task()
        self.scheduler.cancel()
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=5)
        self.bot.remove_dynamic_items(RenewButton)
        try:
            await self.lease.release()
        except (StoreError, ValueError) as exc:  # ValueError: the database is closed already
            log.warning("could not release the scheduler lease: %s", exc)

    def wake(self) -> None:
        """Run a pass now instead of at the next tick (settings changed)."""
        self._wake.set()

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
        async with self._pass_lock:
            report = PassReport(at=self.bot.clock.now())
            self.last_report = report
            await self._run_pass(report)
            return report

    async def _run_pass(self, report: PassReport) -> None:
        store = self.bot.store
        now = self.bot.clock.now()
        await store.set_setting(HEARTBEAT_SETTING, str(int(now.timestamp())))
        lease = await self.lease.renew(now)
        report.leader = lease.held
        if not lease.held:
            return
        await self._deliver(report)
        # Services are read side by side, so a hanging useapi.net delays the next pass (and a
        # warning falling due meanwhile) by one USEAPI_TIMEOUT at most, not one per service.
        due = [k for k in self.bot.services if (await load_state(store, k)).is_due(self.bot.clock.now())]
        await asyncio.gather(*(self._sync(key, report) for key in due))
        await self._sync_notices(report)
        if due and (await self.lease.renew(self.bot.clock.now())).held:
            await self._deliver(report)

    async def _sync(self, service_key: str, report: PassReport) -> SyncResult:
        store = self.bot.store
        now = self.bot.clock.now()
        result = await sync_service(self.bot.services[service_key], store, now)
        state = advance(await load_state(store, service_key), result, self.bot.settings.sync_interval)
        await save_state(store, service_key, state)
        report.synced[service_key] = result
        return result

    async def _recheck(self, service_key: str, report: PassReport) -> bool:
        """Re-read the service's list before a stage warning; True when the data is fresh."""
        state = await load_state(self.bot.store, service_key)
        now = self.bot.clock.now()
        if state.failures == 0 and state.last_success_at and now - state.last_success_at < RECHECK_MAX_AGE:
            return True
        if state.failures and not state.is_due(now):
            return False  # backing off: don't hammer useapi.net on every pass
        return (await self._sync(service_key, report)).ok

    async def stages(self) -> dict[str, tuple[timedelta, ...]]:
        out: dict[str, tuple[timedelta, ...]] = {}
        for key in self.bot.services:
            raw = await self.bot.store.get_setting(STAGES_SETTING.format(service=key))
            try:
                out[key] = parse_stages(raw) if raw else DEFAULT_STAGES
            except DurationError:
                log.warning("stored stages for %s are unreadable (%r); using the defaults", key, raw)
                out[key] = DEFAULT_STAGES
        return out

    async def current_plan(self, now: datetime) -> Plan:
        accounts = [a for a in await self.bot.store.list_accounts() if a.service in self.bot.services]
        return plan(accounts, await self.stages(), await self.bot.store.alert_keys(), now)

    async def _deliver(self, report: PassReport) -> None:
        store = self.bot.store
        now = self.bot.clock.now()
        current = await self.current_plan(now)
        rechecked: dict[str, bool] = {}
        stage_services = sorted({a.key.service for a in current.due if a.kind is Kind.STAGE})
        if stage_services:
            fresh = await asyncio.gather(*(self._recheck(key, report) for key in stage_services))
            rechecked = dict(zip(stage_services, fresh, strict=True))
            now = self.bot.clock.now()
            current, suppressed = after_recheck(current, await self.current_plan(now))
            for suppressed_key in suppressed:
                log.info(
                    "%s %s: useapi.net now reports a later expiry; no %s warning",
                    suppressed_key.service,
                    suppressed_key.account,
                    suppressed_key.stage,
                )
            report.suppressed.extend(suppressed)
        if current.skipped:
            await store.record_alerts_skipped(current.skipped, now=now)
            report.skipped.extend(current.skipped)
        await self._send_alerts(current.due, report, rechecked)
        await store.forget_alert_failures(a.key for a in current.due)
        report.next_due = current.next_due

    async def _send_alerts(
        self, alerts: tuple[Alert, ...], report: PassReport, rechecked: dict[str, bool]
    ) -> None:
        store = self.bot.store
        channel_problem = report.channel_problem
        for alert in alerts:
            now = self.bot.clock.now()
            if channel_problem is None:
                embed = warning_embed(alert, rechecked=rechecked.get(alert.key.service, True))
                try:
                    message = await self.post(embed=embed, view=renew_view(alert.key.service))
                except DeliveryError as exc:
                    reason = str(exc)
                    if exc.channel_wide:
                        channel_problem = report.channel_problem = reason
                else:
                    await store.record_alert_sent(alert.key, now=now, message_id=message.id)
                    report.sent.append(alert.key)
                    log.info("warned about %s %s: %s", alert.key.service, alert.key.account, alert.key.stage)
                    continue
            else:
                reason = channel_problem
            log.warning(
                "could not post the %s warning for %s %s: %s (will retry)",
                alert.key.stage,
                alert.key.service,
                alert.key.account,
                reason,
            )
            await store.record_alert_failure(alert.key, reason=reason, now=now)
            report.failed.append((alert.key, reason))

    async def _sync_notices(self, report: PassReport) -> None:
        for key in self.bot.services:
            state = await load_state(self.bot.store, key)
            notice = notice_needed(state)
            if notice is None:
                continue
            try:
                await self.post(embed=sync_notice_embed(key, notice, state), ping=notice == "failing")
            except DeliveryError as exc:
                log.warning("could not post the %s sync notice for %s: %s", notice, key, exc)
                continue
            log.info("told the channel that the %s sync is %s", key, notice)
            await save_state(self.bot.store, key, after_notice(state, notice))
            report.notices.append((key, notice))

    # -- talking to Discord ---------------------------------------------------------------------

    async def mention_role_id(self) -> int | None:
        raw = await self.bot.store.get_setting(MENTION_SETTING)
        return int(raw) if raw and raw.isdigit() else None

    async def post(
        self, *, embed: discord.Embed, view: discord.ui.View | None = None, ping: bool = True
    ) -> discord.Message:
        """Post to the alert channel. The content is the role mention alone (when set and `ping`),
        and only that role may be pinged, whatever the embed contains."""
        role_id = await self.mention_role_id() if ping else None
        allowed = discord.AllowedMentions(
            everyone=False,
            users=False,
            roles=[discord.Object(role_id)] if role_id else False,
            replied_user=False,
        )
        kwargs: dict[str, Any] = {
            "content": f"<@&{role_id}>" if role_id else None,
            "embed": embed,
            "allowed_mentions": allowed,
        }
        if view is not None:
            kwargs["view"] = view
        try:
            return await self.bot.send_to_alert_channel(**kwargs)
        except LookupError as exc:
            raise DeliveryError(str(exc), channel_wide=True) from None
        except discord.Forbidden as exc:
            raise DeliveryError(
                f"the bot lacks permission in the alert channel (needs View Channel, Send Messages, "
                f"Embed Links; Discord said: {exc.text or exc.status})",
                channel_wide=True,
            ) from None
        except discord.NotFound:
            raise DeliveryError(
                "the alert channel no longer exists; set another with /alerts channel", channel_wide=True
            ) from None
        except discord.HTTPException as exc:
            raise DeliveryError(
                f"Discord answered HTTP {exc.status}: {exc.text or 'no detail'}"[:300], channel_wide=False
            ) from None
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(
                f"could not reach Discord ({type(exc).__name__})", channel_wide=True
            ) from None

    async def _audit(
        self, interaction: discord.Interaction[Any], action: str, target: str | None, outcome: str = "ok"
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
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None
    ) -> None:
        await self.bot.store.set_setting(ALERT_CHANNEL_SETTING, str(channel.id) if channel else None)
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

    @app_commands.command(name="thresholds", description="When to warn before a service's sessions expire")
    @app_commands.describe(
        service="The service", stages="Lead times such as 7d,2d,12h (units s, m, h, d), or 'default'"
    )
    @app_commands.choices(service=SERVICE_CHOICES)
    @admin_only()
    async def thresholds(
        self, interaction: discord.Interaction[Any], service: app_commands.Choice[str], stages: str
    ) -> None:
        key = STAGES_SETTING.format(service=service.value)
        if stages.strip().lower() in ("default", "reset"):
            await self.bot.store.set_setting(key, None)
            text = format_stages(DEFAULT_STAGES)
            await self._audit(interaction, "alerts_thresholds", service.value, "reset")
        else:
            try:
                parsed = parse_stages(stages)
            except DurationError as exc:
                await reply(
                    interaction, f"❌ {safe(str(exc), 300)}\nExample: `72h,24h,6h`. Nothing was changed."
                )
                return
            text = format_stages(parsed)
            await self.bot.store.set_setting(key, text)
            await self._audit(interaction, "alerts_thresholds", service.value)
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
    async def mention(self, interaction: discord.Interaction[Any], role: discord.Role | None = None) -> None:
        if role is not None and role.id == interaction.guild_id:
            await reply(interaction, "Warnings never ping @everyone. Pick a role made for this.")
            return
        await self.bot.store.set_setting(MENTION_SETTING, str(role.id) if role else None)
        await self._audit(interaction, "alerts_mention", f"role:{role.id}" if role else None)
        if role is None:
            await reply(interaction, "✅ Warnings will ping nobody.")
        else:
            await reply(
                interaction,
                f"✅ Warnings will ping {role.mention}. If the role isn't mentionable, the bot needs "
                "Mention All Roles in the alert channel; `/alerts test` shows whether it works.",
            )

    @app_commands.command(name="status", description="Channel, stages, next warnings and the last sync")
    @admin_only()
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        await reply(interaction, embed=await self.status_embed())

    @app_commands.command(
        name="test", description="Post a sample warning to check the channel and permissions"
    )
    @admin_only()
    async def test(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        service = next(iter(self.bot.services), "luma")
        sample = TrackedAccount(
            service=service, account="example@example.com", expires_at=now + timedelta(hours=24),
            refresh_expires_at=None, concurrency=None, credits_usage=None, credits_limit=None, max_jobs=None,
            registered_by=interaction.user.id, registered_at=now - timedelta(days=6), last_error=None,
            upstream_updated_at=None, first_seen_at=now, synced_at=now, gone_at=None,
        )  # fmt: skip
        alert = Alert(
            WarningKey(service, sample.account, 0, "24h"), Kind.STAGE, sample, now, timedelta(hours=24)
        )
        try:
            message = await self.post(embed=warning_embed(alert, test=True), view=renew_view(service))
        except DeliveryError as exc:
            await self._audit(interaction, "alerts_test", None, "failed")
            await reply(interaction, f"❌ The sample warning could not be posted: {exc}")
            return
        await self._audit(interaction, "alerts_test", None)
        await reply(interaction, f"✅ Posted a sample warning in <#{message.channel.id}>.")

    async def status_embed(self) -> discord.Embed:
        store = self.bot.store
        now = self.bot.clock.now()
        embed = discord.Embed(title="Expiry warnings", colour=COLOUR_INFO)
        stored_channel = await store.get_setting(ALERT_CHANNEL_SETTING)
        channel_id = await self.bot.alert_channel_id()
        if channel_id is None:
            channel_text = "⚠️ not set: no warning can be posted (`/alerts channel`)"
        else:
            channel_text = f"<#{channel_id}>" + ("" if stored_channel else " (ALERT_CHANNEL_ID)")
        embed.add_field(name="Channel", value=channel_text)
        role_id = await self.mention_role_id()
        embed.add_field(name="Mention", value=f"<@&{role_id}>" if role_id else "nobody")
        stages = await self.stages()
        embed.add_field(
            name="Stages",
            value="\n".join(
                f"{label(k)}: {format_stages(v).replace(',', ', ')}, expired" for k, v in stages.items()
            )
            or "no service is switched on",
            inline=False,
        )

        current = await self.current_plan(now)
        failures = {f.key: f for f in await store.alert_failures()}
        lines = []
        for alert in current.due:
            failure = failures.get(alert.key)
            why = f" · ⚠️ {failure.attempts} failed attempt(s): {safe(failure.reason, 150)}" if failure else ""
            lines.append(
                f"• **due now** · {label(alert.key.service)} · {safe(alert.key.account, 60)} · {_stage_text(alert)}{why}"
            )
        for upcoming in current.upcoming[:8]:
            lines.append(
                f"• {format_dt(upcoming.due_at, 'R')} · {label(upcoming.key.service)} · "
                f"{safe(upcoming.key.account, 60)} · {stage_label(upcoming.threshold)}"
            )
        if len(current.upcoming) > 8:
            lines.append(f"…and {len(current.upcoming) - 8} more")
        embed.add_field(name="Next warnings", value=_clip("\n".join(lines) or "none scheduled"), inline=False)

        sync_lines = []
        for key in self.bot.services:
            state = await load_state(store, key)
            last = format_dt(state.last_attempt_at, "R") if state.last_attempt_at else "never"
            line = f"**{label(key)}**: {last} · {safe(state.outcome, 200)}"
            if state.failures:
                line += f" · {state.failures} failure(s) in a row"
                if state.next_at:
                    line += f", next try {format_dt(state.next_at, 'R')}"
            sync_lines.append(line)
        embed.add_field(name="Last sync", value=_clip("\n".join(sync_lines) or "no service"), inline=False)

        if self.lease.standing_by:
            embed.add_field(
                name="Scheduler",
                value="⚠️ another instance holds the scheduler lease; this one is standing by.",
                inline=False,
            )
        report = self.last_report
        if report is not None and report.error:
            embed.add_field(name="Last pass failed", value=safe(report.error, 300), inline=False)
        embed.set_footer(text=f"Checked at {now:%Y-%m-%d %H:%M:%S} UTC")
        return embed


def _stage_text(alert: Alert) -> str:
    if alert.kind is Kind.GONE:
        return "disappeared upstream"
    if alert.kind is Kind.ERROR:
        return "error reported upstream"
    return stage_label(alert.threshold or timedelta(0))


def _clip(text: str, limit: int = 1024) -> str:
    return text if len(text) <= limit else text[: limit - 2] + "\n…"


async def setup(bot: WardenBot) -> None:
    await bot.add_cog(AlertsCog(bot))
