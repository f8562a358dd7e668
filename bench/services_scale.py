"""Every service switched on, 10 / 100 / 1,000 accounts each: what grows, and by how much.

For each size the useapi.net double lists that many accounts per service (every service in the
registry), expiries spread over the next 30 days where the service has one. A real WardenBot
(fixed clock, loop stopped) runs a first pass that syncs every list and posts what is already
due; then, with nothing due, it measures:

  steady pass     `AlertsCog.run_pass()` with no sync due (what runs every 30 s)
  /alerts status  the work behind the answer (`AlertsCog.status_embed()`)
  /accounts       the work behind the answer: read every account, build the pages
  sync 1 list     CPU of one service's full sync, bot side: parse the list the double serves
                  (JSON already fetched) and apply it in one transaction

    .venv/bin/python bench/services_scale.py [--sizes 10,100,1000] [--runs 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _util

from bot.services import KNOWN_SERVICES
from bot.sync import apply_account_list
from cogs.accounts import PAGE_SIZE, accounts_page
from tests.clock import FakeClock

START = datetime.now(UTC).replace(microsecond=0)
SPAN = timedelta(days=30)


def populate(ua: Any, size: int) -> None:
    for n in range(size):
        expires = START + SPAN * (n + 1) / (size + 1) + timedelta(hours=80)
        ua.set_luma_account(f"luma{n}@example.com", expires)
        ua.set_ltx_account(f"ltx{n}@example.com", expires, expires + timedelta(days=30))
        ua.google_flow.set_account(
            f"flow{n}@example.com",
            account_expires=[expires],
            session_expires=START + timedelta(hours=20),
            next_refresh=START + timedelta(hours=19),
        )
        ua.dreamina.set_account(f"dream{n}@example.com", "US", expires)
        ua.flowmusic.set_account(f"music{n}@example.com", access_token_expires_at=START + timedelta(hours=1))
        ua.kling.set_account(f"kling{n}@example.com", expires)
        ua.runway.set_account(f"runway{n}@example.com", expires)
        ua.pixverse.set_account(f"pixverse{n}@example.com", expires)
        ua.minimax.set_account(f"{700000 + n}", expires)
        ua.google_vids.set_account(f"vids{n}@example.com", cookies_expire=expires)
        ua.gemini_notebook.set_account(f"notebook{n}@example.com", cookies_expire=expires)
        ua.acemusic.set_account(f"ace{n}@example.com")
        ua.mureka.set_account(str(10**13 + n), mode="token", token_expires=START + timedelta(days=20))


async def measure(size: int, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        async with _util.warden(
            database, clock=FakeClock(START), autostart=False, services=KNOWN_SERVICES
        ) as (bot, _dd, ua):
            populate(ua, size)
            cog: Any = bot.get_cog("AlertsCog")
            first = await cog.run_pass()
            assert first.error is None and all(r.ok for r in first.synced.values()), first.synced
            tracked = len(await bot.store.list_accounts())
            assert tracked == size * len(KNOWN_SERVICES), tracked

            async def steady() -> None:
                report = await cog.run_pass()
                assert report.error is None and not report.synced

            async def status() -> None:
                await cog.status_embed()

            async def accounts() -> None:  # what the command does: count, then one page
                total = await bot.store.count_accounts()
                page = await bot.store.list_accounts(limit=PAGE_SIZE)
                accounts_page(page, number=1, total=total, services=bot.services)

            await _util.timed(2, steady)
            figures = {
                "steady pass": statistics.median(await _util.timed(runs, steady)),
                "/alerts status": statistics.median(await _util.timed(runs, status)),
                "/accounts": statistics.median(await _util.timed(runs, accounts)),
            }
            # One service's full sync, bot side: the list as JSON (fetched once), parsed and applied.
            service = bot.services["luma"]
            response = await bot.http_client.get(
                f"{bot.settings.useapi_base_url}{service.accounts_path}",
                headers={"Authorization": f"Bearer {bot.settings.useapi_token}"},
            )
            raw = response.content
            cpu: list[float] = []
            for _ in range(runs):
                t0 = time.process_time()
                body = json.loads(raw)
                infos = [service.parse_account(value, key) for key, value in body.items()]
                await apply_account_list(bot.store, "luma", infos, fetched_at=START, now=START)
                cpu.append(time.process_time() - t0)
            figures["sync 1 list (CPU)"] = statistics.median(cpu)
            return figures


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,100,1000", help="accounts per service (each ≤ 2000)")
    parser.add_argument("--runs", type=int, default=15, help="repeats per figure (1-100)")
    args = parser.parse_args()
    sizes = [min(2000, max(1, int(s))) for s in args.sizes.split(",")]
    runs = min(100, max(1, args.runs))
    print(_util.machine())
    print(f"commit {_util.revision()}")
    results = {size: await measure(size, runs) for size in sizes}
    names = list(next(iter(results.values())))
    print(f"\nAll {len(KNOWN_SERVICES)} services switched on; median of {runs} runs, ms:\n")
    print("| accounts per service (total) | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for size, figures in results.items():
        cells = " | ".join(f"{figures[name] * 1000:.1f}" for name in names)
        print(f"| {size} ({size * len(KNOWN_SERVICES)}) | {cells} |")
    if len(sizes) > 1:
        low, high = results[sizes[0]], results[sizes[-1]]
        growth = " | ".join(f"{high[name] / low[name]:.1f}x" for name in names)
        print(f"| growth {sizes[0]} → {sizes[-1]} | {growth} |")


if __name__ == "__main__":
    asyncio.run(main())
