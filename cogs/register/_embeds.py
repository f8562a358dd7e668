"""What a registration looks like: the private answer and the public one-line notice."""

from __future__ import annotations

import discord
from discord.utils import format_dt

from bot.models import IMPLAUSIBLE
from bot.useapi import AccountInfo, Failure, UseapiError, UseapiService
from cogs._format import COLOUR_OK, COLOUR_WARN, label, safe, when


def registration_embed(info: AccountInfo) -> discord.Embed:
    verb = "added" if info.created else "renewed"
    embed = discord.Embed(
        title=f"{label(info.service)} account {verb}",
        description=f"**{safe(info.account)}** is configured on useapi.net.",
        colour=COLOUR_OK if not info.error else COLOUR_WARN,
    )
    expires = when(info.expires_at)
    if info.expires_at is None and any(n.problem == IMPLAUSIBLE for n in info.unreadable):
        expires += " (useapi.net sent an implausible date)"
    embed.add_field(name="Session expires", value=expires, inline=False)
    if info.refresh_expires_at:
        embed.add_field(name="Refresh token expires", value=when(info.refresh_expires_at), inline=False)
    if info.concurrency is not None:
        embed.add_field(name="Concurrency", value=str(info.concurrency))
    if info.max_jobs is not None:
        embed.add_field(name="Max jobs", value=str(info.max_jobs))
    if info.credits_limit is not None or info.credits_usage is not None:
        embed.add_field(
            name="Credits used", value=f"{_num(info.credits_usage)} of {_num(info.credits_limit)}"
        )
    if info.error:
        embed.add_field(name="useapi.net reports", value=safe(info.error, 1000), inline=False)
    return embed


def maybe_added_text(service: UseapiService, error: UseapiError) -> str:
    """The private answer when useapi.net got the credential but its answer was lost: the
    account may have been added, so "nothing was changed" would be wrong."""
    noun = service.credential_noun
    if error.failure is Failure.TIMEOUT:
        what = f"useapi.net did not answer in time, after it had received the {noun}"
    elif error.failure is Failure.CONNECTION:
        what = f"the connection to useapi.net broke after it had received the {noun}, before its answer"
    else:
        what = "the bot could not read useapi.net's answer"
    return (
        f"⚠️ {service.label}: {what}, so the bot can't tell whether it accepted the {noun}. "
        f"The account may have been added: `/accounts` will show it after the next sync, within "
        f"a minute. If it isn't there then, register again."
    )


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def renewal_notice(user_id: int, info: AccountInfo) -> str:
    """The one-line public notice after a successful registration."""
    expiry = (
        f"now expires {format_dt(info.expires_at, 'f')} ({format_dt(info.expires_at, 'R')})"
        if info.expires_at
        else "expiry not reported"
    )
    return f"🔑 <@{user_id}> renewed the {label(info.service)} account **{safe(info.account)}**: {expiry}."
