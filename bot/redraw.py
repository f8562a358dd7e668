"""Keeping each warning's message in step with the state stored (issue 18 §4, issue 23).

A warning's message changes when it is claimed, taken over, its claim lapses, or it is resolved.
Each change is stored first, as one more `state_version` of the warning (bot/tables/alert_log.py);
then the message is redrawn by `MessageKeeper.redraw`:

- *from the state stored at the moment of the edit*, read under the warning's lock, never from
  what a caller read earlier: a claim answered slowly can't paint a warning resolved meanwhile
  as open again;
- under one asyncio lock per warning, so two redraws of one message never overlap: the last
  edit Discord applies is the last one drawn, and `drawn_version` records exactly what it shows;
- and recorded: a message whose drawn version is behind (a failed edit, a change stored while
  an edit was on its way, a change made by another instance) stays *pending*, and the scheduler
  (bot/watch.py) redraws it at its next follow-through, retried until it matches, the message
  is gone, or MAX_EDIT_ATTEMPTS tries at one state failed.

Two instances on one database (a rolling deploy): the asyncio lock is per process, so only the
scheduler lease holder edits warning messages at all (`Lease.held_recently`, no database read).
Buttons are answered by whichever instance Discord delivers them to; a standby stores the claim
(the database serialises the claims themselves) and leaves the redraw pending, and the holder
draws it at its next follow-through (within a minute). A holder that stalls past its lease
stops trusting it before another instance can take the lease over (bot/lease.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.delivery import DeliveryError, WarningEditor
from bot.followup import PostedWarning
from bot.lease import Lease
from bot.models import WarningKey
from bot.store import Store, StoreError


class RedrawFailed(Exception):
    """The edit drawing `warning` raised `error` (recorded: retried later unless `given_up`)."""

    def __init__(self, warning: PostedWarning, error: Exception, *, given_up: bool) -> None:
        super().__init__(str(error))
        self.warning = warning
        self.error = error
        self.given_up = given_up


class MessageKeeper:
    """Redraws warning messages from their stored state, one edit per warning at a time."""

    def __init__(self, store: Store, edit: WarningEditor, lease: Lease) -> None:
        self.store = store
        self.edit = edit
        self.lease = lease
        # One lock per warning being redrawn (or waited for); dropped when nobody holds it.
        self._locks: dict[WarningKey, tuple[asyncio.Lock, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def locked(self, key: WarningKey) -> AsyncIterator[None]:
        """Hold the warning's lock (every edit of its message happens under it)."""
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[key]

    async def redraw(self, key: WarningKey) -> PostedWarning | None:
        """Bring the warning's message in step with its stored state. Returns the warning as
        drawn; None when there was nothing to draw (already in step, given up, not posted) or
        this instance doesn't hold the scheduler lease (the holder draws it). Raises
        RedrawFailed (the failure recorded) or StoreError."""
        if not self.lease.held_recently():
            return None
        async with self.locked(key):
            warning = await self.store.warning_by_key(key)
            if warning is None or warning.drawn or warning.redraw_given_up:
                return None
            try:
                await self.edit(warning)
            except StoreError:
                raise  # reading what to draw failed: nothing was edited, still pending
            except Exception as exc:
                gone = isinstance(exc, DeliveryError) and exc.message_gone
                given_up = await self.store.record_redraw_failed(key, warning.state_version, gone=gone)
                raise RedrawFailed(warning, exc, given_up=given_up) from exc
            await self.store.record_drawn(key, warning.state_version)
            return warning
