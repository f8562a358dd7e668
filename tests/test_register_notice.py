"""The public notice after a registration says what happened: an account useapi.net created is
"added", one the team had (or useapi.net updated) is "renewed", like the private answer."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.useapi import AccountInfo
from cogs.register._embeds import renewal_notice


def test_a_new_account_is_added_and_a_known_one_renewed() -> None:
    expires = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    new = AccountInfo(service="luma", account="a@example.com", expires_at=expires, created=True)
    assert renewal_notice(7, new).startswith("🔑 <@7> added the Luma account **a@example.com**: now expires")
    for created in (False, None):  # updated, or useapi.net didn't say
        known = AccountInfo(service="luma", account="a@example.com", expires_at=expires, created=created)
        assert renewal_notice(7, known).startswith("🔑 <@7> renewed the Luma account")
