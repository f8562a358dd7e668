"""Escalation (`/alerts escalate <role> <after>`, off by default): a warning that needs a person
and that nobody took pings a second role, once, as a reply.

Which warnings: an account's latest open warning when it is its last word (the service's last
lead stage, "expired", a reason a person is needed, a disappearance), posted (or its claim
lapsed) at least `after` ago, with no claim on any of the account's open warnings. A claim
stops it; a claim that lapses starts the wait again from the lapse. Each warning is escalated
once: the record is keyed by the warning's key and the moment it was posted (a warning posted
again, its reason back, is a new one), and the reply carries a nonce made of that key, so a
crash between the post and its record can't post it twice (Discord returns the first).

Pure: bot/watch.py runs it in the follow-through (not inside quiet hours: escalations wait for
their end, like reminders) and the alerts cog posts what it returns.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.durations import DurationError, parse_duration
from bot.expiry import ERROR_PREFIX, EXPIRED, GONE, stage_name
from bot.followup import PostedWarning, is_reminder
from bot.models import TrackedAccount, WarningKey

MIN_AFTER = timedelta(minutes=1)

# (service, account, epoch, stage, the warning's recorded_at in Unix seconds)
EscalationKey = tuple[str, str, int, str, int]


@dataclass(frozen=True)
class Escalation:
    about: PostedWarning  # the warning it answers
    account: TrackedAccount
    since: datetime  # nobody took it since

    @property
    def key(self) -> EscalationKey:
        return escalation_key(self.about)

    @property
    def nonce(self) -> str:
        """The reply's Discord message nonce (25 characters at most)."""
        identity = "\x1f".join(str(part) for part in ("escalate", *self.key))
        digest = hashlib.sha256(identity.encode()).digest()
        return "e" + base64.b32encode(digest).decode()[:24].lower()


def escalation_key(warning: PostedWarning) -> EscalationKey:
    return (*warning.key, int(warning.recorded_at.timestamp()))


def is_last_word(key: WarningKey, lead_times: Sequence[timedelta]) -> bool:
    """After this warning no other falls due by itself: expired, a reason, a disappearance, or
    the service's last lead stage."""
    stage = key.stage
    if stage in (EXPIRED, GONE) or stage.startswith(ERROR_PREFIX):
        return True
    return bool(lead_times) and stage == stage_name(min(lead_times))


def parse_after(raw: str) -> timedelta:
    """`2h`, `90m` → how long a warning waits before it is escalated. Raises DurationError."""
    after = parse_duration(raw, allow_bare_seconds=False)
    if after < MIN_AFTER:
        raise DurationError(f"{raw.strip()[:40]!r} is shorter than a minute")
    return after


def escalations_due(
    warnings: Sequence[PostedWarning],
    accounts: Mapping[tuple[str, str], TrackedAccount],
    escalated: Collection[EscalationKey],
    after: timedelta,
    stages: Mapping[str, Sequence[timedelta]],
    now: datetime,
) -> list[Escalation]:
    """The escalations due now, one per account at most. `stages` maps each switched-on service
    to its lead times (an account of a service not in it gets none); `escalated` holds the
    keys already posted."""
    per_account: dict[tuple[str, str], list[PostedWarning]] = {}
    for warning in warnings:
        if warning.is_open and not is_reminder(warning.key.stage):
            per_account.setdefault((warning.key.service, warning.key.account), []).append(warning)
    due = []
    for where, open_warnings in sorted(per_account.items()):
        acc = accounts.get(where)
        if acc is None or where[0] not in stages or any(w.claim is not None for w in open_warnings):
            continue
        latest = max(open_warnings, key=lambda w: w.recorded_at)
        if not is_last_word(latest.key, stages[where[0]]) or escalation_key(latest) in escalated:
            continue
        since = max(latest.recorded_at, latest.lapsed.at if latest.lapsed else latest.recorded_at)
        if now - since >= after:
            due.append(Escalation(latest, acc, since))
    return due
