"""What team warnings and the status section look like: within Discord's limits, no button-worthy
text, and upstream text (display names, useapi.net's 402 text) escaped so it pings nobody."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.team_account import Kind, TeamState, TeamWarning, Topic
from bot.useapi.account import AccountSummary, ServiceSlots
from cogs.alerts._team import STATUS_LIMIT, team_resolution_text, team_status_text, team_warning_embed

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HOSTILE = "@everyone <@&1300000000000000300> **bold** `tick` " + "x" * 200


def warning(kind: Kind, name: str, **extra: object) -> TeamWarning:
    summary = AccountSummary(
        subscription_active=kind is not Kind.SUBSCRIPTION,
        subscriptions=1,
        max_accounts_per_api=3,
        accounts=(ServiceSlots(name, 3, 1, 2),),
    )
    topic = Topic(kind, "" if kind in (Kind.SUBSCRIPTION, Kind.TOKEN) else name)
    fields = {"summary": summary, **extra}
    return TeamWarning(key=topic.key(1_800_000_000), topic=topic, since=NOW, **fields)  # type: ignore[arg-type]


def embed_length(embed: dict[str, object]) -> int:
    total = len(str(embed.get("title", ""))) + len(str(embed.get("description", "")))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))  # type: ignore[attr-defined]
    return total + len(str((embed.get("footer") or {}).get("text", "")))  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", list(Kind))
@given(name=st.text(min_size=1, max_size=80), broken=st.lists(st.text(max_size=320), max_size=30))
def test_every_team_warning_fits_discords_limits_and_pings_nobody(
    kind: Kind, name: str, broken: list[str]
) -> None:
    for service, on in ((None, False), ("kling", True), ("kling", False)):
        shown = warning(
            kind,
            name + HOSTILE,
            service=service,
            switched_on=on,
            accounts_in_error=tuple(broken),
            payment_detail=HOSTILE,
            summary_says_lapsed=True,
        )
        embed = team_warning_embed(shown).to_dict()
        assert len(embed["title"]) <= 256 and len(embed.get("description", "")) <= 4096
        assert all(len(f["value"]) <= 1024 and len(f["name"]) <= 256 for f in embed.get("fields", []))
        assert embed_length(embed) <= 6000  # type: ignore[arg-type]
        text = str(embed)
        assert "@everyone" not in text.replace("@\u200beveryone", "")
        assert "<@&1300000000000000300>" not in text


def test_the_sentences_people_read() -> None:
    lapsed = team_warning_embed(warning(Kind.SUBSCRIPTION, "x", summary_says_lapsed=True)).to_dict()
    assert (
        lapsed["description"] == "The team's useapi.net subscription is not active: nothing can be rendered."
    )
    token = team_warning_embed(warning(Kind.TOKEN, "x")).to_dict()
    assert token["description"].startswith("useapi.net refuses the bot's API token (reset or wrong)")
    assert team_resolution_text("team:subscription") == "useapi.net says the subscription is active again"
    assert team_resolution_text("team:slots") == "No broken account holds a slot any more"


def test_the_status_section_stays_short_with_many_apis() -> None:
    summary = AccountSummary(
        subscription_active=True,
        subscriptions=2,
        max_accounts_per_api=6,
        accounts=tuple(ServiceSlots(f"API number {n} " + HOSTILE[:40], 6, 3, 3) for n in range(200)),
    )
    state = TeamState(summary=summary, read_at=NOW - timedelta(minutes=3), retired={"ltx": 1_700_000_000})
    text = team_status_text(state, now=NOW, watched=["luma"], auto=True)
    assert (
        len(text) <= STATUS_LIMIT
        and "(3 min old)" in text
        and "@everyone" not in text.replace("@\u200beveryone", "")
    )
