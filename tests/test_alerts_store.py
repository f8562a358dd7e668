"""Storage for the expiry watch: migration 002 on a v1 database, sent/skipped/failed records,
and the window of accounts a scheduler pass reads."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import to_epoch
from bot.expiry import (
    DEFAULT_STAGES,
    EXPIRED,
    GONE,
    Kind,
    WarningKey,
    error_stage,
    horizon,
    plan,
)
from bot.followup import How, Resolution
from bot.models import WatchWindow
from bot.store import Store, StoreError, migrations
from tests.window_model import select_window

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KEY = WarningKey("luma", "a@x.com", 1_800_000_000, "24h")


async def test_migration_002_upgrades_a_v1_database_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    version, sql = migrations()[0]
    assert version == 1
    with sqlite3.connect(path) as db:  # the database as the first release left it
        db.executescript(sql)
        db.execute(f"PRAGMA user_version = {version}")
        db.execute(
            "INSERT INTO accounts (service, account, expires_at, registered_by, first_seen_at) "
            "VALUES ('luma', 'a@x.com', 1800000000, 42, 1700000000)"
        )
        db.execute("INSERT INTO settings VALUES ('alert_channel_id', '1300000000000000200')")
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(migrations())  # 002 and every later one
        (acc,) = await store.list_accounts()
        assert acc.account == "a@x.com" and acc.registered_by == 42
        assert await store.get_setting("alert_channel_id") == "1300000000000000200"
        assert await store.alert_keys() == set()
        await store.record_alert_sent(KEY, now=NOW, message_id=99)
        assert await store.alert_keys() == {KEY}
    finally:
        await store.close()


async def test_sent_and_skipped_are_remembered_and_a_send_clears_its_failures(store: Store) -> None:
    skipped = KEY._replace(stage="3d")
    await store.record_alerts_skipped([skipped], now=NOW)
    await store.record_alerts_skipped([], now=NOW)
    await store.record_alert_failure(KEY, reason="Missing Permissions", now=NOW)
    await store.record_alert_failure(KEY, reason="Unknown Channel", now=NOW + timedelta(minutes=1))
    (failure,) = await store.alert_failures()
    assert failure.key == KEY and failure.attempts == 2 and failure.reason == "Unknown Channel"
    assert failure.first_failed_at == NOW and failure.last_failed_at == NOW + timedelta(minutes=1)
    assert KEY not in await store.alert_keys()

    await store.record_alert_sent(KEY, now=NOW + timedelta(minutes=2), message_id=123)
    assert await store.alert_keys() == {KEY, skipped}
    assert await store.alert_failures() == []
    async with store.db.execute("SELECT status, message_id FROM alert_warnings ORDER BY stage") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [("sent", 123), ("skipped", None)]


async def test_stale_failures_are_forgotten(store: Store) -> None:
    other = KEY._replace(account="b@x.com")
    await store.record_alert_failure(KEY, reason="x", now=NOW)
    await store.record_alert_failure(other, reason="y", now=NOW)
    await store.forget_alert_failures([other])
    assert [f.key for f in await store.alert_failures()] == [other]


async def test_a_failed_record_leaves_nothing_half_written(store: Store) -> None:
    await store.record_alert_failure(KEY, reason="x", now=NOW)
    await store.db.execute(
        "CREATE TEMP TRIGGER refuse BEFORE DELETE ON alert_failures BEGIN SELECT RAISE(ABORT, 'no'); END"
    )
    await store.db.commit()
    with pytest.raises(StoreError):
        await store.record_alert_sent(KEY, now=NOW, message_id=1)
    assert await store.alert_keys() == set()  # the insert was rolled back with the delete
    assert len(await store.alert_failures()) == 1


# -- the window a scheduler pass reads ----------------------------------------------------------

H = timedelta(hours=1)
STAGES = {"luma": (7 * 24 * H, 24 * H), "ltx": DEFAULT_STAGES}  # Luma: a stage past the default
# Expiries from now (None: unknown), or from the service's horizon (its longest stage ahead).
OFFSETS = (None, -30 * 24 * H, -timedelta(seconds=1), timedelta(0), timedelta(seconds=1), 60 * 24 * H)
EDGES = (-timedelta(seconds=1), timedelta(0), timedelta(seconds=1))


async def seed_every_kind(store: Store, now: datetime) -> None:
    """Per service, an account for every expiry offset × gone state × error × recorded warnings."""
    rows = []
    keys = []
    for service in ("luma", "ltx", "other"):
        until = horizon(STAGES, service, now)
        expiries = [None if o is None else now + o for o in OFFSETS] + [until + e for e in EDGES]
        for i, expires in enumerate(expiries):
            for gone in ("no", "told", "untold"):
                for error in (None, "", "Session refresh failed"):
                    for told in (False, True):
                        name = f"{i}-{gone}-{error and 'error'}-{told}@x.com"
                        gone_at = None if gone == "no" else now - 2 * H
                        epoch = to_epoch(expires) or 0
                        rows.append(
                            (service, name, to_epoch(expires), error, to_epoch(gone_at), to_epoch(now))
                        )
                        if gone == "told":
                            keys.append((service, name, to_epoch(gone_at), GONE))
                        if told:  # everything crossed was dealt with, and an older expiry's too
                            keys += [(service, name, epoch, s) for s in ("7d", "3d", "24h", "6h", EXPIRED)]
                            keys.append((service, name, epoch, error_stage("Session refresh failed")))
                            keys.append((service, name, epoch - 86400, "6h"))
    await store.db.executemany(
        "INSERT INTO accounts (service, account, expires_at, last_error, gone_at, first_seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    await store.db.commit()
    await store.record_alerts_skipped(keys, now=now)


@pytest.mark.parametrize("microseconds", [0, 999_999])
async def test_the_window_query_selects_what_select_window_selects(store: Store, microseconds: int) -> None:
    now = NOW + timedelta(microseconds=microseconds)
    await seed_every_kind(store, now)
    horizons = {service: horizon(STAGES, service, now) for service in ("luma", "ltx")}
    everything = await store.list_accounts()
    recorded = await store.alert_keys()

    window = await store.watch_window(horizons, now=now)
    expected, later = select_window(everything, horizons, recorded, now)
    assert sorted(window.accounts, key=lambda a: (a.service, a.account)) == sorted(
        expected, key=lambda a: (a.service, a.account)
    )
    assert window.later_expiries == later
    assert not any(a.service == "other" for a in window.accounts)  # not a watched service
    # With each account come its warnings about its current expiry and disappearance: enough to
    # plan it exactly as with every warning.
    chosen = {(a.service, a.account) for a in window.accounts}
    assert window.recorded <= recorded
    assert {k for k in window.recorded if k[:2] not in chosen} == set()
    windowed = plan(window.accounts, STAGES, window.recorded, now, later_expiries=window.later_expiries)
    full = plan([a for a in everything if a.service != "other"], STAGES, recorded, now)
    assert windowed.due == full.due and windowed.next_due == full.next_due
    assert set(windowed.skipped) <= set(full.skipped)
    assert {a.kind for a in full.due} == {Kind.GONE, Kind.ERROR, Kind.STAGE}


async def test_the_window_edges_in_sql(store: Store) -> None:
    """An expiry exactly at the horizon is read (its longest stage falls due now), one second
    later is not; no known expiry is read only with an error; a stage longer than the default
    widens the window; an expiry long past is read until its "expired" warning is recorded, a
    disappearance until it was warned about, and it doesn't count for the next due moment."""
    rows = [
        ("luma", "edge@x.com", NOW + 72 * H, None, None),
        ("luma", "past-edge@x.com", NOW + 72 * H + timedelta(seconds=1), None, None),
        ("luma", "unknown@x.com", None, None, None),
        ("luma", "unknown-error@x.com", None, "Session invalid", None),
        ("luma", "five-days@x.com", NOW + 5 * 24 * H, None, None),
        ("luma", "expired@x.com", NOW - 24 * H, None, None),
        ("luma", "gone@x.com", NOW + 10 * 24 * H, None, NOW - H),  # no stage warnings any more
    ]
    await store.db.executemany(
        "INSERT INTO accounts (service, account, expires_at, last_error, gone_at, first_seen_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(s, a, to_epoch(e), err, to_epoch(g), to_epoch(NOW)) for s, a, e, err, g in rows],
    )
    await store.db.commit()

    async def read(stages: dict[str, tuple[timedelta, ...]]) -> tuple[list[str], dict[str, datetime]]:
        window = await store.watch_window({"luma": horizon(stages, "luma", NOW)}, now=NOW)
        return sorted(a.account for a in window.accounts), window.later_expiries

    assert await read({}) == (
        ["edge@x.com", "expired@x.com", "gone@x.com", "unknown-error@x.com"],
        {"luma": NOW + 72 * H + timedelta(seconds=1)},
    )
    assert await read({"luma": (7 * 24 * H,)}) == (
        [
            "edge@x.com",
            "expired@x.com",
            "five-days@x.com",
            "gone@x.com",
            "past-edge@x.com",
            "unknown-error@x.com",
        ],
        {},
    )
    await store.record_alert_sent(("luma", "gone@x.com", to_epoch(NOW - H), GONE), now=NOW, message_id=1)  # type: ignore[arg-type]
    await store.record_alert_sent(
        ("luma", "expired@x.com", to_epoch(NOW - 24 * H), EXPIRED), now=NOW, message_id=2
    )  # type: ignore[arg-type]
    assert (await read({}))[0] == ["edge@x.com", "unknown-error@x.com"]
    assert await store.watch_window({}, now=NOW) == WatchWindow([], set(), {})


