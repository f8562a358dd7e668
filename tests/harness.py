"""Run the real bot (real discord.py, HTTP and SQLite) against the local doubles.

`Rig` starts a Discord double and a useapi.net double on 127.0.0.1, points a
WardenBot at them purely through its Settings, and captures every log line
from every logger at DEBUG so tests can look for secrets in them.

Secret sweep: when a `running_rig` block ends without an exception, `sweep(rig)` looks for
every secret the scenario used (both tokens, every credential the useapi.net double was
taught, every cookie value posted to it or typed into a form) in every request and gateway
frame the Discord double received, every log line (raw and as formatted), every byte of the
database files and the audit command's output (`audit` and `audit --json`, run on each of the
rig's databases after the bot stopped), and fails the test on a find. What a member typed into
a secret field is looked for harder: every run of 8 characters of it (each cookie's name and
value, each `name=value` of a header, or the whole of a bare paste), but runs that are the
bot's own words (its fixed sentences and form texts: `bot_vocabulary`). The Discord token may
appear only where it belongs: the `Authorization` header of REST calls and the token of
IDENTIFY/RESUME. `SWEEPS` keeps every sweep's result for the session. A test that leaks on
purpose passes `sweep_secrets=False` and calls `sweep(rig)` itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import json
import logging
import re
import string
import sys
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import discord

from bot import logs
from bot.app import WardenBot
from bot.clock import Clock
from bot.config import Settings
from tests.doubles.discord_double import CallbackResult, DiscordDouble
from tests.doubles.useapi_double import UseapiDouble
from tests.e2e import require_e2e

DISCORD_TOKEN = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.Gx7Kq2.discord-bot-token-Zx9Qw8"
USEAPI_TOKEN = "user:4242-useapi-api-token-Vb7Nm3"


class RawRecords(logging.Handler):
    """Keeps each record's message unscrubbed: the strictest view of what was logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@dataclass
class Rig:
    discord: DiscordDouble
    useapi: UseapiDouble
    settings: Settings
    clock: Clock | None = None
    bot: WardenBot | None = None
    raw_logs: RawRecords = field(default_factory=RawRecords)
    log_output: io.StringIO = field(default_factory=io.StringIO)
    extra_secrets: set[str] = field(default_factory=set)  # more values the sweep must not find
    database_paths: set[Path] = field(default_factory=set)  # every database a bot of this rig used
    alerts_autostart: bool = True  # False: no scheduler loop; the test runs each pass itself
    # (where, text) of `audit` and `audit --json` on each database, read once the bot stopped.
    audit_output: list[tuple[str, str]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def add_secret(self, value: str) -> None:
        """Have the end-of-rig sweep look for this value too."""
        self.extra_secrets.add(value)

    async def start_bot(self, **overrides: Any) -> WardenBot:
        """Start a WardenBot (again, after stop_bot: a restart on the same database)."""
        if overrides:
            self.settings = replace(self.settings, **overrides)
        self.database_paths.add(self.settings.database_path)
        bot = WardenBot(
            self.settings, clock=self.clock, guild_ready_timeout=0.1, alerts_autostart=self.alerts_autostart
        )
        self.bot = bot
        self._task = asyncio.create_task(bot.start(self.settings.discord_token))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            ready.cancel()
            self._task.result()  # raises the start-up error
        if ready not in done:
            raise TimeoutError("the bot did not become ready in 10 s")
        return bot

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, 10)
        self.bot = None
        self._task = None

    async def slash(
        self, name: str, subcommand: str | None = None, *, user: int, **options: Any
    ) -> CallbackResult:
        """Run a command; the acknowledgement, once the member's answer is in (after a deferral
        too: `answer` reads it), so the next step of a test sees what the command did."""
        payload = self.discord.slash_command(name, subcommand, options=options or None, user=user)
        iid = await self.discord.dispatch_interaction(payload)
        return await self.answered(await self.discord.wait_for_callback(iid))

    async def submit(self, modal: CallbackResult, values: dict[str, str], *, user: int) -> CallbackResult:
        iid = await self.discord.dispatch_interaction(self.discord.modal_submit_for(modal, values, user=user))
        return await self.answered(await self.discord.wait_for_callback(iid))

    async def answered(self, callback: CallbackResult, timeout: float = 10) -> CallbackResult:
        """`callback`, once a deferral's answer has come too (see `answer`)."""
        if callback.type in (5, 6):
            await self.followup(callback, timeout)
        return callback

    async def followup(self, callback: CallbackResult, timeout: float = 5) -> dict[str, Any]:
        """The first follow-up or @original edit after a deferral."""
        return await followup_of(self.discord, callback, timeout)

    async def answer(self, callback: CallbackResult, timeout: float = 5) -> dict[str, Any]:
        """What the member reads: the callback's own message (types 4 and 7), or, after a
        deferral (5 and 6: the bot acknowledges before it touches the database), the answer that
        filled it in."""
        return await answer_of(self.discord, callback, timeout)

    async def audited(self, predicate: Any, *, count: int = 1, timeout: float = 5) -> list[Any]:
        """The audit trail (newest first) once `count` entries satisfy `predicate`: a refusal is
        answered first and audited after, so the entry may land just after the answer."""
        assert self.bot is not None
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            entries = await self.bot.store.recent_audit()
            found = sum(1 for e in entries if predicate(e))
            if found >= count or asyncio.get_running_loop().time() > deadline:
                return entries
            await asyncio.sleep(0.02)

    def everything_sent_to_discord(self) -> str:
        parts = []
        for rec in self.discord.requests:
            parts.append(rec.path)
            parts.append(repr(rec.query))
            parts.append(rec.raw_body.decode("utf-8", "replace"))
        parts.extend(repr(frame) for frame in self.discord.gateway_received)
        return "\n".join(parts)


