"""Every kind of scheduler pass on a moving clock, the /… remove autocomplete, and acknowledgements
during passes: 1,000 / 10,000 / 50,000 accounts, and all thirteen services at 100 accounts each.

For each size the useapi.net double, in a process of its own (`_upstream.py`, so building a long
list is not counted as the bot's work), lists the accounts: half Luma (reads live details), half
Kling (does not); or, for the catalogue, every service with `--catalogue` accounts each. A real
WardenBot (loop stopped, a FakeClock the benchmark moves) runs a first pass that syncs every list
and posts what is due (about 11 % of the accounts are inside 72 h; with all services, every
account's live details are then read once, as some deadlines come only from them). Then the
clock moves 30 s (the scheduler's longest sleep) before each pass, as for a running bot, two
accounts warned about are renewed on useapi.net every 5 minutes, and each pass is counted as
the kind it turned out to be:

  follow-through  the once-a-minute pass that resolves, lapses claims and reminds (reads the
                  open warnings and their accounts), besides planning the window
  steady          heartbeat, lease, the window planned, nothing due, no sync due
  after a sync    a list's SYNC_INTERVAL (15 min) passed: the lists due read over loopback
                  HTTP and applied, then what they changed (the renewals: the plan again, the
                  warnings resolved and their messages edited)

Nothing falls due meanwhile (the deadlines keep 3 hours clear of every stage, see _upstream.py),
so each kind does the same work each time. Reported per kind: wall time and CPU time of the
bot's process (its work: the database thread included, the useapi.net double's excluded), and
for the passes after a sync, the syncs' share (first list requested to last list applied).
Where the code reads live details beside the pass (bot/details.py), one reader round runs after
each pass and is reported on its own.

Then, for `--acks` more passes, a member opens `/luma register` over and over (one interaction
in flight, 2 ms apart): the acknowledgement latency (dispatch → callback, as ack_latency.py) of
those dispatched during a pass, per kind. And the `/luma remove` autocomplete: dispatch →
choices, for an empty field, a prefix, a substring and no match.

`--compare REV` measures commit REV (written out with `git archive`) the same way, right
before the working tree, size by size: before/after ratios are taken within one run.

    .venv/bin/python bench/pass_kinds.py [--sizes 1000,10000,50000] [--catalogue 100]
                                         [--runs 5] [--acks 40] [--compare REV]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _util
from _upstream import MIXES
from _util import median_range, table

from bot.expiry import horizon
from tests.clock import FakeClock

KINDS = ("follow-through", "steady", "after a sync")
STEP = timedelta(seconds=30)  # between passes: the scheduler's longest sleep (MAX_SLEEP)
RENEW_EVERY = timedelta(minutes=5)  # then RENEWALS accounts warned about are renewed upstream
RENEWALS = 2
MAX_STEPS = 340  # 2 h 50 min: stages keep 3 hours clear (_upstream.py)
WARMUP = 4  # passes
TYPED = {"empty": "", "prefix": "luma0001", "substring": "0001", "no match": "zzz"}
HERE = Path(__file__).resolve().parent


# -- one measurement, in a child process ----------------------------------------------------------


class GcWatch:
    """Every garbage collection while on: its generation and how long it took."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self.on = False
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self.on:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))


class SyncSpans:
    """Wall and CPU time from the first of a pass's syncs starting to the last one ending (they
    run side by side): reading and applying the lists, apart from the rest of the pass."""

    def __init__(self, watch: Any) -> None:
        self.wall = self.cpu = 0.0
        self._active = 0
        self._t0 = self._c0 = 0.0
        sync = watch._sync

        async def timed_sync(*args: Any, **kwargs: Any) -> Any:
            if self._active == 0:
                self._t0, self._c0 = time.perf_counter(), time.process_time()
            self._active += 1
            try:
                return await sync(*args, **kwargs)
            finally:
                self._active -= 1
                if self._active == 0:
                    self.wall += time.perf_counter() - self._t0
                    self.cpu += time.process_time() - self._c0

        watch._sync = timed_sync


async def drain_details(watch: Any, reader: Any) -> int:
    """Read every account's live details once, with the code's own reader; the number read."""
    read = 0
    if reader is not None:  # beside the pass (bot/details.py)
        while (done := await reader.read_round()).read:
            read += done.read
    else:  # a few a service inside each pass, before issue 19
        from bot.watch import DETAILS_INTERVAL, PassReport  # that code only

        keys = [k for k, service in watch.services.items() if service.reads_details]

        async def due() -> int:
            before = watch.clock.now() - DETAILS_INTERVAL
            return sum([len(await watch.store.details_due(k, before=before, limit=3)) for k in keys])

        while count := await due():
            await watch._read_stale_details(PassReport(at=watch.clock.now()))
            read += count
    return read


