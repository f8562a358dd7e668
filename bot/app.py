"""The bot itself: a `commands.Bot` whose `setup_hook` opens resources, loads cogs and syncs commands."""

from __future__ import annotations

import asyncio
import contextlib
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

from bot import settings
from bot.approvals import ApprovalCache
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.resources import open_useapi
from bot.store import BACKGROUND_PATIENCE, Store, StoreError, write_patience
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
    services: dict[str, UseapiService]

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        useapi_transport: httpx.AsyncBaseTransport | None = None,
        extensions: tuple[str, ...] = EXTENSIONS,
        guild_ready_timeout: float = 2.0,
        alerts_autostart: bool = True,
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
        # False: the alerts cog's scheduler loop does not start (tests and benchmarks run passes by hand).
        self.alerts_autostart = alerts_autostart
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
        self.http_client, self.services = open_useapi(self.settings, transport=self._useapi_transport)

    async def setup_hook(self) -> None:
        with write_patience(BACKGROUND_PATIENCE):  # start-up writes wait like the scheduler's
            await self._set_up()
        self.approvals.keep_fresh()

    async def _set_up(self) -> None:
        await self.open_resources()
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
            return "Session Warden works only inside its server, not in direct messages."
        if self.settings.guild_id and interaction.guild_id != self.settings.guild_id:
            return "Session Warden is not set up for this server."
        return None

    async def alert_channel_id(self) -> int | None:
        """`/alerts channel` when set, else ALERT_CHANNEL_ID."""
        return await settings.ALERT_CHANNEL.get(self.store) or self.settings.alert_channel_id
