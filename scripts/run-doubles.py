"""Serve the Discord and useapi.net test doubles on 127.0.0.1 until stopped (Ctrl-C or SIGTERM).

    uv run python scripts/run-doubles.py [--env-file PATH]

Prints the variables that point a Session Warden at them (and writes them to --env-file, in
`docker run --env-file` form), then one line per thing worth seeing: a gateway IDENTIFY, a
command sync. The useapi.net double knows one Luma account, so `check` has something to show.
Used by scripts/docker-smoke; handy by hand to run the bot against something harmless.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.doubles.discord_double import DiscordDouble
from tests.doubles.useapi_double import UseapiDouble

# Test values, not secrets; a real token never goes near the doubles.
DISCORD_TOKEN = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.Gx7Kq2.docker-smoke-token-Zx9Qw8"  # noqa: S105
USEAPI_TOKEN = "user:4242-docker-smoke-token-Vb7Nm3"  # noqa: S105


def say(line: str) -> None:
    print(line, flush=True)


async def serve(env_file: Path | None) -> None:
    async with (
        DiscordDouble(token=DISCORD_TOKEN) as discord,
        UseapiDouble(token=USEAPI_TOKEN) as useapi,
    ):
        useapi.set_luma_account("studio@example.com", dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
        env = {
            "DISCORD_TOKEN": DISCORD_TOKEN,
            "USEAPI_TOKEN": USEAPI_TOKEN,
            "DISCORD_API_BASE": discord.api_base,
            "DISCORD_GATEWAY_URL": discord.gateway_url,
            "USEAPI_BASE_URL": useapi.base_url,
        }
        lines = [f"{name}={value}" for name, value in env.items()]
        if env_file is not None:
            await asyncio.to_thread(env_file.write_text, "\n".join(lines) + "\n", encoding="utf-8")
        for line in lines:
            say(line)
        say("doubles ready")

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        identifies, synced = 0, None
        while not stop.is_set():
            if discord.identify_count != identifies:
                identifies = discord.identify_count
                say(f"discord: IDENTIFY number {identifies}")
            commands = sorted(c["name"] for c in discord.synced_commands)
            if commands and commands != synced:
                synced = commands
                say(f"discord: {len(commands)} global commands synced: {', '.join(commands)}")
            try:
                await asyncio.wait_for(stop.wait(), 0.2)
            except TimeoutError:
                pass
        say(f"stopping; useapi.net double answered {len(useapi.requests)} request(s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-file", type=Path, help="also write the variables here (KEY=value lines)")
    asyncio.run(serve(parser.parse_args().env_file))


if __name__ == "__main__":
    main()
