"""The team's useapi.net account, without the bot: the summary read leniently (every shape the
page leaves OPEN), the summary's keys matched to services loosely, the warnings' conditions,
SERVICES=auto's rules, the stored state, and which answers count as a refused token."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.models import TEAM_SERVICE, WarningKey
from bot.services import REGISTRY
from bot.team_account import (
    Kind,
    TeamState,
    Topic,
    decide_auto,
    judge,
    kind_of_stage,
    match_service,
    normalize_name,
    switched_on,
    topics_to_judge,
)
from bot.useapi.account import AccountSummary, ServiceSlots, parse_account_summary
from bot.useapi.outcomes import TOKEN_REFUSALS, CallOutcomes, is_bot_token_refusal

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

# The 200 example of GET /v2/account (account/get-account.txt, Copy B), as printed.
DOCUMENTED = {
    "id": 12345,
    "email": "[email protected]",
    "created": "2023-07-25T03:02:28.676Z",
    "name": "Your Name",
    "subscriptionIsActive": True,
    "subscriptions": 1,
    "maxAccountsPerAPI": 3,
    "accounts": {
        "Midjourney API": {"total": 3, "active": 2, "error": 1},
        "MiniMax API": {"total": 3, "active": 3},
        "Runway AP": {"total": 1, "active": 1},
        "Riffusion API": {"total": 3, "active": 3},
    },
    "verified": "2023-07-25T03:02:53.252Z",
    "sub": "250405",
}


# -- matching the summary's keys -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "service"),
    [
        ("Runway AP", "runway"),  # [sic] on the page
        ("MiniMax API", "minimax"),
        ("Midjourney API", None),  # no module: shown under its own name
        ("Riffusion API", None),
        ("Luma API", "luma"),
        ("luma", "luma"),
        ("LUMA-API", "luma"),
        ("Luma AI API", "luma"),
        ("Google Flow API", "googleflow"),
        ("google-flow", "googleflow"),
        ("Google Flow API (Veo 3)", "googleflow"),
        ("Flow", "googleflow"),  # its command group
        ("Flow Music API", "flowmusic"),
        ("Google Vids API", "googlevids"),
        ("Gemini Notebook API", "gemininotebook"),
        ("NotebookLM API", "gemininotebook"),
        ("ACE Music API", "acemusic"),
        ("Dreamina API", "dreamina"),
        ("CapCut Dreamina", "dreamina"),
        ("Kling API", "kling"),
        ("Kling AI", "kling"),
        ("  kling  ", "kling"),
        ("Mureka API", "mureka"),
        ("PixVerse API v2", "pixverse"),
        ("PixVerse API v1", "pixverse"),
        ("RunwayML API", "runway"),
        ("MiniMax / Hailuo API", "minimax"),
        ("LTX Studio API", "ltx"),
        ("ltxstudio", "ltx"),
        ("TemPolor API", None),
        ("InsightFaceSwap API", None),
        ("API", None),
        ("", None),
        ("???", None),
    ],
)
def test_summary_keys_match_services_loosely(name: str, service: str | None) -> None:
    assert match_service(name) == service


def test_the_normal_form_drops_case_punctuation_spaces_and_api_words() -> None:
    assert normalize_name("Runway AP") == normalize_name("runway") == "runway"
    assert normalize_name("Google-Flow  API v2") == "googleflow"
    assert normalize_name("API") == "api"  # never down to nothing


@given(st.text(max_size=120))
def test_any_key_matches_one_known_service_or_none(name: str) -> None:
    assert match_service(name) in (*REGISTRY, None)


# -- reading GET /v2/account --------------------------------------------------------------------


def test_the_documented_answer_is_read() -> None:
    summary = parse_account_summary(DOCUMENTED)
    assert summary.subscription_active is True
    assert summary.subscriptions == 1 and summary.max_accounts_per_api == 3
    assert summary.renewed == date(2025, 4, 5)
    assert summary.accounts == (
        ServiceSlots("Midjourney API", 3, 2, 1),
        ServiceSlots("MiniMax API", 3, 3, 0),  # a zero count is omitted on the page
        ServiceSlots("Runway AP", 1, 1, 0),
        ServiceSlots("Riffusion API", 3, 3, 0),
    )
    assert summary.unreadable == ()
    # Nothing personal is kept: the email, the name, the id.
    stored = json.dumps(summary.to_json())
    assert "email" not in stored and "Your Name" not in stored and "12345" not in stored


@pytest.mark.parametrize(
    ("field", "value", "read", "noted"),
    [
        ("subscriptionIsActive", "false", False, False),
        ("subscriptionIsActive", "TRUE", True, False),
        ("subscriptionIsActive", 0, False, False),
        ("subscriptionIsActive", "maybe", None, True),
        ("subscriptionIsActive", None, None, False),
        ("subscriptionIsActive", [True], None, True),
        ("maxAccountsPerAPI", "6", 6, False),
        ("maxAccountsPerAPI", -3, None, True),
        ("maxAccountsPerAPI", 2.5, None, True),
        ("maxAccountsPerAPI", True, None, True),
        ("sub", "991399", None, True),
        ("sub", 250405, None, True),
    ],
)
def test_odd_top_level_fields_are_unknown_not_wrong(field: str, value: Any, read: Any, noted: bool) -> None:
    summary = parse_account_summary({**DOCUMENTED, field: value})
    attribute = {
        "subscriptionIsActive": "subscription_active",
        "maxAccountsPerAPI": "max_accounts_per_api",
        "sub": "renewed",
    }[field]
    assert getattr(summary, attribute) == read
    assert (field in summary.unreadable) is noted
    assert summary.accounts is not None and len(summary.accounts) == 4  # the rest is read


def test_odd_entries_are_kept_with_what_can_be_read() -> None:
    summary = parse_account_summary(
        {
            "accounts": {
                "Kling API": {"total": "3", "active": 2.0, "error": "one"},
                "Odd API": 7,
                "Negative API": {"total": -1, "error": True},
                "Ctrl\x00\u202eAPI": {"total": 1},
                "": {"total": 2},
                "Zero API": {},
            }
        }
    )
    assert summary.accounts == (
        ServiceSlots("Kling API", 3, 2, None),
        ServiceSlots("Odd API", None, None, None),
        ServiceSlots("Negative API", None, 0, None),
        ServiceSlots("Ctrl API", 1, 0, 0),
        ServiceSlots("Zero API", 0, 0, 0),
    )
    assert summary.subscription_active is None  # missing: unknown, never "lapsed"


@pytest.mark.parametrize("accounts", [None, [], "Luma API", 3])
def test_a_missing_or_odd_accounts_is_unknown_not_empty(accounts: Any) -> None:
    body = {k: v for k, v in DOCUMENTED.items() if k != "accounts"}
    if accounts is not None:
        body["accounts"] = accounts
    summary = parse_account_summary(body)
    assert summary.accounts is None
    assert summary.subscription_active is True
    assert ("accounts" in summary.unreadable) is (accounts is not None)


@pytest.mark.parametrize("body", [[], "ok", 3, None, True])
def test_a_body_that_is_not_an_object_is_unreadable(body: Any) -> None:
    with pytest.raises(ValueError, match="JSON object"):
        parse_account_summary(body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.sampled_from([*DOCUMENTED, "accounts", "x"]), json_values, max_size=8))
def test_any_object_reads_without_raising_and_round_trips_through_storage(body: dict[str, Any]) -> None:
    summary = parse_account_summary(body)
    assert AccountSummary.from_json(json.loads(json.dumps(summary.to_json()))) == summary


@given(st.dictionaries(st.text(max_size=30), json_values, max_size=6))
def test_any_accounts_map_reads_without_raising(accounts: dict[str, Any]) -> None:
    summary = parse_account_summary({"accounts": accounts})
    assert summary.accounts is not None
    for slots in summary.accounts:
        assert all(
            c is None or (isinstance(c, int) and c >= 0) for c in (slots.total, slots.active, slots.error)
        )
        assert slots.name and slots.name.isprintable() and len(slots.name) <= 80


def test_has_accounts_is_true_false_or_unknown() -> None:
    assert ServiceSlots("a", 1, 0, 0).has_accounts is True
    assert ServiceSlots("a", 0, 0, 2).has_accounts is True
    assert ServiceSlots("a", 0, 0, 0).has_accounts is False
    assert ServiceSlots("a", None, 0, 0).has_accounts is None


# -- which 401s mean the bot's token ------------------------------------------------------------


def test_three_bot_token_401s_in_a_row_mean_the_token_is_refused() -> None:
    outcomes = CallOutcomes()
    for _ in range(TOKEN_REFUSALS - 1):
        outcomes.record(401, "Unauthorized", route="/v2/account")
    assert not outcomes.token_refused
    outcomes.record(401, None, route="/v2/account")  # no text at all: the token too
    assert not outcomes.token_refused  # one route alone, however often: not the token
    outcomes.record(401, None, route="/v1/luma/accounts")
    assert outcomes.token_refused and not outcomes.token_accepted_since_refusal
    outcomes.record(200)
    assert not outcomes.token_refused and outcomes.token_accepted_since_refusal


def test_a_success_between_401s_starts_the_count_again_and_account_401s_never_count() -> None:
    outcomes = CallOutcomes()
    outcomes.record(401, "Unauthorized", route="/a")
    outcomes.record(401, "useapi.net ⁝ Unauthorized", route="/b")
    outcomes.record(204)
    outcomes.record(401, "Unauthorized", route="/c")
    assert outcomes.token_refusals == 1 and outcomes.refusing_routes == {"/c"}
    for _ in range(5):  # Runway's refusals are about the member's account, not the bot's token
        outcomes.record(401, "This account has been suspended.", route="/v1/runwayml/accounts/a")
        outcomes.record(401, "Wrong username/password combination.", route="/v1/runwayml/accounts/b")
    assert outcomes.token_refusals == 1 and not outcomes.token_refused
    outcomes.record(402, "Account has no subscription or subscription expired")
    outcomes.record(500)  # neither a success nor a refusal: the count stands
    assert outcomes.token_refusals == 1
    assert outcomes.last_402 == outcomes.seq - 1
    assert outcomes.last_402_detail == "Account has no subscription or subscription expired"
    assert not is_bot_token_refusal("This account has been suspended.")
    assert is_bot_token_refusal(" ") and is_bot_token_refusal("unauthorised!")


# -- what the team is warned about ---------------------------------------------------------------


def summary(**accounts: tuple[int | None, int | None, int | None]) -> AccountSummary:
    return AccountSummary(
        subscription_active=True,
        subscriptions=1,
        max_accounts_per_api=3,
        accounts=tuple(ServiceSlots(name.replace("_", " "), *counts) for name, counts in accounts.items()),
    )


def holds(topic: Topic, found: AccountSummary | None, **signals: bool) -> bool | None:
    flags = {"payment_refused_since_read": False, "token_refused": False, "token_accepted": False}
    return judge(topic, found, **{**flags, **signals})


def test_the_subscription_lapses_by_the_summary_or_by_a_402_after_it() -> None:
    topic = Topic(Kind.SUBSCRIPTION)
    active = summary()
    lapsed = AccountSummary(subscription_active=False)
    unknown = AccountSummary(subscription_active=None)
    assert holds(topic, lapsed) is True
    assert holds(topic, active, payment_refused_since_read=True) is True
    assert holds(topic, active) is False
    assert holds(topic, unknown) is None  # can't say: the state stays as it is
    assert holds(topic, None) is None
    assert holds(topic, None, payment_refused_since_read=True) is True


def test_the_token_is_refused_until_a_call_works() -> None:
    topic = Topic(Kind.TOKEN)
    assert holds(topic, None, token_refused=True) is True
    assert holds(topic, None, token_accepted=True) is False
    assert holds(topic, None) is None


def test_errors_and_slots_per_entry() -> None:
    found = summary(
        Kling_API=(3, 2, 1), Midjourney_API=(2, 0, 2), Luma_API=(3, 3, 0), Odd_API=(None, 1, None)
    )
    errors, slots = Kind.ERRORS, Kind.SLOTS
    assert holds(Topic(errors, "Kling API"), found) is True
    assert holds(Topic(slots, "Kling API"), found) is True  # 3 of 3 with one in error
    assert holds(Topic(errors, "Midjourney API"), found) is True
    assert holds(Topic(slots, "Midjourney API"), found) is False  # 2 of 3: no slot held
    assert holds(Topic(errors, "Luma API"), found) is False
    assert holds(Topic(slots, "Luma API"), found) is False
    assert holds(Topic(errors, "Odd API"), found) is None
    assert holds(Topic(slots, "Odd API"), found) is None
    assert holds(Topic(errors, "Gone API"), found) is False  # no longer listed: cleared
    assert holds(Topic(errors, "Kling API"), AccountSummary(accounts=None)) is None  # unreadable: kept
    no_cap = AccountSummary(max_accounts_per_api=None, accounts=found.accounts)
    assert holds(Topic(slots, "Kling API"), no_cap) is None


def test_topics_cover_every_entry_and_every_open_episode() -> None:
    found = summary(Kling_API=(1, 1, 0))
    gone = Topic(Kind.ERRORS, "Riffusion API")
    topics = topics_to_judge(found, [gone])
    assert topics == [
        Topic(Kind.SUBSCRIPTION),
        Topic(Kind.TOKEN),
        Topic(Kind.ERRORS, "Kling API"),
        Topic(Kind.SLOTS, "Kling API"),
        gone,
    ]


def test_a_team_warning_key_is_no_account_warning_and_each_episode_has_its_own_nonce() -> None:
    topic = Topic(Kind.ERRORS, "Kling API")
    first, again = topic.key(1_000), topic.key(2_000)
    assert first == WarningKey(TEAM_SERVICE, "Kling API", 1_000, "team:errors")
    assert first.is_team and first.nonce != again.nonce
    assert Topic.of_key(first) == topic and Topic.of_key(WarningKey("luma", "a", 1, "24h")) is None
    assert kind_of_stage("team:token") is Kind.TOKEN and kind_of_stage("team:nope") is None


def test_episodes_get_a_new_epoch_even_within_one_second() -> None:
    topic = Topic(Kind.SUBSCRIPTION)
    state = TeamState().start(topic, NOW)
    first = state.episodes[topic.id]
    state = state.end(topic).start(topic, NOW)
    assert state.episodes[topic.id] == first + 1


# -- SERVICES=auto ------------------------------------------------------------------------------


def test_auto_switches_on_exactly_the_modelled_services_with_accounts() -> None:
    found = summary(Kling_API=(2, 2, 0), Runway_AP=(1, 0, 1), Midjourney_API=(3, 3, 0), Luma_API=(0, 0, 0))
    verdicts = decide_auto(found, tracked={}, retired=set())
    assert switched_on(verdicts) == ("kling", "runway")
    assert "listed as 'Kling API'" in verdicts["kling"].why
    assert verdicts["luma"].why == "no account on useapi.net"


def test_auto_keeps_services_the_bot_tracks_and_drops_retired_ones() -> None:
    found = summary(Kling_API=(1, 1, 0))
    verdicts = decide_auto(found, tracked={"dreamina": 2, "ltx": 3}, retired={"ltx"})
    assert switched_on(verdicts) == ("dreamina", "kling")
    assert "tracked by the bot" in verdicts["dreamina"].why
    assert verdicts["ltx"].why.startswith("retired")
    # Listed with accounts again: no longer retired.
    back = decide_auto(summary(LTX_Studio_API=(1, 1, 0)), tracked={}, retired={"ltx"})
    assert switched_on(back) == ("ltx",)


def test_without_a_summary_the_lists_decide_then_what_was_on_stays_on() -> None:
    verdicts = decide_auto(None, tracked={}, retired=set(), lists={"kling": 2, "luma": 0, "dreamina": None})
    assert switched_on(verdicts) == ("kling",)
    kept = decide_auto(None, tracked={}, retired=set(), lists={"dreamina": None}, current=("dreamina",))
    assert switched_on(kept) == ("dreamina",) and kept["dreamina"].why.startswith("kept on")
    # An unreadable `accounts` can't switch anything off either.
    kept = decide_auto(AccountSummary(accounts=None), tracked={}, retired=set(), current=("kling", "luma"))
    assert switched_on(kept) == ("luma", "kling")


def test_with_no_account_anywhere_luma_is_offered() -> None:
    verdicts = decide_auto(summary(), tracked={}, retired=set())
    assert switched_on(verdicts) == ("luma",)
    assert "first can be registered" in verdicts["luma"].why
    assert switched_on(decide_auto(summary(), tracked={}, retired={"luma"})) == ()


# -- stored state ---------------------------------------------------------------------------------


def test_the_state_survives_storage_and_garbage_is_a_fresh_start() -> None:
    state = TeamState(
        summary=summary(Kling_API=(3, 2, 1)),
        read_at=NOW,
        last_attempt_at=NOW,
        next_at=NOW + timedelta(minutes=15),
        retired={"ltx": 1_700_000_000},
        switched_on=("luma", "kling"),
    ).start(Topic(Kind.ERRORS, "Kling API"), NOW)
    assert TeamState.from_json(state.to_json()) == state
    for raw in (None, "", "{", "[]", '{"failures": "x"}', '{"summary": {"accounts": 3}}'):
        assert isinstance(TeamState.from_json(raw), TeamState)
    stored = json.loads(state.to_json())
    stored["retired"]["sora"] = 5  # an unknown service is dropped
    stored["switched_on"].append("sora")
    again = TeamState.from_json(json.dumps(stored))
    assert set(again.retired) == {"ltx"} and again.switched_on == ("luma", "kling")
