"""The one way to write to the alert channel: post, reply to a message, edit or delete a message.

Every failure becomes a `bot.delivery.DeliveryError` with a sentence for people and the log: no
channel configured, missing permission (403), channel or message gone (404), any other answer
from Discord, Discord unreachable. The alerts cog (warnings, reminders, edits, notices) and the
public renewal notice of cogs/register use it, so the same failure reads the same everywhere.

What each post or reply shows is told to the bot's `Deliverability` (bot/deliverability.py): a
403, a 404 or Discord out of reach is learned, so the scheduler stops trying (and stops reading
useapi.net for warnings) until it can work again; a successful post clears it. Failures are
counted by kind for the metrics (bot/metrics.py).

A post about a service goes where bot/routing.py says: the service's own channel, else the
team's. When the service's own channel refuses (deleted, or the permission taken away) the post
goes to the team's channel at once, and the team's channel is told, once per refusing channel.
A reply whose warning's channel refuses becomes a plain post where the service's posts go now.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot import metrics, settings
from bot.delivery import NO_CHANNEL, DeliveryError, Problem
from bot.routing import Broken, Route, Via, route_for
from cogs._format import label

if TYPE_CHECKING:
    from bot.app import WardenBot

__all__ = ["NO_CHANNEL", "delete", "edit", "post", "reply", "route"]

log = logging.getLogger(__name__)

UNKNOWN_MESSAGE = 10008  # Discord's JSON error code: the message was deleted


def _delivery_error(exc: Exception, *, editing: bool) -> DeliveryError | None:
    """The DeliveryError a Discord failure is, or None for anything else."""
    if isinstance(exc, discord.Forbidden):
        return DeliveryError(
            "the bot lacks permission in the alert channel (needs View Channel, Send Messages, "
            f"Embed Links; Discord said: {exc.text or exc.status})",
            channel_wide=True,
            problem=Problem.FORBIDDEN,
        )
    if isinstance(exc, discord.NotFound):
        if editing and exc.code == UNKNOWN_MESSAGE:
            return DeliveryError("the warning message was deleted", channel_wide=False, message_gone=True)
        return DeliveryError(
            "the alert channel no longer exists; set another with /alerts channel",
            channel_wide=True,
            message_gone=editing,
            problem=Problem.CHANNEL_GONE,
        )
    if isinstance(exc, discord.HTTPException):
        return DeliveryError(
            f"Discord answered HTTP {exc.status}: {exc.text or 'no detail'}"[:300], channel_wide=False
        )
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError):
        return DeliveryError(
            f"could not reach Discord ({type(exc).__name__})", channel_wide=True, problem=Problem.UNREACHABLE
        )
    return None


@contextlib.asynccontextmanager
async def _delivery(bot: WardenBot, channel_id: int, action: str) -> AsyncIterator[None]:
    """Turn Discord's failures into DeliveryError, and tell the bot's Deliverability."""
    try:
        yield
    except Exception as exc:
        error = _delivery_error(exc, editing=action in ("edit", "delete"))
        if error is None:
            raise
        metrics.record_delivery_failure(action, error.problem)
        # Learned from posts only: an edit needs other permissions than a post, and a refused
        # edit is already retried a few times at most, then given up (bot/watch.py).
        if action in ("post", "reply"):
            await bot.delivery.learn(channel_id, error)
        raise error from None
    if action == "edit":
        metrics.record_edit()
    elif action in ("post", "reply"):
        await bot.delivery.delivered(channel_id)


async def _channel(bot: WardenBot, channel_id: int | None = None) -> discord.PartialMessageable:
    channel_id = channel_id or await bot.alert_channel_id()
    if channel_id is None:
        metrics.record_delivery_failure("post", Problem.UNCONFIGURED)
        raise DeliveryError(NO_CHANNEL, channel_wide=True, unconfigured=True)
    return bot.get_partial_messageable(channel_id)


async def route(bot: WardenBot, service: str | None) -> Route:
    """Where a post about `service` goes now (bot/routing.py), with the stored settings."""
    return await route_for(bot.store, service, await bot.alert_channel_id())


async def _send(bot: WardenBot, channel_id: int | None, **kwargs: Any) -> discord.Message:
    channel = await _channel(bot, channel_id)
    async with _delivery(bot, channel.id, "post"):
        message = await channel.send(**kwargs)
    return message


async def post(
    bot: WardenBot, *, service: str | None = None, channel_id: int | None = None, **kwargs: Any
) -> discord.Message:
    """Send a message where posts about `service` go (None: the team's channel), or to
    `channel_id` (the status board's own), with `channel.send` arguments; nobody is pinged
    unless `allowed_mentions` says so."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    if channel_id is not None:
        return await _send(bot, channel_id, **kwargs)
    where = await route(bot, service)
    if service is None or not where.tries_own_first:
        return await _send(bot, where.channel_id, **kwargs)
    try:
        message = await _send(bot, where.channel_id, **kwargs)
    except DeliveryError as exc:
        if exc.refused is None or where.own_channel_id is None:
            raise
        log.warning("%s's channel refused a post (%s); posting in the team's channel", service, exc)
        await _tell_the_team(bot, service, where.own_channel_id, exc.refused)
        return await _send(bot, await bot.alert_channel_id(), **kwargs)
    if where.broken is not None:  # it works again: a later refusal is said again
        await settings.SERVICE_CHANNEL_BROKEN.set(bot.store, None, service)
    return message


async def _tell_the_team(bot: WardenBot, service: str, channel_id: int, why: str) -> None:
    """Say in the team's channel, once per refusing channel, that `service`'s posts come there."""
    mark = Broken(channel_id, why)
    if await settings.SERVICE_CHANNEL_BROKEN.get(bot.store, service) == mark.text():
        return
    if why == "deleted":
        problem = f"<#{channel_id}> no longer exists"
        until = "until an admin picks another channel for them"
    else:
        problem = f"the bot may not post in <#{channel_id}> (it needs View Channel, Send Messages and Embed Links there)"
        until = "until it may again"
    text = (
        f"⚠️ {label(service)} warnings can't be posted in their channel: {problem}. They come here "
        f"{until} (`/alerts channel`)."
    )
    await _send(
        bot, await bot.alert_channel_id(), content=text, allowed_mentions=discord.AllowedMentions.none()
    )
    await settings.SERVICE_CHANNEL_BROKEN.set(bot.store, mark.text(), service)


async def reply(
    bot: WardenBot, channel_id: int | None, message_id: int, *, service: str | None = None, **kwargs: Any
) -> discord.Message:
    """Send a reply to `message_id` in its channel (a plain message if it was deleted). When
    that channel refuses (deleted, forbidden) and `service` is given, a plain post where posts
    about `service` go now."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    channel = await _channel(bot, channel_id)
    reference = discord.MessageReference(
        message_id=message_id, channel_id=channel.id, fail_if_not_exists=False
    )
    try:
        async with _delivery(bot, channel.id, "reply"):
            message = await channel.send(reference=reference, mention_author=False, **kwargs)
        return message
    except DeliveryError as exc:
        if exc.refused is None or service is None:
            raise
        where = await route(bot, service)
        if where.channel_id == channel.id and where.via is not Via.SERVICE:
            raise
        log.warning(
            "the channel of a %s warning refused a reply (%s); posting it where its posts go", service, exc
        )
        return await post(bot, service=service, **kwargs)


async def edit(bot: WardenBot, channel_id: int | None, message_id: int, **kwargs: Any) -> None:
    """Edit one of the bot's messages (`Message.edit` arguments: what is left out stays)."""
    channel = await _channel(bot, channel_id)
    async with _delivery(bot, channel.id, "edit"):
        await channel.get_partial_message(message_id).edit(**kwargs)


async def delete(bot: WardenBot, channel_id: int | None, message_id: int) -> None:
    """Delete one of the bot's messages (a status board it replaces or stops)."""
    channel = await _channel(bot, channel_id)
    async with _delivery(bot, channel.id, "delete"):
        await channel.get_partial_message(message_id).delete()
