"""bot.account_diff with plain data: what a list, a registration or a details read changes,
decided without a database (the store's side is tests/test_sync.py and tests/test_store.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.account_diff import diff_account_list, judge_details, judge_registration
from bot.clock import to_epoch
from bot.models import AccountListDiff, ReasonCleared, StoredAccount
from bot.sync import is_mass_disappearance
from bot.useapi import AccountInfo

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EPOCH = int(NOW.timestamp())
H = 3600  # seconds, for stored times
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def stored(
    expires_at: int | None = EPOCH + 24 * H,
    *,
    registered_at: int | None = None,
    gone_at: int | None = None,
    synced_at: int | None = EPOCH - H,
    self_renewing: int = 0,
    self_renewing_expires_at: int | None = None,
    refresh_expires_at: int | None = None,
    session_valid: int | None = None,
    health: str | None = None,
    last_error: str | None = None,
    upstream_error: str | None = None,
) -> StoredAccount:
    return StoredAccount(
        expires_at,
        registered_at,
        gone_at,
        synced_at,
        self_renewing,
        self_renewing_expires_at,
        refresh_expires_at,
        session_valid,
        health,
        last_error,
        upstream_error,
    )


def info(
    account: str, expires: datetime | None = NOW + DAY, service: str = "luma", **extra: object
) -> AccountInfo:
    return AccountInfo(service, account, expires_at=expires, **extra)  # type: ignore[arg-type]


def diff(
    infos: list[AccountInfo],
    current: dict[str, StoredAccount] | None = None,
    removed: set[str] | None = None,
    *,
    fetched_at: datetime = NOW,
    hold_gone: Callable[[int, int], bool] | None = None,
    detect_self_renewal: bool = False,
    service: str = "luma",
) -> AccountListDiff:
    return diff_account_list(
        service,
        infos,
        current or {},
        removed or set(),
        fetched_at=fetched_at,
        now=NOW,
        hold_gone=hold_gone,
        detect_self_renewal=detect_self_renewal,
    )


# -- the list -----------------------------------------------------------------------------------


def test_new_accounts_are_written_with_no_registrant_and_counted_as_added() -> None:
    out = diff([info("a@x.com", concurrency=4), info("b@x.com", expires=None)])
    assert out.changes.added == ("a@x.com", "b@x.com") and out.changes.tracked == 0
    a, b = out.writes
    assert (a.service, a.account, a.expires_at, a.concurrency) == ("luma", "a@x.com", EPOCH + 24 * H, 4)
    assert a.synced_at == a.first_seen_at == out.at == EPOCH and a.last_error is None
    assert b.expires_at is None
    assert out.gone == out.forget_removed == () and out.cleared == ()


def test_a_moved_expiry_is_a_change_an_unknown_one_is_not() -> None:
    current = {"a@x.com": stored(), "b@x.com": stored(), "c@x.com": stored()}
    out = diff([info("a@x.com", NOW + 2 * DAY), info("b@x.com", NOW + DAY), info("c@x.com", None)], current)
    assert out.changes.changed == ("a@x.com",)
    assert [w.expires_at for w in out.writes] == [EPOCH + 48 * H, EPOCH + 24 * H, None]  # None keeps


def test_missing_accounts_are_gone_and_a_returning_one_is_said_so() -> None:
    current = {
        "a@x.com": stored(),
        "b@x.com": stored(),
        "back@x.com": stored(gone_at=EPOCH - 24 * H),
    }
    out = diff([info("a@x.com"), info("back@x.com")], current)
    assert out.gone == out.changes.gone == ("b@x.com",)
    assert out.changes.returned == ("back@x.com",)
    assert out.changes.tracked == 2  # a gone account is not tracked as present


def test_a_mass_disappearance_is_held_and_keeps_the_removal_marks() -> None:
    current = {f"u{i}@x.com": stored() for i in range(4)}
    out = diff([info("u0@x.com")], current, removed={"old@x.com"}, hold_gone=is_mass_disappearance)
    assert out.gone == () and out.changes.held == ("u1@x.com", "u2@x.com", "u3@x.com")
    assert out.forget_removed == ()  # a suspicious read proves nothing
    assert [w.account for w in out.writes] == ["u0@x.com"]  # the rest of the list still applies
    trusted = diff([info("u0@x.com")], current, removed={"old@x.com"})
    assert trusted.gone == ("u1@x.com", "u2@x.com", "u3@x.com") and trusted.forget_removed == ("old@x.com",)


def test_hold_gone_is_asked_with_the_missing_and_the_present_counts() -> None:
    asked: list[tuple[int, int]] = []

    def hold(missing: int, tracked: int) -> bool:
        asked.append((missing, tracked))
        return False

    current = {"a@x.com": stored(), "b@x.com": stored(), "c@x.com": stored(gone_at=EPOCH - H)}
    assert diff([info("a@x.com")], current, hold_gone=hold).gone == ("b@x.com",)
    assert asked == [(1, 2)]
    diff([info("a@x.com"), info("b@x.com")], current, hold_gone=hold)
    assert asked == [(1, 2)]  # nothing missing: nobody asked


def test_a_removed_account_still_listed_is_not_added_back_until_registered_again() -> None:
    out = diff([info("a@x.com"), info("gone@x.com")], removed={"gone@x.com"})
    assert [w.account for w in out.writes] == ["a@x.com"] and out.changes.added == ("a@x.com",)
    assert out.forget_removed == ()  # still listed: the mark stays
    # Stored again (registered through the bot since): the list applies to it as to any.
    again = diff([info("gone@x.com")], {"gone@x.com": stored()}, removed={"gone@x.com"})
    assert [w.account for w in again.writes] == ["gone@x.com"]


def test_an_account_registered_after_the_fetch_is_left_alone() -> None:
    current = {
        "fresh@x.com": stored(registered_at=EPOCH + 1),
        "at_fetch@x.com": stored(registered_at=EPOCH),
        "older@x.com": stored(registered_at=EPOCH - 1),
    }
    out = diff([info("fresh@x.com"), info("at_fetch@x.com")], current)
    assert out.writes == ()
    assert out.gone == ("older@x.com",) and out.changes.tracked == 1


def test_an_account_listed_twice_counts_once_its_first_entry() -> None:
    out = diff([info("a@x.com", NOW + DAY), info("a@x.com", NOW + 9 * DAY)])
    assert [(w.account, w.expires_at) for w in out.writes] == [("a@x.com", EPOCH + 24 * H)]


def test_signals_the_list_lacks_keep_their_stored_values() -> None:
    current = {"a@x.com": stored(session_valid=0, health="DEGRADED")}
    (write,) = diff([info("a@x.com")], current).writes
    assert write.session_valid == 0 and write.health == "DEGRADED"
    assert write.last_error == "health: DEGRADED"  # the reason comes from the merged signals


def test_a_cleared_reason_is_resolved_and_a_new_one_is_not() -> None:
    current = {"ok@x.com": stored(last_error="bad cookie"), "bad@x.com": stored()}
    out = diff([info("ok@x.com"), info("bad@x.com", error="bad cookie")], current)
    assert out.cleared == (ReasonCleared("ok@x.com", "cleared", None),)
    assert {w.account: w.last_error for w in out.writes} == {"ok@x.com": None, "bad@x.com": "bad cookie"}


def test_a_later_ltx_token_with_no_registration_since_means_self_renewing() -> None:
    refresh = NOW + 30 * DAY
    current = {
        "t@x.com": stored(EPOCH + H, synced_at=EPOCH - H, refresh_expires_at=to_epoch(refresh)),
        "reg@x.com": stored(EPOCH + H, synced_at=EPOCH - H, registered_at=EPOCH - H),
    }
    listed = [info("t@x.com", NOW + 2 * HOUR, "ltx"), info("reg@x.com", NOW + 2 * HOUR, "ltx")]
    out = diff(listed, current, detect_self_renewal=True, service="ltx")
    assert out.changes.self_renewing == ("t@x.com",)
    t, reg = out.writes
    # From now on warned about by the refresh token; the token itself is watched for passing.
    assert (t.self_renewing, t.expires_at, t.self_renewing_expires_at) == (
        1,
        to_epoch(refresh),
        EPOCH + 2 * H,
    )
    assert (reg.self_renewing, reg.expires_at) == (0, EPOCH + 2 * H)  # a registration renewed it
    assert diff(listed, current, service="ltx").changes.self_renewing == ()  # only when asked


# -- properties ---------------------------------------------------------------------------------

NAMES = st.sampled_from([f"a{i}@x.com" for i in range(8)])
TIMES = st.one_of(st.none(), st.integers(EPOCH - 48 * H, EPOCH + 96 * H))
STORED = st.builds(
    stored,
    TIMES,
    registered_at=st.one_of(st.none(), st.integers(EPOCH - 3 * H, EPOCH + 3)),
    gone_at=st.one_of(st.none(), st.just(EPOCH - H)),
    session_valid=st.sampled_from([None, 0, 1]),
    health=st.sampled_from([None, "OK", "DEGRADED"]),
    last_error=st.sampled_from([None, "bad cookie"]),
)
INFOS = st.lists(
    st.builds(
        info,
        NAMES,
        st.one_of(st.none(), st.datetimes(NOW - 2 * DAY, NOW + 4 * DAY, timezones=st.just(UTC))),
        error=st.sampled_from([None, "bad cookie"]),
        health=st.sampled_from([None, "OK", "DEGRADED"]),
        session_valid=st.sampled_from([None, True, False]),
    ),
    max_size=10,
)


@given(
    INFOS,
    st.dictionaries(NAMES, STORED, max_size=8),
    st.sets(NAMES, max_size=3),
    st.sampled_from([None, is_mass_disappearance, lambda m, t: True]),
)
def test_every_account_is_accounted_for_exactly_once(
    infos: list[AccountInfo],
    current: dict[str, StoredAccount],
    removed: set[str],
    hold: Callable[[int, int], bool] | None,
) -> None:
    out = diff(infos, current, removed, hold_gone=hold)
    listed = {i.account for i in infos}
    late = {a for a, s in current.items() if s.registered_at is not None and s.registered_at >= EPOCH}
    skipped = (removed - set(current)) | late
    written = [w.account for w in out.writes]
    assert sorted(written) == sorted(listed - skipped)  # once each, in the list's order
    assert written == list(dict.fromkeys(i.account for i in infos if i.account not in skipped))
    assert set(out.changes.added) == listed - set(current) - removed
    present = {a for a, s in current.items() if s.gone_at is None and a not in late}
    assert out.changes.tracked == len(present)
    missing = present - listed
    assert set(out.gone) | set(out.changes.held) == missing and not (out.gone and out.changes.held)
    assert out.gone == out.changes.gone
    assert (
        set(out.changes.returned) == {a for a, s in current.items() if s.gone_at is not None} & listed - late
    )
    assert out.forget_removed == (() if out.changes.held else tuple(sorted(removed - listed)))
    assert {c.account for c in out.cleared} == {
        w.account for w in out.writes if w.last_error is None and current.get(w.account, stored()).last_error
    }
    assert all(w.synced_at == out.at == EPOCH for w in out.writes)


# -- one answer ---------------------------------------------------------------------------------


def test_a_registration_replaces_the_signals_and_resolves_as_renewed() -> None:
    was = stored(session_valid=0, last_error="the session is no longer valid", health="DEGRADED")
    verdict = judge_registration(info("a@x.com", session_valid=True), was, user_id=7, now=NOW)
    assert verdict.reason is None and verdict.health is None and verdict.session_valid is True
    assert verdict.cleared == ReasonCleared("a@x.com", "renewed", 7)
    assert verdict.at == EPOCH and verdict.expires_at == EPOCH + 24 * H
    first = judge_registration(info("a@x.com", error="bad cookie"), None, user_id=7, now=NOW)
    assert first.reason == "bad cookie" and first.cleared is None and first.changed


def test_a_registration_of_a_self_renewing_account_keeps_its_refresh_deadline() -> None:
    refresh = EPOCH + 30 * 24 * H
    was = stored(self_renewing=1, refresh_expires_at=refresh)
    verdict = judge_registration(info("t@x.com", NOW + HOUR, "ltx"), was, user_id=7, now=NOW)
    assert (verdict.expires_at, verdict.self_renewing_expires_at) == (refresh, EPOCH + H)


def test_a_details_read_merges_and_says_whether_the_plan_changed() -> None:
    was = stored(upstream_error=None, health="OK", session_valid=1)
    revoked = judge_details(info("a@x.com", None, session_valid=False), was, checked_at=NOW)
    assert revoked.reason is not None and revoked.changed and revoked.health == "OK"
    assert revoked.expires_at is None  # a details read without an expiry keeps the stored one
    same = judge_details(info("a@x.com", None), was, checked_at=NOW)
    assert same.reason is None and not same.changed and same.session_valid is True
    moved = judge_details(info("a@x.com", NOW + 2 * DAY), was, checked_at=NOW)
    assert moved.changed and moved.expires_at == EPOCH + 48 * H
    swapped = judge_details(info("a@x.com", NOW + 2 * DAY), was._replace(self_renewing=1), checked_at=NOW)
    assert swapped.expires_at is None and not swapped.changed  # never from a details read
    cleared = judge_details(
        info("a@x.com", None, session_valid=True), was._replace(last_error="x"), checked_at=NOW
    )
    assert cleared.cleared == ReasonCleared("a@x.com", "cleared", None) and cleared.changed