async def test_open_warnings_are_the_posted_ones_with_their_accounts_and_reminders(store: Store) -> None:
    """What a follow-through reads in one statement is what reading the posted warnings, each
    one's account and every reminder gave, less the embeds."""
    rows = [("luma", "a@x.com", NOW + timedelta(hours=5)), ("luma", "b@x.com", NOW - timedelta(hours=2))]
    await store.db.executemany(
        "INSERT INTO accounts (service, account, expires_at, first_seen_at) VALUES (?, ?, ?, ?)",
        [(s, a, to_epoch(e), to_epoch(NOW)) for s, a, e in rows],
    )
    await store.db.commit()
    a6h = WarningKey("luma", "a@x.com", to_epoch(NOW + timedelta(hours=5)), "6h")  # type: ignore[arg-type]
    b_exp = WarningKey("luma", "b@x.com", to_epoch(NOW - timedelta(hours=2)), EXPIRED)  # type: ignore[arg-type]
    b_old = WarningKey("luma", "b@x.com", to_epoch(NOW - timedelta(days=40)), EXPIRED)  # type: ignore[arg-type]
    gone = WarningKey("luma", "removed@x.com", 1_800_000_000, "24h")
    for n, key in enumerate((a6h, b_exp, b_old, gone), start=1):
        await store.record_alert_sent(
            key, now=NOW - timedelta(days=3 - n / 2), message_id=n, embed='{"t": 1}'
        )
    for n, about in ((1, b_exp), (2, b_exp), (1, b_old)):
        await store.record_alert_sent(
            about._replace(stage=f"remind:{n}"), now=NOW - timedelta(hours=10 - n), message_id=100 + n
        )
    await store.resolve_warnings([(b_old, Resolution(How.REFRESHED))], now=NOW)
    await store.claim_warning(1, 7, now=NOW)

    state = await store.open_warnings()
    posted = await store.posted_warnings()
    assert [w.key for w in state.warnings] == [w.key for w in posted] == [a6h, b_exp, gone]
    assert state.warnings == [replace(w, embed=None) for w in posted]
    assert state.warnings[0].claim is not None and state.warnings[0].claim.by == 7
    assert state.accounts == {
        (a.service, a.account): a for a in await store.list_accounts() if a.account != "removed@x.com"
    }
    # Reminders about the open warnings' expiries only: b's older expiry's reminder is not read.
    assert state.reminders == {("luma", "b@x.com", b_exp.epoch): (2, NOW - timedelta(hours=8))}
    # Some accounts' only (what a sync changed): the same, narrowed to them.
    some = await store.open_warnings([("luma", "b@x.com"), ("luma", "nobody@x.com")])
    assert some.warnings == [state.warnings[1]] and list(some.accounts) == [("luma", "b@x.com")]
    assert some.reminders == state.reminders


