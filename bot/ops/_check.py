"""`check`: the configuration, the database and every service's useapi.net list, and a table of
every account's expiry.

It opens the database the way the bot does (creating it and applying any pending migration),
then only reads: it never records what useapi.net answers. It does not contact Discord: the alert
channel line says what is configured and what the running bot last learned when posting there
(bot/deliverability.py keeps it in the database).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

import httpx

from bot import settings as stored
from bot.config import Settings
from bot.deliverability import stored_problem
from bot.delivery import Problem
from bot.models import TrackedAccount
from bot.ops._text import iso_utc, printable, relative, table
from bot.resources import open_useapi
from bot.services import KNOWN_SERVICES, label
from bot.store import Store, StoreError, migrations
from bot.useapi import AccountInfo, Failure, UseapiError

# Less free space than this next to the database is reported as a problem.
MIN_FREE_BYTES = 1 << 20


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
    said = f' (useapi.net said "{printable(exc.detail, 120)}")' if exc.detail else ""
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
    """The database, open, for the caller to close; None when it could not be opened."""
    path = settings.database_path
    existed = path.exists()
    try:
        store = await Store.open(path)
    except StoreError as exc:
        report.fail("database", f"{exc}")
        return None
    try:
        await _report_database(store, existed, report)
    except BaseException:
        # Closed on every way out: an open aiosqlite connection's thread keeps the process alive.
        await store.close()
        raise
    return store


async def _report_database(store: Store, existed: bool, report: Report) -> None:
    path = store.path
    try:
        verdict = await store.quick_check()
        if verdict != "ok":
            report.fail("database", f"{path} is damaged (quick_check: {verdict})")
            return
        await store.probe_write()
    except sqlite3.Error as exc:
        report.fail("database", f"cannot write {path}: {exc}")
        return
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


async def _check_alert_channel(settings: Settings, store: Store, report: Report) -> None:
    """Where warnings go, and whether the running bot could post there at its last attempt."""
    topic = "alert channel"
    chosen = await stored.ALERT_CHANNEL.get(store)
    channel = chosen or settings.alert_channel_id
    if channel is None:
        report.note(
            topic,
            "not set: no warning can be posted until ALERT_CHANNEL_ID is set or an admin picks "
            "one with /alerts channel",
        )
        return
    where = f"{channel} ({'set with /alerts channel' if chosen else 'ALERT_CHANNEL_ID'})"
    problem = await stored_problem(store)
    if problem is None or (problem.channel_id != channel and problem.problem is not Problem.UNREACHABLE):
        report.ok(topic, f"{where}; not checked with Discord (the bot says so when posting fails)")
        return
    said = (
        f"{where}: the running bot could not post there (since {iso_utc(problem.since)}): "
        f"{printable(problem.reason, 200)}"
    )
    if problem.retry_at is not None:
        said += f"; it tries again at {iso_utc(problem.retry_at)}, or at once {problem.sooner}"
    if problem.problem is Problem.UNREACHABLE:
        report.note(topic, said)
    else:
        report.fail(topic, said)


async def _check_useapi(
    settings: Settings, report: Report, transport: httpx.AsyncBaseTransport | None
) -> dict[str, list[AccountInfo] | None]:
    """Every known service's upstream account list, or None when it could not be read.

    Services switched off in SERVICES are read too, so an operator learns which ones have
    accounts on useapi.net that this bot does not watch; they never fail the check.
    """
    found: dict[str, list[AccountInfo] | None] = {}
    http, services = open_useapi(
        settings, transport=transport, enabled=KNOWN_SERVICES, user_agent="session-warden/0.1 check"
    )
    async with http:
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
                notes.append(f"useapi.net: {printable(info.error)}")
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
            label(r.service),
            printable(r.account),
            iso_utc(r.expires_at),
            relative(r.expires_at - now) if r.expires_at else "?",
            r.source,
            r.note,
        )
        for r in rows
    ]
    return table(header, body)


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
        if store is not None:
            try:
                await _check_alert_channel(settings, store, report)
            except sqlite3.Error as exc:
                report.fail("alert channel", f"cannot read the alert channel's settings: {exc}")
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