async def followup_of(discord: DiscordDouble, callback: CallbackResult, timeout: float = 5) -> dict[str, Any]:
    """The first follow-up or @original edit after a deferral (`Rig.followup`, for tests that
    drive the double without a Rig: a bot in its own process)."""
    token = callback.request.path.split("/")[3]
    rec = await discord.wait_for(
        lambda r: r.method in ("POST", "PATCH") and r.path.startswith("/webhooks/") and token in r.path,
        timeout,
    )
    body: dict[str, Any] = dict(rec.json)
    inter = discord._by_token.get(token)
    if rec.method == "PATCH" and "flags" not in body and inter is not None and inter.original_id:
        # An edit of the deferred answer keeps the deferral's flags (private): as Discord shows it.
        shown = discord.messages.get(inter.original_id)
        if shown is not None:
            body["flags"] = shown["flags"]
    return body


async def answer_of(discord: DiscordDouble, callback: CallbackResult, timeout: float = 5) -> dict[str, Any]:
    """What the member reads (`Rig.answer`), for tests without a Rig."""
    if callback.type in (5, 6):
        return await followup_of(discord, callback, timeout)
    return callback.data


# -- the secret sweep ----------------------------------------------------------------------------

# Cookie names whose values are credentials; lt_id is an account id useapi.net itself shows.
NOT_SECRET_COOKIES = frozenset({"lt_id"})
MIN_SECRET_LENGTH = 8  # shorter typed values ("7", "a=1") would match by accident
_PAIR = re.compile(r"([A-Za-z0-9_.\-]+)=([^;\s]+)")


def secrets_in_pasted_text(text: str) -> set[str]:
    """What a member typed that must never come back out: every cookie value (but lt_id), or
    each word of a bare value. Deliberately independent of bot.cookies."""
    found: set[str] = set()
    rows = [line.split("\t") for line in text.splitlines() if "\t" in line]
    pairs = _PAIR.findall(text)
    if rows:  # a cookie table from the developer tools: Name, Value, Domain, ...
        found.update(row[1].strip() for row in rows if len(row) > 1 and row[0].strip().lower() != "name")
    elif pairs:
        found.update(value for name, value in pairs if name not in NOT_SECRET_COOKIES)
    else:
        found.update(text.split())
    return {v for v in found if len(v) >= MIN_SECRET_LENGTH}


