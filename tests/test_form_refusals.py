"""No refusal of a register form repeats what was typed into a secret field: for every service in
bot.services.REGISTRY (a service added later is covered without editing this file), whatever is
typed, `parse_form` returns a Submission or raises a CookieError whose sentence shares no run of
8 characters with any secret field's input, but the bot's own words (a typed "luma_session" is
not a leak when the refusal names the `luma_session` cookie). Secret fields come from the
services' descriptions: `FormField.secret`, selects given any text as well as their options.
"""

from __future__ import annotations

import functools
import json
import string
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.form_errors import PROBLEMS, CookieError, Fixed, Problem, problem
from bot.services import KNOWN_SERVICES, REGISTRY
from bot.useapi import AccountInfo, FormField, Submission, UseapiService
from bot.useapi.base import Transport
from tests.harness import MIN_SECRET_LENGTH, bot_vocabulary, runs

# Text a browser, an editor or an attacker may produce: cookie octets, base64 with padding,
# separators, quotes, escapes, NUL, ANSI sequences, bidi marks, line breaks and any letter.
_PIECE = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "+/_-.~%", min_size=1, max_size=40),
    st.sampled_from(["=", "==", ";", "; ", "\t", "\n", "\r\n", '"', "'", "`", ":", " ", "%3D", "%2F"]),
    st.sampled_from(["\x00", "\x1b[31m", "\x1b[0m", "\u202e", "\u200f", "\u2066", "\ufeff", "…", "..."]),
    st.sampled_from(["Cookie: ", "Set-Cookie: ", "luma_session=", "lt_token=", "refresh_token=", "{", "}"]),
    st.text(max_size=20),
)
PASTES = st.one_of(
    st.text(max_size=300),
    st.lists(_PIECE, max_size=30).map("".join),
    # a bare value with base64 padding, maybe quoted or spaced
    st.tuples(
        st.text(alphabet=string.ascii_letters + string.digits + "+/", min_size=1, max_size=60),
        st.sampled_from(["", "=", "=="]),
        st.sampled_from(["", '"', "'", " ", "\n"]),
    ).map(lambda t: f"{t[2]}{t[0]}{t[1]}{t[2]}"),
    # a cookie header with names and values of any kind
    st.dictionaries(
        st.text(alphabet=string.ascii_letters + "_-", min_size=1, max_size=20), _PIECE, max_size=6
    ).map(lambda d: "; ".join(f"{k}={v}" for k, v in d.items())),
    # rows of the developer tools' table
    st.lists(st.lists(_PIECE, min_size=1, max_size=5).map("\t".join), max_size=6).map("\n".join),
    # JSON with keys and values of any kind
    st.dictionaries(st.text(max_size=20), st.one_of(st.text(max_size=40), st.integers())).map(json.dumps),
    # what no form field holds
    st.integers(min_value=3001, max_value=4500).map(lambda n: "x" * n),
)


@functools.cache
def _transport() -> Transport:  # parse_form never calls it; one client for the whole file
    return Transport(httpx.AsyncClient(), "https://api.useapi.net", "t", 2)


def _service(key: str) -> UseapiService:
    return REGISTRY[key](_transport())


def _field_values(spec: FormField) -> st.SearchStrategy[str]:
    if spec.options:
        return st.one_of(st.sampled_from([value for value, _ in spec.options]), PASTES)
    if not spec.secret:
        return st.one_of(st.emails(), st.text(max_size=60))
    return PASTES


