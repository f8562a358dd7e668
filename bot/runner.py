"""Run the bot until Discord closes it or the process is told to stop (SIGTERM/SIGINT)."""

from __future__ import annotations

import asyncio
import logging
import signal

import discord

from bot.app import WardenBot
from bot.config import Settings
from bot.store import StoreError

log = logging.getLogger(__name__)


async def run_until_signalled(settings: Settings) -> int:
    """Exit status: 0 after a clean stop, 1 when the bot could not start or run."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bot = WardenBot(settings)
    try:
        async with bot:
            runner = asyncio.create_task(bot.start(settings.discord_token), name="discord")
            stopper = asyncio.create_task(stop.wait(), name="signals")
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if stopper in done:
                log.info("stop requested: finishing in-flight work, then closing")
                await bot.close()
            else:
                stopper.cancel()
            await runner
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
