"""Configuration: defaults, every problem reported at once, tokens never echoed, `.env` handling."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ENV_VARS, ConfigError, Settings, load_settings
from bot.durations import parse_duration
from bot.throttle import RegisterRate
from tests.e2e import require_e2e

TOKENS = {"DISCORD_TOKEN": "discord-token-Abc123xyz", "USEAPI_TOKEN": "user:1-useapi-token-Def456"}


def test_only_the_tokens_are_required() -> None:
    settings = load_settings(TOKENS)
    assert settings.discord_token == TOKENS["DISCORD_TOKEN"]
    assert settings.useapi_token == TOKENS["USEAPI_TOKEN"]


def test_env_vars_defaults_are_the_settings_defaults() -> None:
    """ENV_VARS (which the README documents) and the Settings dataclass agree on every default."""
    loaded = load_settings(TOKENS)
    declared = {
        f.name: f.default for f in fields(Settings) if f.name not in ("discord_token", "useapi_token")
    }
    for name, value in declared.items():
        assert getattr(loaded, name) == value, name
    assert loaded.sync_interval == parse_duration(ENV_VARS["SYNC_INTERVAL"] or "")
    assert loaded.health_max_age == parse_duration(ENV_VARS["HEALTH_MAX_AGE"] or "")
    assert str(loaded.database_path) == ENV_VARS["DATABASE_PATH"]
    assert ",".join(loaded.services) == ENV_VARS["SERVICES"]
    # Every Settings field comes from exactly one variable.
    assert len(declared) + 2 == len(ENV_VARS)


def test_every_problem_is_reported_at_once_without_echoing_tokens() -> None:
    env = {
        "DISCORD_TOKEN": "has a space-secret-Qq1",
        "USEAPI_BASE_URL": "ftp://example.com",
        "GUILD_ID": "12",
        "ADMIN_USER_IDS": "130000000000000001,nope",
        "SERVICES": "luma,sora",
        "SYNC_INTERVAL": "5s",
        "USEAPI_TIMEOUT": "fast",
        "LOG_LEVEL": "chatty",
        "HEALTH_MAX_AGE": "1s",
        "DATABASE_PATH": " ",
    }
    with pytest.raises(ConfigError) as exc:
        load_settings(env)
    problems = exc.value.problems
    for name in (
        "DISCORD_TOKEN contains spaces",
        "USEAPI_TOKEN is required",
        "USEAPI_BASE_URL",
        "GUILD_ID",
        "ADMIN_USER_IDS",
        "SERVICES: unknown service 'sora'",
        "SYNC_INTERVAL must be at least 10s",
        "USEAPI_TIMEOUT",
        "LOG_LEVEL",
        "HEALTH_MAX_AGE must be at least 10s",
        "DATABASE_PATH is empty",
    ):
        assert any(p.startswith(name) for p in problems), (name, problems)
    assert "secret" not in str(exc.value)


@pytest.mark.parametrize(
    ("name", "raw", "attribute", "value"),
    [
        ("HEALTH_MAX_AGE", "90s", "health_max_age", timedelta(seconds=90)),
        ("SYNC_INTERVAL", "1h30m", "sync_interval", timedelta(minutes=90)),
        ("REGISTER_RATE", "off", "register_rate", None),
        ("REGISTER_RATE", "3/30s", "register_rate", RegisterRate(3, timedelta(seconds=30))),
        ("REGISTER_RATE", " 10 / 1h ", "register_rate", RegisterRate(10, timedelta(hours=1))),
        ("SERVICES", " LTX , luma, ltx ", "services", ("ltx", "luma")),
        ("LOG_LEVEL", "debug", "log_level", "DEBUG"),
        ("USEAPI_BASE_URL", "http://127.0.0.1:8080/", "useapi_base_url", "http://127.0.0.1:8080"),
        ("DATABASE_PATH", "/data/session-warden.sqlite3", "database_path", Path("/data/session-warden.sqlite3")),
        ("ADMIN_USER_IDS", "130000000000000001, 130000000000000002", "admin_user_ids",
         frozenset({130000000000000001, 130000000000000002})),
    ],
)  # fmt: skip
def test_values_are_parsed(name: str, raw: str, attribute: str, value: object) -> None:
    assert getattr(load_settings({**TOKENS, name: raw}), attribute) == value


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("5", "is not a rate; use COUNT/DURATION, for example 5/1m"),
        ("often", "is not a rate"),
        ("0/1m", "must be between 1 and 1000"),
        ("5/soon", "the duration in '5/soon'"),
        ("5/0s", "must be at least 1s"),
    ],
)
def test_a_bad_register_rate_says_what_is_accepted(raw: str, said: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings({**TOKENS, "REGISTER_RATE": raw})
    [problem] = exc.value.problems
    assert problem.startswith("REGISTER_RATE: ") and said in problem


@pytest.mark.parametrize("raw", ["30s", "0"])
def test_the_retired_register_cooldown_names_its_replacement(raw: str) -> None:
    """Its meaning (a pause after every registration) is gone: reading it silently would mislead."""
    with pytest.raises(ConfigError) as exc:
        load_settings({**TOKENS, "REGISTER_COOLDOWN": raw})
    [problem] = exc.value.problems
    assert problem.startswith("REGISTER_COOLDOWN is retired")
    assert "REGISTER_RATE" in problem and "off" in problem
    assert load_settings({**TOKENS, "REGISTER_COOLDOWN": ""}).register_rate is not None


def test_commands_without_network_need_no_token() -> None:
    settings = load_settings({"DATABASE_PATH": "/data/w.sqlite3"}, need_tokens=False)
    assert settings.database_path == Path("/data/w.sqlite3")
    with pytest.raises(ConfigError) as exc:
        load_settings({"HEALTH_MAX_AGE": "never"}, need_tokens=False)
    assert [p.split(":")[0] for p in exc.value.problems] == ["HEALTH_MAX_AGE"]


def test_tokens_are_not_in_the_settings_repr() -> None:
    text = repr(load_settings(TOKENS))
    assert TOKENS["DISCORD_TOKEN"] not in text and TOKENS["USEAPI_TOKEN"] not in text


def run_command(cwd: Path, command: str = "healthcheck", **env: str) -> subprocess.CompletedProcess[str]:
    require_e2e(f"`python -m bot {command}` as a process")
    base = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    return subprocess.run(
        [sys.executable, "-m", "bot", command],
        cwd=cwd,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.e2e
def test_dotenv_in_the_working_directory_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"DISCORD_TOKEN={TOKENS['DISCORD_TOKEN']}\nUSEAPI_TOKEN={TOKENS['USEAPI_TOKEN']}\n"
        "DATABASE_PATH=from-dotenv.sqlite3\n",
        encoding="utf-8",
    )
    done = run_command(tmp_path)
    # Configuration accepted (the tokens came from .env); only the database is missing.
    assert done.stdout == "unhealthy: no database at from-dotenv.sqlite3: the bot has not started here\n"
    assert done.returncode == 1

    done = run_command(tmp_path, DATABASE_PATH="from-environment.sqlite3")
    assert "no database at from-environment.sqlite3" in done.stdout


@pytest.mark.e2e
def test_without_tokens_the_process_explains_and_exits(tmp_path: Path) -> None:
    done = run_command(tmp_path, "check")
    assert done.returncode == 2
    assert "DISCORD_TOKEN is required and is not set" in done.stderr
    assert "USEAPI_TOKEN is required and is not set" in done.stderr
    # healthcheck needs no token: it reads the database only.
    done = run_command(tmp_path)
    assert done.returncode == 1 and "TOKEN" not in done.stderr
    assert done.stdout.startswith("unhealthy: no database at")


def test_follow_through_variables_have_defaults_and_are_checked() -> None:
    base = {"DISCORD_TOKEN": "a", "USEAPI_TOKEN": "b"}
    defaults = load_settings(base, read_dotenv=False)
    assert defaults.claim_timeout == timedelta(hours=2)
    assert defaults.reminder_interval == timedelta(hours=24)
    assert defaults.retention == timedelta(days=180)
    off = load_settings({**base, "REMINDER_INTERVAL": "0", "CLAIM_TIMEOUT": "30m"}, read_dotenv=False)
    assert off.reminder_interval is None and off.claim_timeout == timedelta(minutes=30)
    with pytest.raises(ConfigError) as bad:
        load_settings({**base, "REMINDER_INTERVAL": "soon", "RETENTION": "1h"}, read_dotenv=False)
    assert any(p.startswith("REMINDER_INTERVAL") for p in bad.value.problems)
    assert any(p.startswith("RETENTION must be at least") for p in bad.value.problems)


@pytest.mark.parametrize(
    ("raw", "services"),
    [
        ("auto", ("auto",)),
        (" AUTO ", ("auto",)),
        ("auto,auto", ("auto",)),
        ("luma, kling", ("luma", "kling")),
    ],
)
def test_services_is_auto_or_a_list_of_keys(raw: str, services: tuple[str, ...]) -> None:
    settings = load_settings({**TOKENS, "SERVICES": raw})
    assert settings.services == services
    assert settings.auto_services is (services == ("auto",))


def test_auto_mixed_with_keys_is_a_problem_naming_both_ways() -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings({**TOKENS, "SERVICES": "auto,luma"})
    assert any(p.startswith("SERVICES: 'auto' decides from useapi.net by itself") for p in exc.value.problems)
