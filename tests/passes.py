"""Driving the scheduler by hand: a pass, then what the live details reader does beside it.

In the bot, the alerts cog runs two loops: the passes, and the live details reads
(bot/details.py), which wake the scheduler when a read changed what a pass plans. Tests that
switch the loops off (`alerts_autostart=False`) call `pass_with_details` where they used to
call a pass that read details itself: the pass, the reader's rounds until nothing is due, and,
when a read changed something, the pass the reader would have woken. The report covers both.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.watch import PassReport

MAX_ROUNDS = 100


def merged(first: PassReport, second: PassReport) -> PassReport:
    """One report of two passes: lists and maps joined, the rest as the second pass left it."""
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(PassReport):
        a, b = getattr(first, spec.name), getattr(second, spec.name)
        if isinstance(a, list):
            values[spec.name] = a + b
        elif isinstance(a, dict):
            values[spec.name] = {**a, **b}
        elif spec.name == "pruned":
            values[spec.name] = (a[0] + b[0], a[1] + b[1])
        elif spec.name in ("at", "error", "channel_problem"):
            values[spec.name] = a if a is not None else b
        else:
            values[spec.name] = b
    return PassReport(**values)


async def pass_with_details(cog: Any) -> PassReport:
    """`cog.run_pass()`, then `cog.watch.read_details()` rounds until no account is due, then
    one more pass if a read changed a reason or a deadline."""
    report: PassReport = await cog.run_pass()
    changed = False
    for _ in range(MAX_ROUNDS):
        done = await cog.watch.read_details()
        changed = changed or done.changed > 0
        if done.read < cog.watch.details.per_round:
            break
    if changed:
        report = merged(report, await cog.run_pass())
    return report
