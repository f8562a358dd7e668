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
from typing import Any, TextIO

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
from bot.team_account import Verdict, decide_auto, listed, match_service, switched_on
from bot.useapi import AccountInfo, Failure, UseapiError
from bot.useapi.account import AccountSummary, read_account_summary

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
    settings: Settings,
    report: Report,
    transport: httpx.AsyncBaseTransport | None,
    tracked: dict[str, int],
) -> tuple[dict[str, list[AccountInfo] | None], tuple[str, ...]]:
    """The team's account summary, every known service's upstream account list (None when it
    could not be read), and the services switched on (SERVICES, or decided as SERVICES=auto
    decides with what was just read and `tracked`, the bot's present accounts per service).

    Services switched off are read too, so an operator learns which ones have accounts on
    useapi.net that this bot does not watch; they never fail the check.
    """
    found: dict[str, list[AccountInfo] | None] = {}
    failures: dict[str, UseapiError] = {}
    http, services = open_useapi(
        settings, transport=transport, enabled=KNOWN_SERVICES, user_agent="session-warden/0.1 check"
    )
    async with http:
        summary = await _check_account(services, report)
        for key, service in services.items():
            try:
                found[key] = await service.list_accounts()
            except UseapiError as exc:
                found[key] = None
                failures[key] = exc
    retired = {
        key
        for key, exc in failures.items()
        if exc.failure is Failure.UNAVAILABLE and listed(summary, key)[0] is False
    }
    verdicts: dict[str, Verdict] = {}
    if settings.auto_services:
        counts = {key: None if accounts is None else len(accounts) for key, accounts in found.items()}
        verdicts = decide_auto(summary, tracked=tracked, retired=retired, lists=counts)
        enabled = switched_on(verdicts)
        report.ok("services", f"SERVICES=auto switches on: {', '.join(enabled) or 'nothing'}")
    else:
        enabled = settings.services
    _report_summary(summary, report, enabled)
    for key, service in services.items():
        topic = "useapi.net"
        on = key in enabled
        why = f" (auto: {verdicts[key].why})" if key in verdicts else ""
        accounts = found[key]
        if accounts is None:
            failure = failures[key]
            reason = _operator_reason(failure)
            if not on:
                report.note(
                    topic, f"{service.label}: switched off here{why}; its list could not be read ({reason})"
                )
            elif service.may_be_retired and failure.status in (404, 410):
                report.note(topic, f"{service.label}: {reason}; remove it from SERVICES if unused")
            else:
                report.fail(topic, f"{service.label}: {reason}")
            continue
        if not on and settings.auto_services:
            report.note(topic, f"{service.label}: switched off{why}")
        elif not on:
            report.note(
                topic,
                f"{service.label}: {len(accounts)} account(s) on useapi.net, switched off here: "
                f"add {key} to SERVICES to watch them"
                if accounts
                else f"{service.label}: switched off here, no account on useapi.net",
            )
        elif accounts:
            report.ok(topic, f"{service.label}: token accepted, {len(accounts)} account(s) configured{why}")
        else:
            report.ok(topic, f"{service.label}: token accepted, no account configured yet{why}")
    return found, tuple(enabled)


async def _check_account(services: dict[str, Any], report: Report) -> AccountSummary | None:
    """GET /v2/account: the subscription. An unreadable summary is a note (the lists below say
    whether the token works); a subscription useapi.net says is not active is a failure."""
    transport = next(iter(services.values())).transport
    try:
        summary = await read_account_summary(transport)
    except UseapiError as exc:
        report.note("account", f"useapi.net's account summary could not be read ({_operator_reason(exc)})")
        return None
    parts = []
    if summary.subscriptions is not None:
        parts.append(f"{summary.subscriptions} subscription(s)")
    if summary.max_accounts_per_api is not None:
        parts.append(f"{summary.max_accounts_per_api} account(s) per API")
    if summary.renewed is not None:
        parts.append(f"last renewed {summary.renewed.isoformat()}")
    details = f" ({', '.join(parts)})" if parts else ""
    if summary.subscription_active is False:
        report.fail(
            "account",
            f"the team's useapi.net subscription is not active: nothing can be rendered{details}; "
            "renew it on useapi.net",
        )
    elif summary.subscription_active is None:
        report.note("account", f"subscription: unknown (useapi.net did not say){details}")
    else:
        report.ok("account", f"subscription active{details}")
    if summary.unreadable:
        report.note("account", f"read as unknown: {', '.join(summary.unreadable)}")
    return summary


def _report_summary(summary: AccountSummary | None, report: Report, enabled: Collection[str]) -> None:
    """One line per API in the summary: its slots, its module, switched on or off and why."""
    if summary is None:
        return
    if summary.accounts is None:
        report.note("account", "no readable `accounts` in the summary: slots unknown")
        return
    if not summary.accounts:
        report.ok("account", "no API has an account yet")
    cap = summary.max_accounts_per_api
    for slots in summary.accounts:
        service = match_service(slots.name)
        total = "?" if slots.total is None else slots.total
        text = f"{printable(slots.name)}: {total} of {cap if cap is not None else '?'} slots"
        problem = False
        if slots.error:
            text += f", {slots.error} in error"
            problem = True
            if cap is not None and slots.total is not None and slots.total >= cap:
                text += ": a broken account holds a slot"
        elif slots.error is None:
            text += ", errors unknown"
        if service is None:
            text += " · no module in this bot: not watched"
        else:
            state = "switched on" if service in enabled else "switched off here"
            text += f" · {label(service)}, {state}"
        (report.note if problem else report.ok)("account", text)


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
    services = (
        "auto (decided from useapi.net's answers, below)"
        if settings.auto_services
        else ", ".join(settings.services)
    )
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
        if store is not None:
            try:
                tracked = await store.list_accounts()
            except sqlite3.Error as exc:
                report.fail("database", f"cannot read the tracked accounts: {exc}")
        present: dict[str, int] = {}
        for acc in tracked:
            if acc.gone_at is None:
                present[acc.service] = present.get(acc.service, 0) + 1
        upstream, enabled = await _check_useapi(settings, report, transport, present)
    finally:
        if store is not None:
            await store.close()

    now = now or datetime.now(UTC)
    rows = merge_rows(tracked, upstream, now, enabled)
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
