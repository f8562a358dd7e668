"""The weekly digest in Discord: one components-v2 message in the alert channel, once a week.

When it is due and what it says are decided by bot/digest.py; after every scheduler pass of the
lease holder `WeeklyDigest.send_if_due` posts the week's digest once its moment has come, with
the week's nonce, and records the week once Discord accepted it (or once there was nothing to
say: then nothing is posted). A failed post is tried again at the next passes (for up to
`bot.digest.GRACE`), said once in the log and shown in `/alerts status`.

The layout (7 components): a container with the title and the week, a separator and one text
display per section (falls due in the next 7 days, renewed in the last 7, open warnings, accounts
with no owner); the four share Discord's 4000 characters (`_summary.share`).
"""

from __future__ import annotations

import logging
from datetime import datetime

import discord
from discord.utils import format_dt

from bot import settings
from bot.app import WardenBot
from bot.delivery import DeliveryError
from bot.digest import (
    WEEK,
    Digest,
    DigestRecord,
    DigestSchedule,
    build_digest,
    due_digest,
    next_digest_at,
)
from bot.lease import Lease
from bot.store import StoreError
from cogs import _alert_channel as alert_channel
from cogs._format import COLOUR_INFO, safe
from cogs.alerts._summary import MAX_TEXT, Section, account_text, moment, share, warning_line

log = logging.getLogger(__name__)

AUDIT_ROWS = 5000  # audit entries of the last week read for the renewals (far more than a week holds)


def draw_digest(digest: Digest, *, week: str) -> discord.ui.LayoutView:
    """The digest within Discord's limits."""
    header = (
        f"## Weekly digest · {week}\n"
        f"-# As of {format_dt(digest.now, 'f')}. `/alerts digest` sets when it comes, or `off`."
    )
    due = [
        f"• {moment(d.at)} · {account_text(d.service, d.account)} · "
        + (f"owner <@{d.owner}>" if d.owner else "no owner")
        for d in digest.due
    ]
    renewed = [
        f"• {account_text(r.service, r.account)} · by "
        + (f"<@{r.by}>" if r.by else "someone")
        + f" {format_dt(r.at, 'R')}"
        for r in digest.renewed
    ]
    warnings = [warning_line(w) for w in digest.open_warnings]
    unowned = [f"• {account_text(u.service, u.account)}" for u in digest.unowned]
    texts = share(
        MAX_TEXT - len(header),
        [
            Section("### Falls due in the next 7 days", due, "Nothing."),
            Section("### Renewed through the bot in the last 7 days", renewed, "Nothing."),
            Section("### Open warnings", warnings, "None."),
            Section(
                "### Accounts with no owner",
                unowned,
                "None.",
                "…and {n} more (registering an account through the bot makes you its owner)",
            ),
        ],
    )
    container: discord.ui.Container[discord.ui.LayoutView] = discord.ui.Container(
        discord.ui.TextDisplay(header), discord.ui.Separator(), accent_colour=COLOUR_INFO
    )
    for text in texts:
        container.add_item(discord.ui.TextDisplay(text))
    view = discord.ui.LayoutView(timeout=None)
    view.add_item(container)
    return view


class WeeklyDigest:
    """Posts the week's digest after the lease holder's passes, once per week."""

    def __init__(self, bot: WardenBot, lease: Lease) -> None:
        self.bot = bot
        self.lease = lease
        self.problem: tuple[str, str] | None = None  # (week, why its post failed), said once

    async def schedule(self) -> DigestSchedule | None:
        return DigestSchedule.from_json(await settings.DIGEST_SCHEDULE.raw(self.bot.store))

    async def record(self) -> DigestRecord | None:
        return DigestRecord.from_json(await settings.DIGEST_RECORD.raw(self.bot.store))

    async def digest(self, now: datetime) -> Digest:
        store = self.bot.store
        return build_digest(
            services=list(self.bot.services),
            accounts=await store.list_accounts(),
            registrations=await store.audit_entries(limit=AUDIT_ROWS, since=now - WEEK),
            open_warnings=await store.posted_warnings(),
            now=now,
        )

    async def send_if_due(self) -> None:
        """Post this week's digest if its moment has come and it was not handled yet. Raises
        StoreError."""
        schedule = await self.schedule()
        if schedule is None:
            return
        now = self.bot.clock.now()
        due = due_digest(schedule, now, await self.record())
        if due is None:
            return
        digest = await self.digest(now)
        if digest.is_empty:
            await settings.DIGEST_RECORD.set(self.bot.store, DigestRecord(due.week, "empty", now).to_json())
            log.info("weekly digest %s: nothing to say, nothing posted", due.week)
            return
        if not await self.lease.hold(now):
            return
        try:
            message = await alert_channel.post(
                self.bot, view=draw_digest(digest, week=due.week), nonce=due.nonce
            )
        except DeliveryError as exc:
            if self.problem != (due.week, str(exc)):
                log.warning("could not post the weekly digest %s: %s (will retry)", due.week, exc)
            self.problem = (due.week, str(exc))
            return
        self.problem = None
        await settings.DIGEST_RECORD.set(
            self.bot.store, DigestRecord(due.week, "sent", now, message.id).to_json()
        )
        log.info("posted the weekly digest %s (message %s)", due.week, message.id)

    async def status(self) -> str:
        """The digest's line in /alerts status."""
        try:
            schedule = await self.schedule()
            record = await self.record()
        except StoreError as exc:
            return f"unknown: the database could not be read ({safe(str(exc), 100)})"
        if schedule is None:
            return "off (`/alerts digest` sets a weekday and a time)"
        text = f"{schedule.describe()} · next {moment(next_digest_at(schedule, self.bot.clock.now()))}"
        if record is not None:
            text += f"\nLast: {record.week}, " + (
                f"posted {format_dt(record.at, 'R')}" if record.outcome == "sent" else "nothing to say"
            )
        if self.problem is not None:
            text += f"\n⚠️ {self.problem[0]} could not be posted yet: {safe(self.problem[1], 200)}"
        return text
