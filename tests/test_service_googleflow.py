"""Google Flow: the cookie table, the account shapes on useapi.net's pages, and registration end to end."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cookies import CookieError
from bot.models import IMPLAUSIBLE, UNREADABLE, FieldNote
from bot.services import REGISTRY, build_services
from bot.services.googleflow import (
    GoogleFlowService,
    cookie_expiry,
    earliest_cookie_expiry,
    parse_cookie_table,
)
from bot.useapi import EmptyList, Failure, UseapiError
from bot.useapi.parsing import FieldError
from tests.doubles.services.googleflow import GoogleFlowDouble, table_values
from tests.doubles.useapi_double import UseapiDouble
from tests.harness import USEAPI_TOKEN, Rig, modal_inputs, running_rig, scenario_secrets

EPHEMERAL = 64
HEADER = "Name\tValue\tDomain\tPath\tExpires / Max-Age\tSize\tHttpOnly\tSecure\tSameSite\tPartition Key Site\tCross Site\tPriority"
HSID = "AYQnR7bX2kLm9PqW1"
SID = "g.a000xKq3Zt9Lm2Vb7Nc8Hs4Pw6Ry1Ju5Ie0Oa"
SESSION_TOKEN = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..FlowSess10n.Tok3n"
OTHER_SITE = "TrackerValue9zQ8xW7"


def row(name: str, value: str, domain: str, expires: str = "2027-11-10T12:00:00.000Z") -> str:
    return "\t".join(
        [name, value, domain, "/", expires, str(len(name) + len(value)), "✓", "✓", "Lax", "", "", "Medium"]
    )


ROWS = [
    row("HSID", HSID, ".google.com"),
    row("SID", SID, ".google.com", "2027-12-01T08:00:00.000Z"),
    row("__Secure-next-auth.session-token", SESSION_TOKEN, "labs.google", "Session"),
]
TABLE = "\n".join([HEADER, *ROWS])

# The examples printed on useapi.net's pages (copied from ../shared/upstream/google-flow/).
POST_201 = {
    "accountCookies": [
        {
            "name": "HSID",
            "value": "AYQ...(redacted)",
            "domain": ".google.com",
            "path": "/",
            "expires": "2027-11-10T12:00:00.000Z",
            "httpOnly": True,
            "secure": False,
            "sameSite": "Lax",
        }
    ],
    "sessionCookies": [
        {
            "name": "__Host-GAPS",
            "value": "1:eJy...(redacted)",
            "domain": "labs.google",
            "path": "/",
            "expires": "2025-12-10T12:00:00.000Z",
            "httpOnly": True,
            "secure": True,
            "sameSite": "Lax",
        }
    ],
    "sessionData": {
        "user": {
            "name": "John Doe",
            "email": "jo***@gmail.com",
            "image": "https://lh3.googleusercontent.com/a/...",
        },
        "expires": "2025-11-11T12:00:00.000Z",
        "access_token": "ya29.a0A...(redacted)",
    },
    "created": "2025-11-10T12:00:00.000Z",
    "project": {"projectId": "3b1c0e9d-7a6f-4592-8d38-7f9e1b4c6a5d", "projectTitle": "Nov 11 - 02:56"},
    "nextRefresh": {"messageId": "msg-abc123", "scheduledFor": "2025-11-11T11:00:00.000Z"},
}
GET_EMAIL = {
    **copy.deepcopy(POST_201),
    "health": "OK",
    "credits": {"credits": 1250, "userPaygateTier": "PAYGATE_TIER_TWO"},
    "models": {
        "videoModels": [{"key": "veo_3_1_t2v", "displayName": "Veo 3.1 - Quality", "creditCost": 100}]
    },
}
LIST_DEC_2025 = {
    "a***@gmail.com": {
        "created": "2025-11-09T22:02:04.802Z",
        "health": "OK",
        "nextRefresh": {"scheduledFor": "2025-12-01T11:46:01.000Z"},
        "project": {"projectId": "a7e08e13-a6ea-4945-9841-cb4147e4f024", "projectTitle": "Nov 11 - 02:56"},
        "sessionData": {"expires": "2025-12-01T12:46:01.000Z"},
    },
    "b***@gmail.com": {
        "created": "2025-11-10T02:56:58.864Z",
        "health": "OK",
        "nextRefresh": {"scheduledFor": "2025-12-01T09:13:16.000Z"},
        "project": {"projectId": "47050a10-06f4-4469-8ab0-6d294c703508", "projectTitle": "Nov 11 - 02:56"},
        "sessionData": {"expires": "2025-12-01T10:13:16.000Z"},
    },
}
LIST_NOV_2025 = {
    "jo***@gmail.com": {
        "created": "2025-11-10T12:00:00.000Z",
        "accountCookies": [],
        "sessionCookies": [],
        "sessionData": {
            "user": {
                "name": "John Doe",
                "email": "jo***@gmail.com",
                "image": "https://lh3.googleusercontent.com/a/...",
            },
            "expires": "2025-11-11T12:00:00.000Z",
            "access_token": "ya29.a0A...(redacted)",
        },
        "project": {"projectId": "3b1c0e9d-7a6f-4592-8d38-7f9e1b4c6a5d", "projectTitle": "Nov 11 - 02:56"},
        "nextRefresh": {"messageId": "msg-abc123", "scheduledFor": "2025-11-11T11:00:00.000Z"},
        "health": "OK",
    }
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(microsecond=0)


@pytest.fixture
def service() -> GoogleFlowService:
    return GoogleFlowService(transport=None)  # type: ignore[arg-type]  # parsing only


# -- (a) the account shapes ------------------------------------------------------------------------


def test_the_registration_answer_gives_the_cookie_deadline_and_the_self_renewing_session(
    service: GoogleFlowService,
) -> None:
    info = service.parse_account(POST_201)
    assert info.account == "jo***@gmail.com"  # sessionData.user.email: there is no other
    assert info.expires_at == at("2027-11-10T12:00:00Z")  # accountCookies[].expires
    assert info.self_renewing_expires_at == at("2025-11-11T12:00:00Z")  # never the deadline
    assert info.next_refresh_at == at("2025-11-11T11:00:00Z")
    assert info.health is None and info.error is None
    # sessionCookies' expiry (2025-12-10) is not the person's deadline either.
    assert info.expires_at != at("2025-12-10T12:00:00Z")


def test_account_details_add_health(service: GoogleFlowService) -> None:
    info = service.parse_account(GET_EMAIL)
    assert (info.health, info.expires_at) == ("OK", at("2027-11-10T12:00:00Z"))


def test_the_summary_list_of_december_2025_has_no_deadline(service: GoogleFlowService) -> None:
    infos = [service.parse_account(obj, key) for key, obj in LIST_DEC_2025.items()]
    assert [i.account for i in infos] == ["a***@gmail.com", "b***@gmail.com"]
    assert all(i.expires_at is None for i in infos)  # unknown: sync keeps the stored deadline
    assert infos[0].self_renewing_expires_at == at("2025-12-01T12:46:01Z")
    assert infos[0].next_refresh_at == at("2025-12-01T11:46:01Z")
    assert all(i.health == "OK" for i in infos)


def test_the_older_full_list_with_empty_cookie_lists_has_no_deadline(service: GoogleFlowService) -> None:
    ((key, obj),) = LIST_NOV_2025.items()
    info = service.parse_account(obj, key)
    assert info.account == "jo***@gmail.com" and info.expires_at is None
    assert info.self_renewing_expires_at == at("2025-11-11T12:00:00Z")


def test_the_list_key_wins_over_the_nested_email(service: GoogleFlowService) -> None:
    """GET/DELETE take the list's key; the nested user email is only read when there is no key."""
    assert service.parse_account(GET_EMAIL, "john@gmail.com").account == "john@gmail.com"
    assert service.parse_account({"email": "top@gmail.com", **GET_EMAIL}).account == "top@gmail.com"


