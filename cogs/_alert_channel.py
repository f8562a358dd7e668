"""The one way to write to the alert channel: post, reply to a message, edit or delete a message.

Every failure becomes a `bot.delivery.DeliveryError` with a sentence for people and the log: no
channel configured, missing permission (403), channel or message gone (404), any other answer
from Discord, Discord unreachable. The alerts cog (warnings, reminders, edits, notices) and the
public renewal notice of cogs/register use it, so the same failure reads the same everywhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.delivery import DeliveryError

if TYPE_CHECKING:
    from bot.app import WardenBot

NO_CHANNEL = "no alert channel is set (use /alerts channel or ALERT_CHANNEL_ID)"
UNKNOWN_MESSAGE = 10008  # Discord's JSON error code: the message was deleted


@contextlib.contextmanager
def _delivery(*, editing: bool = False) -> Iterator[None]:
    try:
        yield
    except discord.Forbidden as exc:
        raise DeliveryError(
            "the bot lacks permission in the alert channel (needs View Channel, Send Messages, "
            f"Embed Links; Discord said: {exc.text or exc.status})",
            channel_wide=True,
            forbidden=True,
        ) from None
    except discord.NotFound as exc:
        if editing and exc.code == UNKNOWN_MESSAGE:
            raise DeliveryError(
                "the warning message was deleted", channel_wide=False, message_gone=True
            ) from None
        raise DeliveryError(
            "the alert channel no longer exists; set another with /alerts channel",
            channel_wide=True,
            message_gone=editing,
            channel_gone=True,
        ) from None
    except discord.HTTPException as exc:
        raise DeliveryError(
            f"Discord answered HTTP {exc.status}: {exc.text or 'no detail'}"[:300], channel_wide=False
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise DeliveryError(f"could not reach Discord ({type(exc).__name__})", channel_wide=True) from None


async def _channel(bot: WardenBot, channel_id: int | None = None) -> discord.PartialMessageable:
    channel_id = channel_id or await bot.alert_channel_id()
    if channel_id is None:
        raise DeliveryError(NO_CHANNEL, channel_wide=True, unconfigured=True)
    return bot.get_partial_messageable(channel_id)


async def post(bot: WardenBot, *, channel_id: int | None = None, **kwargs: Any) -> discord.Message:
    """Send a message to the alert channel, or to `channel_id` (`channel.send` arguments); nobody
    is pinged unless `allowed_mentions` says so."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    channel = await _channel(bot, channel_id)
    with _delivery():
        return await channel.send(**kwargs)


async def reply(bot: WardenBot, channel_id: int | None, message_id: int, **kwargs: Any) -> discord.Message:
    """Send a reply to `message_id` in its channel (a plain message if it was deleted)."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    channel = await _channel(bot, channel_id)
    reference = discord.MessageReference(
        message_id=message_id, channel_id=channel.id, fail_if_not_exists=False
    )
    with _delivery():
        return await channel.send(reference=reference, mention_author=False, **kwargs)


async def edit(bot: WardenBot, channel_id: int | None, message_id: int, **kwargs: Any) -> None:
    """Edit one of the bot's messages (`Message.edit` arguments: what is left out stays)."""
    channel = await _channel(bot, channel_id)
    with _delivery(editing=True):
        await channel.get_partial_message(message_id).edit(**kwargs)


async def delete(bot: WardenBot, channel_id: int | None, message_id: int) -> None:
    """Delete one of the bot's messages (a status board it replaces or stops)."""
    channel = await _channel(bot, channel_id)
    with _delivery(editing=True):
        await channel.get_partial_message(message_id).delete()
