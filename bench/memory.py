"""Memory: resident size of the bot process, idle after READY, beside a bare discord.py bot.

Runs `python -m bot` exactly as an operator would (a separate process, configured through the
environment only), pointed at the Discord and useapi.net doubles served by this script, and
reads VmRSS from /proc/<pid>/status: a few samples while idle after READY, then again after it
has handled `--registrations` registrations (form opened, submitted, deferred, useapi.net called,
recorded, notice posted), idle again. VmHWM is the peak. The same for a bare discord.py bot
(the `BareBot` of ack_latency.py) for scale. SIGTERM at the end; the exit status is shown.

Then the same with `--accounts` accounts tracked (half Luma, half Kling, listed by the useapi.net
double as bench/_upstream.py lays them out, about 11 % inside 72 h): idle once the first pass
has read both lists and posted its warnings. `--compare REV` measures commit REV's bot that way
too, in the same run (`_util.export_tree`).

    .venv/bin/python bench/memory.py [--registrations 1000] [--accounts 10000] [--compare REV]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _util
from _upstream import layout, populate
from _util import CODE, DISCORD_TOKEN, USEAPI_TOKEN, table

from bot.services import KNOWN_SERVICES
from tests.doubles.discord_double import DiscordDouble
from tests.doubles.useapi_double import UseapiDouble
from tests.harness import answer_of

SESSION = "MemoryLumaSess10nW2eR5tY"


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


async def idle_rss(pid: int, seconds: float = 3, samples: int = 6) -> tuple[float, float]:
    """Median VmRSS over `samples` reads spread across `seconds`, and VmHWM, in MiB."""
    rss = []
    for _ in range(samples):
        await asyncio.sleep(seconds / samples)
        rss.append(status(pid)["VmRSS"])
    return statistics.median(rss) / 1024, status(pid)["VmHWM"] / 1024


async def wait_for_line(stream: asyncio.StreamReader, needle: str, within: float) -> list[str]:
    lines: list[str] = []

    async def read() -> None:
        while True:
            raw = await stream.readline()
            if not raw:
                raise RuntimeError("the process ended before: " + needle + "\n" + "".join(lines[-20:]))
            lines.append(raw.decode(errors="replace"))
            if needle in lines[-1]:
                return

    await asyncio.wait_for(read(), within)
    return lines


async def drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


async def measure(kind: str, registrations: int, accounts: int = 0, code: Path = CODE) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with DiscordDouble(token=DISCORD_TOKEN) as dd, UseapiDouble(token=USEAPI_TOKEN) as ua:
            ua.add_luma_session(SESSION, "memory@example.com", expires=datetime.now(UTC) + timedelta(days=20))
            start = datetime.now(UTC).replace(microsecond=0)
            populate(ua, layout("two", accounts, start), start)
            env = {
                "PATH": os.environ.get("PATH", ""),
                "PYTHONPATH": str(code),
                "DISCORD_TOKEN": DISCORD_TOKEN,
                "USEAPI_TOKEN": USEAPI_TOKEN,
                "DISCORD_API_BASE": dd.api_base,
                "DISCORD_GATEWAY_URL": dd.gateway_url,
                "USEAPI_BASE_URL": ua.base_url,
                "DATABASE_PATH": str(Path(tmp) / "warden.sqlite3"),
                "GUILD_ID": str(dd.guild_id),
                "ALERT_CHANNEL_ID": str(dd.alert_channel_id),
                "REGISTER_RATE": "off",
                "LOG_LEVEL": "INFO",
                # Every service switched on: the largest bot a team can run.
                "SERVICES": ",".join(KNOWN_SERVICES),
            }
            if accounts:  # both services the accounts are in; Luma reads live details
                env["SERVICES"] = "luma,kling"
            if kind == "warden":
                argv = [sys.executable, "-m", "bot"]
                if accounts:
                    ready_line = "sync kling: ok"  # the first pass read both lists
                ready_line = "bot.app: ready as"
            else:
                argv = [sys.executable, str(Path(__file__).with_name("_bare.py"))]
                ready_line = "BARE READY"
            proc = await asyncio.create_subprocess_exec(
                *argv, cwd=tmp, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
            )
            assert proc.stdout is not None
            try:
                await wait_for_line(proc.stdout, ready_line, within=120)
                drainer = asyncio.create_task(drain(proc.stdout))
                if accounts:  # until the first pass has posted its warnings
                    await settle(dd)
                idle, _ = await idle_rss(proc.pid)
                if kind == "warden":
                    cb = await ack(
                        dd, dd.slash_command("access", "grant", options={"target": dd.member_ids[0]})
                    )
                    answer = await answer_of(dd, cb, 15)  # acknowledged first, then answered
                    assert "may now register" in answer["content"], answer
                for _ in range(registrations):
                    await register(dd)
                busy, peak = await idle_rss(proc.pid)
                stored = len(dd.requests_to("POST", r"/channels/\d+/messages"))
            finally:
                proc.send_signal(signal.SIGTERM)
                code = await asyncio.wait_for(proc.wait(), 20)
            await drainer
            return {"idle": idle, "busy": busy, "peak": peak, "exit": code, "notices": stored}


async def settle(dd: DiscordDouble, quiet: float = 2.0) -> None:
    """Until nothing was posted to the alert channel for `quiet` seconds."""
    count = -1
    while count != len(dd.channel_messages.get(dd.alert_channel_id, [])):
        count = len(dd.channel_messages.get(dd.alert_channel_id, []))
        await asyncio.sleep(quiet)


async def ack(dd: DiscordDouble, payload: dict[str, Any]) -> Any:
    iid = await dd.dispatch_interaction(payload)
    return await dd.wait_for_callback(iid, timeout=10)


async def register(dd: DiscordDouble) -> None:
    member = dd.member_ids[0]
    opened = await ack(dd, dd.slash_command("luma", "register", user=member))
    assert opened.type == 9, opened.request.json
    submitted = await ack(dd, dd.modal_submit_for(opened, {"cookie": SESSION}, user=member))
    assert submitted.type == 5, submitted.request.json
    token = submitted.request.path.split("/")[3]
    await dd.wait_for(lambda r: r.path.startswith("/webhooks/") and token in r.path, 15)
    dd.requests[:] = [r for r in dd.requests if "/channels/" in r.path]  # keep waits short


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--registrations", type=int, default=1000, help="work between the two readings (0-5000)"
    )
    parser.add_argument("--accounts", type=int, default=10000, help="accounts tracked (0: skip; ≤ 60000)")
    parser.add_argument("--compare", metavar="REV", help="also measure this commit's bot with the accounts")
    args = parser.parse_args()
    registrations = max(0, min(args.registrations, 5000))
    accounts = max(0, min(args.accounts, 60000))
    print(_util.machine())
    print(f"resident set size in MiB; 'after work' = idle again after {registrations} registrations\n")
    rows = []
    for kind in ("warden", "bare"):
        r = asyncio.run(measure(kind, registrations if kind == "warden" else 0))
        label = "Session Warden (python -m bot)" if kind == "warden" else "bare discord.py bot"
        after = f"{r['busy']:.1f}" if kind == "warden" else "-"
        rows.append([label, f"{r['idle']:.1f}", after, f"{r['peak']:.1f}", r["exit"]])
    print(table(["process", "idle after READY", "after work", "peak (VmHWM)", "exit status"], rows))
    if not accounts:
        return
    with contextlib.ExitStack() as stack:
        codes = [(_util.revision(), CODE)]
        if args.compare:
            tree, rev = stack.enter_context(_util.export_tree(args.compare))
            codes.insert(0, (f"{rev} (before)", tree))
        rows = []
        for name, code in codes:
            r = asyncio.run(measure("warden", 0, accounts, code))
            rows.append(
                [name, f"{accounts:,}", r["notices"], f"{r['idle']:.1f}", f"{r['peak']:.1f}", r["exit"]]
            )
    print(
        f"\nSession Warden with {accounts:,} accounts tracked (Luma and Kling), idle after its first pass\n"
    )
    print(table(["commit", "accounts", "warnings posted", "idle", "peak (VmHWM)", "exit status"], rows))


if __name__ == "__main__":
    main()