def forms(fields: tuple[FormField, ...]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({spec.id: _field_values(spec) for spec in fields})


def echoed(fields: tuple[FormField, ...], values: Mapping[str, str], sentence: str) -> set[str]:
    """The runs of 8 characters of `sentence` typed into a secret field: none but the bot's own
    words, or what was typed into a field that is shown back on purpose (an email)."""
    typed = {run for spec in fields if spec.secret for run in runs(values.get(spec.id, ""))}
    shown = {run for spec in fields if not spec.secret for run in runs(values.get(spec.id, ""))}
    return (runs(sentence) & typed) - bot_vocabulary() - shown


def refusal(service: UseapiService, values: Mapping[str, str]) -> CookieError | None:
    try:
        submission = service.parse_form(values)
    except CookieError as exc:
        return exc
    assert isinstance(submission, Submission)
    return None


@pytest.mark.parametrize("key", KNOWN_SERVICES)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_refusal_repeats_a_secret_field(key: str, data: st.DataObject) -> None:
    service = _service(key)
    values = data.draw(forms(service.form_fields))
    exc = refusal(service, values)  # anything but a CookieError fails the test here
    if exc is None:
        return
    assert echoed(service.form_fields, values, str(exc)) == set(), exc.code
    # The audit trail gets the code and the problem's fixed sentence, nothing else.
    assert PROBLEMS[exc.code] is exc.problem
    assert exc.audit == exc.problem.audit and "{" not in exc.audit


@pytest.mark.parametrize("key", KNOWN_SERVICES)
def test_each_secret_field_refused_alone_is_not_repeated(key: str) -> None:
    """The hostile pastes of issue 18 in each secret field, the other fields left blank."""
    service = _service(key)
    hostile = [
        "mK8jP2xZc9AfQw3LnT7vYbE1Rabc==",
        "Cookie: _ga=GA1.2.345678901; theme=darkmode-v2; tracker=Zk4vQ8mN2pL7",
        "lt_id=user-1234567; lt_token=eyJhbGciOi.J9xQwErTy; lt_refresh_token=abc123def456",
        "NulBefore1\x00NulAfter123",
        "\x1b[31mAnsiColour9Qx\x1b[0m",
        "\u202eBidiHidden7Kp\u202c",
        "Q" * 4000,
        '{"access_token": "eyJ.a.b", "currentKey": "Wq8Jx2Lm9Zr4"}',
        "__Secure-1PSID\tg.a000ValueCell\t.google.com\t/\t2026-12-20",
    ]
    for spec in service.form_fields:
        if not spec.secret:
            continue
        for paste in hostile:
            values = {s.id: "" for s in service.form_fields} | {spec.id: paste}
            exc = refusal(service, values)
            if exc is not None:
                assert echoed(service.form_fields, values, str(exc)) == set(), (spec.id, exc.code)


class EchoingService(UseapiService):
    """A service whose refusal quotes the paste, the mistake the property test must catch: the
    only way to do it is to call input a Fixed word."""

    key = "echoing"
    label = "Echoing"
    order = 1000
    command_group = "echoing"
    group_description = "A service that gets it wrong"
    form_fields = (FormField(id="cookie", label="Echoing cookie", description="a cookie"),)
    accounts_path = "/v1/echoing/accounts"
    SAYS: Problem = problem("test_echoing_refusal", "Bad cookie {what}.", "A bad cookie.")

    def parse_form(self, values: Mapping[str, str]) -> Submission:
        raise CookieError(self.SAYS, what=Fixed(values["cookie"][:20]))

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        raise NotImplementedError


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=string.ascii_letters, min_size=MIN_SECRET_LENGTH, max_size=40))
def test_the_property_catches_a_refusal_that_quotes_the_paste(paste: str) -> None:
    assume(runs(paste[:20]) - bot_vocabulary())  # a paste of the bot's own words echoes nothing
    service = EchoingService(_transport())
    exc = refusal(service, {"cookie": paste})
    assert exc is not None and echoed(service.form_fields, {"cookie": paste}, str(exc))


def test_an_error_cannot_be_given_free_text_or_the_wrong_facts() -> None:
    with pytest.raises(TypeError, match="takes a Problem"):
        CookieError("There is no cookie in mK8jP2xZc9AfQw3LnT7vYbE1R")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs the facts"):
        CookieError(EchoingService.SAYS)
    with pytest.raises(TypeError, match="a number or a Fixed word"):
        CookieError(EchoingService.SAYS, what=["list"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fixed"):
        problem("test_audit_with_fields", "x", "Audit {what}.")
    with pytest.raises(ValueError, match="twice"):
        problem("test_echoing_refusal", "Another sentence.", "A bad cookie.")


def test_every_problem_reads_well_in_the_audit_trail() -> None:
    """Codes are what `/access audit` and `python -m bot audit` show after `invalid_input:`."""
    for code, declared in PROBLEMS.items():
        assert code == declared.code and len(f"invalid_input:{code}") <= 40, code
        assert declared.audit[:1].isupper() and declared.audit.endswith("."), code
        assert len(declared.audit) <= 150, code