def test_health_and_error_are_reported_as_they_are(service: GoogleFlowService) -> None:
    info = service.parse_account(
        {"health": "Session refresh failed", "error": "Google sign-in expired, update cookies"}, "x@gmail.com"
    )
    assert info.health == "Session refresh failed"
    assert info.error == "Google sign-in expired, update cookies"


def test_every_field_may_be_missing(service: GoogleFlowService) -> None:
    info = service.parse_account({}, "x@gmail.com")
    assert info.account == "x@gmail.com"
    assert (
        info.expires_at,
        info.self_renewing_expires_at,
        info.next_refresh_at,
        info.health,
        info.error,
    ) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert (
        service.parse_account({"sessionData": {}, "nextRefresh": {}}, "x@gmail.com").next_refresh_at is None
    )
    assert service.parse_account({}).account == ""  # no key at all: the base refuses it


@pytest.mark.parametrize(
    ("expires", "expected"),
    [
        ("2027-11-10T12:00:00.000Z", at("2027-11-10T12:00:00Z")),
        (1_825_848_000, at("2027-11-10T12:00:00Z")),  # Unix seconds (Chrome's cookie format)
        (1_825_848_000.5, at("2027-11-10T12:00:00Z")),
        (1_825_848_000_000, at("2027-11-10T12:00:00Z")),  # milliseconds
        ("1825848000", at("2027-11-10T12:00:00Z")),
        (-1, None),  # Chrome's session cookie
        (0, None),
        ("-1", None),
        ("Session", None),  # how DevTools shows a session cookie
        ("", None),
        (None, None),
    ],
)
def test_a_cookie_expiry_in_every_documented_shape(expires: Any, expected: datetime | None) -> None:
    assert cookie_expiry(expires, "expires") == expected


