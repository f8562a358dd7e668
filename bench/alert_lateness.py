"""Alert lateness in real time: from the moment a warning falls due to the Discord double receiving it.

A real WardenBot with its own scheduler loop and the system clock; stages of a few seconds
(`4s,2s`, plus expired) stored before it starts; accounts whose expiries the useapi.net double
puts a few seconds ahead. Scenarios:

  planned            five accounts known from the start-up sync: each stage is planned and the
                     loop sleeps until it is due (fifteen warnings)
  re-read first      the same, but the account list counts as stale, so the bot re-reads it
                     before every stage warning (as in production, where the last sync is
                     usually older than 60 s); useapi.net answering at once, then in 2.5 s
                     (with stages 10s,5s and three accounts: see the note in main())
  registered         three accounts registered through the form after the loop went to sleep
                     (nothing was upcoming, so it sleeps its longest, 30 s): the registration
                     wakes the scheduler (the `account_registered` event), so the warning need
                     not wait for the next tick

    .venv/bin/python bench/alert_lateness.py [--skip-registered]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _util
from _util import Summary, ms, table

from bot import watch
from bot.store import Store

STAGES = "4s,2s"
SESSION = "LatenessLumaSess10nR7tY3"


def lead_of(title: str) -> int:
    """Seconds before expiry of the stage an embed title names ("… expires within 4s", "… expired")."""
    found = re.search(r"expires within (\d+)s$", title)
    return int(found.group(1)) if found else 0


async def seed_stages(database: Path, stages: str = STAGES) -> None:
    store = await Store.open(database)
    try:
        await store.set_setting("stages:luma", stages)
    finally:
        await store.close()


def lateness(dd: Any, expiries: dict[str, int]) -> list[float]:
    """For every warning the double received: received - due (seconds)."""
    offset = time.time() - time.monotonic()
    out = []
    for rec in dd.requests_to("POST", rf"/channels/{dd.alert_channel_id}/messages"):
        embeds = rec.json.get("embeds") or []
        if not embeds:
            continue  # a renewal notice
        account = re.search(r"\*\*(.+?)\*\*", embeds[0]["description"]).group(1)  # type: ignore[union-attr]
        out.append(rec.at + offset - (expiries[account] - lead_of(embeds[0]["title"])))
    return out


async def until(predicate: Any, within: float) -> None:
    deadline = time.monotonic() + within
    while not predicate() and time.monotonic() < deadline:  # noqa: ASYNC110 - polling the double
        await asyncio.sleep(0.05)


def warnings_posted(dd: Any) -> int:
    return sum(
        1
        for r in dd.requests_to("POST", rf"/channels/{dd.alert_channel_id}/messages")
        if r.json.get("embeds")
    )


async def planned(
    *, reread: bool, upstream_delay: float | None, stages: str = STAGES, accounts: int = 5, spacing: int = 2
) -> list[float]:
    """`accounts` accounts expiring `spacing` s apart, the first one longest stage + 3 s from now."""
    longest = max(int(part.rstrip("s")) for part in stages.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        await seed_stages(database, stages)
        base = int(time.time()) + longest + 3
        expiries = {f"acct{i}@example.com": base + spacing * i for i in range(accounts)}
        expected = 3 * accounts
        async with _util.warden(database) as (bot, dd, ua):
            cog: Any = bot.get_cog("AlertsCog")
            await until(lambda: cog.last_report is not None, within=5)
            await cog.run_pass()  # waits for the loop's start-up pass to finish (they share a lock)
            # The doubles start with the bot, so the accounts appear upstream now; the loop sleeps
            # (nothing was upcoming) until woken, and its next pass syncs them and plans the stages.
            for account, expires in expiries.items():
                ua.set_luma_account(account, datetime.fromtimestamp(expires, UTC))
            if upstream_delay:
                ua.inject("GET", "/v1/luma/accounts", delay=upstream_delay, times=None)
            if reread:
                watch.RECHECK_MAX_AGE = timedelta(0)
            await bot.store.set_setting("sync:luma", None)
            cog.wake()
            timeout = max(expiries.values()) - time.time() + 10
            await until(lambda: warnings_posted(dd) >= expected, within=timeout)
            watch.RECHECK_MAX_AGE = timedelta(seconds=60)
            found = lateness(dd, expiries)
            assert len(found) == expected, f"expected {expected} warnings, got {len(found)}"
            return found


async def registered_while_asleep() -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        await seed_stages(database)
        async with _util.warden(database, register_rate=None) as (bot, dd, ua):
            member = dd.member_ids[0]
            await bot.store.grant("user", member, granted_by=dd.admin_id, now=datetime.now(UTC))
            cog: Any = bot.get_cog("AlertsCog")
            await until(lambda: cog.last_report is not None, within=5)
            expiries: dict[str, int] = {}
            for i, pause in enumerate((1, 9, 9)):
                await asyncio.sleep(pause)
                account = f"late{i}@example.com"
                expiries[account] = int(time.time()) + 6  # the 4s stage falls due in 2-3 s
                session = f"{SESSION}{i}"
                ua.add_luma_session(session, account, expires=datetime.fromtimestamp(expiries[account], UTC))
                iid = await dd.dispatch_interaction(dd.slash_command("luma", "register", user=member))
                opened = await dd.wait_for_callback(iid)
                iid = await dd.dispatch_interaction(
                    dd.modal_submit_for(opened, {"cookie": session}, user=member)
                )
                await dd.wait_for_callback(iid)
            # Each account's first warning (a catch-up posts only the most urgent stage), measured
            # from its first stage's due moment (4 s before expiry). Its later stages may follow.
            offset = time.time() - time.monotonic()
            first: dict[str, float] = {}

            def first_warnings() -> dict[str, float]:
                for rec in dd.requests_to("POST", rf"/channels/{dd.alert_channel_id}/messages"):
                    if rec.json.get("embeds"):
                        account = re.search(r"\*\*(.+?)\*\*", rec.json["embeds"][0]["description"]).group(1)  # type: ignore[union-attr]
                        first.setdefault(account, rec.at + offset - (expiries[account] - 4))
                return first

            await until(lambda: len(first_warnings()) >= 3, within=40)
            return list(first.values())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-registered", action="store_true", help="skip the 20 s scenario")
    args = parser.parse_args()
    print(_util.machine())
    print("lateness = received by the Discord double - due moment; in ms\n")
    rows = []
    scenarios: list[tuple[str, Any]] = [
        ("planned", lambda: planned(reread=False, upstream_delay=None)),
        ("re-read first, useapi.net at once", lambda: planned(reread=True, upstream_delay=None)),
        # Stages further apart than the re-read takes: otherwise, by the time the list is back, the
        # next stage is crossed too and only that more urgent one is posted (by design).
        (
            "re-read first, useapi.net in 2.5 s (stages 10s,5s)",
            lambda: planned(reread=True, upstream_delay=2.5, stages="10s,5s", accounts=3, spacing=3),
        ),
    ]
    if not args.skip_registered:
        scenarios.append(("registered through the form while the loop sleeps", registered_while_asleep))
    for name, make in scenarios:
        values = asyncio.run(make())
        s = Summary.of(values)
        rows.append([name, s.n, ms(s.min), ms(s.p50), ms(s.max)])
        print(f"done: {name}", flush=True)
    print()
    print(table(["scenario", "warnings", "min", "median", "max"], rows))


if __name__ == "__main__":
    main()
