"""Acknowledgement latency: Session Warden beside a bare discord.py bot, in one process, interleaved.

Latency is the time from the Discord double dispatching INTERACTION_CREATE to it receiving the
bot's interaction callback (the acknowledgement Discord wants within 3 s), on loopback.

Measured, for each of `--iterations` rounds, in alternating order:
  warden open     /luma register by an approved member -> the modal (type 9)
  warden submit   the modal's submit -> the private deferral (type 5); the registration
                  (useapi.net call, database, public notice, follow-up) is awaited before the
                  next interaction, so it does not overlap the next measurement
  bare reply      the same /luma register payload -> a fixed ephemeral reply (type 4)
  bare open       the same payload -> a one-field modal
  bare submit     that modal's submit -> a deferral, then a fixed follow-up
The bare bot is a minimal `commands.Bot` (the framework's floor). Both bots share one REST double
(discord.py has one REST base per process) and each has its own gateway double.

Then the slow-upstream case: the useapi.net double answers registrations after 2.5 s;
`--slow` submits are dispatched at once, with modal openings measured while they wait.

    .venv/bin/python bench/ack_latency.py [--iterations 1000] [--repeats 3] [--slow 50]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _util
import discord
import yarl
from _bare import BareBot
from _util import DISCORD_TOKEN, Summary, dispatch_via, median_range, ms, table

from tests.doubles.discord_double import CallbackResult, DiscordDouble

SESSION = "BenchLumaSess10nQ4xT9pLm2"
EXPIRES = datetime.now(UTC) + timedelta(days=20)
KINDS = ("warden open", "warden submit", "bare reply", "bare open", "bare submit")
DEADLINE = 3.0


# -- measuring ----------------------------------------------------------------------------------


class Driver:
    def __init__(self, rest: DiscordDouble, bare_gateway: DiscordDouble, member: int) -> None:
        self.rest = rest
        self.bare_gateway = bare_gateway
        self.member = member

    async def ack(self, payload: dict[str, Any], *, bare: bool) -> CallbackResult:
        if bare:
            iid = await dispatch_via(self.bare_gateway, self.rest, payload)
        else:
            iid = await self.rest.dispatch_interaction(payload)
        return await self.rest.wait_for_callback(iid, timeout=10)

    async def followup(self, callback: CallbackResult, within: float = 15) -> None:
        token = callback.request.path.split("/")[3]
        await self.rest.wait_for(
            lambda r: r.method in ("POST", "PATCH") and r.path.startswith("/webhooks/") and token in r.path,
            within,
        )

    def command(self) -> dict[str, Any]:
        return self.rest.slash_command("luma", "register", user=self.member)

    def submit_for(self, opened: CallbackResult) -> dict[str, Any]:
        return self.rest.modal_submit_for(opened, {"cookie": SESSION}, user=self.member)

    async def warden_round(self, out: dict[str, list[float]]) -> None:
        opened = await self.ack(self.command(), bare=False)
        assert opened.type == 9, opened.request.json
        submitted = await self.ack(self.submit_for(opened), bare=False)
        assert submitted.type == 5, submitted.request.json
        await self.followup(submitted)
        out["warden open"].append(opened.latency)
        out["warden submit"].append(submitted.latency)

    async def bare_round(self, bare: BareBot, out: dict[str, list[float]]) -> None:
        bare.mode = "reply"
        replied = await self.ack(self.command(), bare=True)
        assert replied.type == 4
        bare.mode = "modal"
        opened = await self.ack(self.command(), bare=True)
        assert opened.type == 9
        submitted = await self.ack(self.submit_for(opened), bare=True)
        assert submitted.type == 5
        await self.followup(submitted)
        out["bare reply"].append(replied.latency)
        out["bare open"].append(opened.latency)
        out["bare submit"].append(submitted.latency)


async def one_run(iterations: int, slow: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            _util.warden(
                Path(tmp) / "bench.sqlite3",
                useapi_timeout=timedelta(seconds=10),
                register_rate=None,  # one member registers over and over
            ) as (bot, dd, ua),
            DiscordDouble(token=DISCORD_TOKEN) as bare_gateway,
        ):
            ua.add_luma_session(SESSION, "bench@example.com", expires=EXPIRES)
            member = dd.member_ids[0]
            await bot.store.grant("user", member, granted_by=dd.admin_id, now=datetime.now(UTC))
            # The bare bot's gateway is its own; REST (Route.BASE) stays the shared double.
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(bare_gateway.gateway_url)
            bare = BareBot()
            bare_task = await _util.start(bare)
            try:
                driver = Driver(dd, bare_gateway, member)
                # Warm-up: first-call costs (imports, SQLite page cache, connection pools).
                for _ in range(20):
                    await driver.warden_round(defaultdict(list))
                    await driver.bare_round(bare, defaultdict(list))
                samples: dict[str, list[float]] = defaultdict(list)
                for i in range(iterations):
                    if i % 2 == 0:
                        await driver.warden_round(samples)
                        await driver.bare_round(bare, samples)
                    else:
                        await driver.bare_round(bare, samples)
                        await driver.warden_round(samples)
                    # The doubles keep every request; waiting scans them, so keep the list short.
                    dd.requests.clear()
                    bare_gateway.requests.clear()
                slow_samples = await slow_upstream(driver, ua, slow) if slow else {}
            finally:
                await _util.stop(bare, bare_task)
    return samples, slow_samples


async def slow_upstream(driver: Driver, ua: Any, count: int) -> dict[str, list[float]]:
    """useapi.net answering in 2.5 s: `count` submits at once, and modal openings meanwhile."""
    ua.inject("POST", "/v1/luma/accounts", delay=2.5, times=None)
    opened = [await driver.ack(driver.command(), bare=False) for _ in range(count)]
    t0 = time.monotonic()
    ids = [await driver.rest.dispatch_interaction(driver.submit_for(o)) for o in opened]
    dispatch_spread = time.monotonic() - t0
    during: list[float] = []
    for _ in range(500):  # openings, 5 ms apart, while every registration waits on useapi.net
        if time.monotonic() - t0 > 2.3:
            break
        during.append((await driver.ack(driver.command(), bare=False)).latency)
        await asyncio.sleep(0.005)
    acks = await asyncio.gather(*(driver.rest.wait_for_callback(i, timeout=10) for i in ids))
    assert all(a.type == 5 for a in acks)
    await asyncio.gather(*(driver.followup(a, within=20) for a in acks))
    done = time.monotonic() - t0
    ua.clear_faults()
    late = [r for r in driver.rest.requests if r.path.endswith("/callback") and r.at - t0 > DEADLINE]
    return {
        "submit ack (2.5 s upstream)": [a.latency for a in acks],
        "open ack while they wait": during,
        "_meta": [dispatch_spread, done, float(len(late))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=1000, help="rounds per run (1-20000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs (1-10)")
    parser.add_argument(
        "--slow", type=int, default=50, help="concurrent submits with a 2.5 s upstream (0-200)"
    )
    args = parser.parse_args()
    iterations = max(1, min(args.iterations, 20000))
    repeats = max(1, min(args.repeats, 10))
    slow = max(0, min(args.slow, 200))

    print(_util.machine())
    print(f"{iterations} rounds per run, {repeats} run(s); latencies in ms\n")
    runs: list[dict[str, Summary]] = []
    for run in range(repeats):
        t0 = time.monotonic()
        samples, slow_samples = asyncio.run(one_run(iterations, slow if run == repeats - 1 else 0))
        summaries = {kind: Summary.of(samples[kind]) for kind in KINDS}
        runs.append(summaries)
        print(f"run {run + 1} ({time.monotonic() - t0:.0f} s)")
        rows = [[k, s.n, ms(s.p50), ms(s.p99), ms(s.max)] for k, s in summaries.items()]
        print(table(["interaction", "n", "p50", "p99", "max"], rows))
        ratios = [
            ["open: warden / bare modal", *ratio(summaries, "warden open", "bare open")],
            ["open: warden / bare fixed reply", *ratio(summaries, "warden open", "bare reply")],
            ["submit: warden / bare deferral", *ratio(summaries, "warden submit", "bare submit")],
            ["submit: warden / bare fixed reply", *ratio(summaries, "warden submit", "bare reply")],
        ]
        print(table(["ratio (same run)", "p50", "p99"], ratios) + "\n")
        if slow_samples:
            spread, done, late = slow_samples.pop("_meta")
            rows = []
            for name, values in slow_samples.items():
                s = Summary.of(values)
                over = sum(v >= DEADLINE for v in values)
                rows.append([name, s.n, ms(s.p50), ms(s.p99), ms(s.max), over])
            print(f"useapi.net answering in 2.5 s: {slow} submits dispatched within {ms(spread)} ms, ")
            print(
                f"all registrations finished {done:.2f} s after the first dispatch; late callbacks: {late:.0f}"
            )
            print(table(["interaction", "n", "p50", "p99", "max", ">= 3 s"], rows) + "\n")

    if repeats > 1:
        print(f"across {repeats} runs: median (min-max) of each run's figure")
        rows = []
        for kind in KINDS:
            rows.append(
                [
                    kind,
                    median_range([r[kind].p50 * 1000 for r in runs]),
                    median_range([r[kind].p99 * 1000 for r in runs]),
                    median_range([r[kind].max * 1000 for r in runs]),
                ]
            )
        print(table(["interaction", "p50 ms", "p99 ms", "max ms"], rows))
        rows = []
        for label, a, b in (
            ("open: warden / bare modal", "warden open", "bare open"),
            ("open: warden / bare fixed reply", "warden open", "bare reply"),
            ("submit: warden / bare deferral", "warden submit", "bare submit"),
            ("submit: warden / bare fixed reply", "warden submit", "bare reply"),
        ):
            rows.append(
                [
                    label,
                    median_range([r[a].p50 / r[b].p50 for r in runs]),
                    median_range([r[a].p99 / r[b].p99 for r in runs]),
                ]
            )
        print(table(["ratio, each taken within one run", "p50", "p99"], rows))


def ratio(summaries: dict[str, Summary], a: str, b: str) -> list[str]:
    return [f"{summaries[a].p50 / summaries[b].p50:.2f}", f"{summaries[a].p99 / summaries[b].p99:.2f}"]


if __name__ == "__main__":
    main()