def test_the_deadline_is_the_earliest_cookie_expiry_and_session_cookies_are_skipped() -> None:
    cookies = [
        {"name": "NID", "expires": -1},
        {"name": "SID", "expires": "2027-12-01T08:00:00.000Z"},
        {"name": "HSID", "expires": 1_825_848_000},
        {"name": "OTZ"},
        {"name": "S", "expires": "Session"},
    ]
    assert earliest_cookie_expiry(cookies) == at("2027-11-10T12:00:00Z")
    assert earliest_cookie_expiry([{"name": "S", "expires": -1}]) is None
    assert earliest_cookie_expiry([]) is None and earliest_cookie_expiry(None) is None


@pytest.mark.parametrize(
    "broken",
    [
        {"accountCookies": {"HSID": "x"}},
        {"accountCookies": ["HSID"]},
        {"accountCookies": [{"expires": True}]},
        {"accountCookies": [{"expires": "next tuesday"}]},
        {"accountCookies": [{"expires": [2027]}]},
        {"sessionData": "2025-11-11T12:00:00.000Z"},
        {"sessionData": {"expires": "tomorrow"}},
        {"sessionData": {"user": "jo@gmail.com"}},
        {"nextRefresh": ["2025-11-11T11:00:00.000Z"]},
        {"nextRefresh": {"scheduledFor": False}},
        {"health": 200},
        {"error": {"message": "x"}},
    ],
)
def test_a_present_field_of_the_wrong_type_is_a_bad_response(
    service: GoogleFlowService, broken: dict[str, Any]
) -> None:
    with pytest.raises(FieldError):
        service.parse_account(broken, "x@gmail.com")


