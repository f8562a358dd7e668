"""Operator commands that never touch Discord: `check`, `healthcheck` and `backup`.

Each returns the process exit status and writes a short report to `out`:
0 when all is well, 1 when something is wrong (the report says what). An invalid
configuration is reported by `bot.__main__` with status 2 before these run.

`check` opens the database the way the bot does (creating it and applying any
pending migration), then only reads: it never records what useapi.net answers.
`healthcheck` opens the database read-only with the standard library's sqlite3,
so it stays fast, needs no network and creates nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot import settings
from bot.config import Settings
from bot.durations import format_duration

if TYPE_CHECKING:
    import httpx

    from bot.models import TrackedAccount
    from bot.store import Store
    from bot.useapi import AccountInfo, UseapiError

# Written by the scheduler (bot/watch.py) at every pass.
HEARTBEAT_KEY = settings.HEARTBEAT.key
# Less free space than this next to the database is reported as a problem.
MIN_FREE_BYTES = 1 << 20
# healthcheck tolerates a heartbeat this far in the future (clocks of two processes, rounding).
CLOCK_SLACK = timedelta(seconds=60)


def _label(service: str) -> str:
    from bot.services import label

    return label(service)


def _printable(text: str, limit: int = 60) -> str:
    """Upstream text made safe for a terminal: no control characters, bounded length."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def iso_utc(value: datetime | None) -> str:
    if value is None:
        return "unknown"
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def relative(delta: timedelta) -> str:
    """The two largest units: `2d 3h`, `5h 12m`, `14m`, `<1m`; past times read `3h 5m ago`."""
    seconds = abs(int(delta.total_seconds()))
    units = [(seconds // 86400, "d"), (seconds % 86400 // 3600, "h"), (seconds % 3600 // 60, "m")]
    first = next((i for i, (count, _) in enumerate(units) if count), None)
    text = "<1m" if first is None else " ".join(f"{n}{u}" for n, u in units[first : first + 2] if n)
    return f"{text} ago" if delta < timedelta(0) else text


# -- check ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    service: str
    account: str
    expires_at: datetime | None
    source: str  # "upstream": read from useapi.net just now; "tracked": the bot's database only
    note: str = ""


@dataclass
class Report:
    out: TextIO
    problems: int = 0

    def line(self, topic: str, status: str, text: str) -> None:
        self.out.write(f"{topic:<14} {status:<4}  {text}\n")

    def ok(self, topic: str, text: str) -> None:
        self.line(topic, "ok", text)

    def note(self, topic: str, text: str) -> None:
        self.line(topic, "note", text)

    def fail(self, topic: str, text: str) -> None:
        self.problems += 1
        self.line(topic, "FAIL", text)


def _looks_like_bot_token(token: str) -> bool:
    parts = token.split(".")
    return len(parts) == 3 and all(parts) and len(token) >= 50


def _operator_reason(exc: UseapiError) -> str:
    """Why a useapi.net call failed, worded for the person who runs the bot."""
    from bot.useapi import Failure

    said = f' (useapi.net said "{_printable(exc.detail, 120)}")' if exc.detail else ""
    match exc.failure:
        case Failure.UNAUTHORIZED:
            return "useapi.net refused USEAPI_TOKEN (HTTP 401): copy the API token from useapi.net again"
        case Failure.PAYMENT_REQUIRED:
            return f"the useapi.net subscription has lapsed or has no credits (HTTP 402){said}"
        case Failure.UNAVAILABLE:
            return f"not available on useapi.net right now (HTTP {exc.status})"
        case Failure.RATE_LIMITED:
            return f"useapi.net is rate limiting this token (HTTP {exc.status}); try again later"
        case Failure.TIMEOUT:
            return "useapi.net did not answer within USEAPI_TIMEOUT"
        case Failure.CONNECTION:
            return "cannot connect to USEAPI_BASE_URL (DNS, firewall or proxy?)"
        case Failure.BAD_RESPONSE:
            return "useapi.net sent an answer that is not the documented account list"
        case _:
            return f"useapi.net answered HTTP {exc.status}{said}"


async def _check_database(settings: Settings, report: Report) -> Store | None:
    from bot.store import Store, StoreError, migrations

    path = settings.database_path
    existed = path.exists()
    try:
        store = await Store.open(path)
    except StoreError as exc:
        report.fail("database", f"{exc}")
        return None
    try:
        async with store.db.execute("PRAGMA quick_check") as cur:
            verdict = await cur.fetchone()
        if verdict is None or verdict[0] != "ok":
            report.fail("database", f"{path} is damaged (quick_check: {verdict[0] if verdict else '?'})")
            return store
        # Prove the file can be written without changing it: one write, rolled back.
        await store.db.execute("BEGIN IMMEDIATE")
        try:
            await store.db.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES ('check_write_probe', '')"
            )
        finally:
            await store.db.rollback()
    except sqlite3.Error as exc:
        report.fail("database", f"cannot write {path}: {exc}")
        return store
    version = await store.schema_version()
    known = len(migrations())
    free = shutil.disk_usage(path.resolve().parent).free
    made = "created, " if not existed else ""
    text = f"{path}: {made}schema version {version}, writable, {free / 1e6:,.0f} MB free"
    if free < MIN_FREE_BYTES:
        report.fail("database", f"{path}: the disk is full ({free} bytes free)")
    elif version > known:
        report.fail("database", f"{text}; written by a newer Session Warden (knows {known}): upgrade")
    else:
        report.ok("database", text)
    return store


async def _check_useapi(
    settings: Settings, report: Report, transport: httpx.AsyncBaseTransport | None
) -> dict[str, list[AccountInfo] | None]:
    """Every known service's upstream account list, or None when it could not be read.

    Services switched off in SERVICES are read too, so an operator learns which ones have
    accounts on useapi.net that this bot does not watch; they never fail the check.
    """
    import httpx

    from bot.services import KNOWN_SERVICES, build_services
    from bot.useapi import UseapiError

    found: dict[str, list[AccountInfo] | None] = {}
    timeout = settings.useapi_timeout.total_seconds()
    async with httpx.AsyncClient(
        transport=transport, timeout=timeout, headers={"User-Agent": "session-warden/0.1 check"}
    ) as http:
        services = build_services(
            http,
            base_url=settings.useapi_base_url,
            token=settings.useapi_token,
            timeout=timeout,
            enabled=KNOWN_SERVICES,
        )
        for key, service in services.items():
            topic = "useapi.net"
            switched_on = key in settings.services
            try:
                accounts = await service.list_accounts()
            except UseapiError as exc:
                found[key] = None
                reason = _operator_reason(exc)
                if not switched_on:
                    report.note(
                        topic, f"{service.label}: switched off here; its list could not be read ({reason})"
                    )
                elif service.may_be_retired and exc.status in (404, 410):
                    report.note(topic, f"{service.label}: {reason}; remove it from SERVICES if unused")
                else:
                    report.fail(topic, f"{service.label}: {reason}")
                continue
            found[key] = accounts
            if not switched_on:
                report.note(
                    topic,
                    f"{service.label}: {len(accounts)} account(s) on useapi.net, switched off here: "
                    f"add {key} to SERVICES to watch them"
                    if accounts
                    else f"{service.label}: switched off here, no account on useapi.net",
                )
            elif accounts:
                report.ok(topic, f"{service.label}: token accepted, {len(accounts)} account(s) configured")
            else:
                report.ok(topic, f"{service.label}: token accepted, no account configured yet")
    return found


def merge_rows(
    tracked: Iterable[TrackedAccount],
    upstream: dict[str, list[AccountInfo] | None],
    now: datetime,
    enabled: Collection[str] | None = None,
) -> list[Row]:
    """One row per account: upstream's fresh expiry where it was read, else the bot's record.
    Accounts of services not in `enabled` (default: every service read) say they are not watched."""
    on = set(upstream) if enabled is None else set(enabled)
    rows: dict[tuple[str, str], tuple[datetime | None, str, list[str]]] = {}
    for acc in tracked:
        if acc.service not in upstream or acc.service not in on:
            note = "service switched off in SERVICES"
        elif upstream[acc.service] is None:
            note = "useapi.net could not be read"
        else:
            note = "not on useapi.net any more"
        rows[(acc.service, acc.account)] = (acc.expires_at, "tracked", [note])
    for service, accounts in upstream.items():
        for info in accounts or ():
            key = (service, info.account)
            if service not in on:
                notes = ["switched off in SERVICES: not watched"]
            else:
                notes = [] if key in rows else ["not tracked yet (the next sync adds it)"]
            if info.error:
                notes.append(f"useapi.net: {_printable(info.error)}")
            rows[key] = (info.expires_at, "upstream", notes)
    result = []
    for (service, account), (expires_at, source, notes) in rows.items():
        if expires_at is not None and expires_at <= now:
            notes.insert(0, "EXPIRED")
        result.append(Row(service, account, expires_at, source, "; ".join(notes)))
    far = datetime.max.replace(tzinfo=UTC)
    result.sort(key=lambda r: (r.expires_at or far, r.service, r.account))
    return result


def format_table(rows: Sequence[Row], now: datetime) -> str:
    header = ("service", "account", "expires (UTC)", "in", "source", "note")
    body = [
        (
            _label(r.service),
            _printable(r.account),
            iso_utc(r.expires_at),
            relative(r.expires_at - now) if r.expires_at else "?",
            r.source,
            r.note,
        )
        for r in rows
    ]
    widths = [max(len(cells[i]) for cells in (header, *body)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()
        for cells in (header, *body)
    ]
    return "\n".join(lines) + "\n"


async def check(
    settings: Settings,
    out: TextIO,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    now: datetime | None = None,
) -> int:
    """Validate a loaded configuration against the database and useapi.net; 0 when all is well."""
    report = Report(out)
    services = ", ".join(settings.services)
    report.ok("configuration", f"services {services}; USEAPI_BASE_URL {settings.useapi_base_url}")
    if not _looks_like_bot_token(settings.discord_token):
        report.note(
            "configuration", "DISCORD_TOKEN does not look like a bot token (not checked with Discord)"
        )

    store = await _check_database(settings, report)
    tracked: list[TrackedAccount] = []
    try:
        upstream = await _check_useapi(settings, report, transport)
        if store is not None:
            try:
                tracked = await store.list_accounts()
            except sqlite3.Error as exc:
                report.fail("database", f"cannot read the tracked accounts: {exc}")
    finally:
        if store is not None:
            await store.close()

    now = now or datetime.now(UTC)
    rows = merge_rows(tracked, upstream, now, settings.services)
    out.write("\n")
    if rows:
        out.write(format_table(rows, now))
    else:
        unread = any(accounts is None for accounts in upstream.values())
        out.write(
            "No account is tracked"
            + (" (and useapi.net could not be read).\n" if unread else " or configured yet.\n")
        )
    out.write("\n")
    if report.problems:
        out.write(f"check failed: {report.problems} problem(s), see FAIL above\n")
        return 1
    out.write("check passed\n")
    return 0


# -- healthcheck -----------------------------------------------------------------------------------


def read_heartbeat(path: Path) -> datetime:
    """The scheduler's last heartbeat; raises LookupError with a sentence when there is none."""
    if not path.is_file():
        raise LookupError(f"no database at {path}: the bot has not started here")
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=2)
    except sqlite3.Error as exc:
        raise LookupError(f"cannot open {path} read-only: {exc}") from exc
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (HEARTBEAT_KEY,)).fetchone()
    except sqlite3.Error as exc:
        raise LookupError(f"cannot read {path}: {exc}") from exc
    finally:
        conn.close()
    if row is None:
        raise LookupError("no scheduler heartbeat yet: the bot is starting or its scheduler never ran")
    raw = str(row[0]).strip()
    if not raw.isdigit():
        raise LookupError(f"the scheduler heartbeat {raw[:20]!r} is not a Unix time")
    return datetime.fromtimestamp(int(raw), tz=UTC)


