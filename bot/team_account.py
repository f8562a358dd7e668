"""The team's useapi.net account, as pure decisions: which service an account-summary entry is,
what to warn the team about, which services `SERVICES=auto` switches on, and what the
scheduler remembers between passes (`TeamState`). bot/team_watch.py runs them; the summary is
read by bot/useapi/account.py.

Matching the summary's keys to services (their 2026 spellings are OPEN; the 2025 page shows
display names such as "MiniMax API" and "Runway AP" [sic]). A key and each service's names are
normalised the same way: lower case, every run of punctuation or spaces a word break, then the
trailing words "api", "apis", "ap", "ai" and "v1"…"v9" dropped (as long as a word is left), and
the words joined. A service's names: its key, its label, the route name in its accounts path
("google-flow", "runwayml", "ltxstudio"), its command group ("flow", "vids", "notebook") and its
`summary_names`. A key matches, in this order:
1. a service with a name equal to it ("Runway AP" → "runway"; "PixVerse API v2" → "pixverse");
2. else the service with the longest name (4 characters or more) the key starts with
   ("Google Flow API (Veo 3)" → "googleflowapiveo3" → Google Flow);
3. else the one service with a name of 6 characters or more inside it ("CapCut Dreamina").
A tie at any step, or no match, leaves the key unknown: it is shown under its own name (and
its broken accounts still warned about), never an error. Two keys may match one service
(PixVerse v1 and v2): each keeps its own counts and slot cap.

What the team is warned about (each once per distinct state, re-armed when it clears; a warning
is resolved by an edit when its state clears, like account warnings):
- SUBSCRIPTION: the last readable summary says `subscriptionIsActive` false, or any call
  answered 402 after the last summary that said it is active. Clears when a summary read after
  the last 402 says it is active. Pings.
- TOKEN: useapi.net refused the bot's token (bot/useapi/outcomes.py: 3 bot-token 401s in a row
  across any calls, from 2 routes at least, no 2xx between). Clears at the next 2xx answer.
  Pings.
- ERRORS, per summary entry: its `error` count is above 0. Clears when it is 0 or the entry is
  gone from a readable `accounts`. Pings only for an API the bot does not watch per account
  (no module, or switched off): where it does, each broken account has its own warning.
- SLOTS, per summary entry: `total` ≥ `maxAccountsPerAPI` with `error` above 0: a broken account
  holds a slot. Clears when either stops holding. Does not ping (the ERRORS warning did).
A condition that can't be judged (a count or the flag unreadable, no summary yet) keeps its
state as it was: an odd answer never opens or resolves a warning.

`SERVICES=auto` (`decide_auto`), for each service with a module:
1. retired (its list route answered 404/410 that is not the documented empty list, and the
   last readable summary does not list it with accounts): off;
2. listed in the summary with an account (any count above 0): on;
3. its own list has an account (at start-up when the summary could not be read; `check`): on;
4. the bot tracks accounts of it that useapi.net has not dropped (the summary may name it in a
   way the bot does not recognise): on;
5. nothing readable says otherwise and it was on: kept on;
6. else off. When that leaves nothing on, the services on by default (Luma) are switched on, so
   a team with no account anywhere can register its first one from Discord.
"""

from __future__ import annotations

import enum
import json
import logging
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.clock import from_epoch, to_epoch
from bot.models import TEAM_SERVICE, TEAM_STAGE_PREFIX, WarningKey
from bot.services import DEFAULT_SERVICES, REGISTRY
from bot.useapi import UseapiService
from bot.useapi.account import AccountSummary, ServiceSlots

log = logging.getLogger(__name__)

# -- which service an entry is ------------------------------------------------------------------

_WORDS = re.compile(r"[^0-9a-z]+")
_TRAILING = frozenset({"api", "apis", "ap", "ai", *(f"v{n}" for n in range(1, 10))})
PREFIX_MIN = 4
INSIDE_MIN = 6