def test_an_implausible_cookie_expiry_is_skipped_and_noted(service: GoogleFlowService) -> None:
    """(Until issue 18 one cookie's 1970 or year-1 expiry was a FieldError that failed the list.)"""
    cookies = [{"expires": 42}, {"expires": "0001-01-01T00:00:00Z"}, {"expires": "2027-11-10T12:00:00Z"}]
    info = service.read_account({"accountCookies": cookies}, "x@gmail.com")
    assert info.expires_at == at("2027-11-10T12:00:00Z")
    assert info.unreadable == (
        FieldNote("accountCookies[0].expires", IMPLAUSIBLE),
        FieldNote("accountCookies[1].expires", IMPLAUSIBLE),
    )


def test_the_account_path_url_encodes_the_email() -> None:
    # The page's own example: DELETE .../accounts/john%40gmail.com
    assert GoogleFlowService.account_path("john@gmail.com") == "/v1/google-flow/accounts/john%40gmail.com"
    assert GoogleFlowService.account_path("a+b/c@x.com") == "/v1/google-flow/accounts/a%2Bb%2Fc%40x.com"


def test_the_registry_entry() -> None:
    cls = REGISTRY["googleflow"]
    assert cls is GoogleFlowService and cls.on_by_default is False and cls.order == 20
    assert (cls.command_group, cls.label, cls.credential_noun, cls.expiry_noun) == (
        "flow",
        "Google Flow",
        "cookies",
        "Google cookies",
    )
    assert cls.empty_list is EmptyList.EMPTY_OBJECT
    assert cls.details_path == cls.delete_path == "/v1/google-flow/accounts/{account}"


# -- (a) the cookie table ---------------------------------------------------------------------------


def test_the_table_is_passed_on_as_pasted_and_every_value_is_a_secret(service: GoogleFlowService) -> None:
    submission = service.parse_form({"cookies": TABLE})
    assert submission.body == {"cookies": TABLE}
    assert set(submission.secrets) >= {HSID, SID, SESSION_TOKEN, TABLE}


def test_the_header_row_is_optional() -> None:
    table = parse_cookie_table("\n".join(ROWS))
    assert table.text == "\n".join(ROWS) and table.values == (HSID, SID, SESSION_TOKEN)


def test_line_endings_and_blank_lines_are_normalised_and_other_sites_dropped() -> None:
    pasted = "\r\n".join(
        ["", HEADER, ROWS[0], "   ", row("_ga", OTHER_SITE, ".example.com"), ROWS[1], "", ""]
    )
    table = parse_cookie_table(pasted, "\n" + ROWS[2] + "\n")
    assert table.text == "\n".join([HEADER, ROWS[0], ROWS[1], ROWS[2]])
    assert OTHER_SITE not in table.text and OTHER_SITE not in table.values


def test_columns_are_found_by_the_header() -> None:
    header = "Value\tName\tPath\tDomain"
    line = f"{HSID}\tHSID\t/\t.google.com"
    assert parse_cookie_table(f"{header}\n{line}").values == (HSID,)


def test_quoted_and_empty_values_are_accepted() -> None:
    table = parse_cookie_table("\n".join([row("Q", f'"{SID}"', ".google.com"), row("E", "", ".google.com")]))
    assert table.values == (SID,) and table.names == ("Q", "E")