def healthcheck(settings: Settings, out: TextIO, *, now: datetime | None = None) -> int:
    """0 while the scheduler's heartbeat is younger than HEALTH_MAX_AGE, else 1; one line either way."""
    now = now or datetime.now(UTC)
    limit = settings.health_max_age
    try:
        beat = read_heartbeat(settings.database_path)
    except LookupError as exc:
        out.write(f"unhealthy: {exc}\n")
        return 1
    age = now - beat
    if age < -CLOCK_SLACK:
        out.write(f"unhealthy: the scheduler heartbeat is {relative(-age)} in the future; check the clock\n")
        return 1
    shown = format_duration(max(age, timedelta(0)))
    if age > limit:
        out.write(
            f"unhealthy: last scheduler heartbeat {shown} ago ({iso_utc(beat)}), "
            f"older than HEALTH_MAX_AGE={format_duration(limit)}\n"
        )
        return 1
    out.write(f"healthy: scheduler heartbeat {shown} ago (limit {format_duration(limit)})\n")
    return 0


# -- backup ------------------------------------------------------------------------------------------


def backup_target(destination: str | os.PathLike[str], now: datetime) -> tuple[Path, bool]:
    """The file to write, and whether `destination` names a directory to create first.

    A directory is an existing one or a path ending in a slash (`/data/backups/`, as in a nightly
    cron line, before the folder exists); it receives a dated file. Anything else is the file.
    """
    raw = os.fspath(destination)
    path = Path(raw)
    if raw.endswith(("/", os.sep)) or path.is_dir():
        return path / f"session-warden-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.sqlite3", True
    return path, False