def normalize_name(text: str) -> str:
    """A display name or service name as matching compares it: "Runway AP" → "runway"."""
    words = [w for w in _WORDS.split(text.lower()) if w]
    while len(words) > 1 and words[-1] in _TRAILING:
        words.pop()
    return "".join(words)


def names_of(cls: type[UseapiService]) -> frozenset[str]:
    """Every normalised name the summary may give this service."""
    parts = [p for p in cls.accounts_path.split("/") if p]
    route = parts[parts.index("accounts") - 1] if "accounts" in parts[1:] else ""
    raw = (cls.key, cls.label, route, cls.command_group, *cls.summary_names)
    return frozenset(n for n in (normalize_name(r) for r in raw if r) if n)


_NAMES: dict[str, frozenset[str]] = {key: names_of(cls) for key, cls in REGISTRY.items()}


def _only(found: Iterable[str]) -> str | None:
    unique = set(found)
    return unique.pop() if len(unique) == 1 else None


def match_service(display_name: str, names: Mapping[str, frozenset[str]] = _NAMES) -> str | None:
    """The service key a summary entry is about, or None (unknown, or two services fit)."""
    text = normalize_name(display_name)
    if not text:
        return None
    exact = [key for key, known in names.items() if text in known]
    if exact:
        return _only(exact)
    prefixes = [
        (len(n), key)
        for key, known in names.items()
        for n in known
        if len(n) >= PREFIX_MIN and text.startswith(n)
    ]
    if prefixes:
        longest = max(length for length, _ in prefixes)
        return _only(key for length, key in prefixes if length == longest)
    return _only(key for key, known in names.items() for n in known if len(n) >= INSIDE_MIN and n in text)


# -- what the team is warned about ----------------------------------------------------------------


class Kind(enum.Enum):
    SUBSCRIPTION = "subscription"
    TOKEN = "token"  # noqa: S105 - the kind of warning, not a secret
    ERRORS = "errors"
    SLOTS = "slots"

    @property
    def stage(self) -> str:
        return TEAM_STAGE_PREFIX + self.value


def kind_of_stage(stage: str) -> Kind | None:
    """The kind of a team warning's stage ("team:token" → TOKEN); None for any other stage."""
    if not stage.startswith(TEAM_STAGE_PREFIX):
        return None
    try:
        return Kind(stage[len(TEAM_STAGE_PREFIX) :])
    except ValueError:
        return None


@dataclass(frozen=True)
class Topic:
    """One thing the team can be warned about: a kind, and the summary entry for per-API kinds."""

    kind: Kind
    entry: str = ""  # the summary's display name ("Kling API"); "" for the whole account

    @property
    def id(self) -> str:
        return f"{self.kind.value}\x1f{self.entry}"

    @classmethod
    def from_id(cls, raw: str) -> Topic | None:
        kind, _, entry = raw.partition("\x1f")
        try:
            return cls(Kind(kind), entry)
        except ValueError:
            return None

    def key(self, epoch: int) -> WarningKey:
        """The warning about this topic's episode that started at `epoch` (its own nonce)."""
        return WarningKey(TEAM_SERVICE, self.entry, epoch, self.kind.stage)

    @classmethod
    def of_key(cls, key: WarningKey) -> Topic | None:
        kind = kind_of_stage(key.stage)
        return None if kind is None else cls(kind, key.account)


def entry_slots(summary: AccountSummary | None, entry: str) -> ServiceSlots | None:
    for slots in (summary.accounts or ()) if summary else ():
        if slots.name == entry:
            return slots
    return None


def judge(
    topic: Topic,
    summary: AccountSummary | None,
    *,
    payment_refused_since_read: bool,
    token_refused: bool,
    token_accepted: bool,
) -> bool | None:
    """Whether `topic` holds now: True, False, or None (can't be judged: keep its state)."""
    if topic.kind is Kind.SUBSCRIPTION:
        if summary is not None and summary.subscription_active is False:
            return True
        if payment_refused_since_read:
            return True
        return False if summary is not None and summary.subscription_active is True else None
    if topic.kind is Kind.TOKEN:
        return True if token_refused else (False if token_accepted else None)
    if summary is None or summary.accounts is None:
        return None
    slots = entry_slots(summary, topic.entry)
    if slots is None:
        return False  # gone from a readable summary: nothing of it is broken any more
    if topic.kind is Kind.ERRORS:
        return None if slots.error is None else slots.error > 0
    cap, total, errors = summary.max_accounts_per_api, slots.total, slots.error
    if cap is None or total is None or errors is None:
        return None
    return total >= cap > 0 and errors > 0


