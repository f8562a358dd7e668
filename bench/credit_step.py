"""The scheduler's credit step (issue 21) as the accounts grow: 10, 1,000 and 10,000 Luma accounts,
each with a stored credit figure, a `/alerts credits` threshold that about 10 % of them are below.

  first step    the crossings are judged and recorded (`credit_candidates`, `judge_credits`,
                `apply_credit_changes`): what a pass does once after a sync revealed them
  steady step   the same with every crossing recorded and its warning sent: what each pass
                does from then on (the SQL selection returns only what needs an action: none)
  no threshold  the step with no threshold set (the default): one query, nothing returned

No useapi.net call is made: the figures come from the reads a pass makes anyway.

    .venv/bin/python bench/credit_step.py [--sizes 10,1000,10000] [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import _util
from _util import median_range, table

from bot.credits import Threshold, judge_credits
from bot.models import WarningKey
from bot.store import Store

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
THRESHOLD = Threshold("credits", 100)


async def fill(store: Store, size: int) -> None:
    epoch = int(NOW.timestamp())
    accounts = [("luma", f"luma{i:05d}@example.com", epoch + 86400 * 10, epoch) for i in range(size)]
    figures = [
        (
            "luma",
            f"luma{i:05d}@example.com",
            "credits",
            "credits",
            "credits",
            float(50 if i % 10 == 0 else 5000),
            10000.0,
            epoch,
        )
        for i in range(size)
    ]
    await store.db.executemany(
        "INSERT INTO accounts (service, account, expires_at, first_seen_at) VALUES (?, ?, ?, ?)", accounts
    )
    await store.db.executemany(
        "INSERT INTO account_credits (service, account, key, label, unit, remaining, allowance, read_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        figures,
    )
    await store.db.commit()


async def step(store: Store, thresholds: dict[str, dict[str, Threshold]]) -> tuple[float, int]:
    started = time.perf_counter()
    pairs = [(s, t) for s, found in thresholds.items() for t in found.values()]
    figures = await store.credit_candidates(["luma"], pairs, now=NOW)
    changes = judge_credits(figures, thresholds, NOW)
    await store.apply_credit_changes(changes)
    return (time.perf_counter() - started) * 1000, len(changes.due)


async def measure(size: int, runs: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "bench.sqlite3")
        try:
            await fill(store, size)
            thresholds = {"luma": {"credits": THRESHOLD}}
            first, due = await step(store, thresholds)
            for figure in await store.credit_candidates(["luma"], [("luma", THRESHOLD)], now=NOW):
                key = WarningKey("luma", figure.account, int(figure.low_since or 0), "credit:credits")
                await store.record_alert_sent(key, now=NOW, message_id=1, channel_id=1)
            steady = [(await step(store, thresholds))[0] for _ in range(runs)]
            bare = [(await step(store, {}))[0] for _ in range(runs)]
        finally:
            await store.close()
    return [
        f"{size:,}",
        f"{due:,}",
        f"{first:.1f}",
        median_range(steady),
        median_range(bare),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    sizes = [max(1, min(int(s), 100_000)) for s in args.sizes.split(",")]
    runs = max(3, min(args.runs, 500))
    rows = [asyncio.run(measure(size, runs)) for size in sizes]
    print(f"{_util.machine()} · commit {_util.revision()}")
    print(
        table(
            ["accounts", "below the threshold", "first step, ms", "steady step, ms", "no threshold, ms"],
            rows,
        )
    )
    print(f"(medians of {runs} runs, min-max in brackets; the first step once)")


if __name__ == "__main__":
    main()
