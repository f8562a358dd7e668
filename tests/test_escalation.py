"""Which warnings escalate, when, and only once (bot/escalation.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.durations import DurationError
from bot.escalation import escalation_key, escalations_due, parse_after
from bot.followup import Claim, LapsedClaim, PostedWarning
from bot.models import WarningKey
from tests.test_owners import ACC

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
H = timedelta(hours=1)
STAGES = {"luma": (72 * H, 24 * H, 6 * H)}
ACCOUNTS = {("luma", ACC.account): ACC}


def warning(stage: str, at: datetime, **changes: object) -> PostedWarning:
    posted = PostedWarning(WarningKey("luma", ACC.account, 100, stage), 1, 2, at, None)
    return replace(posted, **changes)  # type: ignore[arg-type]


def due(*warnings: PostedWarning, now: datetime, escalated: frozenset = frozenset()) -> list[str]:  # type: ignore[type-arg]
    return [e.about.key.stage for e in escalations_due(warnings, ACCOUNTS, escalated, 2 * H, STAGES, now)]


def test_a_last_word_warning_nobody_took_escalates_after_the_delay_once() -> None:
    for stage in ("6h", "expired", "error:abc", "gone"):
        assert due(warning(stage, NOW), now=NOW + 2 * H - timedelta(seconds=1)) == []
        assert due(warning(stage, NOW), now=NOW + 2 * H) == [stage]
        done = frozenset({escalation_key(warning(stage, NOW))})
        assert due(warning(stage, NOW), now=NOW + 9 * H, escalated=done) == []
    # Posted again (its reason back): a new warning, a new escalation.
    done = frozenset({escalation_key(warning("error:abc", NOW))})
    assert due(warning("error:abc", NOW + H), now=NOW + 3 * H, escalated=done) == ["error:abc"]


def test_early_stages_claims_and_resolutions_stop_it() -> None:
    assert due(warning("24h", NOW), now=NOW + 9 * H) == []  # not the last word
    claimed = warning("6h", NOW, claim=Claim(7, NOW + H))
    assert due(claimed, now=NOW + 9 * H) == []
    # A claim on an earlier open warning of the account stops it too.
    assert due(warning("24h", NOW - H, claim=Claim(7, NOW)), warning("6h", NOW), now=NOW + 9 * H) == []
    lapsed = warning("6h", NOW, lapsed=LapsedClaim(7, NOW + 3 * H))  # the wait starts again
    assert due(lapsed, now=NOW + 4 * H) == [] and due(lapsed, now=NOW + 5 * H) == ["6h"]
    assert due(warning("6h", NOW, resolved_at=NOW + H), now=NOW + 9 * H) == []
    # Only the account's latest warning counts: the expired one, posted just now, waits its turn.
    assert due(warning("6h", NOW - 7 * H), warning("expired", NOW), now=NOW + H) == []
    # A switched-off service's accounts (not in the stages) get none.
    assert escalations_due([warning("6h", NOW)], ACCOUNTS, set(), 2 * H, {}, NOW + 9 * H) == []


def test_the_delay_is_a_minute_at_least() -> None:
    assert parse_after("90m") == 90 * timedelta(minutes=1)
    for bad in ("30s", "soon", "0"):
        with pytest.raises(DurationError):
            parse_after(bad)