@pytest.mark.parametrize("microseconds", [0, 999_999])
async def test_the_window_of_some_accounts_plans_them_as_the_whole_window_does(
    store: Store, microseconds: int
) -> None:
    """What a pass plans again after a sync changed a few accounts: those accounts whole, with
    their recorded warnings; what is due for them is what planning the window finds."""
    now = NOW + timedelta(microseconds=microseconds)
    await seed_every_kind(store, now)
    horizons = {service: horizon(STAGES, service, now) for service in ("luma", "ltx")}
    everything = await store.list_accounts()
    some = {(a.service, a.account) for a in everything[::7]}
    full = await store.watch_window(horizons, now=now)
    narrowed = await store.watch_window(horizons, now=now, accounts=sorted(some))
    assert sorted(narrowed.accounts, key=lambda a: (a.service, a.account)) == sorted(
        (a for a in everything if (a.service, a.account) in some and a.service != "other"),
        key=lambda a: (a.service, a.account),
    )
    assert narrowed.recorded >= {k for k in full.recorded if (k.service, k.account) in some}
    assert narrowed.later_expiries == {}
    due = plan(narrowed.accounts, STAGES, narrowed.recorded, now).due
    assert due == tuple(
        a
        for a in plan(full.accounts, STAGES, full.recorded, now).due
        if (a.key.service, a.key.account) in some
    )
    assert len(due) > 3
    assert await store.watch_window(horizons, now=now, accounts=[]) == WatchWindow([], set(), {})
    with pytest.raises(ValueError, match="at most"):
        await store.watch_window(horizons, now=now, accounts=[("luma", f"{n}@x.com") for n in range(501)])


