"""Who owns an account (bot/owners.py) and which warnings may go to an owner's direct messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.expiry import Alert, Kind
from bot.models import TrackedAccount, WarningKey
from bot.owners import is_early, owner_of

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
H = timedelta(hours=1)
ACC = TrackedAccount(
    service="luma", account="a@example.com", expires_at=NOW + 80 * H, refresh_expires_at=None,
    concurrency=None, credits_usage=None, credits_limit=None, max_jobs=None, registered_by=None,
    registered_at=None, last_error=None, upstream_updated_at=None, first_seen_at=NOW, synced_at=NOW,
    gone_at=None,
)  # fmt: skip


def test_the_last_of_registration_admin_choice_and_claim_wins() -> None:
    assert owner_of(ACC) is None  # configured outside the bot: nobody until someone takes it
    registered = replace(ACC, registered_by=1, registered_at=NOW)
    assert owner_of(registered) == 1
    chosen = replace(registered, owner_id=2, owner_since=NOW + H)  # an admin, after the registration
    assert owner_of(chosen) == 2
    again = replace(chosen, registered_by=3, registered_at=NOW + 2 * H)  # registered again since
    assert owner_of(again) == 3
    adopted = replace(ACC, owner_id=4, owner_since=NOW)  # claimed while nobody owned it
    assert owner_of(adopted) == 4


def alert(stage: str, lead: timedelta | None, kind: Kind = Kind.STAGE) -> Alert:
    return Alert(WarningKey("luma", ACC.account, 0, stage), kind, ACC, NOW, lead)


def test_early_is_every_stage_but_the_last_and_expired() -> None:
    default: dict[str, tuple[timedelta, ...]] = {}
    assert is_early(alert("3d", 72 * H), default) and is_early(alert("24h", 24 * H), default)
    assert not is_early(alert("6h", 6 * H), default)  # the last lead stage
    assert not is_early(alert("expired", timedelta(0)), default)
    assert not is_early(alert("error:abc", None, Kind.ERROR), default)
    assert not is_early(alert("gone", None, Kind.GONE), default)
    custom = {"luma": (48 * H, 12 * H)}
    assert is_early(alert("2d", 48 * H), custom) and not is_early(alert("12h", 12 * H), custom)
    assert not is_early(alert("24h", 24 * H), {"luma": (24 * H,)})  # one stage: it is the last