async def start_upstream(mix: str, size: int, start: datetime) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "_upstream.py"),
        "--mix", mix, "--size", str(size), "--start", str(int(start.timestamp())),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 300)
    if not line:
        raise RuntimeError("the useapi.net double did not start")
    return proc, line.decode().split()[0]


async def measure(mix: str, size: int, runs: int, ack_passes: int) -> dict[str, Any]:
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    services = MIXES[mix]
    upstream, url = await start_upstream(mix, size, start)
    watch_gc = GcWatch()
    gc.callbacks.append(watch_gc)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            clock = FakeClock(start)
            async with _util.warden(
                Path(tmp) / "bench.sqlite3",
                clock=clock,
                autostart=False,
                services=services,
                useapi_base_url=url,
                register_rate=None,
            ) as (bot, dd, _):
                return await _measure(bot, dd, clock, services, runs, ack_passes, watch_gc, upstream)
    finally:
        gc.callbacks.remove(watch_gc)
        assert upstream.stdin is not None
        upstream.stdin.close()
        await upstream.wait()


async def _measure(
    bot: Any,
    dd: Any,
    clock: FakeClock,
    services: tuple[str, ...],
    runs: int,
    ack_passes: int,
    watch_gc: GcWatch,
    upstream: asyncio.subprocess.Process,
) -> dict[str, Any]:
    cog: Any = bot.get_cog("AlertsCog")
    watch = cog.watch
    reader = getattr(watch, "details", None)  # off the pass since issue 19 (bot/details.py)
    t0 = time.perf_counter()
    first = await cog.run_pass()
    first_s = time.perf_counter() - t0
    assert first.error is None and all(r.ok for r in first.synced.values()), first
    assert set(first.synced) == set(services), first.synced
    out: dict[str, Any] = {
        "tracked": await bot.store.count_accounts(),
        "first": first_s,
        "first_sent": len(first.sent),
        "wall": defaultdict(list),
        "cpu": defaultdict(list),
        "sync_wall": [],
        "sync_cpu": [],
        "lists": [],
        "reader": defaultdict(list),
    }
    if len(services) > 2:
        # Some services' deadlines come from live details only (Google Flow's cookies): read
        # every account's once, so the passes measured find nothing new to warn about.
        out["drained"] = await drain_details(watch, reader)
        await cog.run_pass()
    out["open"] = len(await bot.store.posted_warnings())
    syncs = SyncSpans(watch)

    timing = True
    renewed_at = clock.now()

    async def one() -> tuple[str, float, float]:
        """The next pass, STEP later; what kind it was, its wall and CPU time."""
        nonlocal renewed_at
        clock.advance(STEP)
        if clock.now() - renewed_at >= RENEW_EVERY:
            renewed_at = clock.now()
            assert upstream.stdin is not None and upstream.stdout is not None
            upstream.stdin.write(f"renew {RENEWALS}\n".encode())
            await upstream.stdin.drain()
            assert await upstream.stdout.readline() == b"ok\n"
        followed = watch._followed_at
        syncs.wall = syncs.cpu = 0.0
        t0, c0 = time.perf_counter(), time.process_time()
        report = await cog.run_pass()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert report.error is None and report.leader, report
        assert not report.sent, report.sent  # nothing falls due (see _upstream.py)
        if report.synced:
            did = "after a sync"
            if timing:
                out["sync_wall"].append(syncs.wall)
                out["sync_cpu"].append(syncs.cpu)
                out["lists"].append(len(report.synced))
        else:
            did = "follow-through" if watch._followed_at != followed else "steady"
        return did, wall, cpu

    async def reader_round() -> None:
        if reader is None:
            return
        t0, c0 = time.perf_counter(), time.process_time()
        done = await reader.read_round()
        out["reader"]["wall"].append(time.perf_counter() - t0)
        out["reader"]["cpu"].append(time.process_time() - c0)
        out["reader"]["reads"].append(done.read)

    steps = 0
    for steps in range(1, MAX_STEPS + 1):
        if steps == WARMUP + 1:
            watch_gc.on = True
        timing = steps > WARMUP
        did, wall, cpu = await one()
        if timing:
            out["wall"][did].append(wall)
            out["cpu"][did].append(cpu)
        await reader_round()
        if timing and all(len(out["wall"][kind]) >= runs for kind in KINDS):
            break
    out["steps"] = steps
    watch_gc.on = False
    out["gc"] = watch_gc.pauses
    now = clock.now()
    stages = await watch.stages()
    window = await bot.store.watch_window({k: horizon(stages, k, now) for k in services}, now=now)
    out["window"] = len(window.accounts)

    # Acknowledgements while the same passes run.
    timing = False
    member = dd.member_ids[0]
    await bot.approvals.grant("user", member, granted_by=dd.admin_id, now=clock.now())
    passes: list[tuple[float, float, str]] = []
    acks: list[tuple[float, float]] = []
    stop = asyncio.Event()

    async def member_opens_forms() -> None:
        while not stop.is_set():
            iid = await dd.dispatch_interaction(dd.slash_command("luma", "register", user=member))
            dispatched = time.monotonic()
            cb = await dd.wait_for_callback(iid, timeout=10)
            assert cb.type == 9, cb.request.json
            acks.append((dispatched, cb.latency))
            dd.requests.clear()
            await asyncio.sleep(0.002)

    driver = asyncio.create_task(member_opens_forms())
    try:
        await asyncio.sleep(0.5)
        for _ in range(ack_passes):
            began = time.monotonic()
            did, _, _ = await one()
            passes.append((began, time.monotonic(), did))
            await reader_round()
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await driver
    during: dict[str, list[float]] = defaultdict(list)
    for dispatched, latency in acks:
        kind = next((k for b, e, k in passes if b <= dispatched <= e), "between passes")
        during[kind].append(latency)
    out["acks"] = during

    # The /luma remove autocomplete, as an admin types.
    choices: dict[str, list[float]] = defaultdict(list)
    found: dict[str, int] = {}
    for _ in range(max(20, runs * 5)):
        for name, typed in TYPED.items():
            payload = dd.slash_command("luma", "remove", options={"account": typed}, user=dd.admin_id)
            payload["type"] = 4
            payload["data"]["options"][0]["options"][0]["focused"] = True
            iid = await dd.dispatch_interaction(payload)
            cb = await dd.wait_for_callback(iid, timeout=10)
            assert cb.type == 8, cb.request.json
            choices[name].append(cb.latency)
            found[name] = len(cb.data["choices"])
            dd.requests.clear()
    out["autocomplete"] = choices
    out["choices"] = found
    out["rss"] = _util.rss_mib()
    return out


