"""The live status board without Discord: what it shows (bot/board.py), when it is edited
(`BoardState`), and its drawing (cogs/alerts/_board.py) within Discord's limits for any data,
checked by the Discord double's own rules (tests/doubles/_components.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.board import (
    EDIT_EVERY,
    NEXT_DEADLINES,
    UNKNOWN,
    Board,
    BoardState,
    Standing,
    Subscription,
    build_board,
    standing,
    subscription_of,
)
from bot.followup import Claim, PostedWarning
from bot.models import TrackedAccount, WarningKey
from bot.services import KNOWN_SERVICES
from bot.sync import SyncState
from bot.team_account import Kind as TeamKind
from bot.team_account import TeamState, Topic
from bot.useapi.account import AccountSummary
from cogs.alerts._board import draw_board
from tests.doubles._components import (
    IS_COMPONENTS_V2,
    MAX_COMPONENTS_V2,
    MAX_TEXT_V2,
    count_components,
    message_problem,
    text_length,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
STAGES = (72 * H, 24 * H, 6 * H)


def account(
    name: str, service: str = "luma", expires: datetime | None = NOW + 200 * H, **fields: Any
) -> TrackedAccount:
    base = TrackedAccount(
        service=service, account=name, expires_at=expires, refresh_expires_at=None, concurrency=None,
        credits_usage=None, credits_limit=None, max_jobs=None, registered_by=None, registered_at=None,
        last_error=None, upstream_updated_at=None, first_seen_at=NOW, synced_at=NOW, gone_at=None,
    )  # fmt: skip
    return replace(base, **fields)


def warning(
    name: str, stage: str = "24h", since: datetime = NOW, claimed_by: int | None = None
) -> PostedWarning:
    claim = Claim(claimed_by, since) if claimed_by else None
    return PostedWarning(WarningKey("luma", name, 1, stage), 1000 + len(name), 1, since, None, claim)


def board(accounts: list[TrackedAccount], services: tuple[str, ...] = ("luma", "kling"), **kw: Any) -> Board:
    return build_board(
        services=services,
        accounts=accounts,
        stages={s: STAGES for s in services},
        open_warnings=kw.pop("open_warnings", ()),
        sync_states=kw.pop("sync_states", {}),
        subscription=kw.pop("subscription", Subscription()),
        now=kw.pop("now", NOW),
    )


def payload(view: Any) -> dict[str, Any]:
    """What discord.py sends for this view (the flag it sets for a LayoutView)."""
    return {"components": view.to_components(), "flags": IS_COMPONENTS_V2}


# -- what it shows ------------------------------------------------------------------------------


def test_an_account_stands_by_its_reason_its_deadline_and_the_first_stage() -> None:
    assert standing(account("a"), 72 * H, NOW) is Standing.FINE
    assert standing(account("a", expires=NOW + 72 * H), 72 * H, NOW) is Standing.SOON  # the stage's edge
    assert standing(account("a", expires=NOW + 73 * H), 72 * H, NOW) is Standing.FINE
    assert standing(account("a", expires=NOW), 72 * H, NOW) is Standing.PERSON  # expired
    assert standing(account("a", last_error="health: ERROR"), 72 * H, NOW) is Standing.PERSON
    assert standing(account("a", gone_at=NOW - H), 72 * H, NOW) is Standing.PERSON
    assert standing(account("a", expires=None), 72 * H, NOW) is Standing.FINE  # no deadline (Flow Music)


def test_counts_per_service_the_next_five_deadlines_and_the_services_without_accounts() -> None:
    accounts = [account(f"a{n}", expires=NOW + (10 + n) * 24 * H) for n in range(4)]
    accounts += [account("soon", expires=NOW + 30 * H), account("broken", last_error="x")]
    accounts += [account("k1", "kling", NOW + 5 * H), account("off", "runway", NOW + H)]  # runway: off
    accounts += [account("gone", gone_at=NOW - H, expires=NOW + 2 * H)]
    shown = board(accounts, ("luma", "kling", "pixverse"))
    assert [(s.service, s.fine, s.soon, s.person) for s in shown.services] == [
        ("luma", 4, 1, 2),
        ("kling", 0, 1, 0),
    ]
    assert shown.without_accounts == ("pixverse",)
    assert len(shown.deadlines) == NEXT_DEADLINES
    # gone and switched-off accounts are left out; a reason leaves the deadline standing
    assert [d.account for d in shown.deadlines] == ["k1", "soon", "broken", "a0", "a1"]
    assert shown.standing is Standing.PERSON
    assert board([account("x", expires=NOW + 30 * H)]).standing is Standing.SOON
    assert board([account("x")]).standing is Standing.FINE


def test_open_warnings_newest_first_and_the_stalest_sync() -> None:
    old, new = warning("old", since=NOW - 5 * H), warning("new", since=NOW - H, claimed_by=42)
    states = {
        "luma": SyncState(last_success_at=NOW - 10 * 60 * timedelta(seconds=1)),
        "kling": SyncState(last_success_at=NOW - 20 * timedelta(minutes=1)),
    }
    shown = board([], open_warnings=[old, new], sync_states=states)
    assert [w.key.account for w in shown.open_warnings] == ["new", "old"]
    assert shown.last_sync == NOW - 20 * timedelta(minutes=1) and shown.never_synced == ()
    assert board([], sync_states={"luma": states["luma"]}).never_synced == ("kling",)


def test_the_subscription_is_what_the_team_account_watch_knows() -> None:
    assert subscription_of(TeamState()) == Subscription() and Subscription().state == UNKNOWN
    unread = TeamState(summary=AccountSummary(subscription_active=None), read_at=NOW)
    assert subscription_of(unread).state == UNKNOWN
    active = TeamState(summary=AccountSummary(subscription_active=True), read_at=NOW)
    assert subscription_of(active) == Subscription("active", None, NOW)
    lapsed = TeamState(summary=AccountSummary(subscription_active=False), read_at=NOW)
    assert subscription_of(lapsed).state == "not active"
    # A 402 on any call opens the subscription warning while the last summary still says active.
    paying = active.start(Topic(TeamKind.SUBSCRIPTION), NOW)
    assert subscription_of(paying).state == "not active"


# -- when it is edited --------------------------------------------------------------------------


def test_an_edit_is_due_when_what_it_shows_changed_and_not_within_a_minute() -> None:
    state = BoardState(1, 2, shown="aaa", updated_at=NOW, tried_at=NOW)
    assert not state.edit_due("aaa", NOW + 10 * H)  # nothing changed
    assert not state.edit_due("bbb", NOW + EDIT_EVERY - timedelta(seconds=1))
    assert state.edit_due("bbb", NOW + EDIT_EVERY)
    assert not state.stop("its message was deleted", NOW).edit_due("bbb", NOW + H)
    tried = state.tried(NOW + EDIT_EVERY)
    assert tried.shown == "aaa" and not tried.edit_due("bbb", NOW + EDIT_EVERY + timedelta(seconds=30))
    edited = state.edited("bbb", NOW + H)
    assert edited.shown == "bbb" and edited.updated_at == edited.tried_at == NOW + H


def test_the_board_state_survives_json_and_an_unreadable_one_is_no_board() -> None:
    state = BoardState(1, 2, "fp", NOW, NOW + H, "its message was deleted", NOW + 2 * H)
    assert BoardState.from_json(state.to_json()) == state
    assert BoardState.from_json(BoardState(3, 4).to_json()) == BoardState(3, 4)
    for odd in (None, "", "{", "[]", '{"channel_id": "x", "message_id": 1}', '{"message_id": 1}'):
        assert BoardState.from_json(odd) is None


# -- the drawing, within Discord's limits -------------------------------------------------------


def test_the_drawing_has_nine_components_and_a_fingerprint_that_ignores_the_edit_time() -> None:
    shown = board([account("a"), account("b", expires=NOW + 30 * H)], KNOWN_SERVICES)
    drawing = draw_board(shown)
    view = drawing.view(NOW)
    body = payload(view)
    assert count_components(body["components"]) == view.total_children_count == 9
    assert message_problem(body) is None
    assert drawing.fingerprint == draw_board(shown).fingerprint
    assert drawing.view(NOW + H).to_components() != view.to_components()  # only the footer moves
    text = json.dumps(body)
    assert "⏳ **Luma** · 1 fine · 1 due within 72h · 0 need a person" in drawing.services
    assert "No accounts yet: Google Flow" in text
    assert "unknown (not read yet)" in drawing.header
    changed = board([account("a"), account("b", expires=NOW + 30 * H, last_error="x")], KNOWN_SERVICES)
    assert draw_board(changed).fingerprint != drawing.fingerprint


def test_a_long_list_of_open_warnings_is_cut_and_counted() -> None:
    many = [warning(f"account-{n:03}@example.com", since=NOW - n * timedelta(minutes=1)) for n in range(120)]
    drawing = draw_board(board([account("a")], KNOWN_SERVICES, open_warnings=many))
    body = payload(drawing.view(NOW))
    assert message_problem(body) is None and text_length(body["components"]) <= MAX_TEXT_V2
    shown = drawing.warnings.count("\n• ") + drawing.warnings.count("\n⚠️")
    assert "account-000@example.com" in drawing.warnings  # the newest first
    assert f"…and {120 - shown} more (`/alerts status`)" in drawing.warnings
    assert "### Next deadlines" in drawing.deadlines


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=300)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    count=st.integers(0, 400),
    warned=st.integers(0, 300),
    services=st.lists(st.sampled_from(KNOWN_SERVICES), min_size=0, max_size=13, unique=True),
)
def test_any_board_fits_discords_limits(
    data: st.DataObject, count: int, warned: int, services: list[str]
) -> None:
    """13 services (or any subset), hundreds of accounts and open warnings, names of any length
    full of markdown: the board is always a message Discord accepts, with 9 components."""
    chosen = tuple(services) or KNOWN_SERVICES
    accounts = [
        account(
            data.draw(names) + str(n),
            data.draw(st.sampled_from(chosen)),
            NOW + timedelta(hours=data.draw(st.integers(-500, 2000))),
            last_error=data.draw(st.sampled_from((None, "x"))),
        )
        for n in range(count)
    ]
    open_warnings = [
        warning(data.draw(names) + str(n), claimed_by=data.draw(st.sampled_from((None, 10**18))))
        for n in range(warned)
    ]
    failing = {key: SyncState(failures=5) for key in chosen}
    subscription = Subscription(data.draw(names), data.draw(names), NOW)
    shown = board(
        accounts, chosen, open_warnings=open_warnings, sync_states=failing, subscription=subscription
    )
    body = payload(draw_board(shown).view(NOW))
    assert message_problem(body) is None
    assert count_components(body["components"]) == 9 <= MAX_COMPONENTS_V2
    assert text_length(body["components"]) <= MAX_TEXT_V2
