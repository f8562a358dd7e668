"""Run the real bot (real discord.py, HTTP and SQLite) against the local doubles.

`Rig` starts a Discord double and a useapi.net double on 127.0.0.1, points a
WardenBot at them purely through its Settings, and captures every log line
from every logger at DEBUG so tests can look for secrets in them.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord

from bot import logs
from bot.app import WardenBot
from bot.clock import Clock
from bot.config import Settings
from tests.doubles.discord_double import CallbackResult, DiscordDouble
from tests.doubles.useapi_double import UseapiDouble

DISCORD_TOKEN = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.Gx7Kq2.discord-bot-token-Zx9Qw8"
USEAPI_TOKEN = "user:4242-useapi-api-token-Vb7Nm3"


class RawRecords(logging.Handler):
    """Keeps each record's message unscrubbed: the strictest view of what was logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@dataclass
class Rig:
    discord: DiscordDouble
    useapi: UseapiDouble
    settings: Settings
    clock: Clock | None = None
    bot: WardenBot | None = None
    raw_logs: RawRecords = field(default_factory=RawRecords)
    log_output: io.StringIO = field(default_factory=io.StringIO)
    _task: asyncio.Task[None] | None = None

    async def start_bot(self, **overrides: Any) -> WardenBot:
        """Start a WardenBot (again, after stop_bot: a restart on the same database)."""
        if overrides:
            self.settings = replace(self.settings, **overrides)
        bot = WardenBot(self.settings, clock=self.clock, guild_ready_timeout=0.1)
        self.bot = bot
        self._task = asyncio.create_task(bot.start(self.settings.discord_token))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            ready.cancel()
            self._task.result()  # raises the start-up error
        if ready not in done:
            raise TimeoutError("the bot did not become ready in 10 s")
        return bot

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, 10)
        self.bot = None
        self._task = None

    async def slash(
        self, name: str, subcommand: str | None = None, *, user: int, **options: Any
    ) -> CallbackResult:
        payload = self.discord.slash_command(name, subcommand, options=options or None, user=user)
        iid = await self.discord.dispatch_interaction(payload)
        return await self.discord.wait_for_callback(iid)

    async def submit(self, modal: CallbackResult, values: dict[str, str], *, user: int) -> CallbackResult:
        iid = await self.discord.dispatch_interaction(self.discord.modal_submit_for(modal, values, user=user))
        return await self.discord.wait_for_callback(iid)

    async def followup(self, callback: CallbackResult, timeout: float = 5) -> dict[str, Any]:
        """The first follow-up or @original edit after a deferral."""
        token = callback.request.path.split("/")[3]
        rec = await self.discord.wait_for(
            lambda r: r.method in ("POST", "PATCH") and r.path.startswith("/webhooks/") and token in r.path,
            timeout,
        )
        return rec.json  # type: ignore[no-any-return]

    def everything_sent_to_discord(self) -> str:
        parts = []
        for rec in self.discord.requests:
            parts.append(rec.path)
            parts.append(repr(rec.query))
            parts.append(rec.raw_body.decode("utf-8", "replace"))
        parts.extend(repr(frame) for frame in self.discord.gateway_received)
        return "\n".join(parts)


def _component_text_inputs(data: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for comp in data.get("components", []):
        if comp.get("type") == 4:
            found.append(comp)
        found.extend(_component_text_inputs(comp))
        if isinstance(comp.get("component"), dict):
            found.extend(_component_text_inputs({"components": [comp["component"]]}))
    return found


def modal_inputs(callback: CallbackResult) -> dict[str, dict[str, Any]]:
    """custom_id -> text input, for a type 9 callback."""
    return {c["custom_id"]: c for c in _component_text_inputs(callback.data)}


@contextlib.asynccontextmanager
async def running_rig(
    tmp_path: Path, *, clock: Clock | None = None, start: bool = True, **overrides: Any
) -> AsyncIterator[Rig]:
    saved_base = discord.http.Route.BASE
    saved_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    root = logging.getLogger()
    saved_level = root.level
    saved_handlers = list(root.handlers)
    async with DiscordDouble(token=DISCORD_TOKEN) as dd, UseapiDouble(token=USEAPI_TOKEN) as ua:
        settings = Settings(
            discord_token=DISCORD_TOKEN,
            useapi_token=USEAPI_TOKEN,
            useapi_base_url=ua.base_url,
            discord_api_base=dd.api_base,
            discord_gateway_url=dd.gateway_url,
            database_path=tmp_path / "warden.sqlite3",
            guild_id=dd.guild_id,
            alert_channel_id=dd.alert_channel_id,
            register_cooldown=timedelta(0),
            useapi_timeout=timedelta(seconds=3),
            log_level="DEBUG",
        )
        if overrides:
            settings = replace(settings, **overrides)
        rig = Rig(discord=dd, useapi=ua, settings=settings, clock=clock)
        # The production logging set-up, at its most verbose, plus an unscrubbed capture.
        logs.configure("DEBUG", stream=rig.log_output)
        for secret in settings.secrets():
            logs.add_secret(secret)
        root.addHandler(rig.raw_logs)
        try:
            if start:
                await rig.start_bot()
            yield rig
        finally:
            await rig.stop_bot()
            root.removeHandler(rig.raw_logs)
            for handler in list(root.handlers):
                root.removeHandler(handler)
            for handler in saved_handlers:
                root.addHandler(handler)
            root.setLevel(saved_level)
            discord.http.Route.BASE = saved_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved_gateway
