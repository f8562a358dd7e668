"""Entry point: `python -m bot [run|check|healthcheck|backup PATH]` (also the `session-warden` script).

Exit status: 0 fine, 1 something is wrong (the output says what), 2 the
configuration or the command line is invalid. `healthcheck` answers 0 or 1
only, as container engines expect (Docker reserves 2).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from bot import logs
from bot.config import ConfigError, Settings, load_settings

USAGE = """\
usage: {prog} [COMMAND]

commands:
  run             run the bot (the default)
  check           check the configuration, useapi.net and the database; print every account's expiry
  healthcheck     exit 0 while the running bot's scheduler has a recent heartbeat (no network)
  backup PATH     copy the database to PATH: a file, or a directory (an existing one, or PATH
                  ending in /, created if missing) that receives a dated copy

healthcheck and backup need DATABASE_PATH only (no token); check and run need both tokens.
exit status: 0 fine, 1 something is wrong, 2 invalid configuration or command line"""
COMMANDS = ("run", "check", "healthcheck", "backup")
log = logging.getLogger("bot")


def program_name(argv0: str) -> str:
    """How the operator ran us, for the usage line: `python -m bot` or the script's own name."""
    name = os.path.basename(argv0)
    return "python -m bot" if name in ("", "__main__.py", "-c", "-m") else name


def _settings_or_exit(status: int = 2, *, need_tokens: bool = True) -> Settings:
    try:
        return load_settings(need_tokens=need_tokens)
    except ConfigError as exc:
        print("Session Warden cannot start; fix the configuration:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(status) from None


def _configure_logging(settings: Settings, level: str | None = None) -> None:
    logs.configure(level or settings.log_level)
    for secret in settings.secrets():
        logs.add_secret(secret)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    usage = USAGE.format(prog=program_name(sys.argv[0] if argv is None and sys.argv else ""))
    command = args[0] if args else "run"
    if command in ("-h", "--help", "help"):
        print(usage)
        return
    if command not in COMMANDS:
        print(f"unknown command {command!r}\n{usage}", file=sys.stderr)
        raise SystemExit(2)
    expected = 2 if command == "backup" else 1
    if len(args) != expected and not (command == "run" and not args):
        print(f"wrong arguments for {command!r}\n{usage}", file=sys.stderr)
        raise SystemExit(2)

    # Neither touches the network: the tokens are not needed, only DATABASE_PATH.
    if command == "healthcheck":
        from bot.ops import healthcheck

        settings = _settings_or_exit(status=1, need_tokens=False)
        raise SystemExit(healthcheck(settings, sys.stdout))
    if command == "backup":
        from bot.ops import backup

        settings = _settings_or_exit(need_tokens=False)
        # The raw text, not a Path: a trailing slash is how an operator says "a directory".
        raise SystemExit(backup(settings, args[1], sys.stdout))

    settings = _settings_or_exit()
    if command == "check":
        from bot.ops import check

        # The report goes to stdout; log lines (stderr) only for trouble, unless asked for DEBUG.
        _configure_logging(settings, "DEBUG" if settings.log_level == "DEBUG" else "WARNING")
        raise SystemExit(asyncio.run(check(settings, sys.stdout)))

    _configure_logging(settings)
    log.info(
        "starting Session Warden: services %s, database %s",
        ",".join(settings.services),
        settings.database_path,
    )
    import discord

    from bot.runner import run_until_signalled

    # The bot never joins voice: spare operators two WARNING lines about voice libraries at every start.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    raise SystemExit(asyncio.run(run_until_signalled(settings)))


if __name__ == "__main__":
    main()
