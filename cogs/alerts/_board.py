"""The live status board in Discord: one components-v2 message the bot keeps up to date.

What it shows is decided by `bot.board.build_board`; this module reads the data, draws it
(`draw_board`) and keeps the message in step: `/alerts board` posts it (`StatusBoard.create`),
and after every scheduler pass of the lease holder `StatusBoard.refresh` edits it when what it
shows changed, at most once a minute (`bot.board.EDIT_EVERY`: a burst of changes is one edit).
Its channel and message are kept in the database (settings.BOARD), so a restart edits the same
message. When the message was deleted, its channel is gone, or Discord refuses the bot there, the
board stops: nothing is posted again by itself (a deleted board reposted in a loop would be
worse than none); `/alerts status` says why, and `/alerts board` posts a new one.

The layout (9 components, whatever the number of services):

    Container (accent: red when a person is needed, orange when a deadline is near, else green)
      Text  "## Status board", the useapi.net subscription, the last successful sync
      Separator
      Text  "### Services": a line per service with accounts (fine · due within its first
            stage · need a person), then the services without accounts on one line
    Container (accent: red while a warning nobody is on is open, orange while any is, else grey)
      Text  "### Next deadlines": the next five still ahead
      Separator
      Text  "### Open warnings": newest first, with who is on each
    Text    "-# …edited when something changes…, last change <t:…:R>"
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime

import discord
from discord.utils import format_dt

from bot import board as boards
from bot.app import WardenBot
from bot.board import Board, BoardState, ServiceLine, Standing, load_board, save_board
from bot.delivery import DeliveryError
from bot.expiry import DEFAULT_STAGES, format_stage
from bot.lease import Lease
from bot.store import StoreError
from bot.sync import load_state
from bot.watch import ExpiryWatch
from cogs import _alert_channel as alert_channel
from cogs._format import label, safe
from cogs.alerts._summary import MAX_TEXT, Section, account_text, moment, share, warning_line

log = logging.getLogger(__name__)

COLOURS = {
    Standing.PERSON: discord.Colour.red(),
    Standing.SOON: discord.Colour.orange(),
    Standing.FINE: discord.Colour.green(),
}
ICONS = {Standing.PERSON: "🚨", Standing.SOON: "⏳", Standing.FINE: "✅"}
QUIET = discord.Colour.light_grey()
FOOTER = (
    "-# Kept up to date by Session Warden: edited when something changes, at most once a minute. "
    "Last change {changed}."
)


@dataclass(frozen=True)
class Drawing:
    """The board's texts and colours; `fingerprint` is what decides whether to edit."""

    header: str
    services: str
    deadlines: str
    warnings: str
    accent: int
    warnings_accent: int

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.__dict__, sort_keys=True).encode()).hexdigest()[:32]

    def view(self, changed_at: datetime) -> discord.ui.LayoutView:
        view = discord.ui.LayoutView(timeout=None)
        view.add_item(
            discord.ui.Container(
                discord.ui.TextDisplay(self.header),
                discord.ui.Separator(),
                discord.ui.TextDisplay(self.services),
                accent_colour=self.accent,
            )
        )
        view.add_item(
            discord.ui.Container(
                discord.ui.TextDisplay(self.deadlines),
                discord.ui.Separator(),
                discord.ui.TextDisplay(self.warnings),
                accent_colour=self.warnings_accent,
            )
        )
        view.add_item(discord.ui.TextDisplay(FOOTER.format(changed=format_dt(changed_at, "R"))))
        return view


def _service_line(line: ServiceLine) -> str:
    window = f"within {format_stage(line.first_stage)}" if line.first_stage else "soon"
    need = f"{line.person} {'needs' if line.person == 1 else 'need'} a person"
    person = f"**{need}**" if line.person else need
    failing = " · ⚠️ useapi.net's list can't be read" if line.sync_failing else ""
    return (
        f"{ICONS[line.standing]} **{label(line.service)}** · {line.fine} fine · "
        f"{line.soon} due {window} · {person}{failing}"
    )


def _header(board: Board) -> str:
    sub = board.subscription
    if sub.state == boards.UNKNOWN:
        subscription = "unknown (not read yet)"
    else:
        # No "checked at": every read (one a sync interval, and one at each start) would be an
        # edit; the last-sync line below says how fresh the board is.
        subscription = f"**{safe(sub.state, 60)}**" + (f" · {safe(sub.detail, 150)}" if sub.detail else "")
    if board.last_sync is not None:
        synced = f"{format_dt(board.last_sync, 'R')}"
        if board.never_synced:
            synced += f" (not yet: {', '.join(label(k) for k in board.never_synced)})"
    else:
        synced = "not yet"
    return (
        "## Status board\n"
        f"useapi.net subscription: {subscription}\n"
        f"Last successful sync with useapi.net: {synced}"
    )


def draw_board(board: Board) -> Drawing:
    """The board as texts within Discord's limits (MAX_TEXT characters, with the footer)."""
    header = _header(board)
    services = [_service_line(line) for line in board.services]
    if board.without_accounts:
        names = ", ".join(label(k) for k in board.without_accounts)
        services.append(f"-# No accounts yet: {names}")
    deadlines = [f"• {moment(d.at)} · {account_text(d.service, d.account)}" for d in board.deadlines]
    warnings = [warning_line(w) for w in board.open_warnings]
    footer = len(FOOTER.format(changed="<t:0000000000:R>"))
    texts = share(
        MAX_TEXT - len(header) - footer,
        [
            Section("### Services", services, "No service is switched on.", "…and {n} more services"),
            Section("### Next deadlines", deadlines, "No deadline ahead."),
            Section(
                "### Open warnings",
                warnings,
                "None: nothing needs a person.",
                "…and {n} more (`/alerts status`)",
            ),
        ],
    )
    unclaimed = any(w.claim is None for w in board.open_warnings)
    warnings_accent = COLOURS[Standing.PERSON] if unclaimed else (
        COLOURS[Standing.SOON] if board.open_warnings else QUIET
    )  # fmt: skip
    return Drawing(header, texts[0], texts[1], texts[2], COLOURS[board.standing].value, warnings_accent.value)


