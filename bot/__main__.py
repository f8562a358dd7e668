"""Entry point: `python -m bot [COMMAND]` (also the `session-warden` script), one argparse
subcommand per operator command; `COMMAND --help` explains each.

Exit status: 0 fine, 1 something is wrong (the output says what), 2 the configuration or the
command line is invalid. `healthcheck` answers 0 or 1 for any configuration, as container
engines expect (Docker reserves 2). A closed output (`| head -1`, `| grep -q`) changes neither:
see bot/ops/_output.py.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from bot import logs
from bot.config import ConfigError, Settings, load_settings
from bot.durations import DurationError, parse_duration
from bot.ops._output import reader_safe_output

if TYPE_CHECKING:
    from bot.ops._audit import AuditQuery


@dataclass(frozen=True)
class Command:
    name: str
    arguments: str  # as the overview shows them
    summary: str


OVERVIEW = (
    Command("run", "", "run the bot (the default)"),
    Command(
        "check", "", "check the configuration, useapi.net and the database; print every account's expiry"
    ),
    Command(
        "healthcheck", "", "exit 0 while the running bot's scheduler has a recent heartbeat (no network)"
    ),
    Command("backup", "PATH", "copy the database to PATH: a file, or a directory that gets a dated copy"),
    Command("audit", "[OPTIONS]", "print the audit trail, newest first (read-only)"),
    Command("demo", "[--html DIR]", "see the bot work without Discord: the real bot against local stand-ins"),
)
COMMANDS = tuple(command.name for command in OVERVIEW)
NOTES = """\
`{prog} COMMAND --help` explains a command and its options.
healthcheck, backup and audit need DATABASE_PATH only (no token); check and run need both tokens;
demo needs a checkout of the repository and nothing else (no configuration, no network).
exit status: 0 fine, 1 something is wrong, 2 invalid configuration or command line
(healthcheck: 0 or 1 whatever the configuration, since Docker reserves 2)"""
FIRST_RUN = (
    "First run? Copy .env.example to .env (`cp .env.example .env`), fill in DISCORD_TOKEN and "
    "USEAPI_TOKEN, and run again; README.md, section Configuration, explains every variable."
)
log = logging.getLogger("bot")


def program_name(argv0: str) -> str:
    """How the operator ran us, for the usage line: `python -m bot` or the script's own name."""
    name = os.path.basename(argv0)
    return "python -m bot" if name in ("", "__main__.py", "-c", "-m") else name