def pasted_pieces(text: str) -> set[str]:
    """The parts of a typed value every run of MIN_SECRET_LENGTH characters of which is a secret:
    the Name and Value of each row of a developer tools' table (not its domains, paths and dates:
    an expiry the bot shows may match one), each `name=value` of a header (but lt_id's), each key
    and string of JSON, or else each line. A cookie's name and a JSON key are typed text too (an
    old refusal listed them). Deliberately independent of bot.cookies."""
    pieces: set[str] = set()
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(parsed, dict | list):
        return {piece for piece in _json_strings(parsed) if len(piece) >= MIN_SECRET_LENGTH}
    for line in re.split(r"\r\n|\r|\n", text):
        member = _JSON_MEMBER.fullmatch(line)
        if member:  # a line of pretty-printed JSON: `"key": "value",`
            pieces.update(member.groups())
            continue
        if "\t" in line:
            cells = [cell.strip() for cell in line.split("\t")]
            if cells[0].lower() != "name":  # not the header row
                pieces.update(cells[:2])
            continue
        for chunk in line.split(";"):
            name = re.sub(r"^\s*cookie\s*:", "", chunk, flags=re.IGNORECASE).partition("=")[0].strip()
            if name not in NOT_SECRET_COOKIES:
                pieces.add(chunk.strip())
    return {piece for piece in pieces if len(piece) >= MIN_SECRET_LENGTH}


_JSON_MEMBER = re.compile(r'\s*"([^"]*)"\s*:\s*"?(.*?)"?\s*,?\s*')


def _json_strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [*node, *(s for value in node.values() for s in _json_strings(value))]
    if isinstance(node, list):
        return [s for item in node for s in _json_strings(item)]
    return []


def runs(text: str) -> set[str]:
    """Every run of MIN_SECRET_LENGTH characters of `text`."""
    size = MIN_SECRET_LENGTH
    return {text[i : i + size] for i in range(len(text) - size + 1)}


def _literal_parts(template: str) -> list[str]:
    return [literal for literal, _, _, _ in string.Formatter().parse(template)]


def _module_words(module: Any) -> list[str]:
    """The string constants of a module (its cookie names, sites and sentences)."""
    words: list[str] = []
    for name, value in vars(module).items():
        if name.startswith("__"):
            continue
        if isinstance(value, str):
            words.append(value)
        elif isinstance(value, tuple | list | frozenset):
            words.extend(item for item in value if isinstance(item, str))
    return words


@functools.cache
def bot_vocabulary() -> frozenset[str]:
    """Every run of MIN_SECRET_LENGTH characters of the bot's own words: the fixed sentences of
    every form refusal (bot.form_errors.PROBLEMS), and each service's texts (labels,
    descriptions, form fields) and string constants. A member who types "luma_session" has not
    had a secret echoed when the bot says "luma_session"."""
    import bot.cookies
    import bot.logins
    from bot.form_errors import PROBLEMS
    from bot.services import REGISTRY

    texts: list[str] = []
    for problem in PROBLEMS.values():
        texts.append(problem.audit)
        texts.extend(_literal_parts(problem.says))
    for cls in REGISTRY.values():
        texts += [cls.label, cls.group_description, cls.register_description]
        texts += [cls.credential_noun, cls.expiry_noun, cls.command_group]
        for spec in cls.form_fields:
            texts += [spec.id, spec.label, spec.description, spec.placeholder or ""]
            texts += [word for option in spec.options for word in option]
        texts += _module_words(sys.modules[cls.__module__])
    texts += _module_words(bot.cookies) + _module_words(bot.logins)
    return frozenset(run for text in texts for run in runs(text))


