"""How accounts look in Discord. Upstream text is escaped so it can't format, ping or overflow."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import discord
from discord.utils import escape_markdown, escape_mentions, format_dt

from bot.models import TrackedAccount
from bot.services import REGISTRY
from bot.services import label as label
from bot.useapi import AccountInfo

COLOUR_OK = discord.Colour.green()
COLOUR_WARN = discord.Colour.orange()
COLOUR_INFO = discord.Colour.blurple()
DESCRIPTION_LIMIT = 4096


def safe(text: str | None, limit: int = 200) -> str:
    """Upstream or user text shown literally: no markdown, no mentions, bounded length."""
    if not text:
        return ""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return escape_mentions(escape_markdown(cleaned))


def when(value: datetime | None) -> str:
    """Absolute and relative Discord timestamps, or 'unknown'."""
    if value is None:
        return "unknown"
    return f"{format_dt(value, 'F')} ({format_dt(value, 'R')})"


def registration_embed(info: AccountInfo) -> discord.Embed:
    verb = "added" if info.created else "renewed"
    embed = discord.Embed(
        title=f"{label(info.service)} account {verb}",
        description=f"**{safe(info.account)}** is configured on useapi.net.",
        colour=COLOUR_OK if not info.error else COLOUR_WARN,
    )
    embed.add_field(name="Session expires", value=when(info.expires_at), inline=False)
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


def _account_line(acc: TrackedAccount) -> str:
    parts = [f"**{label(acc.service)}** · {safe(acc.account, 80)}"]
    if acc.expires_at is None:
        parts.append("expiry unknown")
    else:
        parts.append(f"expires {format_dt(acc.expires_at, 'R')} ({format_dt(acc.expires_at, 'f')})")
    if acc.registered_by and acc.registered_at:
        parts.append(f"renewed by <@{acc.registered_by}> {format_dt(acc.registered_at, 'R')}")
    elif acc.registered_at is None:
        parts.append("configured outside the bot")
    line = " · ".join(parts)
    if acc.gone_at:
        line += "\n  ⚠️ no longer on useapi.net"
    if acc.last_error:
        line += f"\n  ⚠️ useapi.net: {safe(acc.last_error, 150)}"
    return line


def accounts_embed(accounts: Sequence[TrackedAccount], services: Iterable[str]) -> discord.Embed:
    """Every tracked account, in the order given (soonest expiry first), within embed limits."""
    embed = discord.Embed(title="Tracked accounts", colour=COLOUR_INFO)
    if not accounts:
        commands = " or ".join(f"`/{REGISTRY[key].command_group} register`" for key in services)
        embed.description = f"No accounts are tracked yet. Register one with {commands}."
        return embed
    lines: list[str] = []
    used = 0
    for index, acc in enumerate(accounts):
        line = _account_line(acc)
        remaining = len(accounts) - index
        tail = f"\n…and {remaining} more." if remaining else ""
        if used + len(line) + 1 + len(tail) > DESCRIPTION_LIMIT - 40:
            lines.append(f"…and {remaining} more.")
            break
        lines.append(line)
        used += len(line) + 1
    embed.description = "\n".join(lines)
    embed.set_footer(text=f"{len(accounts)} account(s), soonest expiry first")
    return embed