class _Parser(argparse.ArgumentParser):
    """argparse, with errors that name the option (`--member needs a value`)."""

    def error(self, message: str) -> NoReturn:
        needs = re.fullmatch(r"argument (-[\w-]+)(?:/\S+)?: expected one argument", message)
        if needs:
            message = f"{needs.group(1)} needs a value"
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(prog: str) -> tuple[_Parser, dict[str, _Parser]]:
    """The command line, and each command's own parser (for its --help and its errors)."""
    width = max(len(f"{c.name} {c.arguments}".strip()) for c in OVERVIEW) + 2
    overview = "\n".join(f"  {f'{c.name} {c.arguments}'.strip():<{width}}{c.summary}" for c in OVERVIEW)
    parser = _Parser(
        prog=prog,
        usage="%(prog)s [COMMAND]",
        description=f"Session Warden: the Discord bot, and the commands that look after it.\n\ncommands:\n{overview}",
        epilog=NOTES.format(prog=prog),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", help=argparse.SUPPRESS, prog=prog)
    summary = {c.name: c.summary for c in OVERVIEW}
    sub: dict[str, _Parser] = {}

    def add(name: str, description: str) -> _Parser:
        sub[name] = commands.add_parser(
            name,
            help=summary[name],
            description=description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False,
        )
        return sub[name]

    add(
        "run",
        "Run the bot until SIGTERM or Ctrl-C (then exit 0). Needs DISCORD_TOKEN and USEAPI_TOKEN.\n"
        "Exit status: 0 after a clean stop, 1 when Discord refuses the token or the database fails,\n"
        "2 invalid configuration.",
    )
    add(
        "check",
        "Check the configuration, read each service's account list from useapi.net, check the\n"
        "database (creating it and applying migrations, as starting the bot would), then print\n"
        "every account's expiry. Needs both tokens; DISCORD_TOKEN is not sent to Discord.\n"
        "Exit status: 0 all good, 1 something is wrong (each FAIL line says what), 2 invalid\n"
        "configuration.",
    )
    add(
        "healthcheck",
        "Exit 0 while the running bot's scheduler wrote its heartbeat within HEALTH_MAX_AGE, else 1\n"
        "(one line says why: too old, the bot stopped, never started). Reads the database read-only,\n"
        "no network, no token. Exit status: 0 or 1 only, even for an invalid configuration.",
    )
    backup = add(
        "backup",
        "Copy the live database (safe while the bot runs) to PATH, checked and owner-only.\n"
        "Needs DATABASE_PATH only. Exit status: 0 done, 1 failed, 2 invalid configuration.",
    )
    backup.add_argument(
        "path",
        metavar="PATH",
        help="the file to write; a PATH ending in / or an existing directory gets a dated copy "
        "inside (session-warden-<UTC time>.sqlite3), the directory created if missing",
    )
    audit = add(
        "audit",
        "Print the audit trail, newest first, read-only (safe while the bot runs). Needs\n"
        "DATABASE_PATH only. Exit status: 0 read (even when nothing matches), 1 no database or\n"
        "unreadable, 2 invalid option or configuration.",
    )
    audit.add_argument("--since", metavar="DURATION", help="only entries this recent: 7d, 12h (s, m, h, d)")
    audit.add_argument(
        "--limit", metavar="N", help="at most N entries (default 50); the last line gives --before"
    )
    audit.add_argument("--before", metavar="ID", help="the page after an earlier one: entries older than ID")
    audit.add_argument("--member", metavar="ID", help="entries by or about this Discord user id")
    audit.add_argument("--service", metavar="KEY", help="entries of one service (luma, ltx, …)")
    audit.add_argument("--json", action="store_true", help="one JSON object per line instead of a table")
    demo = add(
        "demo",
        "See the bot work without a Discord application or a useapi.net account: the real bot, with\n"
        "its default settings and a temporary database, against the local stand-ins of Discord and\n"
        "useapi.net the tests use (tests/doubles/, from a checkout of the repository; no network).\n"
        "A member registers a Luma account, its first stage warning falls due, the member claims it\n"
        "(I'm on it) and renews it, and the warning is resolved. Prints what each Discord message\n"
        "shows; takes about 10 s and leaves nothing behind.\n"
        "Exit status: 0 the story ran, 1 it could not (no checkout, or a step failed: it says which),\n"
        "130 interrupted (Ctrl-C; it cleans up first).",
    )
    demo.add_argument(
        "--html", metavar="DIR", type=Path, help="also write each message as HTML, as docs/render.py draws it"
    )
    demo.add_argument("--verbose", action="store_true", help="show the bot's log lines (stderr)")
    return parser, sub


def parse(argv: list[str], prog: str) -> argparse.Namespace:
    """The command line as a namespace; exits 0 after --help, 2 with the command's usage on an error."""
    parser, sub = build_parser(prog)
    commands = ", ".join(COMMANDS)
    if argv and argv[0] == "help":  # `help` and `help COMMAND`, as before argparse
        if len(argv) > 2:
            parser.error(f"help takes one command at most, one of: {commands}")
        if len(argv) == 2 and argv[1] not in sub:
            parser.error(f"unknown command {argv[1][:40]!r}; the commands are {commands}")
        (sub[argv[1]] if len(argv) == 2 else parser).print_help()
        raise SystemExit(0)
    if argv and not argv[0].startswith("-") and argv[0] not in sub:
        parser.error(f"unknown command {argv[0][:40]!r}; the commands are {commands}")
    args, extra = parser.parse_known_args(argv)
    if extra:
        what = "unknown option" if extra[0].startswith("-") else "unexpected argument"
        sub.get(args.command, parser).error(f"{what} {extra[0][:40]!r}")
    args.command = args.command or "run"
    if args.command == "audit":
        args.query = _audit_query(args, sub["audit"])
    return args


def _audit_query(args: argparse.Namespace, parser: _Parser) -> AuditQuery:
    """`audit`'s options, checked; a wrong one exits 2 saying what was wrong."""
    from bot.ops._audit import MAX_LIMIT, AuditQuery
    from bot.services import KNOWN_SERVICES

    def positive(name: str, raw: str, most: int | None = None) -> int:
        if not raw.isdigit() or int(raw) < 1:
            parser.error(f"{name} takes a whole number above 0, not {raw[:30]!r}")
        if most is not None and int(raw) > most:
            parser.error(f"{name} is at most {most}")
        return int(raw)

    values: dict[str, Any] = {"as_json": args.json}
    if args.since is not None:
        try:
            values["since"] = parse_duration(args.since)
        except DurationError as exc:
            parser.error(f"--since: {exc}")
    if args.limit is not None:
        values["limit"] = positive("--limit", args.limit, MAX_LIMIT)
    if args.before is not None:
        values["before_id"] = positive("--before", args.before)
    if args.member is not None:
        values["member_id"] = positive("--member", args.member)
    if args.service is not None:
        if args.service not in KNOWN_SERVICES:
            known = ", ".join(KNOWN_SERVICES)
            parser.error(f"--service {args.service[:30]!r} is not a service; known: {known}")
        values["service"] = args.service
    return AuditQuery(**values)


def _settings_or_exit(err: TextIO, status: int = 2, *, need_tokens: bool = True) -> Settings:
    try:
        return load_settings(need_tokens=need_tokens)
    except ConfigError as exc:
        err.write("Session Warden cannot start; fix the configuration:\n")
        for problem in exc.problems:
            err.write(f"  - {problem}\n")
        if exc.missing_tokens:
            err.write(FIRST_RUN + "\n")
        raise SystemExit(status) from None


def _configure_logging(settings: Settings, level: str | None = None) -> None:
    logs.configure(level or settings.log_level)
    for secret in settings.secrets():
        logs.add_secret(secret)


def main(argv: list[str] | None = None) -> None:
    with reader_safe_output() as (out, err):
        prog = program_name(sys.argv[0] if argv is None and sys.argv else "")
        try:
            args = parse(sys.argv[1:] if argv is None else argv, prog)
        except SystemExit as done:
            if done.code:
                raise
            return  # --help
        status = _run(args, out, err)
    if status:
        raise SystemExit(status)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    command: str = args.command
    if command == "demo":
        from bot.ops import demo

        return demo(out, err, html=args.html, verbose=args.verbose)
    # Neither touches the network: the tokens are not needed, only DATABASE_PATH.
    if command == "healthcheck":
        from bot.ops import healthcheck

        return healthcheck(_settings_or_exit(err, status=1, need_tokens=False), out)
    if command == "backup":
        from bot.ops import backup

        # The raw text, not a Path: a trailing slash is how an operator says "a directory".
        return backup(_settings_or_exit(err, need_tokens=False), args.path, out)
    if command == "audit":
        from bot.ops import audit

        settings = _settings_or_exit(err, need_tokens=False)
        return asyncio.run(audit(settings, args.query, out, err))

    settings = _settings_or_exit(err)
    if command == "check":
        from bot.ops import check

        # The report goes to stdout; log lines (stderr) only for trouble, unless asked for DEBUG.
        _configure_logging(settings, "DEBUG" if settings.log_level == "DEBUG" else "WARNING")
        return asyncio.run(check(settings, out))

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
    return asyncio.run(run_until_signalled(settings))


if __name__ == "__main__":
    main()
