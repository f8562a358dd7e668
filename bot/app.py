"""The bot itself: a `commands.Bot` whose `setup_hook` opens resources, loads cogs and syncs commands."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterator
from typing import Any

import discord
import httpx
import yarl
from discord import app_commands
from discord.ext import commands

from bot import metrics, metrics_server, routing, settings
from bot.approvals import ApprovalCache
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.deliverability import Deliverability
from bot.resources import open_useapi
from bot.services import DEFAULT_SERVICES, KNOWN_SERVICES
from bot.store import BACKGROUND_PATIENCE, Store, StoreError, write_patience
from bot.team_watch import TeamWatch
from bot.throttle import RegisterThrottle
from bot.useapi import UseapiService

log = logging.getLogger(__name__)

# Loaded in this order by setup_hook; each is a module under cogs/ with an async setup(bot).
EXTENSIONS = (
    "cogs.errors",
    "cogs.register",
    "cogs.accounts",
    "cogs.access",
    "cogs.alerts",
    "cogs.notify",
)


def point_discord_at(settings: Settings) -> None:
    """Send REST, interaction callbacks, webhooks and the gateway to a proxy or local double.

    discord.py builds every REST and webhook URL from `Route.BASE`, and dials
    `DEFAULT_GATEWAY` for the first connection, so these two are enough.
    """
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


# The garbage collector's thresholds once started (the defaults are 700, 10, 10): a young
# collection every 10,000 net allocations, a middle one every 20 of those, a full one after 100
# middle ones. A pass at 10,000 accounts makes tens of thousands of short-lived objects; with the
# defaults they outlived two young collections and a full one ran nearly every pass (50-130 ms
# at 50,000 accounts, bench/README.md).
GC_THRESHOLDS = (10_000, 20, 100)


def settle_heap() -> None:
    """Once started: collect, then freeze what is alive (modules, classes, discord.py's state)
    into the permanent generation, so a full collection walks only what the bot made since; and
    collect less often (GC_THRESHOLDS)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    log.info(
        "start-up heap frozen: %d objects left out of garbage collections; thresholds %s",
        gc.get_freeze_count(),
        gc.get_threshold(),
    )


class WardenTree(app_commands.CommandTree["WardenBot"]):
    """Refuses, before any command runs, interactions the bot must not serve here."""

    async def interaction_check(self, interaction: discord.Interaction[WardenBot]) -> bool:
        reason = self.client.refusal_reason(interaction)
        if reason is None:
            return True
        log.info("refused an interaction from guild %s: %s", interaction.guild_id, reason)
        # Answered first: Discord's 3 seconds never wait on the database (the audit may).
        await interaction.response.send_message(
            reason, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
        try:
            with write_patience(BACKGROUND_PATIENCE):  # nobody waits for it any more
                await self.client.store.audit(
                    now=self.client.clock.now(),
                    actor_id=interaction.user.id,
                    action=f"command:{interaction.data.get('name') if interaction.data else '?'}",
                    outcome="refused:outside",
                    detail=f"guild {interaction.guild_id}",
                )
        except StoreError as exc:  # the refusal stands; only its audit entry is missing
            log.warning("could not audit a refused interaction: %s", exc)
        return False


class WardenBot(commands.Bot):
    store: Store
    approvals: ApprovalCache
    http_client: httpx.AsyncClient
    # The switched-on services (SERVICES, or decided from useapi.net under SERVICES=auto; the
    # dict is replaced, never changed in place, when auto switches one on or off).
    services: dict[str, UseapiService]
    all_services: dict[str, UseapiService]  # every service with a module, on or off
    team: TeamWatch  # the team's useapi.net account: subscription, token, slots, retirements
    delivery: Deliverability  # can a warning be posted now (bot/deliverability.py)

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        useapi_transport: httpx.AsyncBaseTransport | None = None,
        extensions: tuple[str, ...] = EXTENSIONS,
        guild_ready_timeout: float = 2.0,
        alerts_autostart: bool = True,
        settle_heap: bool = False,
    ) -> None:
        # Guilds only: channels and roles come with it, and no privileged intent is needed.
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            # Nothing the bot sends pings anyone unless a send opts in explicitly.
            allowed_mentions=discord.AllowedMentions.none(),
            # discord.py waits this long after the last GUILD_CREATE before READY; tests shorten it.
            guild_ready_timeout=guild_ready_timeout,
            tree_cls=WardenTree,
            http_trace=metrics.discord_trace(),  # counts Discord's error answers (METRICS_PORT)
        )
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.register_throttle = RegisterThrottle(settings.register_rate)
        self._useapi_transport = useapi_transport
        self.shutting_down = False
        # Register forms this process opened (see cogs.register); others are handled as stale.
        self.issued_modal_ids: dict[str, None] = {}
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._stop_recorded = False
        self._extensions = extensions
        self._services_decided = not settings.auto_services
        self._commands_unsynced = False  # SERVICES=auto switched, but Discord refused the sync
        # False: the alerts cog's scheduler loop does not start (tests and benchmarks run passes by hand).
        self.alerts_autostart = alerts_autostart
        self.metrics_server: metrics_server.MetricsServer | None = None
        # True in the bot's own process (bot.runner): see settle_heap(). Not in tests, where many
        # bots share one process and a frozen bot's garbage would never be collected.
        self._settle_heap = settle_heap
        point_discord_at(settings)

    async def open_resources(self) -> None:
        """Open the database and the useapi.net client; once per bot, however many logins it takes.

        bot.runner calls this before the first login, so database trouble is reported before
        any network, and clears the heartbeat an earlier process left: until this one's scheduler
        runs (after Discord answered), `python -m bot healthcheck` must say unhealthy.
        """
        if hasattr(self, "store"):
            return
        self.store = await Store.open(self.settings.database_path)
        with write_patience(BACKGROUND_PATIENCE):
            try:
                await settings.HEARTBEAT.set(self.store, None)
                await settings.STOPPED_AT.set(self.store, None)
            except StoreError as exc:  # a read-only database: the bot still runs, as it would later
                log.warning("could not clear the last run's scheduler heartbeat: %s", exc)
        self.approvals = ApprovalCache(self.store)
        try:  # loaded before the first interaction: forms open on what memory knows
            await self.approvals.reload()
        except (StoreError, sqlite3.Error) as exc:
            log.warning("could not read the approvals yet (retried in the background): %s", exc)
        self.http_client, self.all_services = open_useapi(
            self.settings, transport=self._useapi_transport, enabled=KNOWN_SERVICES
        )
        self.team = TeamWatch(
            self.store,
            next(iter(self.all_services.values())).transport,
            self.clock,
            sync_interval=self.settings.sync_interval,
            services=self.all_services,
            auto=self.settings.auto_services,
        )
        await self.team.load()  # what an earlier run learnt (a retired service) holds from the start
        explicit = () if self.settings.auto_services else self.settings.services
        self.services = {key: self.all_services[key] for key in explicit}
        self.delivery = Deliverability(self.store, self.clock, self._delivery_channel)
        if self.settings.metrics_port:
            await self._serve_metrics(self.settings.metrics_port)

    async def _delivery_channel(self, service: str | None) -> int | None:
        """Where a warning about `service` would be posted now (bot/routing.py)."""
        return await routing.delivery_channel(self.store, service, await self.alert_channel_id())

    async def _serve_metrics(self, port: int) -> None:
        """METRICS_PORT: served from now on, while Discord is still being reached too. A port
        that can't be bound is logged; the bot runs without metrics rather than not at all."""
        store, clock, delivery = self.store, self.clock, self.delivery

        async def read() -> metrics_server.Snapshot:
            # The services switched on now (SERVICES=auto follows the team's account).
            return await metrics_server.read_snapshot(store, clock, tuple(self.services), delivery)

        try:
            self.metrics_server = await metrics_server.serve(port, read)
        except OSError as exc:
            log.error("could not serve metrics on METRICS_PORT %d (%s); running without them", port, exc)

    async def setup_hook(self) -> None:
        with write_patience(BACKGROUND_PATIENCE):  # start-up writes wait like the scheduler's
            await self._set_up()
        self.approvals.keep_fresh()

    async def _set_up(self) -> None:
        await self.open_resources()
        if not self._services_decided:  # SERVICES=auto: from useapi.net, before any command exists
            try:
                chosen = await self.team.decide_at_start()
            except StoreError:
                raise
            except Exception:  # never a reason not to start: the last decision, else the default
                log.exception("SERVICES=auto could not decide at start-up; using the last decision")
                chosen = self.team.state.switched_on or DEFAULT_SERVICES
            self.services = {key: self.all_services[key] for key in chosen}
            self._services_decided = True
            log.info("SERVICES=auto: switched on %s", ", ".join(chosen) or "nothing")
        for extension in self._extensions:
            if extension in self.extensions:  # a retried login (bot.runner) runs this hook again
                continue
            try:
                await self.load_extension(extension)
            except commands.ExtensionError:
                log.exception("failed to load extension %s", extension)
                raise
        await self.sync_commands()

    async def sync_commands(self) -> list[app_commands.AppCommand] | None:
        """Sync the command tree to Discord, unless it is what the last sync sent.

        Discord allows a limited number of command updates a day; a crash loop or a routine
        restart must not spend them. Returns None when nothing had to be sent.
        """
        guild = discord.Object(self.settings.guild_id) if self.settings.guild_id else None
        if guild is not None:
            # Guild commands appear at once; global ones can take up to an hour.
            self.tree.copy_global_to(guild=guild)
            # Clear global copies so members don't see every command twice.
            self.tree.clear_commands(guild=None)
        digest = self.command_digest(guild)
        if await settings.SYNCED_COMMANDS.get(self.store) == digest:
            log.info("application commands unchanged since the last sync; not syncing")
            return None
        if guild is not None:
            synced = await self.tree.sync(guild=guild)
            await self.tree.sync()
        else:
            synced = await self.tree.sync()
        await settings.SYNCED_COMMANDS.set(self.store, digest)
        log.info("synced %d application commands", len(synced))
        return synced

    async def switch_services(self, keys: tuple[str, ...]) -> bool:
        """SERVICES=auto decided again (bot/team_account.py): switch on exactly `keys`, tell every
        extension that has a `services_switched()` (register groups, `service` choices, the
        watch), and sync the command tree if that changed it. True when anything changed."""
        wanted = tuple(key for key in self.all_services if key in keys)
        if wanted == tuple(self.services):
            if self._commands_unsynced:  # the last switch's sync failed: try it again
                await self.sync_commands()
                self._commands_unsynced = False
            return False
        before = set(self.services)
        self.services = {key: self.all_services[key] for key in wanted}
        log.info(
            "SERVICES=auto: switched on %s, switched off %s; now %s",
            ", ".join(sorted(set(wanted) - before)) or "nothing",
            ", ".join(sorted(before - set(wanted))) or "nothing",
            ", ".join(wanted) or "nothing",
        )
        for cog in list(self.cogs.values()):
            switched = getattr(cog, "services_switched", None)
            if callable(switched):
                switched()
        self._commands_unsynced = True
        await self.sync_commands()
        self._commands_unsynced = False
        return True

    def command_digest(self, guild: discord.abc.Snowflake | None) -> str:
        """A hash of exactly what a sync would send: where, as which application, which commands."""
        payload = {
            "application": self.application_id,
            "guild": guild.id if guild is not None else None,
            "commands": sorted(
                (command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)),
                key=lambda c: str(c.get("name")),
            ),
            "global": [command.to_dict(self.tree) for command in self.tree.get_commands()],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("ready as %s (%s) in %d guild(s)", self.user, self.user.id, len(self.guilds))
        if self._settle_heap:
            self._settle_heap = False  # once: a new session's READY changes little
            settle_heap()

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        """Mark the current task as work that shutdown should let finish."""
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def close(self, *, grace: float = 5.0) -> None:
        """Stop taking work, give in-flight registrations `grace` seconds, then close everything."""
        self.shutting_down = True
        pending = {t for t in self._in_flight if t is not asyncio.current_task() and not t.done()}
        if pending:
            log.info("waiting up to %.0fs for %d registration(s) in flight", grace, len(pending))
            _, still = await asyncio.wait(pending, timeout=grace)
            if still:
                log.warning("abandoning %d registration(s) still in flight", len(still))
        try:
            await super().close()  # unloads the cogs: the scheduler has stopped after this
        finally:
            if self.metrics_server is not None:
                await self.metrics_server.close()
                self.metrics_server = None
            if hasattr(self, "approvals"):
                await self.approvals.stop()
            if hasattr(self, "http_client"):
                await self.http_client.aclose()
            if hasattr(self, "store"):
                await self._record_stop()
                await self.store.close()

    async def _record_stop(self) -> None:
        """Clear the scheduler's heartbeat, so `healthcheck` (a systemd or cron monitor, Docker)
        sees the stop at once instead of a heartbeat that stays fresh for HEALTH_MAX_AGE, and
        say when. Once per bot: close() may run again (bot.runner, `async with`)."""
        if self._stop_recorded:
            return
        self._stop_recorded = True
        try:
            await settings.HEARTBEAT.set(self.store, None)
            await settings.STOPPED_AT.set(self.store, int(self.clock.now().timestamp()))
        except StoreError as exc:  # read-only or full: healthcheck goes by the heartbeat's age
            log.warning("could not clear the scheduler heartbeat at the stop: %s", exc)

    # -- shared helpers for cogs ----------------------------------------------------------------

    def refusal_reason(self, interaction: discord.Interaction[Any]) -> str | None:
        """Why this interaction may not be served at all (shutdown, DMs, other guilds), or None."""
        if self.shutting_down:
            return "Session Warden is restarting. Try again in a minute."
        if interaction.guild_id is None:
            if interaction.type in (discord.InteractionType.component, discord.InteractionType.modal_submit):
                return None  # the buttons under a warning sent to its owner (/notify me), and their form
            return "Session Warden works only inside its server, not in direct messages."
        if self.settings.guild_id and interaction.guild_id != self.settings.guild_id:
            return "Session Warden is not set up for this server."
        return None

    async def alert_channel_id(self) -> int | None:
        """`/alerts channel` when set, else ALERT_CHANNEL_ID."""
        return await settings.ALERT_CHANNEL.get(self.store) or self.settings.alert_channel_id
