"""Scheduler-lease takeover in real time: a container killed and restarted in place.

`python -m bot` runs against the doubles until it holds the scheduler lease and has passed a few
times; it is SIGKILLed (it never releases the lease) at a point of its 30-second cycle, and a new
process on the same database starts at once, as a container restarted in place would. Measured:
from the kill to the new process saying it holds the lease ("taken over" / "held"), and from its
start to Discord READY, for context. Until issue 18 a restart with the same host name and PID took
the lease at once, which is also how two live twins took each other's; now the dead run's lease
lapses 45 s (bot.lease.DEFAULT_TTL) after its last renewal, and the standby tries at that moment.

    .venv/bin/python bench/lease_takeover.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

import _util
from _util import median_range, table

from bot.lease import DEFAULT_TTL, RENEWAL_PERIOD
from tests.doubles.discord_double import DiscordDouble
from tests.doubles.useapi_double import UseapiDouble
from tests.process import StderrLines, bot_env, start_bot_process


async def one_run(folder: Path, kill_after: float) -> tuple[float, float]:
    """(seconds from the kill to the new process holding the lease, its start to READY)."""
    async with DiscordDouble(token=_util.DISCORD_TOKEN) as dd, UseapiDouble(token=_util.USEAPI_TOKEN) as ua:
        env = bot_env(
            dd,
            ua,
            folder / "warden.sqlite3",
            discord_token=_util.DISCORD_TOKEN,
            useapi_token=_util.USEAPI_TOKEN,
        )
        env["LOG_LEVEL"] = "INFO"
        first = await start_bot_process(env, folder)
        err = StderrLines(first)
        await err.wait_for("scheduler lease held by this instance", timeout=60)
        await asyncio.sleep(kill_after)  # somewhere in its cycle: right after a pass, or later
        first.kill()
        killed = time.monotonic()
        await first.wait()
        second = await start_bot_process(env, folder)
        out = StderrLines(second)
        started = time.monotonic()
        try:
            await out.wait_for("ready as", timeout=60)
            ready = time.monotonic() - started
            await out.wait_for("scheduler lease", count=2, timeout=120)  # standing by, then taken
            taken = [
                line for line in out.lines if "taken over by this instance" in line or "held by this" in line
            ]
            assert taken, out.lines
            return time.monotonic() - killed, ready
        finally:
            second.kill()
            await second.wait()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="kill-and-restart runs (1-10)")
    args = parser.parse_args()
    runs = max(1, min(10, args.runs))
    takeovers, readies = [], []
    for run in range(runs):
        # The kill lands anywhere in the 30 s between two passes (the first run right after one).
        kill_after = 0.5 if run == 0 else random.uniform(0.5, RENEWAL_PERIOD.total_seconds())
        with tempfile.TemporaryDirectory() as folder:
            took, ready = await one_run(Path(folder), kill_after)
        print(
            f"run {run + 1}: killed {kill_after:.1f} s into the cycle; lease taken {took:.1f} s after the kill"
        )
        takeovers.append(took)
        readies.append(ready)
    print(_util.machine())
    print(
        table(
            ["what", "median (min-max), s"],
            [
                ["kill → restarted process holds the lease", median_range(takeovers, "{:.1f}")],
                ["restarted process start → READY", median_range(readies, "{:.1f}")],
            ],
        )
    )
    print(
        f"lease TTL {DEFAULT_TTL.total_seconds():.0f} s = renewal period {RENEWAL_PERIOD.total_seconds():.0f} s + slack"
    )


if __name__ == "__main__":
    asyncio.run(main())
