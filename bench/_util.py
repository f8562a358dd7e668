"""Shared pieces of the benchmarks: the doubles and a real WardenBot, statistics, tables, the machine.

Not a benchmark itself; the scripts beside it import it. Importing it puts the repository root on
sys.path, so `bench/<name>.py` runs from anywhere with the project's virtualenv. With BENCH_CODE
set to another checkout (`export_tree`), that checkout's bot/, cogs/ and tests/ are measured
instead, by these same scripts: how `--compare REV` measures an older commit in the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The code measured: this checkout, or the one BENCH_CODE names (see export_tree).
CODE = Path(os.environ.get("BENCH_CODE") or ROOT).resolve()
if str(CODE) not in sys.path:
    sys.path.insert(0, str(CODE))

import discord  # noqa: E402

from bot import logs  # noqa: E402
from bot.app import WardenBot  # noqa: E402
from bot.clock import Clock  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.doubles.discord_double import DiscordDouble, _Interaction  # noqa: E402
from tests.doubles.useapi_double import UseapiDouble  # noqa: E402
from tests.harness import DISCORD_TOKEN, USEAPI_TOKEN  # noqa: E402

__all__ = ["CODE", "DISCORD_TOKEN", "ROOT", "USEAPI_TOKEN"]

# discord.py warns about voice libraries at start; the bot never joins voice (as bot/__main__.py).
discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False


# -- statistics and output ----------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True)
class Summary:
    n: int
    p50: float
    p99: float
    max: float
    min: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        return cls(len(values), percentile(values, 50), percentile(values, 99), max(values), min(values))


def median_range(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    """'median (min-max)' of per-run figures."""
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table, aligned for the terminal too."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC · commit {revision()} · {os.cpu_count()} CPU(s), "
        f"{cpu} · load {load} · Python {platform.python_version()} · discord.py {discord.__version__}"
    )


def revision() -> str:
    """The commit measured, with '+changes' when bot/ or cogs/ differ from it."""
    if os.environ.get("BENCH_REV"):  # an exported tree (export_tree) has no .git
        return os.environ["BENCH_REV"]
    git = shutil.which("git")
    if git is None:
        return "unknown"
    try:
        head = subprocess.run(  # noqa: S603 - git by full path, fixed arguments
            [git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(  # noqa: S603
            [git, "status", "--porcelain", "--", "bot", "cogs"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


@contextlib.contextmanager
def export_tree(rev: str) -> Iterator[tuple[Path, str]]:
    """Commit `rev` of this repository written out to a temporary directory (`git archive`), and
    its short hash: run a benchmark with BENCH_CODE=<that path> and BENCH_REV=<hash> to measure
    it beside the working tree, same machine, same minute."""
    git = shutil.which("git")
    if git is None:
        raise SystemExit("--compare needs git")
    short = subprocess.run(  # noqa: S603 - git by full path, fixed arguments
        [git, "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="bench-tree-") as tmp:
        archive = Path(tmp) / "tree.tar"
        with archive.open("wb") as out:
            subprocess.run([git, "archive", short], cwd=ROOT, stdout=out, check=True)  # noqa: S603
        target = Path(tmp) / "tree"
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
        yield target, short


def code_env(tree: Path | None, rev: str | None) -> dict[str, str]:
    """The environment of a child benchmark process measuring `tree` (None: this checkout)."""
    env = dict(os.environ)
    env.pop("BENCH_CODE", None)
    env.pop("BENCH_REV", None)
    if tree is not None and rev is not None:
        env["BENCH_CODE"], env["BENCH_REV"] = str(tree), rev
    return env


def rss_mib(pid: int | str = "self") -> float:
    """VmRSS of a process, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- the bot against the doubles -----------------------------------------------------------------


def bench_settings(dd: DiscordDouble, ua: UseapiDouble | None, database: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "discord_token": DISCORD_TOKEN,
        "useapi_token": USEAPI_TOKEN,
        "useapi_base_url": ua.base_url if ua is not None else None,
        "discord_api_base": dd.api_base,
        "discord_gateway_url": dd.gateway_url,
        "database_path": database,
        "guild_id": dd.guild_id,
        "alert_channel_id": dd.alert_channel_id,
        "log_level": "INFO",
    }
    values.update(overrides)
    return Settings(**values)


def production_logging() -> None:
    """The bot's own logging set-up at INFO, written to /dev/null (a real write per line)."""
    sink = open(os.devnull, "w")  # lives as long as the process
    logs.configure("INFO", stream=sink)
    for secret in (DISCORD_TOKEN, USEAPI_TOKEN):
        logs.add_secret(secret)


async def start(client: discord.Client, within: float = 15) -> asyncio.Task[None]:
    """Start a discord.py client and wait until it is ready; returns its task."""
    task = asyncio.create_task(client.start(DISCORD_TOKEN))
    ready = asyncio.create_task(client.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()
    if ready not in done:
        raise TimeoutError("the client did not become ready")
    return task


async def stop(client: discord.Client, task: asyncio.Task[None]) -> None:
    await client.close()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 10)


@contextlib.asynccontextmanager
async def warden(
    database: Path, *, clock: Clock | None = None, autostart: bool = True, **overrides: Any
) -> AsyncIterator[tuple[WardenBot, DiscordDouble, UseapiDouble]]:
    """A real WardenBot, ready, against fresh doubles; logging as in production (INFO).
    With `useapi_base_url` among the overrides, no useapi.net double is started here (one runs
    in another process, `_upstream.py`) and the third item is None."""
    production_logging()
    # useapi.net's own notion of now (Luma's live sessionValid) follows the bot's clock.
    upstream_now = {"now": clock.now} if clock is not None else {}
    async with contextlib.AsyncExitStack() as stack:
        dd = await stack.enter_async_context(DiscordDouble(token=DISCORD_TOKEN))
        ua: Any = None
        if "useapi_base_url" not in overrides:
            ua = await stack.enter_async_context(UseapiDouble(token=USEAPI_TOKEN, **upstream_now))
        # As the bot's own process runs it (bot.runner), where the code measured has it.
        settle = {"settle_heap": True} if "settle_heap" in inspect.signature(WardenBot).parameters else {}
        bot = WardenBot(
            bench_settings(dd, ua, database, **overrides),
            clock=clock,
            guild_ready_timeout=0.1,
            alerts_autostart=autostart,
            **settle,
        )
        task = await start(bot)
        try:
            yield bot, dd, ua
        finally:
            await stop(bot, task)


async def dispatch_via(gateway: DiscordDouble, rest: DiscordDouble, payload: dict[str, Any]) -> str:
    """Like `rest.dispatch_interaction(payload)`, but the INTERACTION_CREATE goes out on another
    double's gateway. discord.py sends every REST call and interaction callback to one base URL
    per process (`Route.BASE`), so two bots in one process share one REST double; each keeps its
    own gateway. The callback is recorded, and its latency measured, by `rest` as usual."""
    iid = int(payload["id"])
    inter = _Interaction(payload, time.monotonic())
    rest._interactions[iid] = inter
    rest._by_token[payload["token"]] = inter
    await gateway.dispatch("INTERACTION_CREATE", payload)
    return str(iid)


async def timed(runs: int, work: Any) -> list[float]:
    """Seconds each of `runs` awaits of `work()` took, one after another."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await work()
        out.append(time.perf_counter() - t0)
    return out