async def test_migration_010_keeps_a_version_9_databases_warnings_and_their_edits(tmp_path: Path) -> None:
    """A database the release before issue 18 §4 wrote: an edit done stays drawn, an edit still
    pending (or failed) stays so, and an open warning has nothing to redraw."""
    path = tmp_path / "v9.sqlite3"
    with sqlite3.connect(path) as db:
        for version, sql in migrations()[:9]:
            db.executescript(sql)
            db.execute(f"PRAGMA user_version = {version}")
        rows = [  # stage, message id, resolved_at, edit_state
            ("24h", 1, 1_700_000_100, "done"),
            ("6h", 2, 1_700_000_200, None),
            ("1h", 3, 1_700_000_300, "failed"),
            ("expired", 4, None, None),
        ]
        db.executemany(
            "INSERT INTO alert_warnings (service, account, epoch, stage, status, recorded_at, message_id, "
            "resolved_at, resolution, edit_state) VALUES ('luma', 'a@x.com', 1800000000, ?, 'sent', "
            "1700000000, ?, ?, CASE WHEN ? IS NULL THEN NULL ELSE 'renewed' END, ?)",
            [(stage, message, resolved, resolved, state) for stage, message, resolved, state in rows],
        )
    store = await Store.open(path)
    try:
        assert await store.schema_version() == len(migrations())
        assert [w.key.stage for w in await store.pending_redraws(10)] == ["6h"]  # the edit still due
        shown = {stage: await store.warning_by_message(message) for stage, message, _, _ in rows}
        done, pending, failed, still_open = (shown[stage] for stage in ("24h", "6h", "1h", "expired"))
        assert done is not None and done.drawn and not done.redraw_given_up
        assert pending is not None and not pending.drawn and not pending.redraw_given_up
        assert failed is not None and not failed.drawn and failed.redraw_given_up
        assert still_open is not None and still_open.drawn and still_open.is_open
    finally:
        await store.close()
