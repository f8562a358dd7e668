"""Formatting every extension shares: escaping upstream text, Discord timestamps, labels, colours."""

from __future__ import annotations

from datetime import datetime

import discord
from discord.utils import escape_markdown, escape_mentions, format_dt

from bot.credits import amount_text
from bot.services import label as label

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


def left_text(remaining: float | None, allowance: float | None, unit: str) -> str:
    """What a figure has left, in its own unit: "480 of 500 credits left", "8% left"."""
    if remaining is None:
        return "unknown"
    if allowance is not None and unit != "%":
        of = amount_text(allowance, unit)
        number = amount_text(remaining, unit).rsplit(" ", 1)[0]
        return f"{number} of {of} left"
    return f"{amount_text(remaining, unit)} left"
