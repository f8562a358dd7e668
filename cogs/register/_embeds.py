"""What a registration looks like: the private answer and the public one-line notice."""

from __future__ import annotations

import discord
from discord.utils import format_dt

from bot.credits import amount_text
from bot.models import IMPLAUSIBLE
from bot.useapi import AccountInfo, Failure, UseapiError, UseapiService
from cogs._format import COLOUR_OK, COLOUR_WARN, label, left_text, safe, when


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
    left = credits_lines(info)
    if left:
        embed.add_field(name="Credits", value=left, inline=False)
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
        f"The account may have been added: `/accounts list` will show it after the next sync, within "
        f"a minute. If it isn't there then, register again."
    )


def credits_lines(info: AccountInfo) -> str | None:
    """What the answer says the account has left, one figure a line in its own unit (Luma's
    POST: "9,980 of 10,000 credits left (20 used)"); None when it carries no figure."""
    lines = []
    for credit in info.credits[:6]:
        if credit.remaining is None:
            continue
        name = "" if credit.label == credit.unit else f"{safe(credit.label, 40)}: "
        line = name + safe(left_text(credit.remaining, credit.limit, credit.unit), 80)
        if credit.limit is not None and credit.unit != "%" and credit.limit >= credit.remaining:
            line += f" ({amount_text(credit.limit - credit.remaining, credit.unit).rsplit(' ', 1)[0]} used)"
        if credit.resets_at is not None:
            line += f", resets {format_dt(credit.resets_at, 'R')}"
        lines.append(line)
    return "\n".join(lines) or None


def renewal_notice(user_id: int, info: AccountInfo) -> str:
    """The one-line public notice after a successful registration: "added" for an account
    useapi.net created and the bot didn't track, "renewed" otherwise (as the private answer)."""
    expiry = (
        f"now expires {format_dt(info.expires_at, 'f')} ({format_dt(info.expires_at, 'R')})"
        if info.expires_at
        else "expiry not reported"
    )
    verb = "added" if info.created else "renewed"
    return f"🔑 <@{user_id}> {verb} the {label(info.service)} account **{safe(info.account)}**: {expiry}."
