"""What people paste into the register modals, and what the bot makes of it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cookies import CookieError, parse_max_jobs, read_max_jobs
from bot.services.ltx import parse_ltx_cookie
from bot.services.luma import parse_luma_session
from tests.harness import bot_vocabulary, runs

SESSION = "mK8jP2xZc9AfQw3LnT7vYbE1R"
LTX = "lt_id=user123; lt_token=eyJhbGciOi.J9x-_; lt_refresh_token=abc123def"


@pytest.mark.parametrize(
    "pasted",
    [
        SESSION,
        f"  {SESSION}\n",
        f"luma_session={SESSION}",
        f"Cookie: luma_session={SESSION}",
        f"cookie:luma_session={SESSION};",
        f'luma_session="{SESSION}"',
        f"_ga=GA1.2.3; luma_session={SESSION}; theme=dark",
        f"Cookie: a=1; b=2; luma_session={SESSION}",
    ],
)
def test_luma_accepts_what_browsers_give(pasted: str) -> None:
    assert parse_luma_session(pasted) == SESSION


PADDED = "mK8jP2xZc9AfQw3LnT7vYbE1Rabc=="  # the bare value with base64 padding


@pytest.mark.parametrize(
    "pasted",
    [
        PADDED,
        f"  {PADDED}\n",
        f'"{PADDED}"',
        f"'{PADDED}'",  # as useapi.net's own JavaScript example quotes it
        f"`{PADDED}`",
        f"Cookie: {PADDED}",
        f"luma_session={PADDED}",
        f'luma_session="{PADDED}"',
        f"_ga=GA1.2.3; luma_session={PADDED}; theme=dark",
        f"_ga=GA1.2.3\nluma_session={PADDED};\r\ntheme=dark\n",  # one cookie per line
        f"luma_session\t{PADDED}\t.lumalabs.ai\t/\t2026-12-20T08:30:00.000Z\t35",  # a DevTools row
        f"Name\tValue\tDomain\n_ga\tGA1.2.3\t.lumalabs.ai\nluma_session\t{PADDED}\tlumalabs.ai",
    ],
)
def test_a_bare_value_with_padding_is_read_as_the_value_it_is(pasted: str) -> None:
    assert parse_luma_session(pasted) == PADDED


@pytest.mark.parametrize(
    "pasted", ["mK8jP2xZc9AfQw3LnT7vYbE1Rabc%3D%3D", "luma_session=mK8jP2xZc9AfQw3LnT7v%2BbE1R"]
)
def test_a_percent_encoded_cookie_value_is_sent_as_the_browser_holds_it(pasted: str) -> None:
    """A cookie's `%3D` is part of its value (the site that set it decodes it), never decoded."""
    assert parse_luma_session(pasted) == pasted.removeprefix("luma_session=")


@pytest.mark.parametrize(
    "pasted",
    [
        f"_ga=GA1.2.345678901; theme=darkmode-v2; {PADDED[:-2]}=x",  # the secret as a cookie's name
        "lt_id=user-1234567; lt_token=eyJhbGciOi.J9xQwErTy; lt_refresh_token=abc123def456",
        f"{PADDED}=={PADDED}",
        f"{PADDED}; other",
        f"tracker\t{PADDED}\t.example.com",
    ],
)
def test_a_refusal_names_the_cookie_never_what_was_pasted(pasted: str) -> None:
    """Issue 18: "no `luma_session` cookie (found: mK8j…abc)" put the secret in the audit trail."""
    with pytest.raises(CookieError) as caught:
        parse_luma_session(pasted)
    assert (runs(str(caught.value)) & runs(pasted)) <= bot_vocabulary()
    assert "found" not in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("twelve", "max_jobs_not_number"), ("９", "max_jobs_not_number"), ("1234567", "max_jobs_out_of_range")],
)
def test_max_jobs_refusals_never_repeat_the_text(raw: str, code: str) -> None:
    with pytest.raises(CookieError) as caught:
        read_max_jobs(raw, low=1, high=16, when_blank="the plan's default")
    assert caught.value.code == code and raw not in str(caught.value)
    assert (
        str(caught.value)
        == "Max jobs must be a whole number from 1 to 16"
        + (", written in digits. " if code == "max_jobs_not_number" else ". ")
        + "Leave it blank for the plan's default."
    )


def test_the_name_alone_is_not_taken_for_the_value() -> None:
    with pytest.raises(CookieError, match="That is the cookie's name"):
        parse_luma_session("luma_session")


