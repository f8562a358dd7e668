"""Settings read from the environment (and a `.env` file when present).

Every problem is collected and reported at once, so an operator fixes the
whole configuration in one go; token values are never echoed back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

from bot.durations import DurationError, parse_duration
from bot.services import KNOWN_SERVICES
from bot.throttle import DEFAULT_RATE, RateError, RegisterRate, parse_rate

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# SERVICES=auto: the services with accounts on useapi.net are switched on, decided again at each
# read of the team's account summary (bot/team_account.py says how).
AUTO = "auto"

# Every variable the code reads, with its default (None: required or unset).
# The README documents each one; a test keeps the two in step.
ENV_VARS: dict[str, str | None] = {
    "DISCORD_TOKEN": None,
    "USEAPI_TOKEN": None,
    "USEAPI_BASE_URL": "https://api.useapi.net",
    "DISCORD_API_BASE": None,
    "DISCORD_GATEWAY_URL": None,
    "DATABASE_PATH": "data/session-warden.sqlite3",
    "GUILD_ID": None,
    "ALERT_CHANNEL_ID": None,
    "ADMIN_USER_IDS": "",
    "SERVICES": AUTO,
    "SYNC_INTERVAL": "15m",
    "USEAPI_TIMEOUT": "20s",
    "REGISTER_RATE": str(DEFAULT_RATE),
    "LOG_LEVEL": "INFO",
    "HEALTH_MAX_AGE": "3m",
    "CLAIM_TIMEOUT": "2h",
    "REMINDER_INTERVAL": "24h",
    "RETENTION": "180d",
    "METRICS_PORT": None,
}

# Variables earlier releases read, with the sentence that tells an operator what replaced them.
# Setting one is a configuration problem: its old meaning is not what the bot does any more.
RETIRED_VARS: dict[str, str] = {
    "REGISTER_COOLDOWN": (
        "REGISTER_COOLDOWN is retired: a pause after every registration refused retries and "
        "second accounts. Remove it; REGISTER_RATE (default 5/1m: 5 registrations in a row per "
        "member, refilled over a minute) limits floods instead, and REGISTER_RATE=off disables it"
    ),
}


class ConfigError(Exception):
    """Raised with every configuration problem found, one per line."""

    def __init__(self, problems: list[str], *, missing_tokens: bool = False) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        # A token is unset: most likely a first run, before .env was written.
        self.missing_tokens = missing_tokens


@dataclass(frozen=True)
class Settings:
    discord_token: str = field(repr=False)
    useapi_token: str = field(repr=False)
    useapi_base_url: str = "https://api.useapi.net"
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    database_path: Path = Path("data/session-warden.sqlite3")
    guild_id: int | None = None
    alert_channel_id: int | None = None
    admin_user_ids: frozenset[int] = frozenset()
    services: tuple[str, ...] = (AUTO,)  # (AUTO,) or the explicit keys; see `auto_services`
    sync_interval: timedelta = timedelta(minutes=15)
    useapi_timeout: timedelta = timedelta(seconds=20)
    register_rate: RegisterRate | None = DEFAULT_RATE
    log_level: str = "INFO"
    health_max_age: timedelta = timedelta(minutes=3)
    claim_timeout: timedelta = timedelta(hours=2)
    reminder_interval: timedelta | None = timedelta(hours=24)  # None: no reminders
    retention: timedelta = timedelta(days=180)
    metrics_port: int | None = None  # None: no metrics endpoint

    @property
    def auto_services(self) -> bool:
        """SERVICES=auto: which services are on is decided from useapi.net, not listed here."""
        return self.services == (AUTO,)

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log line or a message."""
        return (self.discord_token, self.useapi_token)


def _snowflake(name: str, raw: str, problems: list[str]) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or not 15 <= len(raw) <= 21:
        problems.append(f"{name} must be a Discord id (15 to 21 digits), got {raw!r}")
        return None
    return int(raw)


def _url(name: str, raw: str, problems: list[str]) -> str | None:
    raw = raw.strip().rstrip("/")
    if not raw:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https", "ws", "wss") or not parsed.netloc:
        problems.append(f"{name} must be an http(s) or ws(s) URL, got {raw!r}")
        return None
    return raw


def _duration(name: str, raw: str, problems: list[str], minimum: timedelta) -> timedelta | None:
    try:
        value = parse_duration(raw)
    except DurationError as exc:
        problems.append(f"{name}: {exc}")
        return None
    if value < minimum:
        problems.append(f"{name} must be at least {int(minimum.total_seconds())}s, got {raw!r}")
        return None
    return value


def _port(name: str, raw: str, problems: list[str]) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        problems.append(f"{name} must be a TCP port number (1 to 65535), got {raw!r}")
        return None
    return int(raw)


def _token(name: str, raw: str, problems: list[str]) -> str:
    raw = raw.strip()
    if not raw:
        problems.append(f"{name} is required and is not set")
    elif any(c.isspace() for c in raw) or not raw.isprintable():
        # Name the variable only: the value is a secret.
        problems.append(f"{name} contains spaces or control characters; paste the token alone")
    return raw