@pytest.mark.parametrize(
    ("pasted", "says"),
    [
        ("", "Nothing was pasted"),
        ("   \n\t\n", "Nothing was pasted"),
        (SID, "single value"),
        (f"Cookie: SID={SID}; HSID={HSID}", "Cookie header"),
        (f"SID={SID}; HSID={HSID}", "cookie header"),
        (f'[{{"name": "SID", "value": "{SID}"}}]', "JSON"),
        (f"HSID  {HSID}  .google.com\nSID  {SID}  .google.com", "no tabs"),
        (f"{HEADER}\nHSID\t{HSID}", "Line 2 of the table is not a cookie row"),
        (f"not a name!\t{HSID}\t.google.com", "Line 1 of the table does not start with a cookie name"),
        (f"HSID\t{HSID} {SID}\t.google.com", "characters a cookie can't hold"),
        (f"HSID\t{HSID}\tnot a domain", "no domain in its Domain column"),
        (f"Name\tValue\tHost\nHSID\t{HSID}\t.google.com", "no Name, Value and Domain columns"),
        (row("_ga", OTHER_SITE, ".example.com"), "None of these cookies belong to Google"),
        (f"{HEADER}\n" + row("_ga", OTHER_SITE, ".example.com"), "None of these cookies belong to Google"),
        ("\n".join(["A\tb\tg.io"] * 301), "more than any cookie table"),
        (ROWS[0] + "\n" + "x" * 4000, "more than a form field holds"),
    ],
)
def test_what_is_not_a_cookie_table_is_refused_with_what_to_do(pasted: str, says: str) -> None:
    with pytest.raises(CookieError) as caught:
        parse_cookie_table(pasted)
    message = str(caught.value)
    assert says in message
    for secret in (SID, HSID, OTHER_SITE):
        assert secret not in message


@pytest.mark.parametrize("pasted", [SID, f"Cookie: SID={SID}", f"SID={SID}; HSID={HSID}"])
def test_the_not_a_table_answers_say_which_sites_to_copy_from(pasted: str) -> None:
    with pytest.raises(
        CookieError,
        match=r"labs\.google.*accounts\.google\.com.*Application → Cookies|"
        r"Application → Cookies.*labs\.google.*accounts\.google\.com",
    ):
        parse_cookie_table(pasted)


_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-.]{0,20}", fullmatch=True).filter(
    lambda n: n.lower() != "name"
)
_VALUES = st.from_regex(r"[A-Za-z0-9:._\-/+=]{1,60}", fullmatch=True)
_DOMAINS = st.sampled_from([".google.com", "accounts.google.com", "labs.google", ".labs.google"])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(_NAMES, _VALUES, _DOMAINS), min_size=1, max_size=12),
    st.booleans(),
    st.sampled_from(["\n", "\r\n"]),
)
def test_a_valid_table_round_trips(
    cookies: list[tuple[str, str, str]], with_header: bool, newline: str
) -> None:
    rows = [row(n, v, d) for n, v, d in cookies]
    lines = [HEADER, *rows] if with_header else rows
    table = parse_cookie_table(newline.join(lines) + newline)
    assert table.text == "\n".join(lines)
    assert table.values == tuple(v for _, v, _ in cookies)
    assert table_values(table.text) == [v for _, v, _ in cookies]  # what the double takes for secrets


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.text(alphabet="\t\n\r =;:\"'{[abcAYQ.gogle", max_size=200))
def test_only_cookie_error_escapes_the_table_parser(noise: str, shaped: str) -> None:
    for pasted in (noise, shaped, ROWS[0] + "\n" + shaped):
        try:
            table = parse_cookie_table(pasted)
        except CookieError as exc:
            assert str(exc)
        else:
            assert table.text and "\r" not in table.text


# -- (b, c) registration end to end ------------------------------------------------------------------


def member(rig: Rig) -> int:
    return rig.discord.member_ids[0]


async def grant(rig: Rig) -> None:
    cb = await rig.slash("access", "grant", user=rig.discord.admin_id, target=member(rig))
    assert "may now register" in (await rig.answer(cb))["content"]


ACCOUNT_EXPIRES = datetime.now(UTC).replace(microsecond=0) + timedelta(days=300)


