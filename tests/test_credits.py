"""Credit thresholds (issue 21), without Discord or a database: what `/alerts credits` accepts
(bot.credits.parse_edit), how thresholds are stored, and when a figure crosses one
(`judge_credits`). Property tests (hypothesis) for the parsing and for "once per crossing,
re-armed by a top-up"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.credits import (
    Threshold,
    ThresholdEdit,
    ThresholdError,
    apply_edit,
    decode_thresholds,
    encode_thresholds,
    is_low,
    judge_credits,
    parse_edit,
    where_figures_come_from,
)
from bot.expiry import CREDIT_PREFIX
from bot.followup import How
from bot.models import StoredCredit
from bot.services import REGISTRY
from bot.useapi import CreditSource
from bot.useapi.base import CreditFigure

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LUMA = REGISTRY["luma"].credit_figures
NOTEBOOK = REGISTRY["gemininotebook"].credit_figures
KLING_POINTS = (CreditFigure("points", "points", "points"),)  # a figure with no allowance


def edit(text: str, figures: tuple[CreditFigure, ...] = LUMA, **stored: bool) -> ThresholdEdit:
    return parse_edit(text, service="Luma", figures=figures, stored=stored)


# -- what an admin types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "changes"),
    [
        ("100", {"credits": Threshold("credits", 100)}),
        ("1,000", {"credits": Threshold("credits", 1000)}),
        ("2.5", {"credits": Threshold("credits", 2.5)}),
        ("10%", {"credits": Threshold("credits", 10, percent=True)}),
        ("10 %", {"credits": Threshold("credits", 10, percent=True)}),
        ("  credits   250 credits ", {"credits": Threshold("credits", 250)}),
        ("CREDITS=5%", {"credits": Threshold("credits", 5, percent=True)}),
        ("credits off", {"credits": None}),
    ],
)
def test_a_single_figure_service_takes_a_number_a_percent_or_off(
    typed: str, changes: dict[str, object]
) -> None:
    assert edit(typed) == ThresholdEdit(changes)  # type: ignore[arg-type]


def test_off_alone_clears_every_threshold() -> None:
    assert edit("off") == ThresholdEdit(clear_all=True)
    assert edit(" OFF ") == ThresholdEdit(clear_all=True)


def test_figures_are_named_for_services_with_several() -> None:
    found = edit("5h 10%, weekly 20%", NOTEBOOK)
    assert found.changes == {"5h": Threshold("5h", 10, True), "weekly": Threshold("weekly", 20, True)}
    assert edit("weekly off; 5h 5", NOTEBOOK).changes == {"weekly": None, "5h": Threshold("5h", 5)}
    # A bare number is about the main (first) figure.
    assert edit("15%", NOTEBOOK).changes == {"5h": Threshold("5h", 15, True)}


def test_a_key_only_seen_in_stored_figures_may_be_named() -> None:
    """Google Vids and Gemini Notebook may report figures their module does not name."""
    assert edit("daily 3", NOTEBOOK, daily=False).changes == {"daily": Threshold("daily", 3)}


@pytest.mark.parametrize(
    ("typed", "figures", "says"),
    [
        ("", LUMA, "Give a threshold"),
        ("lots", LUMA, "has no figure called `lots`"),
        ("monthly 10%", NOTEBOOK, "has no figure called `monthly`"),
        ("5h", NOTEBOOK, "`5h` needs a threshold after it"),
        ("0", LUMA, "A threshold of 0 never warns"),
        ("0%", LUMA, "A threshold of 0 never warns"),
        ("150%", LUMA, "more than 100%"),
        ("10%", KLING_POINTS, "gives no allowance"),
        ("-5", LUMA, "has no figure called `-5`"),
        ("100 coins", LUMA, "`coins` after the number is not understood"),
        ("1e9", LUMA, "has no figure called `1e9`"),
        ("99999999999999", LUMA, "too large"),
        ("5h 10%, 5h 20%", NOTEBOOK, "named twice"),
        ("5h 10%,, weekly 2", NOTEBOOK, "empty entry"),
        ("off, 5h 10%", NOTEBOOK, "`off` alone switches every threshold"),
        ("5h off now", NOTEBOOK, "nothing more is needed"),
        ("credits 1 2 3", LUMA, "too many words"),
        ("x" * 300, LUMA, "characters"),
        ("10", (), "nothing to watch"),
    ],
)
def test_bad_input_gets_a_specific_sentence(typed: str, figures: tuple[CreditFigure, ...], says: str) -> None:
    with pytest.raises(ThresholdError) as caught:
        edit(typed, figures)
    assert says in str(caught.value), str(caught.value)


def test_a_percent_works_where_an_allowance_was_seen_stored() -> None:
    assert edit("points 10%", KLING_POINTS, points=True).changes == {"points": Threshold("points", 10, True)}


def test_edits_change_only_the_figures_they_name() -> None:
    current = {"5h": Threshold("5h", 10, True), "weekly": Threshold("weekly", 20, True)}
    assert apply_edit(current, edit("weekly off", NOTEBOOK)) == {"5h": Threshold("5h", 10, True)}
    assert apply_edit(current, edit("5h 3", NOTEBOOK))["5h"] == Threshold("5h", 3)
    assert apply_edit(current, ThresholdEdit(clear_all=True)) == {}


def test_stored_text_reads_back_and_unreadable_parts_are_left_out() -> None:
    thresholds = {"5h": Threshold("5h", 12.5, True), "credits": Threshold("credits", 1000)}
    text = encode_thresholds(thresholds)
    assert text == "5h 12.5%, credits 1000"
    assert decode_thresholds(text) == thresholds
    assert encode_thresholds({}) is None
    assert decode_thresholds(None) == {}
    assert decode_thresholds("credits lots, 5h 10%, , x 0, y") == {"5h": Threshold("5h", 10, True)}


_WORDS = st.text(alphabet=st.sampled_from("0123456789.,%=: -5hweklyofcrdits;x"), max_size=40)


@settings(max_examples=400)
@given(_WORDS)
def test_any_text_is_a_threshold_edit_or_a_sentence(typed: str) -> None:
    try:
        found = edit(typed, NOTEBOOK)
    except ThresholdError as exc:
        assert str(exc) and len(str(exc)) < 600
        return
    for key, threshold in found.changes.items():
        assert key in ("5h", "weekly")
        if threshold is not None:
            assert threshold.key == key and 0 < threshold.amount <= (100 if threshold.percent else 1e12)
    # What is stored reads back as what was set.
    applied = apply_edit({}, found)
    assert decode_thresholds(encode_thresholds(applied)) == applied


@given(
    st.dictionaries(
        st.sampled_from(["5h", "weekly"]),
        st.tuples(st.decimals(min_value="0.01", max_value="100", places=2), st.booleans()),
        min_size=1,
    )
)
def test_what_the_reply_shows_can_be_typed_back(chosen: dict[str, tuple[object, bool]]) -> None:
    thresholds = {k: Threshold(k, float(str(v)), pct) for k, (v, pct) in chosen.items()}
    text = encode_thresholds(thresholds)
    assert text is not None
    assert apply_edit({}, edit(text, NOTEBOOK)) == thresholds


def test_every_service_with_a_credit_source_names_its_figures() -> None:
    for cls in REGISTRY.values():
        if cls.credit_source is CreditSource.NONE:
            assert cls.credit_figures == () and cls.credit_note, cls.key
            assert where_figures_come_from(cls) == cls.credit_note
        else:
            assert cls.credit_figures, cls.key
            assert len({f.key for f in cls.credit_figures}) == len(cls.credit_figures)
            module_doc = __import__(cls.__module__, fromlist=["_"]).__doc__ or ""
            assert "Credits" in module_doc, cls.key  # the module says where its figures come from


def test_the_warning_stage_prefix_agrees_with_the_credit_table_sql() -> None:
    from bot.tables import credits

    assert f"'{CREDIT_PREFIX}' || c.key" in credits._RECORDED


# -- crossings ----------------------------------------------------------------------------------


def figure(
    remaining: float | None,
    *,
    allowance: float | None = None,
    resets_at: datetime | None = None,
    low_since: int | None = None,
    low_remaining: float | None = None,
    recorded: bool = False,
    key: str = "credits",
) -> StoredCredit:
    return StoredCredit(
        "luma", "a@example.com", key, key, "credits", remaining, allowance, resets_at, NOW,
        low_since, low_remaining, recorded,
    )  # fmt: skip


T100 = {"luma": {"credits": Threshold("credits", 100)}}


def test_low_means_known_below_measurable_and_not_refilled() -> None:
    t = Threshold("credits", 100)
    assert is_low(figure(99), t, NOW)
    assert not is_low(figure(100), t, NOW)
    assert not is_low(figure(None), t, NOW)
    assert not is_low(figure(5), None, NOW)
    pct = Threshold("credits", 10, percent=True)
    assert is_low(figure(9, allowance=100), pct, NOW) and not is_low(figure(9), pct, NOW)
    # Read before its window refilled: not what is left any more.
    assert not is_low(figure(1, resets_at=NOW), t, NOW)
    assert is_low(figure(1, resets_at=NOW + timedelta(seconds=1)), t, NOW)


def test_a_crossing_is_due_once_and_resolves_on_a_top_up() -> None:
    first = judge_credits([figure(50)], T100, NOW)
    assert [f.key for f in first.crossed] == ["credits"]
    (due,) = first.due
    assert due.low_since == int(NOW.timestamp()) and due.low_remaining == 50
    # Still low, warning recorded: nothing more.
    later = NOW + timedelta(hours=4)
    recorded = due._replace(recorded=True, remaining=30)
    still = judge_credits([recorded], T100, later)
    assert (still.crossed, still.cleared, still.due) == ((), (), ())
    # Topped up: cleared as such.
    topped = judge_credits([recorded._replace(remaining=900)], T100, later)
    assert [(c.figure.key, c.how) for c in topped.cleared] == [("credits", How.TOPPED_UP)]
    # Threshold off, or lowered below what is left: unwatched.
    assert judge_credits([recorded], {}, later).cleared[0].how is How.UNWATCHED
    lowered = {"luma": {"credits": Threshold("credits", 10)}}
    assert judge_credits([recorded], lowered, later).cleared[0].how is How.UNWATCHED


def test_a_window_warning_resolves_at_its_reset_and_says_when() -> None:
    resets = NOW + timedelta(hours=2)
    low = figure(5, allowance=100, resets_at=resets, key="5h")
    thresholds = {"luma": {"5h": Threshold("5h", 10, percent=True)}}
    first = judge_credits([low], thresholds, NOW)
    assert first.next_reset == resets and len(first.due) == 1
    crossed = first.due[0]._replace(recorded=True)
    after = judge_credits([crossed], thresholds, resets)
    assert [(c.figure.key, c.how) for c in after.cleared] == [("5h", How.RESET)]
    # The stale reading is not a new crossing after the reset.
    assert judge_credits([low], thresholds, resets + timedelta(minutes=5)).crossed == ()


@st.composite
def histories(draw: st.DrawFn) -> list[float]:
    return draw(st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=30))


@settings(max_examples=300)
@given(histories(), st.integers(min_value=1, max_value=250))
def test_one_warning_per_crossing_re_armed_by_each_rise(history: list[int], bound: int) -> None:
    """Feeding readings one by one (the store applying each judgement and recording each due
    warning), the warnings said are exactly the downward crossings of the threshold, each with
    its own epoch, and every rise back to it resolves the open one."""
    thresholds = {"luma": {"credits": Threshold("credits", bound)}}
    stored = figure(None)
    said: list[int] = []
    resolved = 0
    moment = NOW
    for reading in history:
        moment += timedelta(minutes=5)
        stored = stored._replace(remaining=float(reading))
        changes = judge_credits([stored], thresholds, moment)
        for cleared in changes.cleared:
            assert cleared.how in (How.TOPPED_UP, How.UNWATCHED)
            stored = stored._replace(low_since=None, low_remaining=None, recorded=False)
            resolved += 1
        for crossed in changes.crossed:
            stored = stored._replace(low_since=changes.at, low_remaining=crossed.remaining)
        for due in changes.due:
            said.append(due.low_since)  # type: ignore[arg-type]
            stored = stored._replace(recorded=True)
    lows = [r < bound for r in history]
    crossings = sum(1 for i, low in enumerate(lows) if low and (i == 0 or not lows[i - 1]))
    assert len(said) == crossings
    assert len(set(said)) == len(said)  # each crossing its own identity (nonce)
    assert resolved == crossings - (1 if lows[-1] else 0)


# -- the follow-through leaves credit warnings to the credit step ---------------------------------


def test_credit_warnings_are_resolved_by_the_credit_step_and_never_reminded_about() -> None:
    from bot.followup import PostedWarning, Resolution, reminders_due, resolution_for
    from bot.models import TrackedAccount, WarningKey

    acc = TrackedAccount(
        "luma", "a@example.com", NOW + timedelta(days=30), None, None, None, None, None, None, None, None,
        None, NOW, NOW, None,
    )  # fmt: skip
    warning = PostedWarning(
        WarningKey("luma", "a@example.com", int(NOW.timestamp()), CREDIT_PREFIX + "credits"),
        message_id=1,
        channel_id=2,
        recorded_at=NOW - timedelta(days=3),
        embed=None,
    )
    # Its epoch is the crossing, not the expiry: that is no renewal.
    assert resolution_for(warning, acc) is None
    assert resolution_for(warning, None) == Resolution(How.REMOVED)
    accounts = {("luma", "a@example.com"): acc}
    assert reminders_due([warning], accounts, {}, {"luma": timedelta(hours=24)}, {}, NOW) == []


# -- where each service's figures come from ------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "answer", "figures"),
    [
        # luma-post-accounts.txt and GET /accounts/{email}: {usage, limit}; null when unavailable
        ("luma", {"account": "a@b.c", "credits": {"usage": 20, "limit": 10000}}, [("credits", 9980, 10000)]),
        ("luma", {"account": "a@b.c", "credits": {"usage": 600, "limit": 500}}, [("credits", 0, 500)]),
        ("luma", {"account": "a@b.c", "credits": None}, []),
        ("luma", {"account": "a@b.c", "credits": {"limit": 500}}, [("credits", None, 500)]),
        # get-google-flow-accounts-email.txt (June 2026)
        (
            "googleflow",
            {"health": "OK", "credits": {"credits": 1250, "userPaygateTier": "PAYGATE_TIER_TWO"}},
            [("credits", 1250, None)],
        ),
        ("googleflow", {"health": "OK", "credits": {"credits": "lots"}}, []),
        ("googleflow", {"health": "OK", "credits": 5}, []),
        # post-dreamina-accounts.txt / get-dreamina-accounts-account.txt
        (
            "dreamina",
            {
                "account": "US:a@b.c",
                "credits": {"total": 24065, "vip": 12000, "gift": 10065, "purchase": 2000},
            },
            [("credits", 24065, None)],
        ),
        ("dreamina", {"account": "US:a@b.c"}, []),  # "absent if upstream fails"
    ],
)
def test_each_pages_credit_shape_is_read_and_odd_ones_are_unknown(
    key: str, answer: dict[str, object], figures: list[tuple[str, float | None, float | None]]
) -> None:
    service = REGISTRY[key](None)  # type: ignore[arg-type]
    info = service.read_account(answer, "a@b.c")
    assert [(c.key, c.remaining, c.limit) for c in info.credits] == figures
    declared = {f.key: f for f in service.credit_figures}
    for found in info.credits:
        assert found.key in declared and found.unit == declared[found.key].unit
