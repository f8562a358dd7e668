"""The pure core of the expiry watch: stages, catch-up, re-arming, next due moment."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.durations import DurationError, format_duration, parse_duration
from bot.expiry import (
    DEFAULT_STAGES,
    EXPIRED,
    GONE,
    Kind,
    WarningKey,
    error_stage,
    format_stage,
    format_stages,
    horizon,
    next_wake,
    parse_stages,
    plan,
    stage_name,
    stage_text,
    stages_for,
)
from bot.models import TrackedAccount
from tests.window_model import select_window

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def account(
    name: str = "a@x.com", service: str = "luma", expires: datetime | None = NOW + 100 * H, **fields: Any
) -> TrackedAccount:
    base = TrackedAccount(
        service=service, account=name, expires_at=expires, refresh_expires_at=None, concurrency=None,
        credits_usage=None, credits_limit=None, max_jobs=None, registered_by=7, registered_at=NOW,
        last_error=None, upstream_updated_at=None, first_seen_at=NOW, synced_at=NOW, gone_at=None,
    )  # fmt: skip
    return replace(base, **fields)


def key(acc: TrackedAccount, stage: str) -> WarningKey:
    assert acc.expires_at is not None
    return WarningKey(acc.service, acc.account, int(acc.expires_at.timestamp()), stage)


def simulate(accounts: list[TrackedAccount], stages: dict[str, tuple[timedelta, ...]], times: list[datetime]):
    """Run plan() at each time, recording what it says like the scheduler does."""
    recorded: set[tuple[str, str, int, str]] = set()
    sent: list[tuple[WarningKey, datetime, datetime]] = []  # key, due_at, sent at
    for now in times:
        p = plan(accounts, stages, recorded, now)
        assert not {a.key for a in p.due} & recorded
        assert not set(p.skipped) & recorded
        recorded.update(p.skipped)
        for alert in p.due:
            sent.append((alert.key, alert.due_at, now))
            recorded.add(alert.key)
    return sent, recorded


# -- stages -------------------------------------------------------------------------------------


def test_default_stages_and_names() -> None:
    assert stages_for({}, "luma") == (72 * H, 24 * H, 6 * H, timedelta(0))
    assert [stage_name(s) for s in stages_for({}, "ltx")] == ["3d", "24h", "6h", EXPIRED]
    assert stages_for({"luma": (7 * 24 * H, 12 * H)}, "luma") == (7 * 24 * H, 12 * H, timedelta(0))


def _stage_name_as_released(lead: timedelta) -> str:
    """stage_name as every release so far spelled it; sent warnings are stored under it."""
    seconds = int(lead.total_seconds())
    if lead <= timedelta(0):
        return EXPIRED
    if seconds >= 2 * 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds > 0 and seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return format_duration(lead)


@settings(max_examples=500)
@given(st.timedeltas(min_value=-timedelta(days=1), max_value=timedelta(days=3650)))
def test_stage_keys_keep_their_spelling_and_people_read_hours_up_to_72h(lead: timedelta) -> None:
    """People read `72h` where the stored key says `3d`: only the text changed, so an upgrade
    finds every warning it sent under the same key and posts none of them again."""
    assert stage_name(lead) == _stage_name_as_released(lead)
    if lead > timedelta(0):
        assert stage_text(stage_name(lead)) == format_stage(lead)
        assert parse_duration(format_stage(lead)) == timedelta(seconds=int(lead.total_seconds()))


def test_stages_as_people_read_them() -> None:
    shown = {h: format_stage(h * H) for h in (1, 6, 24, 48, 72, 96, 168)}
    assert shown == {1: "1h", 6: "6h", 24: "24h", 48: "48h", 72: "72h", 96: "4d", 168: "7d"}
    assert format_stages(DEFAULT_STAGES) == "72h,24h,6h"  # as the README and /alerts stages say
    assert [stage_text(s) for s in ("3d", "2d", "24h", "1h30m")] == ["72h", "48h", "24h", "1h30m"]
    for other in (EXPIRED, GONE, error_stage("boom"), "remind:2"):
        assert stage_text(other) == other


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7d,2d,12h", (timedelta(days=7), timedelta(days=2), 12 * H)),
        (" 12h , 7d ", (timedelta(days=7), 12 * H)),
        ("30m 90s", (timedelta(minutes=30), timedelta(seconds=90))),
        ("72h,24h,6h,expired", DEFAULT_STAGES),
    ],
)
def test_parse_stages(raw: str, expected: tuple[timedelta, ...]) -> None:
    assert parse_stages(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "at least one"),
        ("expired", "at least one"),
        ("7x", "not a duration"),
        ("0h", "longer than zero"),
        ("6h,6h", "twice"),
        ("1h,2h,3h,4h,5h,6h,7h,8h,9h,10h,11h", "at most 10"),
        ("12", "not a duration"),  # a bare number is ambiguous here
    ],
)
def test_parse_stages_rejects_with_a_clear_message(raw: str, message: str) -> None:
    with pytest.raises(DurationError, match=message):
        parse_stages(raw)


@given(st.sets(st.integers(min_value=1, max_value=3650 * 86400), min_size=1, max_size=10))
def test_format_then_parse_is_identity(seconds: set[int]) -> None:
    stages = tuple(sorted((timedelta(seconds=s) for s in seconds), reverse=True))
    assert parse_stages(format_stages(stages)) == stages


# -- planning -----------------------------------------------------------------------------------


def test_each_stage_fires_once_on_time_and_in_order() -> None:
    acc = account(expires=NOW + 100 * H)
    minutes = [NOW + timedelta(minutes=m) for m in range(0, 102 * 60)]
    sent, _ = simulate([acc], {}, minutes)
    assert [k.stage for k, _, _ in sent] == ["3d", "24h", "6h", EXPIRED]
    for _key, due_at, at in sent:
        assert timedelta(0) <= at - due_at < timedelta(minutes=1)


def test_catch_up_posts_only_the_most_urgent_stage_and_skips_the_rest() -> None:
    acc = account(expires=NOW + 5 * H)
    p = plan([acc], {}, set(), NOW)
    assert [(a.kind, a.key.stage) for a in p.due] == [(Kind.STAGE, "6h")]
    assert p.due[0].due_at == acc.expires_at - 6 * H  # type: ignore[operator]
    assert set(p.skipped) == {key(acc, "3d"), key(acc, "24h")}
    assert p.next_due == acc.expires_at
    # Once recorded, the skipped stages never come back.
    after = plan([acc], {}, {*p.skipped, p.due[0].key}, NOW + H)
    assert after.due == () and after.skipped == ()


def test_long_expired_account_gets_one_expired_warning() -> None:
    acc = account(expires=NOW - timedelta(days=30))
    p = plan([acc], {}, set(), NOW)
    assert [a.key.stage for a in p.due] == [EXPIRED]
    assert len(p.skipped) == 3 and p.upcoming == ()


def test_renewal_moves_the_expiry_and_re_arms_every_stage() -> None:
    old = account(expires=NOW + 5 * H)
    first = plan([old], {}, set(), NOW)
    recorded = {*first.skipped, *(a.key for a in first.due)}
    renewed = replace(old, expires_at=NOW + timedelta(days=30))
    p = plan([renewed], {}, recorded, NOW)
    assert p.due == ()
    assert [u.key.stage for u in p.upcoming] == ["3d", "24h", "6h", EXPIRED]
    assert p.next_due == renewed.expires_at - 72 * H  # type: ignore[operator]


def test_stages_are_per_service() -> None:
    luma = account("l@x.com", "luma", expires=NOW + 40 * H)
    ltx = account("t@x.com", "ltx", expires=NOW + 40 * H)
    p = plan([luma, ltx], {"luma": (timedelta(days=2), 12 * H)}, set(), NOW)
    assert {(a.key.service, a.key.stage) for a in p.due} == {("luma", "2d"), ("ltx", "3d")}


def test_unknown_expiry_has_no_stages() -> None:
    p = plan([account(expires=None)], {}, set(), NOW)
    assert p.due == () and p.upcoming == () and p.next_due is None


def test_gone_account_is_warned_once_and_gets_no_stage_warnings() -> None:
    acc = account(expires=NOW + 2 * H, gone_at=NOW - H)
    p = plan([acc], {}, set(), NOW)
    assert [(a.kind, a.key.stage) for a in p.due] == [(Kind.GONE, GONE)]
    assert p.upcoming == () and p.skipped == ()
    assert plan([acc], {}, {p.due[0].key}, NOW).due == ()
    # It came back, then vanished again: a new disappearance is a new warning.
    again = replace(acc, gone_at=NOW + H)
    assert [a.key.stage for a in plan([again], {}, {p.due[0].key}, NOW + H).due] == [GONE]


def test_error_is_warned_once_per_text_and_expiry() -> None:
    acc = account(last_error="Session refresh failed")
    p = plan([acc], {}, set(), NOW)
    (alert,) = p.due
    assert alert.kind is Kind.ERROR and alert.key.stage == error_stage("session  refresh FAILED")
    assert plan([acc], {}, {alert.key}, NOW).due == ()
    other = replace(acc, last_error="Account suspended")
    assert [a.kind for a in plan([other], {}, {alert.key}, NOW).due] == [Kind.ERROR]
    renewed = replace(acc, expires_at=NOW + timedelta(days=9))
    assert [a.kind for a in plan([renewed], {}, {alert.key}, NOW).due] == [Kind.ERROR]


def test_due_is_ordered_most_urgent_first() -> None:
    later = account("later@x.com", expires=NOW + 20 * H)
    sooner = account("sooner@x.com", expires=NOW + 2 * H)
    broken = account("broken@x.com", expires=NOW + 50 * H, last_error="boom")
    gone = account("gone@x.com", gone_at=NOW)
    p = plan([later, sooner, broken, gone], {}, set(), NOW)
    assert [(a.key.account, a.key.stage[:5]) for a in p.due] == [
        ("gone@x.com", "gone"),
        ("broken@x.com", "error"),
        ("sooner@x.com", "6h"),
        ("later@x.com", "24h"),
        ("broken@x.com", "3d"),
    ]


def test_next_wake_sleeps_until_due_but_never_longer_than_allowed() -> None:
    longest = timedelta(seconds=30)
    assert next_wake(None, NOW, longest=longest) == longest
    assert next_wake(NOW + timedelta(seconds=7), NOW, longest=longest) == timedelta(seconds=7)
    assert next_wake(NOW + H, NOW, longest=longest) == longest
    assert next_wake(NOW - H, NOW, longest=longest) == timedelta(0)


@settings(max_examples=150, deadline=None)
@given(
    leads=st.sets(st.integers(min_value=1, max_value=10 * 86400), min_size=1, max_size=5),
    expiry_offset=st.integers(min_value=-86400, max_value=12 * 86400),
    gaps=st.lists(st.integers(min_value=1, max_value=3 * 86400), min_size=1, max_size=40),
)
def test_any_pass_schedule_fires_each_stage_at_most_once_never_early(
    leads: set[int], expiry_offset: int, gaps: list[int]
) -> None:
    stages = {"luma": tuple(timedelta(seconds=t) for t in leads)}
    acc = account(expires=NOW + timedelta(seconds=expiry_offset))
    times = [NOW]
    for gap in gaps:
        times.append(times[-1] + timedelta(seconds=gap))
    sent, recorded = simulate([acc], stages, times)
    keys = [k for k, _, _ in sent]
    assert len(keys) == len(set(keys))
    for _key, due_at, at in sent:
        assert due_at <= at
    # At most one stage per pass, and each one was the most urgent crossed at that moment.
    per_pass: dict[datetime, int] = {}
    for _key, _, at in sent:
        per_pass[at] = per_pass.get(at, 0) + 1
    assert all(count == 1 for count in per_pass.values())
    # Every stage whose moment has passed by the last pass is resolved (sent or skipped).
    assert acc.expires_at is not None
    for lead in stages_for(stages, "luma"):
        if acc.expires_at - lead <= times[-1]:
            assert key(acc, stage_name(lead)) in recorded
    # The final pass came after expiry: the last thing said is "expired".
    if acc.expires_at <= times[-1]:
        assert keys[-1].stage == EXPIRED


@settings(max_examples=50, deadline=None)
@given(leads=st.sets(st.integers(min_value=61, max_value=5 * 86400), min_size=1, max_size=6))
def test_passes_every_minute_post_every_stage_within_a_minute(leads: set[int]) -> None:
    # Stages at least a minute apart each get their own warning, each within 60 s of falling due.
    spaced = sorted(leads)
    if any(b - a < 60 for a, b in itertools.pairwise(spaced)):
        return
    stages = {"luma": tuple(timedelta(seconds=t) for t in leads)}
    acc = account(expires=NOW + timedelta(seconds=max(leads) + 120))
    assert acc.expires_at is not None
    moments = sorted({acc.expires_at - timedelta(seconds=t) for t in (*leads, 0)})
    times = [NOW]
    for moment in moments:  # a pass a minute, modelled by passes just after each due moment
        times.extend(moment + timedelta(seconds=s) for s in (0, 59))
    sent, _ = simulate([acc], stages, sorted(set(times)))
    assert len(sent) == len(leads) + 1
    for _key, due_at, at in sent:
        assert at - due_at < timedelta(minutes=1)


# -- bounded upcoming and the window ------------------------------------------------------------


def test_upcoming_limit_keeps_the_soonest_and_counts_the_rest() -> None:
    accounts = [account(f"a{i}@x.com", expires=NOW + (100 + i) * H) for i in range(5)]
    full = plan(accounts, {}, set(), NOW)
    assert len(full.upcoming) == 20 and full.more_upcoming == 0
    for limit in (0, 1, 3, 20, 50):
        bounded = plan(accounts, {}, set(), NOW, upcoming_limit=limit)
        assert bounded.upcoming == full.upcoming[:limit]
        assert bounded.more_upcoming == 20 - len(bounded.upcoming)
        assert (bounded.due, bounded.skipped) == (full.due, full.skipped)
    assert plan(accounts, {}, set(), NOW, upcoming_limit=1).next_due == full.next_due


def test_later_expiries_count_for_next_due_with_their_longest_stage() -> None:
    soon = account(expires=NOW + 80 * H)
    stages = {"luma": (72 * H, 6 * H), "ltx": (7 * 24 * H,)}
    assert plan([soon], stages, set(), NOW).next_due == NOW + 8 * H
    later = {"luma": NOW + 90 * H, "ltx": NOW + 7 * 24 * H + 2 * H}
    # An LTX Studio account's 7d stage (two hours from now) comes before the planned one.
    assert plan([soon], stages, set(), NOW, later_expiries=later).next_due == NOW + 2 * H
    assert plan([soon], stages, set(), NOW, later_expiries={"luma": NOW + 90 * H}).next_due == NOW + 8 * H
    assert plan([], stages, set(), NOW, later_expiries={"luma": NOW + 73 * H}).next_due == NOW + H
    assert plan([], stages, set(), NOW).next_due is None


def test_horizon_is_the_longest_stage_ahead() -> None:
    assert horizon({}, "luma", NOW) == NOW + 72 * H
    assert horizon({"luma": (7 * 24 * H, 6 * H)}, "luma", NOW) == NOW + 7 * 24 * H
    assert horizon({"luma": (7 * 24 * H,)}, "ltx", NOW) == NOW + 72 * H


def test_the_window_edges() -> None:
    until = horizon({}, "luma", NOW)
    at_edge = account("edge@x.com", expires=until)  # its 3d stage falls due right now
    past_edge = account("past@x.com", expires=until + timedelta(seconds=1))
    far = account("far@x.com", expires=NOW + 30 * 24 * H)
    no_expiry = account("none@x.com", expires=None)
    no_expiry_error = account("none-err@x.com", expires=None, last_error="Session invalid")
    far_error = account("far-err@x.com", expires=NOW + 30 * 24 * H, last_error="Session invalid")
    gone = account("gone@x.com", expires=NOW + 2 * H, gone_at=NOW - H)
    gone_told = account("gone-told@x.com", expires=NOW + 2 * H, gone_at=NOW - H)
    expired = account("expired@x.com", expires=NOW - 24 * H)
    expired_told = account("expired-told@x.com", expires=NOW - 24 * H)
    expires_now_told = account("now-told@x.com", expires=NOW)
    recorded = {
        WarningKey("luma", "gone-told@x.com", int((NOW - H).timestamp()), GONE),
        key(expired_told, EXPIRED),
        key(expires_now_told, EXPIRED),
    }
    everyone = [
        at_edge, past_edge, far, no_expiry, no_expiry_error, far_error, gone, gone_told, expired,
        expired_told, expires_now_told,
    ]  # fmt: skip
    selected, later = select_window(everyone, {"luma": until}, recorded, NOW)
    assert [a.account for a in selected] == [
        "edge@x.com",
        "none-err@x.com",
        "far-err@x.com",
        "gone@x.com",
        "expired@x.com",
    ]
    assert later == {"luma": until + timedelta(seconds=1)}
    assert select_window(everyone, {"ltx": until}, recorded, NOW) == ([], {})
    windowed = plan(selected, {}, recorded, NOW, upcoming_limit=1, later_expiries=later)
    full = plan(everyone, {}, recorded, NOW)
    assert windowed.due == full.due and windowed.next_due == full.next_due
    assert [(a.key.account, a.key.stage) for a in windowed.due][-1] == ("edge@x.com", "3d")


def test_a_longer_stage_widens_the_window() -> None:
    acc = account(expires=NOW + 5 * 24 * H)
    assert select_window([acc], {"luma": horizon({}, "luma", NOW)}, set(), NOW)[0] == []
    stages = {"luma": (7 * 24 * H, 24 * H)}
    selected, _ = select_window([acc], {"luma": horizon(stages, "luma", NOW)}, set(), NOW)
    assert selected == [acc]
    assert [a.key.stage for a in plan(selected, stages, set(), NOW).due] == ["7d"]


_SERVICES = ("luma", "ltx")
_MOMENTS = st.integers(min_value=-10 * 86400, max_value=12 * 86400)


@st.composite
def watched_accounts(draw: Any) -> tuple[list[TrackedAccount], set[tuple[str, str, int, str]]]:
    """Accounts of every kind, and a random part of every warning key they could have."""
    accounts = []
    for i in range(draw(st.integers(min_value=0, max_value=12))):
        expires = draw(st.one_of(st.none(), _MOMENTS))
        gone = draw(st.one_of(st.none(), st.none(), _MOMENTS))
        accounts.append(
            account(
                f"a{i}@x.com",
                draw(st.sampled_from(_SERVICES)),
                expires=None if expires is None else NOW + timedelta(seconds=expires),
                gone_at=None if gone is None else NOW + timedelta(seconds=gone),
                last_error=draw(st.sampled_from([None, None, None, "", "boom"])),
            )
        )
    possible = []
    for acc in accounts:
        epoch = int(acc.expires_at.timestamp()) if acc.expires_at else 0
        for stage in ("7d", "3d", "2d", "24h", "12h", "6h", EXPIRED, error_stage("boom")):
            possible.append((acc.service, acc.account, epoch, stage))
        if acc.gone_at:
            possible.append((acc.service, acc.account, int(acc.gone_at.timestamp()), GONE))
    recorded = set(draw(st.lists(st.sampled_from(possible), unique=True))) if possible else set()
    return accounts, recorded


@settings(max_examples=300, deadline=None)
@given(
    watched=watched_accounts(),
    luma=st.sampled_from([(), (7 * 24 * H, 2 * 24 * H, 12 * H), (6 * H,)]),
    offset=st.integers(min_value=0, max_value=999_999),
)
def test_planning_the_window_finds_what_planning_everything_finds(
    watched: tuple[list[TrackedAccount], set[tuple[str, str, int, str]]],
    luma: tuple[timedelta, ...],
    offset: int,
) -> None:
    accounts, recorded = watched
    stages = {"luma": luma} if luma else {}
    now = NOW + timedelta(microseconds=offset)
    horizons = {service: horizon(stages, service, now) for service in _SERVICES}
    selected, later = select_window(accounts, horizons, recorded, now)
    windowed = plan(selected, stages, recorded, now, upcoming_limit=1, later_expiries=later)
    full = plan(accounts, stages, recorded, now)
    assert windowed.due == full.due
    # Only expiries whose "expired" warning is recorded are left unplanned with stages to skip,
    # and none of those can ever be due.
    assert set(windowed.skipped) <= set(full.skipped)
    for k in set(full.skipped) - set(windowed.skipped):
        assert (k.service, k.account, k.epoch, EXPIRED) in recorded
    # The next due moment is the same, unless a stage still ahead is recorded already (a clock
    # set back): then the window may wake the scheduler early, never late.
    if full.next_due is None:
        assert windowed.next_due is None or windowed.next_due > now
    else:
        assert windowed.next_due is not None and windowed.next_due <= full.next_due
    ahead_recorded = any(
        acc.expires_at is not None
        and any(
            (acc.service, acc.account, int(acc.expires_at.timestamp()), stage_name(t)) in recorded
            and acc.expires_at - t > now
            for t in stages_for(stages, acc.service)
        )
        for acc in accounts
    )
    if not ahead_recorded:
        assert windowed.next_due == full.next_due


def test_a_warnings_nonce_is_fixed_by_its_identity_and_fits_discords_25_characters() -> None:
    key = WarningKey("luma", "a@example.com", 1_800_000_000, "6h")
    assert key.nonce == WarningKey("luma", "a@example.com", 1_800_000_000, "6h").nonce  # any process
    assert len(key.nonce) == 25
    others = [
        key._replace(service="ltx"),
        key._replace(account="b@example.com"),
        key._replace(epoch=1_800_000_001),
        key._replace(stage="24h"),
    ]
    assert len({key.nonce, *(o.nonce for o in others)}) == 1 + len(others)