def topics_to_judge(summary: AccountSummary | None, open_topics: Iterable[Topic]) -> list[Topic]:
    """The account-wide topics, one ERRORS and SLOTS topic per summary entry, and every topic
    with an open episode (an entry gone from the summary is judged too, to resolve it)."""
    found = [Topic(Kind.SUBSCRIPTION), Topic(Kind.TOKEN)]
    for slots in (summary.accounts or ()) if summary else ():
        found += [Topic(Kind.ERRORS, slots.name), Topic(Kind.SLOTS, slots.name)]
    for topic in open_topics:
        if topic not in found:
            found.append(topic)
    return found


@dataclass(frozen=True)
class TeamWarning:
    """A team warning to post: everything its message shows (cogs/alerts/_embeds.py draws it)."""

    key: WarningKey
    topic: Topic
    since: datetime
    summary: AccountSummary | None
    service: str | None = None  # the module the entry matched
    switched_on: bool = False  # that module is watched per account here
    accounts_in_error: tuple[str, ...] = ()  # from the bot's own list of that service
    payment_detail: str | None = None  # useapi.net's text with a 402 (scrubbed)
    summary_says_lapsed: bool = False

    @property
    def slots(self) -> ServiceSlots | None:
        return entry_slots(self.summary, self.topic.entry)

    @property
    def pings(self) -> bool:
        kind = self.topic.kind
        return kind in (Kind.SUBSCRIPTION, Kind.TOKEN) or (kind is Kind.ERRORS and not self.switched_on)


# -- SERVICES=auto ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Whether a service is switched on under SERVICES=auto, and why (for check and the log)."""

    on: bool
    why: str


def listed(summary: AccountSummary | None, key: str) -> tuple[bool | None, tuple[ServiceSlots, ...]]:
    """Whether the summary lists accounts of service `key` (None: it can't say), and its entries."""
    if summary is None or summary.accounts is None:
        return None, ()
    entries = tuple(s for s in summary.accounts if match_service(s.name) == key)
    says = [s.has_accounts for s in entries]
    if any(says):
        return True, entries
    return (None if None in says else False), entries


def decide_auto(
    summary: AccountSummary | None,
    *,
    tracked: Mapping[str, int],
    retired: Collection[str],
    lists: Mapping[str, int | None] | None = None,
    current: Collection[str] | None = None,
    keys: Iterable[str] = tuple(REGISTRY),
    fallback: Iterable[str] = DEFAULT_SERVICES,
) -> dict[str, Verdict]:
    """Each service's verdict under SERVICES=auto (the rules are in this module's docstring).
    `lists`: account counts read from the services' own lists (None for a failed read)."""
    out: dict[str, Verdict] = {}
    for key in keys:
        says, entries = listed(summary, key)
        names = ", ".join(repr(s.name) for s in entries if s.has_accounts)
        counted = (lists or {}).get(key)
        if key in retired and says is not True:
            out[key] = Verdict(
                False, "retired: its routes answer 404/410 and useapi.net's summary doesn't list it"
            )
        elif says:
            total = sum(s.total or 0 for s in entries)
            out[key] = Verdict(True, f"{total} account(s) on useapi.net (listed as {names})")
        elif counted:
            out[key] = Verdict(True, f"{counted} account(s) in its useapi.net list")
        elif tracked.get(key):
            out[key] = Verdict(
                True,
                f"{tracked[key]} account(s) tracked by the bot (useapi.net's summary lists none under a "
                "name the bot recognises)",
            )
        elif says is None and counted is None and current is not None and key in current:
            out[key] = Verdict(True, "kept on: useapi.net could not say whether it has accounts")
        else:
            out[key] = Verdict(False, "no account on useapi.net")
    if not any(v.on for v in out.values()):
        for key in fallback:
            if key in out and key not in retired:
                out[key] = Verdict(
                    True,
                    "no account on any service the bot knows yet: offered by default, so the first "
                    "can be registered from Discord",
                )
    return out


