"""What the 2026 catalogue services share: the readers of OPEN fields (bot/services/_open_fields.py),
the register form's text block (`form_intro`) as Discord checks it, and a DELETE's 2xx."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import ops
from bot.config import Settings
from bot.services import REGISTRY
from bot.services._open_fields import says_nothing_configured, signed_out, unwrap
from bot.useapi import Failure, UseapiError
from cogs.register._cog import _submitted_values
from tests.doubles.discord_double import _modal_problem
from tests.doubles.useapi_double import UseapiDouble
from tests.harness import DISCORD_TOKEN, USEAPI_TOKEN, _modal_values


def error(status: int, detail: str | None, failure: Failure = Failure.UNAVAILABLE) -> UseapiError:
    return UseapiError(failure, service_label="X", status=status, detail=detail)


@pytest.mark.parametrize(
    ("detail", "empty"),
    [
        ("Configuration not found. To create configuration use POST /accounts.", True),
        ("No ACE Music accounts are configured", True),
        ("No accounts configured", True),
        ("Account a@b.c is not configured", True),
        ("Nothing configured yet", True),
        ("Not found", False),  # a moved route
        ("Account a@b.c not found", False),
        (None, False),  # a plain-text or empty 404
    ],
)
def test_only_a_404_that_says_nothing_is_configured_is_an_empty_list(detail: str | None, empty: bool) -> None:
    assert says_nothing_configured(error(404, detail)) is empty
    assert says_nothing_configured(error(410, detail)) is False


@pytest.mark.parametrize(
    ("status", "detail", "unless_said", "gone"),
    [
        (596, "Google signed a@b.c out. Re-add it at https://useapi.net/x", False, True),
        (596, "Account a@b.c needs to be reconnected", False, True),
        (596, "Signed out; it is being re-checked. Retry in a minute", True, False),
        (596, None, False, False),
        (596, None, True, True),
        (500, "Re-add it", True, False),  # only a 596 speaks of the linked account's session
    ],
)
def test_a_596_means_signed_out_only_when_it_says_so_or_the_service_says_it_always_does(
    status: int, detail: str | None, unless_said: bool, gone: bool
) -> None:
    exc = error(status, detail, Failure.UPSTREAM_ERROR)
    assert signed_out(exc, unless_said=unless_said) is gone


@pytest.mark.parametrize(
    ("obj", "key"),
    [
        ({"123": {"account": "123", "token": "x"}}, "123"),
        ({"a@b.c": {"email": "a@b.c"}}, "a@b.c"),
        ({"user": {"id": 1}}, None),  # the inner object is not an account
        ({"account": "1"}, None),
        ({"a": {"account": "1"}, "b": {"account": "2"}}, None),
    ],
)
def test_a_registration_answer_keyed_by_its_account_is_unwrapped(
    obj: dict[str, Any], key: str | None
) -> None:
    found, _ = unwrap(obj, "account", "email")
    assert found == key


def label(text: str = "Field", **extra: Any) -> dict[str, Any]:
    return {"type": 18, "label": text, "component": {"type": 4, "custom_id": "x", "style": 1}, **extra}


def modal(*components: dict[str, Any], title: str = "Register your X account") -> dict[str, Any]:
    return {"custom_id": "m", "title": title, "components": list(components)}


@pytest.mark.parametrize(
    ("data", "accepted"),
    [
        (modal({"type": 10, "content": "Steps"}, label(), label(), label(), label()), True),
        (modal({"type": 10, "content": "x" * 4000}, label()), True),
        (modal({"type": 1, "components": [{"type": 4, "custom_id": "a"}]}), True),
        (modal({"type": 10, "content": "Steps"}, label(), label(), label(), label(), label()), False),  # 6
        (modal(), False),
        (modal({"type": 10, "content": ""}, label()), False),
        (modal({"type": 10, "content": "x" * 4001}, label()), False),
        (modal({"type": 10}, label()), False),
        (modal(label("x" * 46)), False),
        (modal(label(description="d" * 101)), False),
        (modal({"type": 2, "custom_id": "button"}), False),
        (modal(label(), title="t" * 46), False),
    ],
)
def test_the_discord_double_refuses_the_modals_discord_refuses(data: dict[str, Any], accepted: bool) -> None:
    assert (_modal_problem(data) is None) is accepted


@pytest.mark.parametrize("key", [k for k, cls in REGISTRY.items() if cls.form_intro])
def test_every_form_intro_fits_a_modal_as_the_double_checks_it(key: str) -> None:
    cls = REGISTRY[key]
    components = [{"type": 10, "content": cls.form_intro}]
    components += [label(f.label, description=f.description) for f in cls.form_fields]
    assert _modal_problem(modal(*components, title=f"Register your {cls.label} account")) is None


CATALOGUE = ("googlevids", "gemininotebook", "acemusic", "mureka")


async def test_check_reads_the_new_services_switched_on_or_off(tmp_path: Path) -> None:
    """`check` derives from the registry: each new service's list is read, its accounts listed
    with their deadlines (or none), its "nothing configured" answer taken for no accounts."""
    now = datetime.now(UTC).replace(microsecond=0)
    async with UseapiDouble(token=USEAPI_TOKEN) as ua:
        ua.google_vids.set_account("vids@example.com", cookies_expire=now + timedelta(days=100))
        ua.acemusic.set_account("ace@example.com")
        ua.acemusic.refuse_stored_password("ace@example.com")
        # Gemini Notebook and Mureka have none: 200 {} and the documented 404.
        settings = Settings(
            discord_token=DISCORD_TOKEN,
            useapi_token=USEAPI_TOKEN,
            useapi_base_url=ua.base_url,
            database_path=tmp_path / "warden.sqlite3",
            useapi_timeout=timedelta(seconds=3),
            services=("luma", *CATALOGUE),
        )
        out = io.StringIO()
        status = await ops.check(settings, out, now=now)
        report = out.getvalue()
        assert status == 0, report
        assert "Google Vids: token accepted, 1 account(s) configured" in report
        assert "Gemini Notebook: token accepted, no account configured yet" in report
        assert "ACE Music: token accepted, 1 account(s) configured" in report
        assert "Mureka: token accepted, no account configured yet" in report
        assert re.search(r"^Google Vids +vids@example\.com +\S+ +100d", report, re.M), report
        assert re.search(r"^ACE Music +ace@example\.com .*ACE Music refused the stored", report, re.M), report

        out = io.StringIO()
        off = await ops.check(replace(settings, services=("luma",)), out, now=now)
        assert off == 0
        assert (
            "Google Vids: 1 account(s) on useapi.net, switched off here: add googlevids to SERVICES"
            in out.getvalue()
        )


def test_a_text_display_in_a_submit_is_neither_a_value_nor_a_secret() -> None:
    """Discord answers a text display with its type and id only; both readers of a submit (the
    late-submit path's `_submitted_values`, the sweep's `_modal_values`) skip it."""
    components = [
        {"type": 10, "id": 1},
        {
            "type": 18,
            "id": 2,
            "component": {"type": 4, "id": 3, "custom_id": "cookies", "value": "Typed-Value-123"},
        },
    ]
    assert dict(_submitted_values(components)) == {"cookies": "Typed-Value-123"}
    payload = {"type": 5, "data": {"custom_id": "warden:register:googlevids:ab", "components": components}}
    assert _modal_values(payload) == ["Typed-Value-123"]