async def test_flow_registration_end_to_end(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "googleflow")) as rig:
        flow = rig.useapi.google_flow
        later = ACCOUNT_EXPIRES + timedelta(days=90)
        session = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=20)
        flow.teach(
            SID, "maker@gmail.com", account_expires=[later, ACCOUNT_EXPIRES, -1], session_expires=session
        )
        await grant(rig)

        opened = await rig.slash("flow", "register", user=member(rig))
        assert opened.type == 9
        inputs = modal_inputs(opened)
        assert set(inputs) == {"cookies", "cookies_more"}
        assert inputs["cookies"]["style"] == 2 and inputs["cookies"]["max_length"] <= 4000
        assert inputs["cookies_more"]["required"] is False
        pasted = TABLE.replace("\n", "\r\n") + "\r\n" + row("_ga", OTHER_SITE, ".example.com") + "\r\n\r\n"

        submitted = await rig.submit(opened, {"cookies": pasted, "cookies_more": ""}, user=member(rig))
        assert submitted.type == 5 and submitted.data["flags"] & EPHEMERAL
        answer = await rig.followup(submitted)
        assert answer["flags"] & EPHEMERAL
        assert "accepted the Google Flow cookies" in answer["content"]
        embed = answer["embeds"][0]
        assert "maker@gmail.com" in embed["description"]
        assert f"<t:{int(ACCOUNT_EXPIRES.timestamp())}:F>" in str(embed)  # the earliest cookie

        # useapi.net received the table, normalised, without the other site's row.
        (post,) = flow_requests(rig, "POST")
        assert post.json == {"cookies": TABLE}
        assert post.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}"
        store = rig.bot.store  # type: ignore[union-attr]
        account = await store.get_account("googleflow", "maker@gmail.com")
        assert account is not None and account.expires_at == ACCOUNT_EXPIRES
        assert account.registered_by == member(rig)
        assert flow.accounts["maker@gmail.com"].session_expires == session

        # The sweep at the end of this block looks for each cookie value, and the other site's.
        found = scenario_secrets(rig)
        assert {HSID, SID, SESSION_TOKEN, OTHER_SITE} <= set(found)


def flow_requests(rig: Rig, method: str) -> list[Any]:
    return rig.useapi.requests_to(method, "/v1/google-flow/accounts")


async def test_a_paste_that_is_not_a_table_is_refused_and_nothing_is_sent(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "googleflow")) as rig:
        await grant(rig)
        for pasted, says in [
            (f"Cookie: SID={SID}; HSID={HSID}", "Cookie header"),
            (SID, "single value"),
            (row("_ga", OTHER_SITE, ".example.com"), "None of these cookies belong to Google"),
        ]:
            opened = await rig.slash("flow", "register", user=member(rig))
            refused = await rig.submit(opened, {"cookies": pasted}, user=member(rig))
            assert refused.type == 4 and refused.data["flags"] & EPHEMERAL
            content = refused.data["content"]
            assert says in content and "Nothing was sent to useapi.net" in content
            assert SID not in content and OTHER_SITE not in content
        assert flow_requests(rig, "POST") == []
        assert await rig.bot.store.list_accounts() == []  # type: ignore[union-attr]
        assert {SID, HSID, OTHER_SITE} <= set(scenario_secrets(rig))


async def test_the_second_field_carries_the_rest_of_a_long_table(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "googleflow")) as rig:
        rig.useapi.google_flow.teach(SESSION_TOKEN, "long@gmail.com", account_expires=[ACCOUNT_EXPIRES])
        await grant(rig)
        opened = await rig.slash("flow", "register", user=member(rig))
        first, rest = "\n".join([HEADER, *ROWS[:2]]), ROWS[2]
        answer = await rig.followup(
            await rig.submit(opened, {"cookies": first, "cookies_more": rest}, user=member(rig))
        )
        assert "long@gmail.com" in answer["embeds"][0]["description"]
        (post,) = flow_requests(rig, "POST")
        assert post.json == {"cookies": TABLE}


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (401, {"error": "Unauthorized"}, "ask the bot's operator to check USEAPI_TOKEN"),
        (402, {"error": "Subscription required"}, "subscription has expired"),
        (404, {"error": "Not found"}, "Google Flow is not available on useapi.net right now (HTTP 404)"),
        (
            500,
            {"error": "Google sign-in failed, please retry"},
            'useapi.net said: "Google sign-in failed, please retry"',
        ),
        (503, "<html>down</html>", "useapi.net had an error (HTTP 503)"),
    ],
)
async def test_upstream_failures_are_answered_privately_and_store_nothing(
    tmp_path: Path, status: int, body: object, says: str
) -> None:
    async with running_rig(tmp_path, services=("luma", "googleflow")) as rig:
        rig.useapi.google_flow.teach(SID, "maker@gmail.com", account_expires=[ACCOUNT_EXPIRES])
        rig.useapi.inject("POST", "/v1/google-flow/accounts", status=status, body=body)
        await grant(rig)
        await assert_refused_upstream(rig, says)


