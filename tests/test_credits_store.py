"""Credit figures and refused calls in the database (issue 21, migration 007): every answer's
figures are kept per account and key, an answer without them never erases them, a removal takes
them along; a details read answered 596 or 412 is the account's act-now reason until a read
answers again or the account is registered; the credit step's records and resolutions."""

from __future__ import annotations

import functools
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.account_diff import judge_details
from bot.credits import Threshold, judge_credits
from bot.followup import How
from bot.models import StoredCredit, WarningKey
from bot.registration import record_registration
from bot.signals import CALL_REFUSALS
from bot.store import Store, migrations
from bot.sync import apply_account_list
from bot.useapi import AccountInfo, Credit, Failure
from bot.useapi.errors import OUT_OF_CREDITS_REASON, SESSION_BROKEN_REASON

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
EMAIL = "a@example.com"


def credit(key: str = "credits", remaining: float | None = 100.0, **extra: object) -> Credit:
    return Credit(key, key, "credits", remaining, **extra)  # type: ignore[arg-type]


async def listed(store: Store, *infos: AccountInfo, at: datetime = NOW, service: str = "luma") -> None:
    await apply_account_list(store, service, infos, fetched_at=at, now=at)


async def detailed(store: Store, info: AccountInfo, at: datetime = NOW) -> bool:
    return await store.record_details(
        info.service, info.account, functools.partial(judge_details, info, checked_at=at)
    )


async def figures(store: Store, account: str = EMAIL, service: str = "luma") -> dict[str, StoredCredit]:
    found = await store.credits_of([(service, account)])
    return {f.key: f for f in found.get((service, account), [])}


async def test_every_answer_writes_its_figures_and_none_erases_them(store: Store) -> None:
    resets = NOW + 3 * H
    await listed(store, AccountInfo("luma", EMAIL, credits=(credit(remaining=500, limit=1000),)))
    stored = (await figures(store))["credits"]
    assert (stored.remaining, stored.allowance, stored.read_at) == (500, 1000, NOW)
    # A list without figures, a details read without them, a registration without them: kept.
    await listed(store, AccountInfo("luma", EMAIL), at=NOW + H)
    await detailed(store, AccountInfo("luma", EMAIL, session_valid=True), at=NOW + 2 * H)
    await record_registration(store, AccountInfo("luma", EMAIL), user_id=7, now=NOW + 3 * H)
    assert (await figures(store))["credits"].remaining == 500
    # A details read with the figure replaces it; a new key joins it.
    await detailed(
        store,
        AccountInfo(
            "luma", EMAIL, credits=(credit(remaining=40), credit("5h", 12.5, limit=100, resets_at=resets))
        ),
        at=NOW + 4 * H,
    )
    found = await figures(store)
    assert (found["credits"].remaining, found["credits"].allowance, found["credits"].read_at) == (
        40,
        1000,  # the answer had no allowance: the stored one stays
        NOW + 4 * H,
    )
    assert (found["5h"].remaining, found["5h"].resets_at) == (12.5, resets)
    # A registration's figures are written too.
    await record_registration(
        store,
        AccountInfo("luma", EMAIL, credits=(credit(remaining=9000, limit=10000),)),
        user_id=7,
        now=NOW + 5 * H,
    )
    assert (await figures(store))["credits"].remaining == 9000


async def test_what_is_left_and_when_it_refills_go_together(store: Store) -> None:
    """Google Vids' list gives the allowance only (as when the account was added): it must not
    make last month's "what is left" look current by lending it a new reset date."""
    old_reset = NOW + H
    await listed(store, AccountInfo("luma", EMAIL))
    await detailed(
        store, AccountInfo("luma", EMAIL, credits=(credit("video", 30, limit=600, resets_at=old_reset),))
    )
    await listed(
        store,
        AccountInfo(
            "luma", EMAIL, credits=(credit("video", None, limit=900, resets_at=old_reset + 720 * H),)
        ),
        at=NOW + 2 * H,
    )
    video = (await figures(store))["video"]
    assert (video.remaining, video.resets_at, video.read_at, video.allowance) == (30, old_reset, NOW, 900)


async def test_a_figure_with_nothing_in_it_is_not_stored_and_one_key_counts_once(store: Store) -> None:
    await listed(
        store, AccountInfo("luma", EMAIL, credits=(credit(remaining=None), credit("x", 1), credit("x", 2)))
    )
    assert {k: f.remaining for k, f in (await figures(store)).items()} == {"x": 1}