def _typed_fields(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """(field id, value) of every text input of a modal submit, but the fields a service marks as
    not secret (an email)."""
    found: list[tuple[str, str]] = []
    not_secret = _not_secret_fields(str(payload.get("data", {}).get("custom_id", "")))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if (
                node.get("type") == 4
                and isinstance(node.get("value"), str)
                and node.get("custom_id") not in not_secret
            ):
                found.append((str(node.get("custom_id")), node["value"]))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    if payload.get("type") == 5:  # MODAL_SUBMIT
        walk(payload.get("data", {}).get("components", []))
    return found


def _modal_values(payload: dict[str, Any]) -> list[str]:
    """Every value typed into a form, but the fields a service marks as not secret (an email)."""
    return [value for _, value in _typed_fields(payload)]


def typed_secrets(rig: Rig) -> dict[str, str]:
    """piece -> where it was typed, for every secret field of every form submitted to the rig's bot
    (refused ones included): the pieces whose every run of MIN_SECRET_LENGTH is looked for."""
    out: dict[str, str] = {}
    for inter in rig.discord._interactions.values():
        modal = str(inter.payload.get("data", {}).get("custom_id", ""))
        service = modal.split(":")[2] if modal.startswith("warden:register:") else "a"
        for field_id, value in _typed_fields(inter.payload):
            for piece in pasted_pieces(value):
                out.setdefault(piece, f"a value typed into a form ({service}'s {field_id} field)")
    return out


def _not_secret_fields(modal_id: str) -> set[str]:
    from bot.services import REGISTRY

    match = re.fullmatch(r"warden:register:([a-z0-9_]+):.*", modal_id)
    service = REGISTRY.get(match.group(1)) if match else None
    return {f.id for f in service.form_fields if not f.secret} if service else set()


def scenario_secrets(rig: Rig) -> dict[str, str]:
    """secret value -> where it came from, for everything this rig's scenario used."""
    out: dict[str, str] = {}

    def add(values: Iterable[str], origin: str) -> None:
        for value in values:
            if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
                out.setdefault(value, origin)

    add(rig.settings.secrets(), "a token")
    add(rig.extra_secrets, "rig.add_secret")
    # Credentials the useapi.net double was taught (private attributes: the double keeps them).
    add(rig.useapi._luma_sessions, "a Luma session taught to the useapi double")
    add(rig.useapi._ltx_cookies, "an LTX token taught to the useapi double")
    for double in rig.useapi.service_doubles:
        add(double.taught_secrets(), f"a credential taught to the {double.name} double")
    # What reached useapi.net, and what members typed into forms (including refused input).
    for rec in rig.useapi.requests:
        body = rec.json if isinstance(rec.json, dict) else {}
        if isinstance(body.get("session"), str):
            add([body["session"]], "a session posted to useapi.net")
        if isinstance(body.get("cookie"), str):
            add(secrets_in_pasted_text(body["cookie"]), "a cookie posted to useapi.net")
        for double in rig.useapi.service_doubles:
            if rec.path.startswith(double.prefix):
                add(double.posted_secrets(body), f"a credential posted to {double.prefix}")
    for inter in rig.discord._interactions.values():
        for value in _modal_values(inter.payload):
            add(secrets_in_pasted_text(value), "a value typed into a form")
    return out


def _discord_traffic(rig: Rig) -> list[tuple[str, str]]:
    """(where, text) for everything the bot sent to the Discord double, with the Discord token
    removed from the two places it must be: the Authorization header and IDENTIFY/RESUME. Bodies
    are searched as sent and JSON-decoded (discord.py writes `\\u202e` for a bidi mark)."""
    token = rig.settings.discord_token
    parts: list[tuple[str, str]] = []
    for rec in rig.discord.requests:
        headers = dict(rec.headers)
        if headers.get("Authorization") == f"Bot {token}":
            headers["Authorization"] = "Bot <the Discord token>"
        text = "\n".join(
            [
                rec.path,
                unquote(rec.path),
                json.dumps(rec.query, ensure_ascii=False),
                json.dumps(headers, ensure_ascii=False),
                rec.raw_body.decode("utf-8", "replace"),
                json.dumps(rec.json, ensure_ascii=False) if rec.json is not None else "",
                *(f["data"].decode("utf-8", "replace") for f in rec.files),
            ]
        )
        parts.append((f"Discord request {rec.method} {rec.path[:60]}", text))
    for frame in rig.discord.gateway_received:
        shown = frame
        d = frame.get("d")
        if frame.get("op") in (2, 6) and isinstance(d, dict) and d.get("token") == token:
            shown = {**frame, "d": {**d, "token": "<the Discord token>"}}
        parts.append((f"gateway frame op {frame.get('op')}", json.dumps(shown, ensure_ascii=False)))
    return parts


async def audit_cli_output(rig: Rig) -> list[tuple[str, str]]:
    """(where, text) of the audit command, table and `--json`, run on each of the rig's databases
    (the code `python -m bot audit` runs, in this process: a subprocess per rig would cost the
    suite a minute; test_e2e_secrets runs the real process). JSON lines are also searched
    decoded (`json.dumps` writes `\\u001b` for an escape character)."""
    from bot.ops._audit import MAX_LIMIT, AuditQuery, audit

    found: list[tuple[str, str]] = []
    for db in sorted(rig.database_paths | {rig.settings.database_path}):
        if not db.exists():
            continue
        for as_json in (False, True):
            out, err = io.StringIO(), io.StringIO()
            settings = replace(rig.settings, database_path=db)
            await audit(settings, AuditQuery(limit=MAX_LIMIT, as_json=as_json), out, err)
            text = out.getvalue() + err.getvalue()
            if as_json:
                text += "\n" + "\n".join(_json_decoded(line) for line in out.getvalue().splitlines())
            found.append((f"`audit{' --json' if as_json else ''}` output on {db.name}", text))
    return found


def _json_decoded(line: str) -> str:
    try:
        return json.dumps(json.loads(line), ensure_ascii=False)
    except ValueError:
        return line


@dataclass
class SweepResult:
    rig_name: str
    secrets: int  # how many distinct values were looked for whole
    places: int  # how many requests, frames, log lines, files and audit outputs were searched
    leaks: list[str]
    typed: int = 0  # how many typed pieces had every run of MIN_SECRET_LENGTH looked for
    runs: int = 0  # how many distinct runs that was (the bot's own words left out)


SWEEPS: list[SweepResult] = []
# Above this (runs x characters), a place is read once, run by run, instead of searched per run.
_SEARCH_PER_RUN_LIMIT = 4_000_000


def runs_in(text: str, wanted: Mapping[str, str] | set[str] | frozenset[str]) -> set[str]:
    """Which of `wanted` (runs of MIN_SECRET_LENGTH characters) occur in `text`: each searched for
    (C speed) when that is cheap, else every run of `text` looked up once."""
    size = MIN_SECRET_LENGTH
    if not wanted or len(text) < size:
        return set()
    if len(wanted) * len(text) <= _SEARCH_PER_RUN_LIMIT:
        return {run for run in wanted if run in text}
    count = len(text) - size + 1
    return set(
        filter(
            wanted.__contains__, map(text.__getitem__, map(slice, range(count), range(size, count + size)))
        )
    )


def typed_runs(rig: Rig) -> dict[str, str]:
    """run -> where it was typed: every run of MIN_SECRET_LENGTH characters of the typed pieces
    (`typed_secrets`), but the bot's own words."""
    vocabulary = bot_vocabulary()
    wanted: dict[str, str] = {}
    for piece, origin in typed_secrets(rig).items():
        for run in runs(piece) - vocabulary:
            wanted.setdefault(run, origin)
    return wanted


def sweep_places(rig: Rig) -> list[tuple[str, str]]:
    """(where, text) of every place a secret must never reach."""
    places = _discord_traffic(rig)
    for number, line in enumerate(rig.raw_logs.lines, start=1):
        places.append((f"log record {number} ({line.partition(':')[0]})", line))
    for number, line in enumerate(rig.log_output.getvalue().splitlines(), start=1):
        places.append((f"formatted log line {number}", line))
    for db in sorted(rig.database_paths | {rig.settings.database_path}):
        for path in sorted(db.parent.glob(db.name + "*")):
            if path.is_file():
                places.append((f"database file {path.name}", path.read_bytes().decode("utf-8", "replace")))
    places.extend(rig.audit_output)
    return places


def sweep(rig: Rig, *, name: str = "rig") -> SweepResult:
    """Look for every scenario secret, and every run of 8 characters of what was typed into a
    secret field, in Discord traffic, logs, database files and the audit command's output."""
    secrets = scenario_secrets(rig)
    typed = typed_secrets(rig)
    wanted = typed_runs(rig)
    places = sweep_places(rig)

    def hide(where: str) -> str:  # the report itself must not show any secret
        for secret in secrets:
            where = where.replace(secret, "<secret>")
        for run in runs_in(where, wanted):
            where = where.replace(run, "<secret>")
        return where

    leaks = []
    for where, text in places:
        for secret, origin in secrets.items():
            if secret in text:
                leaks.append(f"{origin} ({secret[:4]}…, {len(secret)} chars) found in {hide(where)}")
        for origin in sorted({wanted[run] for run in runs_in(text, wanted)}):
            leaks.append(
                f"{origin}: a run of {MIN_SECRET_LENGTH} or more of its characters found in {hide(where)}"
            )
    result = SweepResult(name, len(secrets), len(places), leaks, typed=len(typed), runs=len(wanted))
    SWEEPS.append(result)
    return result


def _component_text_inputs(data: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for comp in data.get("components", []):
        if comp.get("type") == 4:
            found.append(comp)
        found.extend(_component_text_inputs(comp))
        if isinstance(comp.get("component"), dict):
            found.extend(_component_text_inputs({"components": [comp["component"]]}))
    return found


def modal_inputs(callback: CallbackResult) -> dict[str, dict[str, Any]]:
    """custom_id -> text input, for a type 9 callback."""
    return {c["custom_id"]: c for c in _component_text_inputs(callback.data)}


@contextlib.asynccontextmanager
async def running_rig(
    tmp_path: Path,
    *,
    clock: Clock | None = None,
    start: bool = True,
    sweep_secrets: bool = True,
    alerts_autostart: bool = True,
    **overrides: Any,
) -> AsyncIterator[Rig]:
    require_e2e("the bot against the doubles (running_rig)")
    saved_base = discord.http.Route.BASE
    saved_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    root = logging.getLogger()
    saved_level = root.level
    saved_handlers = list(root.handlers)
    # The useapi.net double's own notion of now (Luma's sessionValid) follows the rig's clock.
    upstream_now = {"now": clock.now} if clock is not None else {}
    async with (
        DiscordDouble(token=DISCORD_TOKEN) as dd,
        UseapiDouble(token=USEAPI_TOKEN, **upstream_now) as ua,
    ):
        settings = Settings(
            discord_token=DISCORD_TOKEN,
            useapi_token=USEAPI_TOKEN,
            useapi_base_url=ua.base_url,
            discord_api_base=dd.api_base,
            discord_gateway_url=dd.gateway_url,
            database_path=tmp_path / "warden.sqlite3",
            guild_id=dd.guild_id,
            alert_channel_id=dd.alert_channel_id,
            useapi_timeout=timedelta(seconds=3),
            log_level="DEBUG",
        )
        if overrides:
            settings = replace(settings, **overrides)
        rig = Rig(discord=dd, useapi=ua, settings=settings, clock=clock, alerts_autostart=alerts_autostart)
        # The production logging set-up, at its most verbose, plus an unscrubbed capture.
        logs.configure("DEBUG", stream=rig.log_output)
        for secret in settings.secrets():
            logs.add_secret(secret)
        root.addHandler(rig.raw_logs)
        try:
            if start:
                await rig.start_bot()
            yield rig
        finally:
            await rig.stop_bot()
            root.removeHandler(rig.raw_logs)
            for handler in list(root.handlers):
                root.removeHandler(handler)
            for handler in saved_handlers:
                root.addHandler(handler)
            root.setLevel(saved_level)
            discord.http.Route.BASE = saved_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved_gateway
        # Reached on a clean exit only (a failing test's own error is not hidden behind this one),
        # after the stop, so shutdown logging and the closed database are searched too.
        rig.audit_output = await audit_cli_output(rig)
        result = sweep(rig, name=tmp_path.name) if sweep_secrets else None
        if result is not None and result.leaks:
            raise AssertionError("secret sweep: " + "; ".join(result.leaks))
