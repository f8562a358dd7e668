"""Who owns a tracked account, answered in one place.

Today the owner is the member who last registered the account through the bot (`registered_by`);
an account configured on useapi.net outside the bot has none until someone registers it. Owners
an admin sets explicitly (issue 23, `/accounts owner`) are meant to be answered here too, so the
digest (and whatever else asks) follows without change.
"""

from __future__ import annotations

from bot.models import TrackedAccount


def owner_of(account: TrackedAccount) -> int | None:
    """The Discord user id of the account's owner, or None when it has none."""
    return account.registered_by