async def test_a_removal_takes_the_figures_along(store: Store) -> None:
    await listed(store, AccountInfo("luma", EMAIL, credits=(credit(),)))
    assert await store.remove_account("luma", EMAIL, now=NOW, actor_id=1, outcome="ok")
    assert await figures(store) == {}
    # Registered again: figures start afresh.
    await record_registration(
        store, AccountInfo("luma", EMAIL, credits=(credit(remaining=7),)), user_id=1, now=NOW
    )
    assert (await figures(store))["credits"].remaining == 7


async def test_figures_of_a_list_entry_registered_meanwhile_are_left_alone(store: Store) -> None:
    await record_registration(
        store, AccountInfo("luma", EMAIL, credits=(credit(remaining=5),)), user_id=1, now=NOW
    )
    await listed(store, AccountInfo("luma", EMAIL, credits=(credit(remaining=999),)), at=NOW - H)
    assert (await figures(store))["credits"].remaining == 5


async def test_a_refused_call_is_the_reason_until_a_read_answers_or_a_registration(store: Store) -> None:
    await listed(store, AccountInfo("luma", EMAIL, expires_at=NOW + 48 * H))
    for refusal, reason in (
        (Failure.SESSION_BROKEN, SESSION_BROKEN_REASON),
        (Failure.OUT_OF_CREDITS, OUT_OF_CREDITS_REASON),
    ):
        assert CALL_REFUSALS[refusal.value] == reason
        assert await detailed(store, AccountInfo("luma", EMAIL, call_refusal=refusal.value))
        account = await store.get_account("luma", EMAIL)
        assert account is not None and account.last_error == reason
        assert account.expires_at == NOW + 48 * H  # nothing else erased
        # The list can't tell: it keeps the reason.
        await listed(store, AccountInfo("luma", EMAIL, expires_at=NOW + 48 * H), at=NOW + H)
        assert (await store.get_account("luma", EMAIL)).last_error == reason  # type: ignore[union-attr]
        # A details read that answered clears it.
        assert await detailed(store, AccountInfo("luma", EMAIL, session_valid=True), at=NOW + 2 * H)
        assert (await store.get_account("luma", EMAIL)).last_error is None  # type: ignore[union-attr]
    await detailed(store, AccountInfo("luma", EMAIL, call_refusal=Failure.SESSION_BROKEN.value))
    await record_registration(
        store, AccountInfo("luma", EMAIL, expires_at=NOW + 90 * H), user_id=3, now=NOW + 3 * H
    )
    assert (await store.get_account("luma", EMAIL)).last_error is None  # type: ignore[union-attr]
    # useapi.net's own error text still says the most.
    await listed(store, AccountInfo("luma", EMAIL, error="refresh token rejected"), at=NOW + 4 * H)
    await detailed(
        store, AccountInfo("luma", EMAIL, call_refusal=Failure.OUT_OF_CREDITS.value), at=NOW + 5 * H
    )
    assert (await store.get_account("luma", EMAIL)).last_error == "refresh token rejected"  # type: ignore[union-attr]


