"""Run the bot until Discord closes it or the process is told to stop (SIGTERM/SIGINT).

Discord may be unreachable when the process starts (DNS not up yet in a fresh container, an
outage): instead of a traceback and an exit (a crash loop under `restart: unless-stopped`, with
a command sync at every start), the first contact is retried with capped exponential backoff,
one log line per attempt. A token Discord refuses (401) exits 1 at once: retrying cannot help.
Once connected, discord.py reconnects the gateway by itself.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Iterator
from typing import TypeVar

import aiohttp
import discord

from bot.app import WardenBot
from bot.config import Settings
from bot.store import StoreError

log = logging.getLogger(__name__)

FIRST_RETRY = 2.0  # seconds before the second attempt to reach Discord
LONGEST_RETRY = 300.0  # the backoff doubles up to this

T = TypeVar("T")


class _Stopped(Exception):
    """SIGTERM/SIGINT arrived while waiting."""


def retry_delays(first: float = FIRST_RETRY, longest: float = LONGEST_RETRY) -> Iterator[float]:
    """2, 4, 8 … seconds, then `longest` for ever."""
    delay = first
    while True:
        yield min(delay, longest)
        delay *= 2


def unreachable_reason(exc: BaseException) -> str | None:
    """Why Discord could not be reached, when `exc` (or what it was raised from) says so; else None.

    Network failures and Discord's own 5xx are worth waiting out; anything else (a refused token,
    a bug) is not. The chain is walked because discord.py can fail on its own state after a
    network error on the very first gateway connection.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, discord.LoginFailure | discord.PrivilegedIntentsRequired | StoreError):
            return None
        if isinstance(seen, discord.DiscordServerError):
            return f"Discord answered HTTP {seen.status}"
        if isinstance(seen, aiohttp.ClientError | OSError | TimeoutError | discord.GatewayNotFound):
            return str(seen) or type(seen).__name__
        seen = seen.__cause__ or seen.__context__
    return None


async def _unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T:
    """`work`'s result, or _Stopped (with `work` cancelled) as soon as `stop` is set."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise _Stopped
    return task.result()


async def _reset_http(bot: WardenBot) -> None:
    """Close the REST session a failed attempt left, so the next one starts afresh (discord.py
    opens a new session per login on the same connector, which closing the session closes)."""
    await bot.http.close()
    bot.http.connector = discord.utils.MISSING


async def _log_in(bot: WardenBot, token: str, stop: asyncio.Event) -> None:
    """Log in (which runs setup_hook: extensions, command sync), retrying while Discord is out of
    reach. The REST probe before each login keeps it to one log line per failed attempt."""
    delays = retry_delays()
    while True:
        try:
            await _unless_stopped(bot.http.static_login(token), stop)
            await _reset_http(bot)
            await _unless_stopped(bot.login(token), stop)
            return
        except _Stopped:
            raise
        except Exception as exc:
            reason = unreachable_reason(exc)
            if reason is None:
                raise
            delay = next(delays)
            log.warning("cannot reach Discord (%s); retrying in %.0f s", reason, delay)
            await _reset_http(bot)
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                continue
            raise _Stopped from None


async def _run_gateway(bot: WardenBot, stop: asyncio.Event) -> None:
    """Run the gateway until Discord closes it or `stop` is set. discord.py reconnects a session
    by itself, but fails on its own state when the very first connection cannot be made: that
    one is retried here like the login."""
    delays = retry_delays()
    while True:
        runner = asyncio.create_task(bot.connect(), name="discord")
        stopper = asyncio.create_task(stop.wait(), name="signals")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("stop requested: finishing in-flight work, then closing")
            await bot.close()
            await runner
            return
        stopper.cancel()
        try:
            await runner
            return
        except Exception as exc:
            reason = unreachable_reason(exc)
            if reason is None or bot.ws is not None:  # bot.ws: a first connection was made
                raise
            delay = next(delays)
        log.warning("cannot reach Discord's gateway (%s); retrying in %.0f s", reason, delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            continue
        log.info("stop requested before Discord's gateway answered: closing")
        await bot.close()
        return


async def run_until_signalled(settings: Settings) -> int:
    """Exit status: 0 after a clean stop, 1 when the bot could not start or run."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bot = WardenBot(settings, settle_heap=True)
    try:
        async with bot:
            await bot.open_resources()
            try:
                await _log_in(bot, settings.discord_token, stop)
            except _Stopped:
                log.info("stop requested before Discord answered: closing")
                await bot.close()
                log.info("stopped cleanly")
                return 0
            await _run_gateway(bot, stop)
    except discord.LoginFailure:
        log.error("Discord refused DISCORD_TOKEN: check the bot token in the Developer Portal")
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error("Discord refused the gateway intents")
        return 1
    except StoreError as exc:
        log.error("database problem: %s", exc)
        return 1
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    log.info("stopped cleanly")
    return 0
