"""Scheduler cost as the work grows: one pass over 10, 1,000 and 10,000 tracked accounts.

For each size, the database holds that many accounts (half Luma, half LTX Studio, written with
SQL) with expiries spread evenly over the next 30 days, both services synced "just now"; the
useapi.net double lists the same accounts. A real WardenBot (fixed clock, loop stopped) runs its
first pass, which warns about the stages already crossed (about 10 % of the accounts are inside
72 h: one warning each, the less urgent stages recorded as skipped). Then, with nothing due:

  steady pass   `AlertsCog.run_pass()`: heartbeat, lease, the window (the accounts that can have
                something due, with their recorded warnings, read in one SQL statement, and
                the earliest expiry past it), plan it, nothing to post, no sync due; this is
                what runs every 30 s
  sync pass     the same with both services' syncs due: both account lists read from the
                double over loopback HTTP and applied in one transaction each (the bot reads
                at most 16 MB per account list, about 57,000 Luma accounts)
and the parts of the steady pass: reading the window (`Store.watch_window`) and
`plan()` over it (`bot.watch.plan_of_window`, pure); and what `/alerts status` plans: every account, every
recorded warning (`ExpiryWatch.plan_everything`).

    .venv/bin/python bench/scheduler_cost.py [--sizes 10,1000,10000] [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _util
from _util import median_range, table

from bot.clock import to_epoch
from bot.expiry import horizon
from bot.settings import SYNC_STATE
from bot.store import Store
from bot.sync import SyncState
from bot.watch import plan_of_window
from tests.clock import FakeClock

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SPAN = timedelta(days=30)


def accounts(size: int) -> list[tuple[str, str, datetime]]:
    out = []
    for i in range(size):
        expires = (START + timedelta(hours=1) + SPAN * i / size).replace(microsecond=0)
        out.append(
            ("luma", f"luma{i:05d}@example.com", expires)
            if i % 2 == 0
            else ("ltx", f"ltx{i:05d}@example.com", expires)
        )
    return out


async def seed(database: Path, size: int) -> None:
    """The accounts, as the sync would have stored them, and both services synced at START."""
    store = await Store.open(database)
    try:
        stamp = to_epoch(START)
        rows = [
            (
                service,
                account,
                to_epoch(expires),
                to_epoch(expires + timedelta(days=30)) if service == "ltx" else None,
                stamp,
                stamp,
            )
            for service, account, expires in accounts(size)
        ]
        await store.db.executemany(
            "INSERT INTO accounts (service, account, expires_at, refresh_expires_at, first_seen_at, synced_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        await store.db.commit()
        synced = SyncState(START, START, "ok", 0, START + timedelta(minutes=15)).to_json()
        for service in ("luma", "ltx"):
            await SYNC_STATE.set(store, synced, service)
    finally:
        await store.close()


def populate(ua: Any, size: int) -> None:
    for service, account, expires in accounts(size):
        if service == "luma":
            ua.set_luma_account(account, expires)
        else:
            ua.set_ltx_account(account, expires, expires + timedelta(days=30))


async def measure(size: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        await seed(database, size)
        # Half Luma, half LTX Studio (switched on here: it is off by default).
        async with _util.warden(
            database, clock=FakeClock(START), autostart=False, services=("luma", "ltx")
        ) as (bot, _dd, ua):
            populate(ua, size)
            cog: Any = bot.get_cog("AlertsCog")
            t0 = time.perf_counter()
            first = await cog.run_pass()
            first_s = time.perf_counter() - t0
            assert first.error is None and first.leader and not first.synced and not first.failed, first
            tracked = len(await bot.store.list_accounts())
            assert tracked == size, (tracked, size)

            async def steady() -> None:
                report = await cog.run_pass()
                assert report.error is None and not report.sent and not report.synced

            sync_ok: list[bool] = []

            async def synced() -> None:
                for service in ("luma", "ltx"):
                    await SYNC_STATE.set(bot.store, None, service)
                report = await cog.run_pass()
                assert report.error is None and not report.sent and set(report.synced) == {"luma", "ltx"}
                sync_ok.append(all(r.ok and r.seen for r in report.synced.values()))

            await _util.timed(3, steady)  # warm-up
            watch = cog.watch
            stages = await watch.stages()
            now = bot.clock.now()
            horizons = {key: horizon(stages, key, now) for key in bot.services}
            window = await bot.store.watch_window(horizons, now=now)
            result = {
                "size": size,
                "first": first_s,
                "first_sent": len(first.sent),
                "first_skipped": len(first.skipped),
                "recorded": len(await bot.store.alert_keys()),
                "window_accounts": len(window.accounts),
                "window_recorded": len(window.recorded),
                "steady": await _util.timed(runs, steady),
                "sync": await _util.timed(max(3, runs // 3), synced),
                "sync_ok": all(sync_ok),
                "window": await _util.timed(runs, lambda: bot.store.watch_window(horizons, now=now)),
                "status": await _util.timed(runs, lambda: watch.plan_everything(now, upcoming_limit=8)),
                "plan": [],
            }
            for _ in range(runs):
                t0 = time.perf_counter()
                plan_of_window(window, stages, now)
                result["plan"].append(time.perf_counter() - t0)
            return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,1000,10000", help="account counts (each 1-50000)")
    parser.add_argument("--runs", type=int, default=30, help="timed passes per size (3-500)")
    args = parser.parse_args()
    sizes = [max(1, min(int(s), 50000)) for s in args.sizes.split(",") if s.strip()]
    runs = max(3, min(args.runs, 500))

    print(_util.machine())
    print(f"{runs} timed runs per figure (sync pass: {max(3, runs // 3)}); median (min-max) in ms\n")
    rows = []
    firsts = []
    for size in sizes:
        r = asyncio.run(measure(size, runs))

        def fig(name: str, r: dict[str, Any] = r) -> str:
            return median_range([v * 1000 for v in r[name]], "{:.1f}")

        sync = fig("sync") if r["sync_ok"] else fig("sync") + " FAILED"
        rows.append(
            [
                f"{size:,}",
                fig("steady"),
                sync,
                f"{r['window_accounts']:,}",
                fig("window"),
                fig("plan"),
                fig("status"),
            ]
        )
        firsts.append(
            [
                f"{size:,}",
                f"{r['first'] * 1000:.0f}",
                r["first_sent"],
                r["first_skipped"],
                r["recorded"],
                r["window_recorded"],
                f"{statistics.median(r['steady']) * 1000 / size * 1000:.1f}",
                f"{sum(v >= 0.05 for v in r['steady'])} of {len(r['steady'])}",
            ]
        )
    print(
        table(
            [
                "accounts",
                "steady pass",
                "sync pass",
                "in the window",
                "read window",
                "plan() of window",
                "/alerts status plan",
            ],
            rows,
        )
    )
    print()
    print(
        table(
            [
                "accounts",
                "first pass ms",
                "warned",
                "skipped",
                "warnings recorded",
                "of them read by a pass",
                "steady µs/account",
                "steady passes ≥ 50 ms",
            ],
            firsts,
        )
    )


if __name__ == "__main__":
    main()
