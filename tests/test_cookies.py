"""What people paste into the register modals, and what the bot makes of it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cookies import CookieError, parse_max_jobs
from bot.services.ltx import parse_ltx_cookie
from bot.services.luma import parse_luma_session

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
