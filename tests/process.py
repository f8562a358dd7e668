"""Run `python -m bot` as a real process against the doubles (for signals and crashes)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.config import ENV_VARS, RETIRED_VARS
from tests.doubles.discord_double import DiscordDouble
from tests.doubles.useapi_double import UseapiDouble
from tests.e2e import require_e2e


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
    require_e2e("the bot as a process")
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=dict(env), cwd=cwd, stderr=asyncio.subprocess.PIPE
    )


async def run_bot(*args: str, env: Mapping[str, str], cwd: Path, timeout: float = 30) -> tuple[int, str, str]:
    require_e2e(f"`python -m bot {' '.join(args)}` as a process")
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


async def run_bot_with_reader_leaving(
    *args: str,
    env: Mapping[str, str],
    cwd: Path,
    stream: str = "stdout",
    read_lines: int = 0,
    timeout: float = 30,
) -> tuple[int, str]:
    """`python -m bot ARGS` with `stream` ("stdout" or "stderr") a pipe whose reader leaves after
    `read_lines` lines (0: before the first write), as `| head -1` or `| grep -q` leave.

    Returns the exit status and the other stream's text; fails if the process has not exited
    `timeout` s later (the reader's leaving must not keep it alive).
    """
    read_fd, write_fd = os.pipe()
    other = asyncio.subprocess.PIPE
    streams = (
        {"stdout": write_fd, "stderr": other} if stream == "stdout" else {"stdout": other, "stderr": write_fd}
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=dict(env), cwd=cwd, **streams
    )
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as reader:
        for _ in range(read_lines):
            await asyncio.wait_for(asyncio.to_thread(reader.readline), timeout)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(
            f"python -m bot {' '.join(args)} still ran {timeout} s after its {stream} closed"
        ) from None
    assert proc.returncode is not None
    return proc.returncode, (err if stream == "stdout" else out).decode()


def free_port() -> int:
    """A port nothing listens on now (for a double started later, or never)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StderrLines:
    """A process's stderr, read line by line as it comes (so the pipe never fills up)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        self.lines: list[str] = []
        self._stream = proc.stderr
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while line := await self._stream.readline():
            self.lines.append(line.decode().rstrip("\n"))

    def matching(self, text: str) -> list[str]:
        return [line for line in self.lines if text in line]

    async def wait_for(self, text: str, *, count: int = 1, timeout: float = 20) -> list[str]:
        """The first `count` lines containing `text`, waiting for them up to `timeout` s."""
        async with asyncio.timeout(timeout):
            while len(self.matching(text)) < count:
                if self._task.done():
                    raise AssertionError(f"stderr ended without {count}x {text!r}: {self.lines}")
                await asyncio.sleep(0.05)
        return self.matching(text)[:count]

    async def finish(self) -> str:
        """Everything, once the process has closed its stderr."""
        await asyncio.wait_for(self._task, 15)
        return "\n".join(self.lines)
