"""`bot.logs.scrub`: a secret is scrubbed whole and by any run of 8 of its characters (an answer
may quote a cookie cut short), but a header or table is scrubbed whole only: runs of it would take
cookie names and domains with them; its values are listed apart."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.logs import REDACTED, WINDOW, scrub

SESSION = "mK8jP2xZc9AfQw3LnT7vYbE1R"


def test_a_secret_cut_short_is_scrubbed() -> None:
    assert (
        scrub(f"Invalid session {SESSION[:12]}... (expired)", [SESSION])
        == f"Invalid session {REDACTED}... (expired)"
    )
    assert scrub(f"a{SESSION[3:11]}b", [SESSION]) == f"a{REDACTED}b"
    assert scrub(f"{SESSION[:7]} is too short to tell", [SESSION]) == f"{SESSION[:7]} is too short to tell"


def test_a_header_is_scrubbed_whole_and_its_values_by_any_run() -> None:
    header = "lt_id=user123; lt_token=eyJhbGciOi.J9xQ; lt_refresh_token=abc123def456"
    said = "Missing required cookie fields: lt_token | lt_refresh_token (got eyJhbGciOi.J9)"
    assert scrub(said, [header, "eyJhbGciOi.J9xQ", "abc123def456"]) == (
        f"Missing required cookie fields: lt_token | lt_refresh_token (got {REDACTED})"
    )
    assert scrub(f"echo {header}", [header]) == f"echo {REDACTED}"


@given(st.text(min_size=WINDOW, max_size=60), st.text(max_size=40), st.text(max_size=40), st.data())
def test_no_run_of_a_secret_survives(secret: str, before: str, after: str, data: st.DataObject) -> None:
    if "\t" in secret or "\n" in secret or "\r" in secret or "; " in secret:
        return  # several cookies: scrubbed whole (above)
    start = data.draw(st.integers(0, len(secret) - WINDOW))
    end = data.draw(st.integers(start + WINDOW, len(secret)))
    out = scrub(before + secret[start:end] + after, [secret])
    assert all(secret[i : i + WINDOW] not in out for i in range(len(secret) - WINDOW + 1))


def test_a_value_two_registrations_share_is_scrubbed_until_both_end() -> None:
    from bot import logs

    with logs.secret_in_flight(SESSION):
        with logs.secret_in_flight(SESSION, "AnotherOne123"):
            assert scrub(SESSION[:10]) == REDACTED
        assert scrub(SESSION[:10]) == REDACTED and scrub("AnotherOne123") == "AnotherOne123"
    assert scrub(SESSION[:10]) == SESSION[:10]
    assert SESSION not in logs._in_flight  # nothing kept once the registrations ended
