"""Entry point: `python -m bot [run|check|healthcheck|backup PATH|audit …]` (also the `session-warden` script).

Exit status: 0 fine, 1 something is wrong (the output says what), 2 the
configuration or the command line is invalid. `healthcheck` answers 0 or 1
only, as container engines expect (Docker reserves 2).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from bot import logs
from bot.config import ConfigError, Settings, load_settings
from bot.durations import DurationError, parse_duration

if TYPE_CHECKING:
    from bot.ops._audit import AuditQuery

USAGE = """\
usage: {prog} [COMMAND]

commands:
  run             run the bot (the default)
  check           check the configuration, useapi.net and the database; print every account's expiry
  healthcheck     exit 0 while the running bot's scheduler has a recent heartbeat (no network)
  backup PATH     copy the database to PATH: a file, or a directory (an existing one, or PATH
                  ending in /, created if missing) that receives a dated copy
  audit [OPTIONS] print the audit trail, newest first (read-only); options:
                  --since 7d     only entries this recent (s, m, h, d)
                  --limit N      at most N entries (default 50); the last line gives --before
                  --before ID    the page after an earlier one: entries older than entry ID
                  --member ID    entries by or about this Discord user id
                  --service KEY  entries of one service (luma, ltx, …)
                  --json         one JSON object per line instead of a table

healthcheck, backup and audit need DATABASE_PATH only (no token); check and run need both tokens.
exit status: 0 fine, 1 something is wrong, 2 invalid configuration or command line"""
COMMANDS = ("run", "check", "healthcheck", "backup", "audit")
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


def _audit_query(options: list[str], usage: str) -> AuditQuery:
    """`audit`'s options; a wrong one exits 2 with what was wrong and the usage."""
    from bot.ops._audit import MAX_LIMIT, AuditQuery
    from bot.services import KNOWN_SERVICES

    def fail(problem: str) -> NoReturn:
        print(f"audit: {problem}\n{usage}", file=sys.stderr)
        raise SystemExit(2)

    def positive(name: str, raw: str, most: int | None = None) -> int:
        if not raw.isdigit() or int(raw) < 1:
            fail(f"{name} takes a whole number above 0, not {raw[:30]!r}")
        if most is not None and int(raw) > most:
            fail(f"{name} is at most {most}")
        return int(raw)

    values: dict[str, Any] = {}
    rest = list(options)
    while rest:
        option = rest.pop(0)
        if option == "--json":
            values["as_json"] = True
            continue
        name, has_value, raw = option.partition("=")
        if name not in ("--since", "--limit", "--before", "--member", "--service"):
            fail(f"unknown option {option[:40]!r}")
        if not has_value:
            if not rest:
                fail(f"{name} needs a value")
            raw = rest.pop(0)
        if name == "--since":
            try:
                values["since"] = parse_duration(raw)
            except DurationError as exc:
                fail(f"--since: {exc}")
        elif name == "--limit":
            values["limit"] = positive(name, raw, MAX_LIMIT)
        elif name == "--before":
            values["before_id"] = positive(name, raw)
        elif name == "--member":
            values["member_id"] = positive(name, raw)
        elif raw not in KNOWN_SERVICES:
            fail(f"--service {raw[:30]!r} is not a service; known: {', '.join(KNOWN_SERVICES)}")
        else:
            values["service"] = raw
    return AuditQuery(**values)


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
    if command == "audit":
        from bot.ops import audit

        query = _audit_query(args[1:], usage)
        settings = _settings_or_exit(need_tokens=False)
        raise SystemExit(asyncio.run(audit(settings, query, sys.stdout, sys.stderr)))
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
