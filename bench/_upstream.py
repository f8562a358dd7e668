"""The useapi.net double of the pass benchmarks, with their accounts, in a process of its own.

Not a benchmark itself. `layout()` is the accounts a benchmark tracks; `serve()` (this file run
as a script) serves them from the useapi.net double of tests/doubles/ until its standard input
closes, so the double's own work (building a 25,000-account list) is not counted as the bot's.

The deadlines sit on a 6-hour grid, each 3 to 5 hours past a multiple of 6 hours from `start`:
every stage of the defaults (72h, 24h, 6h, expired) is a multiple of 6 hours, so no stage falls
due in the first 3 hours after `start` however the clock moves, and a pass does the same work
each time. About 11 % of the accounts are inside 72 h at `start` (1.6 % already expired), and
one in 200 carries an upstream error (a reason a person must act now).

    .venv/bin/python bench/_upstream.py --mix two --size 10000 --start 1796000000
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Iterator
from typing import Any, NamedTuple

import _util

from bot.services import KNOWN_SERVICES
from tests.doubles.useapi_double import UseapiDouble

GRID = dt.timedelta(hours=6)
SLOTS = 122  # 2 grid steps back (expired), 120 ahead (30 days)
QUIET = dt.timedelta(hours=3)  # nothing falls due this long after `start`
ERROR_EVERY = 200
# The services of each mix: "two" splits `size` accounts between Luma (reads live details) and
# Kling (does not); "all" has `size` accounts in every service the bot knows.
MIXES = {"two": ("luma", "kling"), "all": KNOWN_SERVICES}


class Entry(NamedTuple):
    service: str
    account: str
    expires: dt.datetime
    error: str | None


def layout(mix: str, size: int, start: dt.datetime) -> Iterator[Entry]:
    services = MIXES[mix]
    per_service = size if mix == "all" else None
    count = size * len(services) if per_service else size
    for i in range(count):
        service = services[i % len(services)]
        n = i // len(services)
        slot = (n * SLOTS) // (per_service or max(1, size // len(services)))
        offset = QUIET + dt.timedelta(minutes=(n * 37) % 120)
        expires = start + GRID * (slot % SLOTS - 2) + offset
        error = "Bench: this account needs attention" if n % ERROR_EVERY == ERROR_EVERY - 1 else None
        yield Entry(service, _name(service, n), expires, error)


def _name(service: str, n: int) -> str:
    if service == "minimax":
        return str(700000 + n)
    if service == "mureka":
        return str(10**13 + n)
    return f"{service}{n:06d}@example.com"


def populate(ua: Any, entries: Iterator[Entry], start: dt.datetime) -> int:
    count = 0
    for service, account, expires, error in entries:
        count += 1
        if service == "luma":
            ua.set_luma_account(account, expires, error=error)
        elif service == "ltx":
            ua.set_ltx_account(account, expires, expires + dt.timedelta(days=30))
        elif service == "googleflow":
            ua.google_flow.set_account(
                account,
                account_expires=[expires],
                session_expires=start + dt.timedelta(hours=20),
                next_refresh=start + dt.timedelta(hours=19),
                error=error,
            )
        elif service in ("googlevids", "gemininotebook"):
            getattr(
                ua, {"googlevids": "google_vids", "gemininotebook": "gemini_notebook"}[service]
            ).set_account(account, cookies_expire=expires)
        elif service == "dreamina":
            ua.dreamina.set_account(account, "US", expires)
        elif service == "flowmusic":
            ua.flowmusic.set_account(account, access_token_expires_at=start + dt.timedelta(hours=20))
        elif service == "acemusic":
            ua.acemusic.set_account(account)
        elif service == "mureka":
            ua.mureka.set_account(account, mode="token", token_expires=expires)
        elif service == "minimax":
            ua.minimax.set_account(account, expires)
        else:  # kling, runway, pixverse
            getattr(ua, service).set_account(account, expires, **({"error": error} if error else {}))
    return count


async def serve(mix: str, size: int, start: dt.datetime) -> None:
    async with UseapiDouble(token=_util.USEAPI_TOKEN) as ua:
        count = populate(ua, layout(mix, size, start), start)
        print(f"{ua.base_url} {count}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mix", choices=sorted(MIXES), default="two")
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--start", type=int, required=True, help="Unix seconds")
    args = parser.parse_args()
    asyncio.run(serve(args.mix, args.size, dt.datetime.fromtimestamp(args.start, dt.UTC)))


if __name__ == "__main__":
    main()
