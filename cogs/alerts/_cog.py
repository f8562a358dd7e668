"""The expiry watch in Discord: the scheduler loop, the events that wake it, posting to the alert
channel, and the state `/alerts status` shows (the `/alerts` commands are _commands.py).

The loop runs a pass of `bot.watch.ExpiryWatch` at least every 30 s, right when the next stage
falls due, and at once when woken (settings changed, an account was registered, a live details
read changed something). A second loop reads live account details beside the passes, at the
global rate bot/details.py sets. The pass itself (sync, re-check, what to warn about, the
bookkeeping) is in bot/watch.py and knows nothing of Discord; this cog hands it the ways to post
(a warning, a reminder, an edit, a sync notice). What the posts look like is in _embeds.py; the
buttons under each warning are cogs/register/_renew.py (Renew) and _claim.py (I'm on it); every
post and edit goes through cogs/_alert_channel.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta
from typing import Any

import aiohttp
import discord
from discord.ext import commands, tasks

from bot import metrics, quiet, settings
from bot.app import WardenBot
from bot.delivery import DeliveryError, Posted, Problem
from bot.details import IDLE_CHECK, ROUND_EVERY, DetailsRound
from bot.escalation import Escalation
from bot.events import ON_ACCOUNT_REGISTERED, ON_ACCOUNT_REMOVED
from bot.expiry import Alert, Kind, next_wake
from bot.followup import How, PostedWarning, Reminder, Resolution
from bot.owners import is_early, owner_of
from bot.routing import Route
from bot.store import BACKGROUND_PATIENCE, StoreError, write_patience
from bot.sync import Notice, SyncState, load_state
from bot.team_account import TeamWarning
from bot.team_watch import load_team_state
from bot.useapi import AccountInfo
from bot.watch import ExpiryWatch, PassReport
from cogs import _alert_channel as alert_channel
from cogs.alerts._board import StatusBoard
from cogs.alerts._claim import ClaimButton, TakeOverButton, redraw, warning_view
from cogs.alerts._digest import WeeklyDigest
from cogs.alerts._embeds import (
    DM_INTRO,
    escalation_embed,
    reminder_embed,
    status_embed,
    sync_notice_embed,
    warning_embed,
)
from cogs.alerts._team import team_warning_embed
from cogs.register import renew_view

log = logging.getLogger(__name__)

MAX_SLEEP = timedelta(seconds=30)
MIN_SLEEP = timedelta(seconds=1)
WAKE_PAD = timedelta(milliseconds=100)
STATUS_UPCOMING = 8  # upcoming warnings /alerts status lists one by one


class AlertsCog(commands.Cog):
    """The scheduler loop and what it posts; `/alerts` (AlertsCommands) drives it through here."""

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
            send_escalation=self._send_escalation,
            claim_timeout=bot.settings.claim_timeout,
            reminder_interval=bot.settings.reminder_interval,
            retention=bot.settings.retention,
            team=bot.team,
            send_team_warning=self._send_team_warning,
            can_deliver=bot.delivery.can_deliver,
        )
        self.lease = self.watch.lease
        # After each pass of the lease holder: the live status board and the weekly digest.
        self.board = StatusBoard(bot, self.lease, self.watch)
        self.digest = WeeklyDigest(bot, self.lease)
        self._after_pass_errors: dict[str, str] = {}
        self.last_report: PassReport | None = None  # the last pass that ended
        self._wake = asyncio.Event()
        self._wake_reader = asyncio.Event()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ClaimButton, TakeOverButton)
        # Tests that drive run_pass (and watch.read_details) by hand switch both loops off.
        if self.bot.alerts_autostart:
            self.scheduler.start()
            self.details_reader.start()

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ClaimButton, TakeOverButton)
        loops = [loop.get_task() for loop in (self.scheduler, self.details_reader)]
        self.scheduler.cancel()
        self.details_reader.cancel()
        running = {t for t in loops if t is not None and not t.done()}
        if running:
            await asyncio.wait(running, timeout=5)
        try:
            await self.lease.release()
        except (StoreError, ValueError) as exc:  # ValueError: the database is closed already
            log.warning("could not release the scheduler lease: %s", exc)

    def services_switched(self) -> None:
        """SERVICES=auto switched services: the watch syncs and warns about the new set."""
        self.watch.services = self.bot.services

    def wake(self) -> None:
        """Run a pass now instead of at the next tick (settings changed, an account registered)."""
        self._wake.set()

    @commands.Cog.listener(ON_ACCOUNT_REGISTERED)
    async def on_account_registered(self, info: AccountInfo) -> None:
        """Dispatched by cogs/register/_form.py. A renewal re-arms the account's stages, and a new
        expiry may be inside a stage already: plan again now, not at the next tick."""
        self.watch.follow_up_soon()  # its open warnings are resolved by the renewal
        self.wake()
        self._wake_reader.set()  # a new account's live details are due at once

    @commands.Cog.listener(ON_ACCOUNT_REMOVED)
    async def on_account_removed(self, service_key: str, account: str, actor_id: int | None) -> None:
        """Dispatched once an account is no longer tracked (`/<service> remove`): its open
        warnings are resolved as removed by that admin, and the next pass edits them."""
        resolved = await self.bot.store.resolve_account_warnings(
            service_key, account, Resolution(How.REMOVED, actor_id), now=self.bot.clock.now()
        )
        if resolved:
            self.watch.follow_up_soon()
            self.wake()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        await self._discord_is_back()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        await self._discord_is_back()

    async def _discord_is_back(self) -> None:
        """The gateway connected again: a post that found Discord unreachable is tried at once."""
        if await self.bot.delivery.retry(Problem.UNREACHABLE):
            self.wake()

    # -- the scheduler --------------------------------------------------------------------------

    @tasks.loop(seconds=0)  # the body sleeps: until the next due moment, at most MAX_SLEEP
    async def scheduler(self) -> None:
        self._wake.clear()  # a wake() during the pass below means: run another one at once
        leading = self.watch.leading
        report = await self.run_pass_safely()
        if report.leader and (report.synced or not leading):
            self._wake_reader.set()  # accounts may be new, or this instance just took over
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

    @tasks.loop(seconds=0)  # the body sleeps: ROUND_EVERY while accounts are due, else longer
    async def details_reader(self) -> None:
        self._wake_reader.clear()
        try:
            done = await self.watch.read_details()
        except Exception:  # the database failing: the loop must not die; the pass says it too
            log.exception("live details round failed")
            done = DetailsRound()
        if done.changed:
            self.wake()  # a reason or a deadline changed: plan it now
        if done.read:  # the global budget: at most one round per ROUND_EVERY
            await asyncio.sleep(ROUND_EVERY.total_seconds())
            return
        try:
            await asyncio.wait_for(self._wake_reader.wait(), IDLE_CHECK.total_seconds())
        except TimeoutError:
            pass

    @details_reader.before_loop
    async def _before_details_reader(self) -> None:
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
        """One pass now; `last_report` is this pass's report once it has ended. Under
        SERVICES=auto, what the pass learnt may switch services on or off (and sync commands)."""
        with write_patience(BACKGROUND_PATIENCE):  # the board, the digest and SERVICES=auto too
            return await self._run_pass()

    async def _run_pass(self) -> PassReport:
        started = time.perf_counter()
        try:
            report = await self.watch.run_pass()
        except Exception:
            metrics.record_pass("failed", time.perf_counter() - started)
            raise
        metrics.record_pass("led" if report.leader else "standing_by", time.perf_counter() - started)
        for posted in (*report.sent, *report.reminded):
            metrics.record_posted(posted.service, posted.stage)
        for service, _ in report.notices:
            metrics.record_posted(service, "sync_notice")
        self.last_report = report
        if report.leader:
            try:
                wanted = await self.bot.team.wanted_services()
                if wanted is not None:
                    await self.bot.switch_services(wanted)
            except StoreError:
                raise
            except Exception:  # Discord refusing the sync, or a bug: the pass itself went well
                log.exception("could not switch services for SERVICES=auto; tried again at the next read")
            await self._after_pass()
        return report

    async def _after_pass(self) -> None:
        """The board and the digest, each on its own: a failure of one is logged (once while it
        keeps failing the same way), never raised; the next pass tries again."""
        for name, step in (("status board", self.board.refresh), ("weekly digest", self.digest.send_if_due)):
            try:
                await step()
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
                if self._after_pass_errors.get(name) != error:
                    log.exception("the %s failed after the pass (said once while it lasts): %s", name, error)
                self._after_pass_errors[name] = error
            else:
                self._after_pass_errors.pop(name, None)

    # -- talking to Discord ---------------------------------------------------------------------

    async def _send_warning(self, alert: Alert, rechecked: bool) -> Posted:
        """A warning where its service's posts go (bot/routing.py), naming and pinging its
        account's owner beside the role; an early stage goes to an owner who asked for it
        (`/notify me`) by direct message instead, and to the channel if Discord refuses that.
        Inside quiet hours only expiry and act-now warnings ping (bot/quiet.py), and no direct
        message is sent (one posted at once then goes to the channel, without a ping)."""
        owner = owner_of(alert.account)
        embed = warning_embed(alert, rechecked=rechecked, owner=owner)
        ping = quiet.may_ping(alert, await quiet.load(self.bot.store), self.bot.clock.now())
        if (
            ping  # a direct message notifies: inside quiet hours an early stage goes to the channel, silently
            and owner is not None
            and is_early(alert, await self.watch.stages())
            and await self.bot.store.wants_dm(owner)
        ):
            direct = await self._send_direct(owner, alert, embed)
            if direct is not None:
                return direct
        # The nonce makes a repeat of this very warning (see WarningKey.nonce) return the first post;
        # a warning armed again after the last one was resolved has its own (Alert.nonce).
        message = await self.post(
            service=alert.key.service,
            embed=embed,
            view=warning_view(alert.key.service, renew=alert.kind is not Kind.CREDIT),
            ping=ping,
            owner=owner,
            nonce=alert.nonce,
        )
        return Posted(message.id, message.channel.id, json.dumps(embed.to_dict()))

    async def _send_team_warning(self, warning: TeamWarning) -> Posted:
        embed = team_warning_embed(warning)
        # No buttons: nobody can fix the team's account from Discord. The nonce is the episode's.
        message = await self.post(embed=embed, ping=warning.pings, nonce=warning.key.nonce)
        return Posted(message.id, message.channel.id, json.dumps(embed.to_dict()))

    async def _send_direct(self, owner: int, alert: Alert, embed: discord.Embed) -> Posted | None:
        """The warning in its owner's direct messages, with the same buttons (the message and
        its DM channel are recorded, so it follows through there); None when that failed."""
        store = self.bot.store
        try:
            channel = await self.bot.create_dm(discord.Object(owner))
            message = await channel.send(
                content=DM_INTRO,
                embed=embed,
                view=warning_view(alert.key.service),
                nonce=alert.nonce,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.Forbidden as exc:  # 50007: their DMs are closed to the bot
            told = await store.dm_refused(owner, now=self.bot.clock.now())
            log.info(
                "Discord refused a direct message to the owner of %s %s (%s %s); posting in the channel%s",
                alert.key.service, alert.key.account, exc.status, exc.code,
                " (they will be told after their next command)" if told else "",
            )  # fmt: skip
            return None
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning(
                "could not send a direct message to the owner of %s %s (%s); posting in the channel",
                alert.key.service, alert.key.account, type(exc).__name__,
            )  # fmt: skip
            return None
        await store.dm_delivered(owner)
        return Posted(message.id, channel.id, json.dumps(embed.to_dict()))

    async def _edit_warning(self, warning: PostedWarning) -> None:
        await redraw(self.bot, warning)

    async def _send_reminder(self, reminder: Reminder) -> Posted:
        about = reminder.about
        message = await alert_channel.reply(
            self.bot,
            about.channel_id,
            about.message_id,
            service=reminder.key.service,
            **await self._ping(owner=owner_of(reminder.account)),
            embed=reminder_embed(reminder),
            view=renew_view(reminder.key.service),
            nonce=reminder.key.nonce,
        )
        return Posted(message.id, message.channel.id)

    async def _send_escalation(self, escalation: Escalation) -> Posted:
        """A reply to the warning nobody took, pinging the escalation role (and only it)."""
        chosen = await self.watch.escalation()
        if chosen is None:
            raise DeliveryError("escalation was switched off meanwhile", channel_wide=False)
        role_id, _ = chosen
        about = escalation.about
        message = await alert_channel.reply(
            self.bot,
            about.channel_id,
            about.message_id,
            service=about.key.service,
            content=f"<@&{role_id}>",
            allowed_mentions=discord.AllowedMentions(
                everyone=False, users=False, roles=[discord.Object(role_id)], replied_user=False
            ),
            embed=escalation_embed(escalation, owner=owner_of(escalation.account)),
            view=renew_view(about.key.service),
            nonce=escalation.nonce,
        )
        return Posted(message.id, message.channel.id)

    async def _send_notice(self, service: str, notice: Notice, state: SyncState) -> None:
        ping = notice == "failing" and quiet.may_ping(
            None, await quiet.load(self.bot.store), self.bot.clock.now()
        )
        await self.post(service=service, embed=sync_notice_embed(service, notice, state), ping=ping)

    async def mention_role_id(self) -> int | None:
        return await settings.MENTION_ROLE.get(self.bot.store)

    async def _ping(self, ping: bool = True, owner: int | None = None) -> dict[str, Any]:
        """The content and allowed mentions of a post: the role mention (when set) and the
        account's owner (when known), when `ping`; exactly those two may be pinged, whatever
        the embed contains, and never @everyone."""
        role_id = await self.mention_role_id() if ping else None
        user_id = owner if ping else None
        allowed = discord.AllowedMentions(
            everyone=False,
            users=[discord.Object(user_id)] if user_id else False,
            roles=[discord.Object(role_id)] if role_id else False,
            replied_user=False,
        )
        mentions = [f"<@&{role_id}>" if role_id else "", f"<@{user_id}>" if user_id else ""]
        return {"content": " ".join(m for m in mentions if m) or None, "allowed_mentions": allowed}

    async def route(self, service: str | None) -> Route:
        """Where a warning about `service` goes now, and why (bot/routing.py)."""
        return await alert_channel.route(self.bot, service)

    async def post(
        self,
        *,
        embed: discord.Embed,
        view: discord.ui.View | None = None,
        ping: bool = True,
        nonce: str | None = None,
        service: str | None = None,
        owner: int | None = None,
    ) -> discord.Message:
        """Post where `service`'s posts go (None: the team's channel), pinging the mention role
        and `owner` (when set and `ping`). With a `nonce`, Discord answers a repeat within its
        dedup window with the message already posted. Raises DeliveryError."""
        kwargs: dict[str, Any] = {**await self._ping(ping, owner), "embed": embed}
        if view is not None:
            kwargs["view"] = view
        if nonce is not None:
            kwargs["nonce"] = nonce
        return await alert_channel.post(self.bot, service=service, **kwargs)

    # -- what /alerts status shows --------------------------------------------------------------

    async def status_embed(self) -> discord.Embed:
        """Where warnings go, the stages, what is planned and open, the syncs and the last pass."""
        store = self.bot.store
        now = self.bot.clock.now()
        report = self.last_report
        embed = status_embed(
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
            team=await load_team_state(store),
            auto_services=self.bot.settings.auto_services,
            credit_thresholds=await self.watch.credit_thresholds(),
            blocked=await self.bot.delivery.blocked(),
            routes={key: await self.route(key) for key in self.bot.services},
            quiet_hours=await quiet.load(store),
            escalation=await self.watch.escalation(),
        )
        embed.add_field(name="Status board", value=await self.board.status(), inline=False)
        embed.add_field(name="Weekly digest", value=await self.digest.status(), inline=False)
        return embed
