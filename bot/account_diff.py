"""What an answer from useapi.net changes in the stored accounts, decided without the database.

Decide, then apply (python-discord's syncers: `_get_diff` apart from `_sync`): the accounts table
(bot/tables/accounts.py) reads what it holds (`StoredAccount`), hands it to one of these pure
functions and writes what comes back, in one transaction. The callers bind the answer to the
function: bot/sync.py a service's list, bot/registration.py a registration, bot/details.py a
live details read.

- `diff_account_list`: which accounts to insert or update (and with what), which to mark gone
  (or hold, when `hold_gone` says the read is suspicious), which reasons a person was needed
  cleared, and which removal marks are done with. Accounts registered after the list was fetched
  are left alone (the list may predate them), and so are accounts removed through the bot that
  useapi.net still lists.
- `judge_registration`, `judge_details`: the deadline and the reason to warn after one answer.

Each account's reason a person is needed now comes from `bot.signals.needs_person`. Every answer's
credit and quota figures (`AccountInfo.credits`) go with its writes (`credit_writes`): a figure an
answer lacks keeps the stored one. A refused call (`AccountInfo.call_refusal`: 596, 412) comes
from a details read only; a list keeps it, a registration or a details read that answered clears it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set
from datetime import datetime
from typing import NamedTuple

from bot.clock import from_epoch, to_epoch
from bot.followup import How
from bot.models import (
    AccountListDiff,
    AccountVerdict,
    AccountWrite,
    CreditWrite,
    ReasonCleared,
    StoredAccount,
    SyncChanges,
    notes_to_text,
)
from bot.signals import needs_person
from bot.useapi.base import AccountInfo, Credit


class _Deadline(NamedTuple):
    """Where an answer's times go once `self_renewing` is known (see migration 003)."""

    expires_at: int | None  # the deadline the stages warn before
    self_renewing_expires_at: int | None  # the token useapi.net refreshes by itself


def _deadline(info: AccountInfo, self_renewing: bool, stored_refresh_expiry: int | None) -> _Deadline:
    """An LTX account seen renewing its token itself is warned about by its refresh token's
    expiry (when known); its tokenExpire is then only watched for passing unrefreshed."""
    if self_renewing:
        refresh = to_epoch(info.refresh_expires_at) or stored_refresh_expiry
        if refresh is not None:
            return _Deadline(refresh, to_epoch(info.expires_at))
    return _Deadline(to_epoch(info.expires_at), to_epoch(info.self_renewing_expires_at))


def _reason(
    error: str | None,
    health: str | None,
    session_valid: bool | None,
    times: _Deadline,
    seen_at: datetime,
    noun: str,
    call_refusal: str | None = None,
) -> str | None:
    return needs_person(
        error=error,
        health=health,
        session_valid=session_valid,
        self_renewing_expires_at=from_epoch(times.self_renewing_expires_at),
        seen_at=seen_at,
        noun=noun,
        expires_at=from_epoch(times.expires_at),
        call_refusal=call_refusal,
    )


def credit_writes(
    service: str, account: str, credits: Sequence[Credit], *, at: datetime
) -> tuple[CreditWrite, ...]:
    """The figures of one answer as the account_credits table writes them (one per key: the
    first wins); a figure with neither what is left nor an allowance says nothing and is left out."""
    stamp = int(at.timestamp())
    seen: set[str] = set()
    rows = []
    for credit in credits:
        if credit.key in seen or (credit.remaining is None and credit.limit is None):
            continue
        seen.add(credit.key)
        rows.append(
            CreditWrite(
                service,
                account,
                credit.key,
                credit.label,
                credit.unit,
                credit.remaining,
                credit.limit,
                to_epoch(credit.resets_at),
                stamp if credit.remaining is not None else None,
            )
        )
    return tuple(rows)


def _renewed_itself(info: AccountInfo, old: StoredAccount) -> bool:
    """The list shows a later token expiry than the last read, with no registration since."""
    token = to_epoch(info.expires_at)
    return (
        token is not None
        and old.expires_at is not None
        and token > old.expires_at
        and old.synced_at is not None
        and (old.registered_at is None or old.registered_at < old.synced_at)
    )


