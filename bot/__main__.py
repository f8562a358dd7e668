"""Entry point: `python -m bot [run|check|healthcheck]` (also the `session-warden` script)."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot import logs
from bot.config import ConfigError, Settings, load_settings

USAGE = "usage: python -m bot [run|check|healthcheck]"
log = logging.getLogger("bot")


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print("Session Warden cannot start; fix the configuration:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(2) from None


async def _run(settings: Settings) -> None:
    from bot.app import WardenBot

    async with WardenBot(settings) as bot:
        await bot.start(settings.discord_token)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "run"
    if command in ("-h", "--help"):
        print(USAGE)
        return
    if command != "run":
        print(f"unknown command {command!r}\n{USAGE}", file=sys.stderr)
        raise SystemExit(2)
    settings = _settings_or_exit()
    logs.configure(settings.log_level)
    for secret in settings.secrets():
        logs.add_secret(secret)
    try:
        asyncio.run(_run(settings))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