def switched_on(verdicts: Mapping[str, Verdict]) -> tuple[str, ...]:
    return tuple(key for key, verdict in verdicts.items() if verdict.on)


# -- what the scheduler remembers -------------------------------------------------------------------


@dataclass(frozen=True)
class TeamState:
    """The team-account watch's memory (stored as JSON, so it survives a restart).

    `summary` is the last good answer, `read_at` when it was read; a failed read changes
    neither. `episodes` maps each topic that holds to when it started (its warning's epoch);
    `retired` each service seen retired to since when; `switched_on` the last SERVICES=auto
    decision (kept for a restart where nothing can be read)."""

    summary: AccountSummary | None = None
    read_at: datetime | None = None
    last_attempt_at: datetime | None = None
    outcome: str = "not read yet"
    failures: int = 0  # failed reads in a row
    next_at: datetime | None = None
    episodes: Mapping[str, int] = field(default_factory=dict)
    last_epochs: Mapping[str, int] = field(default_factory=dict)  # each topic's latest epoch
    retired: Mapping[str, int] = field(default_factory=dict)
    switched_on: tuple[str, ...] | None = None

    def is_due(self, now: datetime) -> bool:
        return self.next_at is None or now >= self.next_at

    def open_topics(self) -> list[Topic]:
        return [t for t in (Topic.from_id(raw) for raw in self.episodes) if t is not None]

    def start(self, topic: Topic, now: datetime) -> TeamState:
        """`topic` holds from now: a new episode, with an epoch of its own (never an earlier
        episode's, so the warning gets its own nonce)."""
        epoch = max(int(now.timestamp()), self.last_epochs.get(topic.id, 0) + 1)
        return replace(
            self,
            episodes={**self.episodes, topic.id: epoch},
            last_epochs={**self.last_epochs, topic.id: epoch},
        )

    def end(self, topic: Topic) -> TeamState:
        return replace(self, episodes={k: v for k, v in self.episodes.items() if k != topic.id})

    def to_json(self) -> str:
        return json.dumps(
            {
                "summary": self.summary.to_json() if self.summary else None,
                "read_at": to_epoch(self.read_at),
                "last_attempt_at": to_epoch(self.last_attempt_at),
                "outcome": self.outcome,
                "failures": self.failures,
                "next_at": to_epoch(self.next_at),
                "episodes": dict(self.episodes),
                "last_epochs": dict(self.last_epochs),
                "retired": dict(self.retired),
                "switched_on": list(self.switched_on) if self.switched_on is not None else None,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str | None) -> TeamState:
        """Tolerant: an unreadable state is a fresh one (the next pass reads the summary)."""
        if not raw:
            return cls()
        try:
            data: Any = json.loads(raw)
            on = data.get("switched_on")
            return cls(
                summary=AccountSummary.from_json(data.get("summary")),
                read_at=from_epoch(_int(data.get("read_at"))),
                last_attempt_at=from_epoch(_int(data.get("last_attempt_at"))),
                outcome=str(data.get("outcome", "not read yet"))[:300],
                failures=max(0, int(data.get("failures", 0))),
                next_at=from_epoch(_int(data.get("next_at"))),
                episodes=_epochs(data.get("episodes")),
                last_epochs=_epochs(data.get("last_epochs")),
                retired={k: v for k, v in _epochs(data.get("retired")).items() if k in REGISTRY},
                switched_on=None if on is None else tuple(k for k in on if k in REGISTRY),
            )
        except (ValueError, TypeError, AttributeError, OverflowError):
            log.warning("unreadable team-account state; starting afresh")
            return cls()


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _epochs(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    return {str(k): int(v) for k, v in value.items() if isinstance(v, int) and not isinstance(v, bool)}
