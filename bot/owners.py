"""Who owns an account, and which warnings are early enough to go to an owner's direct messages.

An account's owner is the member who can act on it, pinged beside the alert role by its
warnings:
- the member who last registered it through the bot (`registered_by`), or
- one an admin chose with `/accounts owner`, or
- for an account nobody owned (configured on useapi.net outside the bot, never registered
  through it), the member who claimed one of its warnings ("I'm on it"): they took it on.

Whichever happened last wins: a registration after an admin's choice makes the registrant the
owner, an admin's choice after a registration overrides it. An account configured outside the
bot has no owner until one of these happens.

Pure functions of the stored account (bot.models.TrackedAccount); the store writes the choice
(`set_owner`, `adopt_account` in bot/tables/owners.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from bot.expiry import ZERO, Alert, Kind, stages_for
from bot.models import TrackedAccount


def owner_of(account: TrackedAccount) -> int | None:
    """The member who owns `account`, or None: nobody registered, claimed or was given it."""
    chosen, since = account.owner_id, account.owner_since
    if chosen is not None and since is not None:
        if account.registered_at is None or account.registered_by is None or since >= account.registered_at:
            return chosen
    return account.registered_by


def is_early(alert: Alert, stages: Mapping[str, Sequence[timedelta]]) -> bool:
    """A stage warning before the service's last lead stage: the ones an owner may take by
    direct message (`/notify me`). The last lead stage, "expired" and every warning that needs
    a person now (a reason, a disappearance) always go to the channel."""
    if alert.kind is not Kind.STAGE or alert.lead is None or alert.lead <= ZERO:
        return False
    leads = [lead for lead in stages_for(stages, alert.key.service) if lead > ZERO]
    return bool(leads) and alert.lead > min(leads)