async def test_the_credit_step_records_crossings_and_resolves_their_warnings(store: Store) -> None:
    await listed(store, AccountInfo("luma", EMAIL, credits=(credit(remaining=50),)))
    thresholds = {"luma": {"credits": Threshold("credits", 100)}}
    pairs = [("luma", Threshold("credits", 100))]
    (candidate,) = await store.credit_candidates(["luma"], pairs, now=NOW)
    changes = judge_credits([candidate], thresholds, NOW)
    assert await store.apply_credit_changes(changes) == 0
    (crossed,) = await store.credit_candidates(["luma"], pairs, now=NOW)
    assert crossed.low_since == int(NOW.timestamp()) and crossed.low_remaining == 50 and not crossed.recorded
    key = WarningKey("luma", EMAIL, crossed.low_since, "credit:credits")
    await store.record_alert_sent(key, now=NOW, message_id=99, channel_id=1, embed="{}")
    assert await store.credit_candidates(["luma"], pairs, now=NOW) == []  # warned, still low: no row read
    # Topped up: the step clears the crossing and resolves the warning, in one transaction.
    await detailed(store, AccountInfo("luma", EMAIL, credits=(credit(remaining=800),)), at=NOW + H)
    (topped,) = await store.credit_candidates(["luma"], pairs, now=NOW)
    changes = judge_credits([topped], thresholds, NOW + H)
    assert await store.apply_credit_changes(changes) == 1
    (warning,) = await store.posted_warnings(open_only=False)
    assert warning.resolution is not None and warning.resolution.how is How.TOPPED_UP
    assert await store.credit_candidates(["luma"], pairs, now=NOW) == []  # above, not crossed: nothing to do
    # A gone account's figures wait for its return; a switched-off service's are not looked at.
    await listed(store, AccountInfo("luma", "b@example.com", credits=(credit(remaining=1),)), at=NOW + 2 * H)
    assert [c.account for c in await store.credit_candidates(["luma"], pairs, now=NOW)] == ["b@example.com"]
    assert await store.credit_candidates(["kling"], pairs, now=NOW) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["credits", "5h"]),
            st.one_of(st.none(), st.floats(min_value=0, max_value=2000)),
            st.one_of(st.none(), st.floats(min_value=1, max_value=2000)),
            st.sampled_from([None, "past", "future"]),  # resets_at
            st.sampled_from(["fresh", "crossed", "warned"]),
        ),
        min_size=1,
        max_size=12,
    ),
    st.floats(min_value=0.5, max_value=1500),
    st.booleans(),
)
async def test_the_sql_selection_decides_as_the_pure_judge_does(
    tmp_path_factory: object,
    rows: list[tuple[str, float | None, float | None, str | None, str]],
    amount: float,
    percent: bool,
) -> None:
    """`credit_candidates` selects in SQL what the credit step must act on; judging only those
    decides exactly what judging every stored figure decides (`is_low` in SQL agrees)."""
    path = tmp_path_factory.mktemp("sel") / "db.sqlite3"  # type: ignore[attr-defined]
    store = await Store.open(path)
    crossed_at = int((NOW - H).timestamp())
    try:
        warned: set[str] = set()
        infos = []
        for n, (key, remaining, allowance, resets, _) in enumerate(rows):
            resets_at = {None: None, "past": NOW - H, "future": NOW + H}[resets]
            figure = credit(key, remaining, limit=allowance, resets_at=resets_at)
            infos.append(AccountInfo("luma", f"a{n}@x.com", credits=(figure,)))
        await listed(store, *infos)  # one list: every account present
        for n, (key, remaining, allowance, _, state) in enumerate(rows):
            account = f"a{n}@x.com"
            if state != "fresh" and (remaining is not None or allowance is not None):
                await store.db.execute(
                    "UPDATE account_credits SET low_since = ?, low_remaining = ? WHERE account = ?",
                    (crossed_at, remaining, account),
                )
                await store.db.commit()
                if state == "warned":
                    warned.add(account)
                    key_ = WarningKey("luma", account, crossed_at, f"credit:{key}")
                    await store.record_alert_sent(key_, now=NOW, message_id=n + 1, channel_id=1)
        threshold = Threshold("credits", min(amount, 100) if percent else amount, percent)
        thresholds = {"luma": {"credits": threshold}}
        selected = judge_credits(
            await store.credit_candidates(["luma"], [("luma", threshold)], now=NOW), thresholds, NOW
        )
        stored = await store.credits_of([("luma", f"a{n}@x.com") for n in range(len(rows))])
        everything = [f._replace(recorded=f.account in warned) for fs in stored.values() for f in fs]
        full = judge_credits(everything, thresholds, NOW)

        def ids(figures: object) -> set[tuple[str, str]]:
            return {(f.account, f.key) for f in figures}  # type: ignore[attr-defined]

        assert ids(selected.crossed) == ids(full.crossed)
        assert ids(selected.due) == ids(full.due)
        assert {(c.figure.account, c.how) for c in selected.cleared} == {
            (c.figure.account, c.how) for c in full.cleared
        }
        soonest = await store.soonest_credit_reset(["luma"], now=NOW)
        lows = [
            f.resets_at for f in everything if f.low_since is not None and f.resets_at and f.resets_at > NOW
        ]
        assert soonest == (min(lows) if lows else None)
    finally:
        await store.close()


async def test_migration_007_keeps_a_version_6_database(tmp_path: Path) -> None:
    path = tmp_path / "v6.sqlite3"
    with sqlite3.connect(path) as db:
        for version, sql in migrations()[:6]:
            db.executescript(sql)
            db.execute(f"PRAGMA user_version = {version}")
        db.execute(
            "INSERT INTO accounts (service, account, expires_at, credits_usage, credits_limit, first_seen_at, "
            "last_error) VALUES ('luma', 'a@x.com', 1800000000, 20, 500, 1700000000, 'broken')"
        )
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(migrations())
        account = await store.get_account("luma", "a@x.com")
        assert account is not None and (account.credits_usage, account.credits_limit, account.last_error) == (
            20,
            500,
            "broken",
        )
        assert await store.credits_of([("luma", "a@x.com")]) == {}
    finally:
        await store.close()