@pytest.mark.parametrize(
    ("pasted", "says"),
    [
        ("", "Nothing was pasted"),
        ("   \n\t ", "Nothing was pasted"),
        (f"{SESSION}\n{SESSION}", "line breaks"),
        ("a=1; theme=dark", "no `luma_session`"),
        ("luma_session=", "empty"),
        ("short", "only 5 characters"),
        (f"{SESSION} extra", "can't hold"),
        ("mK8jP2xZc9AfQw3LnТ7vYbE1R", "can't hold"),  # a Cyrillic Т hides in it
        ("x" * 4001, "longer than any"),
        (f"Set-Cookie: luma_session={SESSION}; Path=/", "Set-Cookie"),
        ("this is; not = a cookie", "not a `name=value`"),
    ],
)
def test_luma_rejects_with_a_specific_reason(pasted: str, says: str) -> None:
    with pytest.raises(CookieError, match=says) as caught:
        parse_luma_session(pasted)
    # The message never repeats the secret.
    assert SESSION not in str(caught.value)


def test_ltx_keeps_only_the_three_cookies_in_order() -> None:
    pasted = "Cookie: _ga=1; lt_refresh_token=abc123def; other=zzz; lt_id=user123; lt_token=eyJhbGciOi.J9x-_"
    assert parse_ltx_cookie(pasted) == LTX


def test_ltx_accepts_one_cookie_per_line() -> None:
    pasted = "lt_id=user123\nlt_token=eyJhbGciOi.J9x-_;\r\nlt_refresh_token=abc123def\n"
    assert parse_ltx_cookie(pasted) == LTX


def test_ltx_accepts_the_rows_of_the_developer_tools_table() -> None:
    pasted = (
        "lt_refresh_token\tabc123def\t.ltx.studio\t/\t2026-12-20T08:30:00.000Z\n"
        "lt_id\tuser123\t.ltx.studio\t/\tSession\n"
        "_ga\tGA1.2.3\t.ltx.studio\t/\tSession\n"
        'lt_token\t"eyJhbGciOi.J9x-_"\t.ltx.studio\t/\tSession\n'
    )
    assert parse_ltx_cookie(pasted) == LTX


@pytest.mark.parametrize(
    ("pasted", "missing"),
    [
        ("lt_id=user123; lt_token=abc", "`lt_refresh_token`"),
        ("lt_id=user123", "`lt_token` and `lt_refresh_token`"),
        ("foo=bar", "`lt_id` and `lt_token` and `lt_refresh_token`"),
        ("lt_id=; lt_token=a; lt_refresh_token=b", "`lt_id`"),
    ],
)
def test_ltx_names_exactly_what_is_missing(pasted: str, missing: str) -> None:
    with pytest.raises(CookieError, match=f"No {missing} in what you pasted"):
        parse_ltx_cookie(pasted)


def test_ltx_rejects_ambiguous_lines_and_bad_characters() -> None:
    with pytest.raises(CookieError, match="several lines"):
        parse_ltx_cookie("lt_id=a; lt_token=b\nlt_refresh_token=c")
    with pytest.raises(CookieError, match="lt_token value contains"):
        parse_ltx_cookie("lt_id=a; lt_token=b c; lt_refresh_token=d")


@pytest.mark.parametrize(("raw", "value"), [(None, 20), ("", 20), (" 5 ", 5), ("1", 1), ("100", 100)])
def test_max_jobs_accepts_1_to_100(raw: str | None, value: int) -> None:
    assert parse_max_jobs(raw) == value


@pytest.mark.parametrize("raw", ["0", "101", "-1", "ten", "2.5"])
def test_max_jobs_rejects_the_rest(raw: str) -> None:
    with pytest.raises(CookieError, match="1 to 100"):
        parse_max_jobs(raw)


@given(st.text(max_size=300))
def test_luma_parser_never_raises_anything_else(text: str) -> None:
    try:
        value = parse_luma_session(text)
    except CookieError as exc:
        assert str(exc)
    else:
        assert value and value.isascii() and " " not in value


@given(st.text(max_size=300))
def test_ltx_parser_never_raises_anything_else(text: str) -> None:
    try:
        value = parse_ltx_cookie(text)
    except CookieError as exc:
        assert str(exc)
    else:
        assert value.startswith("lt_id=") and "lt_refresh_token=" in value


@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='";,\\='),
        min_size=8,
        max_size=60,
    )
)
def test_any_valid_session_round_trips_through_a_header(session: str) -> None:
    assert parse_luma_session(f"Cookie: a=b; luma_session={session}; c=d") == session