def backup(
    settings: Settings, destination: str | os.PathLike[str], out: TextIO, *, now: datetime | None = None
) -> int:
    """Copy the live database (safe while the bot runs) to `destination`, atomically."""
    source = settings.database_path
    if not source.is_file():
        out.write(f"backup failed: no database at {source}\n")
        return 1
    destination, is_directory = backup_target(destination, now or datetime.now(UTC))
    if destination.resolve() == source.resolve():
        out.write("backup failed: the destination is the live database itself\n")
        return 1
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        what = "directory" if is_directory else "folder for the file"
        out.write(f"backup failed: cannot create the {what} {destination.parent}: {exc.strerror or exc}\n")
        return 1
    fd, tmp_name = tempfile.mkstemp(prefix=".backup-", suffix=".sqlite3", dir=destination.parent)
    os.close(fd)  # mkstemp made it 0600: account emails and user ids are team business
    tmp = Path(tmp_name)
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
                verdict = dst.execute("PRAGMA quick_check").fetchone()
                # A single file is easier to move around than one with -wal/-shm beside it.
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        if verdict is None or verdict[0] != "ok":
            out.write(f"backup failed: the copy does not pass quick_check ({verdict})\n")
            return 1
        os.replace(tmp, destination)
    except (OSError, sqlite3.Error) as exc:
        out.write(f"backup failed: {exc}\n")
        return 1
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    size = destination.stat().st_size
    out.write(f"backed up {source} to {destination} ({size:,} bytes)\n")
    return 0