def _as_int(flag: bool | None) -> int | None:
    return None if flag is None else int(flag)


def diff_account_list(
    service: str,
    infos: Sequence[AccountInfo],
    stored: Mapping[str, StoredAccount],
    removed: Set[str],
    *,
    fetched_at: datetime,
    now: datetime,
    hold_gone: Callable[[int, int], bool] | None = None,
    detect_self_renewal: bool = False,
    noun: str = "session",
) -> AccountListDiff:
    """What makes the stored accounts of `service` (`stored`, by account) agree with upstream's
    list, read at `fetched_at` and applied at `now`.

    New accounts are tracked with no registrant; missing ones are marked gone (cleared when they
    come back); each account's reason a person is needed now is worked out from upstream's error
    and the signals stored for it. A field the list lacks keeps its stored value. An account
    registered at or after `fetched_at` is left alone, and so is one in `removed` (removed
    through the bot) that is no longer stored. An account listed twice counts once (its first
    entry).

    `hold_gone(missing, tracked)` decides, with the counts of this read, whether to withhold its
    gone marks: the missing accounts are then `held` and stay as they were (everything else is
    applied), and the removal marks are kept (a suspicious read proves nothing).

    `detect_self_renewal` (LTX): a later expiry in the list with no registration since the
    last read means useapi.net renews that token itself; the account is marked so, and from
    then on warned about by its refresh token's expiry (see `_deadline`).
    """
    fetched = int(fetched_at.timestamp())
    stamp = int(now.timestamp())
    added: list[str] = []
    changed: list[str] = []
    returned: list[str] = []
    renewing: list[str] = []
    reasons: list[str] = []
    cleared: list[ReasonCleared] = []
    seen: set[str] = set()
    writes: list[AccountWrite] = []
    credits: list[CreditWrite] = []
    for info in infos:
        if info.account in seen:
            continue
        seen.add(info.account)
        if info.account in removed and info.account not in stored:
            continue  # removed through the bot; useapi.net still lists it
        old = stored.get(info.account)
        self_renewing = False
        session_valid = info.session_valid
        health = info.health
        if old is None:
            added.append(info.account)
        else:
            if old.registered_at is not None and old.registered_at >= fetched:
                continue
            self_renewing = bool(old.self_renewing)
            if detect_self_renewal and not self_renewing and _renewed_itself(info, old):
                self_renewing = True
                renewing.append(info.account)
            if session_valid is None and old.session_valid is not None:
                session_valid = bool(old.session_valid)
            if health is None:
                health = old.health
            if old.gone_at is not None:
                returned.append(info.account)
        times = _deadline(info, self_renewing, old.refresh_expires_at if old else None)
        if old is not None and times.expires_at is not None and times.expires_at != old.expires_at:
            changed.append(info.account)
        refusal = old.call_refusal if old is not None else None  # only a details read says
        reason = _reason(info.error, health, session_valid, times, fetched_at, noun, refusal)
        if old is not None and reason != old.last_error:
            reasons.append(info.account)
        if reason is None and old is not None and old.last_error is not None:
            cleared.append(ReasonCleared(info.account, How.CLEARED.value))
        credits.extend(credit_writes(service, info.account, info.credits, at=fetched_at))
        writes.append(
            AccountWrite(
                service,
                info.account,
                times.expires_at,
                to_epoch(info.refresh_expires_at),
                info.concurrency,
                info.credits_usage,
                info.credits_limit,
                info.max_jobs,
                reason,
                to_epoch(info.updated_at),
                stamp,
                stamp,
                info.error,
                health,
                _as_int(session_valid),
                times.self_renewing_expires_at,
                to_epoch(info.next_refresh_at),
                int(self_renewing),
                notes_to_text(info.unreadable),
            )
        )
    present = [
        account
        for account, old in stored.items()
        if old.gone_at is None and (old.registered_at is None or old.registered_at < fetched)
    ]
    gone = sorted(account for account in present if account not in seen)
    held: list[str] = []
    if gone and hold_gone is not None and hold_gone(len(gone), len(present)):
        held, gone = gone, []
    return AccountListDiff(
        at=stamp,
        writes=tuple(writes),
        gone=tuple(gone),
        cleared=tuple(cleared),
        # A list trusted for its disappearances: removals it no longer shows are done.
        forget_removed=() if held else tuple(sorted(removed - seen)),
        changes=SyncChanges(
            tuple(added),
            tuple(changed),
            tuple(gone),
            tuple(returned),
            tuple(held),
            len(present),
            tuple(renewing),
            tuple(reasons),
        ),
        credits=tuple(credits),
    )


