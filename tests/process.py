"""Run `python -m bot` as a real process against the doubles (for signals and crashes)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.config import ENV_VARS, RETIRED_VARS
from tests.doubles.discord_double import DiscordDouble
from tests.doubles.useapi_double import UseapiDouble


def process_env(**values: str) -> dict[str, str]:
    """The test process's environment without any Session Warden variable, plus `values`."""
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS and k not in RETIRED_VARS}
    env.update(values)
    return env


def bot_env(
    dd: DiscordDouble, ua: UseapiDouble, db: Path, *, discord_token: str, useapi_token: str, **extra: str
) -> dict[str, str]:
    return process_env(
        DISCORD_TOKEN=discord_token,
        USEAPI_TOKEN=useapi_token,
        USEAPI_BASE_URL=ua.base_url,
        DISCORD_API_BASE=dd.api_base,
        DISCORD_GATEWAY_URL=dd.gateway_url,
        DATABASE_PATH=str(db),
        GUILD_ID=str(dd.guild_id),
        ALERT_CHANNEL_ID=str(dd.alert_channel_id),
        LOG_LEVEL="DEBUG",
        **extra,
    )


async def start_bot_process(env: Mapping[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=dict(env), cwd=cwd, stderr=asyncio.subprocess.PIPE
    )


async def run_bot(*args: str, env: Mapping[str, str], cwd: Path, timeout: float = 30) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=dict(env),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
