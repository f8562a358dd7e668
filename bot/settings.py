"""Every setting the bot keeps in its database (the `settings` table), named once, with its type
and default, read and written through typed accessors.

The environment (bot/config.py) says how the bot is deployed; these are what admins change from
Discord (`/alerts …`) and what the scheduler remembers between passes. A key with `{service}` in
its name exists once per service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from bot.store import Store

T = TypeVar("T")


def _snowflake(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else None


def _text(raw: str) -> str | None:
    return raw


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One stored setting. An unset or unreadable value reads as `default`."""

    key: str
    decode: Callable[[str], T | None]
    encode: Callable[[T], str]
    default: T | None = None

    def name(self, service: str | None = None) -> str:
        if "{service}" in self.key:
            if service is None:
                raise ValueError(f"setting {self.key!r} is per service: name the service")
            return self.key.format(service=service)
        return self.key

    async def get(self, store: Store, service: str | None = None) -> T | None:
        raw = await store.get_setting(self.name(service))
        if raw is None:
            return self.default
        decoded = self.decode(raw)
        return self.default if decoded is None else decoded

    async def raw(self, store: Store, service: str | None = None) -> str | None:
        return await store.get_setting(self.name(service))

    async def set(self, store: Store, value: T | None, service: str | None = None) -> None:
        """Store `value`; None removes the setting (back to the default)."""
        await store.set_setting(self.name(service), None if value is None else self.encode(value))


# `/alerts channel`: where warnings go (unset: ALERT_CHANNEL_ID).
ALERT_CHANNEL = Setting[int]("alert_channel_id", _snowflake, str)
# `/alerts mention`: the role a warning pings (unset: nobody).
MENTION_ROLE = Setting[int]("alert_mention_role_id", _snowflake, str)
# `/alerts stages`: a service's lead times as typed, e.g. "72h,24h,6h" (unset: the defaults;
# bot.watch parses them, so an unreadable value falls back there, with a log line).
STAGES = Setting[str]("stages:{service}", _text, str)
# `/alerts reminders`: a service's reminder interval as typed ("12h"), or "off" (unset:
# REMINDER_INTERVAL; bot.watch parses it, an unreadable value falls back there, with a log line).
REMINDERS = Setting[str]("reminders:{service}", _text, str)
# `/alerts credits`: a service's credit thresholds as `bot.credits.encode_thresholds` writes them
# ("credits 100, 5h 10%"; unset: none, the default). bot.credits reads them tolerantly.
CREDIT_THRESHOLDS = Setting[str]("credit_thresholds:{service}", _text, str)
# Unix seconds of the scheduler's last pass; `python -m bot healthcheck` reads it with sqlite3.
# A bot clears it when it starts (until its own scheduler runs) and when it stops.
HEARTBEAT = Setting[int](
    "scheduler_heartbeat", lambda raw: int(raw) if raw.lstrip("-").isdigit() else None, str
)
# Unix seconds of the last stop of a bot on this database, written as it clears HEARTBEAT, so
# `healthcheck` can say the bot stopped rather than that it never ran; cleared when one starts.
STOPPED_AT = Setting[int]("stopped_at", lambda raw: int(raw) if raw.isdigit() else None, str)
# The scheduler's memory of a service's account-list sync (bot.sync.SyncState, as JSON).
SYNC_STATE = Setting[str]("sync:{service}", _text, str)
# The team-account watch's memory (bot.team_account.TeamState, as JSON): the last good answer of
# GET /v2/account, when to read it next, the open team warnings' episodes, retired services.
TEAM_ACCOUNT = Setting[str]("team_account", _text, str)
# What the bot last learned about posting to the alert channel (bot.deliverability.Blocked, as
# JSON): a 403, a 404 or Discord out of reach, and when it is tried again; `check` shows it.
DELIVERY_PROBLEM = Setting[str]("delivery_problem", _text, str)
# `/alerts channel [channel] service`: a service's own channel (unset: the team's channel above).
SERVICE_CHANNEL = Setting[int]("alert_channel_id:{service}", _snowflake, str)
# A service's own channel that Discord refused (bot/routing.py): "<channel id>:deleted" or
# "<channel id>:forbidden", written when the team's channel was told so (once per channel).
SERVICE_CHANNEL_BROKEN = Setting[str]("alert_channel_broken:{service}", _text, str)
# `/alerts quiet`: the team's quiet hours as "22:00-07:00 Europe/Berlin" (unset: none; bot.quiet
# parses them, an unreadable value counts as none, with a log line).
QUIET_HOURS = Setting[str]("quiet_hours", _text, str)
# `/alerts escalate`: the second role pinged about a last-word warning nobody took, and after
# how long, as typed ("2h"); unset: no escalation (bot/escalation.py).
ESCALATE_ROLE = Setting[int]("escalate_role_id", _snowflake, str)
ESCALATE_AFTER = Setting[str]("escalate_after", _text, str)
# A hash of the application commands last synced to Discord, so a restart with the same
# commands doesn't spend Discord's daily command-update allowance.
SYNCED_COMMANDS = Setting[str]("synced_commands_hash", _text, str)
# `/alerts board`: the live status board (bot.board.BoardState, as JSON): its channel and
# message, what it last showed, when it was last edited, and why it stopped (unset: no board).
BOARD = Setting[str]("status_board", _text, str)
# `/alerts digest`: the weekly digest's schedule (bot.digest.DigestSchedule, as JSON; unset: off).
DIGEST_SCHEDULE = Setting[str]("digest_schedule", _text, str)
# The last week a digest was handled for (bot.digest.DigestRecord, as JSON): sent, or nothing to say.
DIGEST_RECORD = Setting[str]("digest_record", _text, str)
# The team's useapi.net subscription as the team account watch last read it (GET /v2/account), as
# JSON {"state": "...", "detail": "...", "checked_at": <unix seconds>}; read by
# bot.board.team_subscription, which says "unknown" while nothing is stored.

ALL: tuple[Setting[int] | Setting[str], ...] = (
    ALERT_CHANNEL,
    MENTION_ROLE,
    STAGES,
    REMINDERS,
    CREDIT_THRESHOLDS,
    HEARTBEAT,
    STOPPED_AT,
    SYNC_STATE,
    TEAM_ACCOUNT,
    DELIVERY_PROBLEM,
    SYNCED_COMMANDS,
    BOARD,
    DIGEST_SCHEDULE,
    DIGEST_RECORD,
    SERVICE_CHANNEL,
    SERVICE_CHANNEL_BROKEN,
    QUIET_HOURS,
    ESCALATE_ROLE,
    ESCALATE_AFTER,
)
