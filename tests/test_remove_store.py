"""bot.store's account removal: what a later sync or registration does with a removed account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.registration import record_registration
from bot.store import Store
from bot.sync import apply_account_list
from bot.useapi import AccountInfo

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
A, B = "a@example.com", "b@example.com"


def info(account: str) -> AccountInfo:
    return AccountInfo("ltx", account, expires_at=NOW + timedelta(days=2))


async def tracked(store: Store) -> list[str]:
    return sorted(a.account for a in await store.list_accounts("ltx"))


async def listed(store: Store, *accounts: str, hold: bool = False) -> None:
    await apply_account_list(
        store,
        "ltx",
        [info(a) for a in accounts],
        fetched_at=NOW,
        now=NOW,
        hold_gone=(lambda missing, present: True) if hold else None,
    )


async def test_removal_keeps_audit_rows_and_is_audited(store: Store) -> None:
    await record_registration(store, info(A), user_id=7, now=NOW)
    await store.audit(now=NOW, actor_id=7, action="register", service="ltx", target=A, outcome="ok")
    assert await store.remove_account("ltx", A, now=NOW, actor_id=9, outcome="ok") is True
    assert await tracked(store) == []
    entries = await store.recent_audit()
    assert [(e.action, e.actor_id, e.outcome) for e in entries] == [
        ("account_remove", 9, "ok"),
        ("register", 7, "ok"),
    ]
    # Removing what isn't tracked changes nothing but is audited as such.
    assert await store.remove_account("ltx", A, now=NOW, actor_id=9, outcome="ok") is False
    assert (await store.recent_audit(1))[0].outcome == "not_tracked"


async def test_a_list_still_showing_a_removed_account_does_not_add_it_back(store: Store) -> None:
    await listed(store, A, B)
    await store.remove_account("ltx", A, now=NOW, actor_id=9, outcome="ok")
    await listed(store, A, B)
    assert await tracked(store) == [B]
    assert await store.removed_accounts("ltx") == {A}


async def test_a_held_read_keeps_the_memory_a_trusted_one_drops_it(store: Store) -> None:
    await listed(store, A, B)
    await store.remove_account("ltx", A, now=NOW, actor_id=9, outcome="ok")
    await listed(store, hold=True)  # a suspicious read (everything missing) proves nothing
    assert await store.removed_accounts("ltx") == {A}
    await listed(store, B)  # trusted, and A is no longer on useapi.net
    assert await store.removed_accounts("ltx") == set()
    await listed(store, A, B)  # added on useapi.net again later: tracked again
    assert await tracked(store) == [A, B]


async def test_registering_through_the_bot_again_resumes_tracking(store: Store) -> None:
    await listed(store, A)
    await store.remove_account("ltx", A, now=NOW, actor_id=9, outcome="ok")
    await record_registration(store, info(A), user_id=7, now=NOW + timedelta(minutes=1))
    assert await store.removed_accounts("ltx") == set()
    await listed(store, A)
    assert await tracked(store) == [A]


async def test_audit_entries_page_both_ways_and_filter(store: Store) -> None:
    for i in range(7):
        await store.audit(
            now=NOW + timedelta(minutes=i),
            actor_id=1 if i % 2 else 2,
            action="access_grant" if i == 6 else "register",
            service=None if i == 6 else "luma",
            target="user:1" if i == 6 else None,
            outcome="ok",
        )
    ids = [e.id for e in await store.audit_entries(limit=3)]
    assert ids == [7, 6, 5]
    assert [e.id for e in await store.audit_entries(limit=3, before_id=5)] == [4, 3, 2]
    assert [e.id for e in await store.audit_entries(limit=3, after_id=1)] == [4, 3, 2]
    assert [e.id for e in await store.audit_entries(limit=10, member_id=1)] == [7, 6, 4, 2]
    assert [e.id for e in await store.audit_entries(limit=10, service="luma", member_id=1)] == [6, 4, 2]
    assert [e.id for e in await store.audit_entries(limit=10, since=NOW + timedelta(minutes=5))] == [7, 6]


async def test_the_autocomplete_names_come_from_sql_prefix_first_whatever_the_case(store: Store) -> None:
    names = ["Studio@x.com", "studio2@x.com", "my.studio@x.com", "other@x.com", "s" * 101 + "@x.com"]
    await listed(store, *names)
    await apply_account_list(
        store, "kling", [AccountInfo("kling", "studio@kling.com")], fetched_at=NOW, now=NOW
    )

    async def names_for(typed: str, limit: int = 25) -> list[str]:
        return await store.account_names("ltx", typed, limit=limit, longest=100)

    # Those starting with what was typed first (any case), then those holding it; other
    # services' accounts and names longer than Discord allows never.
    # services' accounts and names longer than Discord allows never. Each group in name order,
    # whatever the case ("2" sorts before "@").
    assert await names_for("STUDIO") == ["studio2@x.com", "Studio@x.com", "my.studio@x.com"]
    assert await names_for("studio", limit=2) == ["studio2@x.com", "Studio@x.com"]
    assert await names_for("udio") == ["my.studio@x.com", "studio2@x.com", "Studio@x.com"]
    assert await names_for("") == ["my.studio@x.com", "other@x.com", "studio2@x.com", "Studio@x.com"]
    assert await names_for("nobody") == []
    assert await names_for("%") == [] and await names_for("_") == []  # not patterns
