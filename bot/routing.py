"""Where a service's posts go: its own channel (`/alerts channel [channel] service`), else the
team's channel (`/alerts channel`, else ALERT_CHANNEL_ID).

`routing()` is the one answer, a pure function of the settings: the channel and why. Everything
that posts about a service asks it (warnings, reminders' fallback, escalations, sync notices,
the renewal notice; cogs/_alert_channel.py), `/alerts status` shows it, and a deliverability
check ("can a warning about this service be delivered now?") can ask it per service.

A service's own channel that Discord refuses falls back to the team's channel, and the team's
channel is told once (cogs/_alert_channel.py records that here, SERVICE_CHANNEL_BROKEN):
- deleted (404): every post goes to the team's channel until an admin picks another channel;
- forbidden (403): every post still tries the service's channel first (an admin may give the
  permission back) and falls back on each refusal; the first post that works clears the mark.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, NamedTuple

from bot import settings

if TYPE_CHECKING:
    from bot.store import Store


class Via(enum.Enum):
    SERVICE = "service"  # the service's own channel
    TEAM = "team"  # the team's channel: the service has none of its own
    FALLBACK = "fallback"  # the team's channel: the service's own was deleted
    NONE = "none"  # no channel at all


class Broken(NamedTuple):
    channel_id: int
    why: str  # "deleted" or "forbidden"

    def text(self) -> str:
        return f"{self.channel_id}:{self.why}"


def parse_broken(raw: str | None) -> Broken | None:
    if not raw:
        return None
    channel, _, why = raw.partition(":")
    if not channel.isdigit() or why not in ("deleted", "forbidden"):
        return None
    return Broken(int(channel), why)


class Route(NamedTuple):
    """Where a service's next post goes, and why (for `/alerts status` and the log)."""

    channel_id: int | None
    via: Via
    own_channel_id: int | None = None  # the service's own channel, when it has one
    broken: Broken | None = None  # its refusal on record, when there is one

    @property
    def tries_own_first(self) -> bool:
        """Posting tries the service's own channel (falling back to the team's on a refusal)."""
        return self.via is Via.SERVICE


def routing(
    service: str | None, *, team_channel: int | None, own_channel: int | None, broken: Broken | None
) -> Route:
    """Where a post about `service` goes (None: a post about no service, the team's channel)."""
    if service is None or own_channel is None:
        return Route(team_channel, Via.TEAM if team_channel else Via.NONE)
    mark = broken if broken is not None and broken.channel_id == own_channel else None
    if mark is not None and mark.why == "deleted":
        return Route(team_channel, Via.FALLBACK if team_channel else Via.NONE, own_channel, mark)
    return Route(own_channel, Via.SERVICE, own_channel, mark)


async def route_for(store: Store, service: str | None, team_channel: int | None) -> Route:
    """`routing()` with the stored settings."""
    if service is None:
        return routing(None, team_channel=team_channel, own_channel=None, broken=None)
    return routing(
        service,
        team_channel=team_channel,
        own_channel=await settings.SERVICE_CHANNEL.get(store, service),
        broken=parse_broken(await settings.SERVICE_CHANNEL_BROKEN.get(store, service)),
    )


async def delivery_channel(store: Store, service: str | None, team_channel: int | None) -> int | None:
    """The channel a warning about `service` reaches now, for the deliverability gate
    (bot/deliverability.py): its own, or the team's once its own refused (posts fall back there,
    so a refusing service channel never holds that service's warnings)."""
    where = await route_for(store, service, team_channel)
    if where.via is Via.SERVICE and where.broken is not None:
        return team_channel
    return where.channel_id