def child(spec: dict[str, Any]) -> None:
    result = asyncio.run(measure(spec["mix"], spec["size"], spec["runs"], spec["acks"]))
    print("RESULT " + json.dumps(result), flush=True)


# -- the parent: children per size and per commit, tables -----------------------------------------


def run_child(spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - this interpreter, this script
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            return result
    raise RuntimeError(f"the measurement failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}")


def fig(values: list[float]) -> str:
    return median_range([v * 1000 for v in values], "{:.1f}") if values else "-"


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p99(values: list[float]) -> str:
    return f"{_util.percentile(values, 99) * 1000:.1f}" if values else "-"


def report(label: str, results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    print(f"\n### {label}\n")
    any_result = next(iter(results.values()))
    print(
        f"{any_result['tracked']:,} accounts tracked, {any_result['window']:,} of them in the scheduler's "
        f"window, {any_result['open']:,} open warnings after the first pass ({any_result['first_sent']:,} "
        f"posted in {any_result['first']:.1f} s)\n"
    )
    for name in names:
        r = results[name]
        counts = ", ".join(f"{len(r['wall'].get(kind, []))} {kind}" for kind in KINDS)
        lists = statistics.median(r["lists"]) if r["lists"] else 0
        print(f"{name}: {r['steps']} passes timed ({counts}); lists read per pass after a sync: {lists:g}")
    print()
    rows = []
    for kind in KINDS:
        row = [kind]
        for name in names:
            r = results[name]
            row += [fig(r["wall"].get(kind, [])), fig(r["cpu"].get(kind, []))]
        if len(names) == 2:
            a, b = (med(results[n]["cpu"].get(kind, [])) for n in names)
            row.append(f"{a / b:.1f}x" if b == b and b > 0 else "-")
        rows.append(row)
    row = ["… of it, the syncs"]
    for name in names:
        row += [fig(results[name]["sync_wall"]), fig(results[name]["sync_cpu"])]
    if len(names) == 2:
        a, b = (med(results[n]["sync_cpu"]) for n in names)
        row.append(f"{a / b:.1f}x" if b == b and b > 0 else "-")
    rows.append(row)
    row = ["… the rest of it"]
    for name in names:
        r = results[name]
        rest_wall = [w - s for w, s in zip(r["wall"].get("after a sync", []), r["sync_wall"], strict=False)]
        rest_cpu = [c - s for c, s in zip(r["cpu"].get("after a sync", []), r["sync_cpu"], strict=False)]
        row += [fig(rest_wall), fig(rest_cpu)]
    if len(names) == 2:
        a, b = (
            med(
                [
                    c - s
                    for c, s in zip(
                        results[n]["cpu"].get("after a sync", []), results[n]["sync_cpu"], strict=False
                    )
                ]
            )
            for n in names
        )
        row.append(f"{a / b:.1f}x" if b == b and b > 0 else "-")
    rows.append(row)
    headers = ["pass"]
    for name in names:
        headers += [f"{name}: wall ms", f"{name}: CPU ms"]
    if len(names) == 2:
        headers.append("CPU before / after")
    print(table(headers, rows))
    reader = results[names[-1]]["reader"]
    if reader.get("wall"):
        print(
            f"\nDetails reader ({names[-1]}), one round after each pass: {med(reader['reads']):.0f} reads, "
            f"wall {fig(reader['wall'])} ms, CPU {fig(reader['cpu'])} ms"
        )
    rows = []
    for kind in (*KINDS, "between passes"):
        row = [kind]
        for name in names:
            values = results[name]["acks"].get(kind, [])
            row += [str(len(values)), f"{med(values) * 1000:.1f}" if values else "-", p99(values),
                    f"{max(values) * 1000:.1f}" if values else "-"]  # fmt: skip
        rows.append(row)
    headers = ["acknowledgements dispatched during"]
    for name in names:
        headers += [f"{name}: n", "p50 ms", "p99 ms", "max ms"]
    print()
    print(table(headers, rows))
    rows = []
    for typed in TYPED:
        row = [f"{typed} ({TYPED[typed]!r})"]
        for name in names:
            values = results[name]["autocomplete"].get(typed, [])
            row += [f"{med(values) * 1000:.2f}", p99(values), str(results[name]["choices"].get(typed))]
        rows.append(row)
    headers = ["/luma remove autocomplete, typed"]
    for name in names:
        headers += [f"{name}: p50 ms", "p99 ms", "choices"]
    print()
    print(table(headers, rows))
    rows = []
    for name in names:
        pauses = results[name]["gc"]
        full = [p for g, p in pauses if g == 2]
        rows.append(
            [name, len(pauses), len(full), f"{max(full) * 1000:.1f}" if full else "-",
             f"{max((p for _, p in pauses), default=0) * 1000:.1f}"]
        )  # fmt: skip
    print()
    print(table(["code", "collections in the timed passes", "full (gen 2)", "longest full ms",
                 "longest any ms"], rows))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="1000,10000,50000", help="accounts, Luma and Kling (each 10-60000)"
    )
    parser.add_argument(
        "--catalogue",
        type=int,
        default=100,
        help="accounts per service with all switched on (0: skip; ≤ 1000)",
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="passes of each kind at least, after a sync the rarest (3-50)"
    )
    parser.add_argument("--acks", type=int, default=40, help="passes with acknowledgements measured (0-300)")
    parser.add_argument("--compare", metavar="REV", help="also measure this commit, before the working tree")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    sizes = [max(10, min(int(s), 60000)) for s in args.sizes.split(",") if s.strip()]
    runs = max(3, min(args.runs, 50))
    acks = max(0, min(args.acks, 300))
    catalogue = max(0, min(args.catalogue, 1000))
    configs = [("two", size, f"{size:,} accounts (Luma and Kling)") for size in sizes]
    if catalogue:
        configs.append(("all", catalogue, f"all {len(MIXES['all'])} services, {catalogue} accounts each"))
    print(_util.machine())
    print(f"at least {runs} passes of each kind after {WARMUP} warm-up passes; median (min-max) in ms")
    with contextlib.ExitStack() as stack:
        codes: list[tuple[str, dict[str, str]]] = []
        if args.compare:
            tree, rev = stack.enter_context(_util.export_tree(args.compare))
            codes.append((f"before ({rev})", _util.code_env(tree, rev)))
        codes.append(
            (f"after ({_util.revision()})" if args.compare else _util.revision(), _util.code_env(None, None))
        )
        for mix, size, label in configs:
            results = {}
            for name, env in codes:
                t0 = time.monotonic()
                spec = {"mix": mix, "size": size, "runs": runs, "acks": acks}
                results[name] = run_child(spec, env)
                print(
                    f"({label}, {name}: {time.monotonic() - t0:.0f} s, load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
            report(label, results)


if __name__ == "__main__":
    main()