def judge_registration(
    info: AccountInfo, stored: StoredAccount | None, *, user_id: int, now: datetime, noun: str = "session"
) -> AccountVerdict:
    """A registration is a fresh credential: its answer's signals replace the stored ones (an
    earlier "session invalid" no longer holds), and a reason that cleared is resolved as
    renewed by the member."""
    self_renewing = bool(stored.self_renewing) if stored else False
    times = _deadline(info, self_renewing, stored.refresh_expires_at if stored else None)
    reason = _reason(info.error, info.health, info.session_valid, times, now, noun)
    was = stored.last_error if stored else None
    return AccountVerdict(
        at=int(now.timestamp()),
        expires_at=times.expires_at,
        self_renewing_expires_at=times.self_renewing_expires_at,
        reason=reason,
        upstream_error=info.error,
        health=info.health,
        session_valid=info.session_valid,
        cleared=ReasonCleared(info.account, How.RENEWED.value, user_id)
        if reason is None and was is not None
        else None,
        changed=reason != was or stored is None or times.expires_at != stored.expires_at,
        unreadable=notes_to_text(info.unreadable),
        answer_expires_at=to_epoch(info.expires_at),
        call_refusal=None,  # a fresh credential useapi.net accepted: the refused call is history
        credits=credit_writes(info.service, info.account, info.credits, at=now),
    )


def judge_details(
    info: AccountInfo, stored: StoredAccount, *, checked_at: datetime, noun: str = "session"
) -> AccountVerdict:
    """A live `GET /accounts/{account}` answer (Luma's sessionValid, Google Flow's cookie
    expiry) merged into what is stored: a field it lacks keeps its stored value, and an
    LTX-style swapped deadline never comes from a details read. `changed` when that moved the
    reason to warn or the expiry."""
    error = info.error if info.error is not None else stored.upstream_error
    health = info.health if info.health is not None else stored.health
    valid = (
        info.session_valid
        if info.session_valid is not None
        else (None if stored.session_valid is None else bool(stored.session_valid))
    )
    renewing = (
        stored.self_renewing_expires_at
        if info.self_renewing_expires_at is None
        else to_epoch(info.self_renewing_expires_at)
    )
    expires = None if stored.self_renewing else to_epoch(info.expires_at)
    deadline = stored.expires_at if expires is None else expires
    # The read itself says whether the call about the account is refused (596, 412): an answer
    # clears what an earlier refusal said.
    refusal = info.call_refusal
    reason = _reason(error, health, valid, _Deadline(deadline, renewing), checked_at, noun, refusal)
    return AccountVerdict(
        at=int(checked_at.timestamp()),
        expires_at=expires,
        self_renewing_expires_at=renewing,
        reason=reason,
        upstream_error=error,
        health=health,
        session_valid=valid,
        cleared=ReasonCleared(info.account, How.CLEARED.value)
        if reason is None and stored.last_error is not None
        else None,
        changed=reason != stored.last_error or (expires is not None and expires != stored.expires_at),
        unreadable=notes_to_text(info.unreadable),
        answer_expires_at=to_epoch(info.expires_at),
        call_refusal=refusal,
        credits=credit_writes(info.service, info.account, info.credits, at=checked_at),
    )