class StatusBoard:
    """The board's message: posted by `/alerts board`, edited after the lease holder's passes."""

    def __init__(self, bot: WardenBot, lease: Lease, watch: ExpiryWatch) -> None:
        self.bot = bot
        self.lease = lease
        self.watch = watch
        self._lock = asyncio.Lock()  # a post from the command and an edit after a pass

    async def board(self, now: datetime) -> Board:
        """What the board shows now, for the services switched on now."""
        store = self.bot.store
        services = list(self.bot.services)
        stages = await self.watch.stages()
        return boards.build_board(
            services=services,
            accounts=await store.list_accounts(),
            stages={key: stages.get(key, DEFAULT_STAGES) for key in services},
            open_warnings=await store.posted_warnings(),
            sync_states={key: await load_state(store, key) for key in services},
            subscription=await boards.team_subscription(store),
            now=now,
        )

    async def create(self, channel_id: int) -> tuple[discord.Message, bool | None]:
        """Post a new board in `channel_id` and keep it from now on; the one it replaces (if any)
        is deleted. Returns the message and whether an old board was deleted (None: there was
        none). Raises DeliveryError, having changed nothing."""
        async with self._lock:
            now = self.bot.clock.now()
            drawing = draw_board(await self.board(now))
            message = await alert_channel.post(self.bot, channel_id=channel_id, view=drawing.view(now))
            old = await load_board(self.bot.store)
            await save_board(
                self.bot.store, BoardState(channel_id, message.id, drawing.fingerprint, now, now)
            )
        log.info("posted the status board in channel %s (message %s)", channel_id, message.id)
        if old is None or old.message_id == message.id:
            return message, None
        return message, await self._delete(old)

    async def stop(self) -> tuple[BoardState | None, bool]:
        """Stop keeping the board and delete its message. Returns what was kept (None: there was
        no board) and whether the message was deleted."""
        async with self._lock:
            old = await load_board(self.bot.store)
            await save_board(self.bot.store, None)
        if old is None:
            return None, False
        log.info("stopped the status board (message %s)", old.message_id)
        return old, await self._delete(old)

    async def _delete(self, old: BoardState) -> bool:
        with contextlib.suppress(DeliveryError):
            await alert_channel.delete(self.bot, old.channel_id, old.message_id)
            return True
        return False

    async def refresh(self) -> None:
        """Edit the board when what it shows changed and the last edit is EDIT_EVERY old; stop it
        when its message or channel is gone or Discord refuses the bot there. Raises StoreError."""
        async with self._lock:
            state = await load_board(self.bot.store)
            now = self.bot.clock.now()
            if state is None or state.stopped is not None:
                return
            if state.tried_at is not None and now - state.tried_at < boards.EDIT_EVERY:
                return  # nothing could be edited yet: don't even read
            drawing = draw_board(await self.board(now))
            if not state.edit_due(drawing.fingerprint, now) or not await self.lease.hold(now):
                return
            try:
                await alert_channel.edit(
                    self.bot,
                    state.channel_id,
                    state.message_id,
                    view=drawing.view(now),
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except DeliveryError as exc:
                await save_board(self.bot.store, self._after_failure(state, exc, now))
                return
            await save_board(self.bot.store, state.edited(drawing.fingerprint, now))

    def _after_failure(self, state: BoardState, exc: DeliveryError, now: datetime) -> BoardState:
        if exc.channel_gone:
            reason = f"its channel <#{state.channel_id}> no longer exists"
        elif exc.message_gone:
            reason = "its message was deleted"
        elif exc.forbidden:
            reason = f"Discord refused the bot in <#{state.channel_id}> (a permission is missing)"
        else:  # Discord unreachable, 5xx: tried again in a minute
            log.warning("could not edit the status board: %s (will retry)", exc)
            return state.tried(now)
        log.warning("the status board stopped: %s; /alerts board posts a new one", reason.replace("<#", "#"))
        return state.stop(reason, now)

    async def status(self) -> str:
        """The board's line in /alerts status."""
        try:
            state = await load_board(self.bot.store)
        except StoreError as exc:
            return f"unknown: the database could not be read ({safe(str(exc), 100)})"
        if state is None:
            return "off (`/alerts board` posts one)"
        if state.stopped is not None:
            when = f" {format_dt(state.stopped_at, 'R')}" if state.stopped_at else ""
            return f"⚠️ stopped{when}: {state.stopped}. `/alerts board` posts a new one."
        updated = f" · updated {format_dt(state.updated_at, 'R')}" if state.updated_at else ""
        return f"{self._link(state)}{updated}"

    def _link(self, state: BoardState) -> str:
        channel = self.bot.get_channel(state.channel_id)
        guild = getattr(channel, "guild", None)
        guild_id = guild.id if guild is not None else self.bot.settings.guild_id
        if guild_id is None:
            return f"in <#{state.channel_id}>"
        return f"[in <#{state.channel_id}>](https://discord.com/channels/{guild_id}/{state.channel_id}/{state.message_id})"