async def test_cookies_useapi_cannot_sign_in_with_are_explained(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "googleflow")) as rig:
        await grant(rig)  # nothing taught: the double answers 400 with its error text
        await assert_refused_upstream(
            rig,
            f'did not accept the Google Flow cookies. useapi.net said: "{GoogleFlowDouble.UNKNOWN_COOKIES}"',
        )


async def test_a_registration_answer_without_an_email_is_not_stored(tmp_path: Path) -> None:
    async with running_rig(tmp_path, services=("luma", "googleflow")) as rig:
        answer = {k: v for k, v in POST_201.items() if k != "sessionData"}
        rig.useapi.inject("POST", "/v1/google-flow/accounts", status=201, body=answer)
        await grant(rig)
        await assert_refused_upstream(rig, "could not read")


async def assert_refused_upstream(rig: Rig, says: str) -> None:
    opened = await rig.slash("flow", "register", user=member(rig))
    submitted = await rig.submit(opened, {"cookies": TABLE}, user=member(rig))
    assert submitted.type == 5
    answer = await rig.followup(submitted)
    assert answer["flags"] & EPHEMERAL and says in answer["content"], answer["content"]
    store = rig.bot.store  # type: ignore[union-attr]
    assert await store.list_accounts() == []
    assert (await store.recent_audit())[0].outcome.startswith("upstream:")
    assert rig.discord.channel_messages.get(rig.discord.alert_channel_id, []) == []
    assert SID in scenario_secrets(rig)


# -- (d) the account list --------------------------------------------------------------------------


@pytest.fixture
async def flow_api() -> AsyncIterator[tuple[UseapiDouble, GoogleFlowService]]:
    async with UseapiDouble(token=USEAPI_TOKEN) as ua, httpx.AsyncClient() as http:
        services = build_services(
            http, base_url=ua.base_url, token=USEAPI_TOKEN, timeout=3, enabled=("googleflow",)
        )
        service = services["googleflow"]
        assert isinstance(service, GoogleFlowService)
        yield ua, service


async def test_an_empty_object_is_no_accounts(flow_api: tuple[UseapiDouble, GoogleFlowService]) -> None:
    ua, service = flow_api
    assert await service.list_accounts() == []
    (request,) = ua.requests_to("GET", "/v1/google-flow/accounts")
    assert request.headers["Authorization"] == f"Bearer {USEAPI_TOKEN}"


async def test_the_list_reads_each_signal(flow_api: tuple[UseapiDouble, GoogleFlowService]) -> None:
    ua, service = flow_api
    flow = ua.google_flow
    session = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
    flow.set_account("ok@gmail.com", account_expires=[ACCOUNT_EXPIRES], session_expires=session)
    flow.set_account(
        "sick@gmail.com", account_expires=[ACCOUNT_EXPIRES], health="Cookies expired", error="update cookies"
    )
    infos = {i.account: i for i in await service.list_accounts()}
    assert set(infos) == {"ok@gmail.com", "sick@gmail.com"}
    ok = infos["ok@gmail.com"]
    assert ok.expires_at is None  # the summary carries no cookies: unknown, not "expired"
    assert ok.self_renewing_expires_at == session and ok.next_refresh_at == session - timedelta(hours=1)
    assert ok.health == "OK" and ok.error is None
    assert (infos["sick@gmail.com"].health, infos["sick@gmail.com"].error) == (
        "Cookies expired",
        "update cookies",
    )

    flow.full_list = True  # the older list shape: full records with the cookies
    flow.set_cookie_expiry("ok@gmail.com", "Session", int(ACCOUNT_EXPIRES.timestamp()), -1)
    infos = {i.account: i for i in await service.list_accounts()}
    assert infos["ok@gmail.com"].expires_at == ACCOUNT_EXPIRES


