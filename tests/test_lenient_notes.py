"""Both lenient readers (bot/services/_lenient.py, _open_fields.py) note a field they read as
unknown the way every other service does: inside `read_account` the account carries the note
(stored, shown in `/accounts list`), by the field's name only, never its value."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.models import UNREADABLE, FieldNote
from bot.services._lenient import forget_notes
from bot.services.googlevids import GoogleVidsService
from bot.services.pixverse import PixVerseService
from bot.services.runway import RunwayService

SECRET = "eyJtoken-that-must-never-be-logged"


def parsing_only(cls: Any) -> Any:
    return cls.__new__(cls)  # reading needs no transport


def test_runway_notes_an_unreadable_expiry_by_name(caplog: pytest.LogCaptureFixture) -> None:
    forget_notes()
    with caplog.at_level(logging.WARNING):
        info = parsing_only(RunwayService).read_account(
            {"email": "a@b.io", "jwt": {"exp": SECRET, "token": SECRET}, "maxJobs": ["x"]}, "a@b.io"
        )
    assert info.expires_at is None and info.max_jobs is None
    assert FieldNote("jwt.exp", UNREADABLE) in info.unreadable
    assert FieldNote("maxJobs", UNREADABLE) in info.unreadable
    # One line per field, from read_account (the lenient reader leaves the logging to it).
    assert len([r for r in caplog.records if "jwt.exp" in r.getMessage()]) == 1
    assert SECRET not in caplog.text


def test_a_placeholder_beside_a_good_companion_is_no_note() -> None:
    """PixVerse's pages print ExpireTime 123456789 beside every good ExpireTimeUTC."""
    obj = {
        "email": "m@s.io",
        "jwt": {"ExpireTime": 123456789, "ExpireTimeUTC": "2027-01-01T12:13:14.000Z", "Token": SECRET},
    }
    info = parsing_only(PixVerseService).read_account(obj, "m@s.io")
    assert info.expires_at is not None and info.unreadable == ()


def test_open_fields_note_a_health_or_text_of_a_shape_no_page_shows() -> None:
    vids = GoogleVidsService(transport=None)  # type: ignore[arg-type]
    info = vids.read_account(
        {"email": "v@example.com", "health": ["OK"], "cookiesExpireAt": {"at": 1}}, "v@example.com"
    )
    assert info.health is None and info.expires_at is None
    assert FieldNote("health", UNREADABLE) in info.unreadable
    assert FieldNote("cookiesExpireAt", UNREADABLE) in info.unreadable
    fine = vids.read_account({"email": "v@example.com", "health": "OK"}, "v@example.com")
    assert fine.unreadable == ()
