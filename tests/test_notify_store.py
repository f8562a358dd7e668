"""What the bot owes a member (bot/tables/notify.py): a refused DM is said once per stretch of
closed DMs, after their next command; the note is taken once."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store import Store
from bot.tables.notify import DMS_REFUSED_NOTE

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
MEMBER = 42


async def test_a_refusal_is_said_once_until_a_dm_works_again_or_dms_are_chosen_again(store: Store) -> None:
    assert not await store.wants_dm(MEMBER) and await store.take_note(MEMBER) is None
    await store.set_dm_early(MEMBER, True)
    assert await store.wants_dm(MEMBER)

    assert await store.dm_refused(MEMBER, now=NOW)  # a note is left
    assert not await store.dm_refused(MEMBER, now=NOW)  # the same stretch: no second note
    assert await store.take_note(MEMBER) == DMS_REFUSED_NOTE
    assert await store.take_note(MEMBER) is None  # taken once
    assert not await store.dm_refused(MEMBER, now=NOW)  # still the same stretch
    assert await store.notify_state(MEMBER) == (True, NOW)

    await store.dm_delivered(MEMBER)  # a DM went through: a later refusal is new
    assert await store.notify_state(MEMBER) == (True, None)
    assert await store.dm_refused(MEMBER, now=NOW)
    await store.leave_note(MEMBER, "kept")  # a note already waiting is not replaced
    assert await store.take_note(MEMBER) == DMS_REFUSED_NOTE
    await store.leave_note(MEMBER, DMS_REFUSED_NOTE)  # showing it failed: put back
    assert await store.take_note(MEMBER) == DMS_REFUSED_NOTE

    await store.set_dm_early(MEMBER, False)
    assert not await store.wants_dm(MEMBER)
    await store.set_dm_early(MEMBER, True)  # chosen again: a refusal is said again
    assert await store.dm_refused(MEMBER, now=NOW)