@pytest.mark.parametrize(
    ("status", "body", "failure"),
    [
        (200, [], Failure.BAD_RESPONSE),  # not an object
        (200, {"x@gmail.com": "OK"}, Failure.BAD_RESPONSE),
        (200, "", Failure.BAD_RESPONSE),  # an empty body is not {}
        (404, {"error": "Not found"}, Failure.UNAVAILABLE),  # the empty list is 200 {}, never a 404
        (404, "Not Found", Failure.UNAVAILABLE),
        (401, {"error": "Unauthorized"}, Failure.UNAUTHORIZED),
    ],
)
async def test_an_unreadable_list_is_a_failure_never_no_accounts(
    flow_api: tuple[UseapiDouble, GoogleFlowService], status: int, body: object, failure: Failure
) -> None:
    ua, service = flow_api
    ua.google_flow.set_account("kept@gmail.com", account_expires=[ACCOUNT_EXPIRES])
    ua.inject("GET", "/v1/google-flow/accounts", status=status, body=body)
    with pytest.raises(UseapiError) as caught:
        await service.list_accounts()
    assert caught.value.failure is failure


async def test_one_accounts_unreadable_cookie_list_is_unknown_not_a_failed_list(
    flow_api: tuple[UseapiDouble, GoogleFlowService],
) -> None:
    """(Until issue 18 this list was a BAD_RESPONSE.)"""
    ua, service = flow_api
    ua.inject("GET", "/v1/google-flow/accounts", status=200, body={"x@gmail.com": {"accountCookies": "none"}})
    (info,) = await service.list_accounts()
    assert info.account == "x@gmail.com" and info.expires_at is None
    assert info.unreadable == (FieldNote("accountCookies", UNREADABLE),)


async def test_a_malformed_list_body_is_a_failure(flow_api: tuple[UseapiDouble, GoogleFlowService]) -> None:
    ua, service = flow_api
    ua.inject("GET", "/v1/google-flow/accounts", malformed=True)
    with pytest.raises(UseapiError) as caught:
        await service.list_accounts()
    assert caught.value.failure is Failure.BAD_RESPONSE


async def test_the_double_serves_one_account_and_deletes_it_by_its_encoded_email(
    flow_api: tuple[UseapiDouble, GoogleFlowService],
) -> None:
    """The routes the bot does not call yet (the lead's per-account sync and remove), as documented."""
    ua, service = flow_api
    ua.google_flow.set_account("john@gmail.com", account_expires=[ACCOUNT_EXPIRES])
    async with httpx.AsyncClient(
        base_url=ua.base_url, headers={"Authorization": f"Bearer {USEAPI_TOKEN}"}
    ) as http:
        path = service.account_path("john@gmail.com")
        one = (await http.get(path)).json()
        assert service.parse_account(one).account == "john@gmail.com"
        assert service.parse_account(one).expires_at == ACCOUNT_EXPIRES and one["health"] == "OK"
        deleted = await http.delete(path)
        assert deleted.json() == {"message": "Google Flow account john@gmail.com deleted"}
        gone = await http.get(path)
        assert gone.status_code == 404 and gone.json() == {
            "error": "Google Flow account john@gmail.com not found"
        }
        assert (await http.get(path, headers={"Authorization": "Bearer wrong"})).json() == {
            "error": "Unauthorized"
        }
