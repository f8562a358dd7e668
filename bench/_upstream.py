"""The useapi.net double of the pass benchmarks, with their accounts, in a process of its own.

Not a benchmark itself. `layout()` is the accounts a benchmark tracks; `serve()` (this file run
as a script) serves them from the useapi.net double of tests/doubles/ until its standard input
closes, so the double's own work (building a 25,000-account list) is not counted as the bot's.
A line `renew N` on its standard input renews N more Luma or Kling accounts warned about (their
deadline moves 30 days on, as a member renewing them on useapi.net would do); it answers `ok`.

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


def renewable(entries: list[Entry], start: dt.datetime) -> Iterator[Entry]:
    """Luma and Kling accounts inside the first stage at `start` (each has an open warning), in
    turn, over and over."""
    inside = [
        e
        for e in entries
        if e.service in ("luma", "kling") and start < e.expires <= start + dt.timedelta(hours=72)
    ]
    while inside:
        yield from inside


def renew(ua: Any, entry: Entry, times: int) -> None:
    expires = entry.expires + dt.timedelta(days=30 * times)
    if entry.service == "luma":
        ua.set_luma_account(entry.account, expires, error=entry.error)
    else:
        ua.kling.set_expiry(entry.account, expires)


async def serve(mix: str, size: int, start: dt.datetime) -> None:
    async with UseapiDouble(token=_util.USEAPI_TOKEN) as ua:
        entries = list(layout(mix, size, start))
        count = populate(ua, iter(entries), start)
        print(f"{ua.base_url} {count}", flush=True)
        turns = renewable(entries, start)
        renewed: dict[str, int] = {}
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command, _, number = line.partition(" ")
            if command == "renew":
                for _ in range(int(number)):
                    entry = next(turns)
                    renewed[entry.account] = renewed.get(entry.account, 0) + 1
                    renew(ua, entry, renewed[entry.account])
            print("ok", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mix", choices=sorted(MIXES), default="two")
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--start", type=int, required=True, help="Unix seconds")
    args = parser.parse_args()
    asyncio.run(serve(args.mix, args.size, dt.datetime.fromtimestamp(args.start, dt.UTC)))


if __name__ == "__main__":
    main()