def load_settings(
    env: Mapping[str, str] | None = None, *, read_dotenv: bool = True, need_tokens: bool = True
) -> Settings:
    """Build Settings from `env` (default: the process environment plus `.env`).

    `need_tokens=False` is for the commands that touch no network (`healthcheck`, `backup`):
    a missing token is then no problem, and the tokens are left empty when unset.
    """
    if env is None:
        if read_dotenv:
            from dotenv import find_dotenv, load_dotenv

            # The working directory's .env (not the package's); real variables win over it.
            load_dotenv(find_dotenv(usecwd=True), override=False)
        env = os.environ

    def get(name: str) -> str:
        value = env.get(name)
        if value is None:
            return ENV_VARS[name] or ""
        return value

    problems: list[str] = []
    if need_tokens:
        discord_token = _token("DISCORD_TOKEN", get("DISCORD_TOKEN"), problems)
        useapi_token = _token("USEAPI_TOKEN", get("USEAPI_TOKEN"), problems)
    else:
        discord_token, useapi_token = get("DISCORD_TOKEN").strip(), get("USEAPI_TOKEN").strip()
    for retired, replacement in RETIRED_VARS.items():
        if (env.get(retired) or "").strip():
            problems.append(replacement)

    useapi_base_url = _url("USEAPI_BASE_URL", get("USEAPI_BASE_URL"), problems)
    if get("USEAPI_BASE_URL").strip() == "":
        problems.append("USEAPI_BASE_URL is empty; unset it to use https://api.useapi.net")
    discord_api_base = _url("DISCORD_API_BASE", get("DISCORD_API_BASE"), problems)
    discord_gateway_url = _url("DISCORD_GATEWAY_URL", get("DISCORD_GATEWAY_URL"), problems)

    db_raw = get("DATABASE_PATH").strip()
    if not db_raw:
        problems.append("DATABASE_PATH is empty; unset it to use data/session-warden.sqlite3")

    guild_id = _snowflake("GUILD_ID", get("GUILD_ID"), problems)
    alert_channel_id = _snowflake("ALERT_CHANNEL_ID", get("ALERT_CHANNEL_ID"), problems)

    admin_ids: set[int] = set()
    for part in get("ADMIN_USER_IDS").split(","):
        if part.strip():
            admin_id = _snowflake("ADMIN_USER_IDS", part, problems)
            if admin_id is not None:
                admin_ids.add(admin_id)

    services: list[str] = []
    named = [part.strip().lower() for part in get("SERVICES").split(",") if part.strip()]
    if AUTO in named and len(set(named)) > 1:
        problems.append(
            f"SERVICES: {AUTO!r} decides from useapi.net by itself; use it alone, or list the keys"
        )
    for name in named:
        if name == AUTO:
            if AUTO not in services:
                services.append(name)
            continue
        if name not in KNOWN_SERVICES:
            problems.append(f"SERVICES: unknown service {name!r} (known: {', '.join(KNOWN_SERVICES)})")
        elif name not in services:
            services.append(name)
    if not services and not any(p.startswith("SERVICES") for p in problems):
        problems.append(f"SERVICES must be {AUTO} or name at least one of: {', '.join(KNOWN_SERVICES)}")

    sync_interval = _duration("SYNC_INTERVAL", get("SYNC_INTERVAL"), problems, timedelta(seconds=10))
    useapi_timeout = _duration("USEAPI_TIMEOUT", get("USEAPI_TIMEOUT"), problems, timedelta(seconds=1))
    try:
        register_rate = parse_rate(get("REGISTER_RATE"))
    except RateError as exc:
        problems.append(f"REGISTER_RATE: {exc}")
        register_rate = None
    health_max_age = _duration("HEALTH_MAX_AGE", get("HEALTH_MAX_AGE"), problems, timedelta(seconds=10))

    claim_timeout = _duration("CLAIM_TIMEOUT", get("CLAIM_TIMEOUT"), problems, timedelta(minutes=1))
    reminder_raw = get("REMINDER_INTERVAL").strip().lower()
    reminder_interval = (
        None
        if reminder_raw in ("0", "off")
        else _duration("REMINDER_INTERVAL", reminder_raw, problems, timedelta(minutes=1))
    )
    retention = _duration("RETENTION", get("RETENTION"), problems, timedelta(days=1))
    metrics_port = _port("METRICS_PORT", get("METRICS_PORT"), problems)

    log_level = get("LOG_LEVEL").strip().upper()
    if log_level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")

    if problems:
        unset = not (discord_token and useapi_token)
        raise ConfigError(problems, missing_tokens=need_tokens and unset)
    assert useapi_base_url is not None
    assert sync_interval and useapi_timeout and health_max_age and claim_timeout and retention
    return Settings(
        discord_token=discord_token,
        useapi_token=useapi_token,
        useapi_base_url=useapi_base_url,
        discord_api_base=discord_api_base,
        discord_gateway_url=discord_gateway_url,
        database_path=Path(db_raw),
        guild_id=guild_id,
        alert_channel_id=alert_channel_id,
        admin_user_ids=frozenset(admin_ids),
        services=tuple(services),
        sync_interval=sync_interval,
        useapi_timeout=useapi_timeout,
        register_rate=register_rate,
        log_level=log_level,
        health_max_age=health_max_age,
        claim_timeout=claim_timeout,
        reminder_interval=reminder_interval,
        retention=retention,
        metrics_port=metrics_port,
    )
