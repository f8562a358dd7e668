"""The expiry watch in Discord: the scheduler loop and `/alerts` (`_cog.py`), and what warnings,
notices and the status look like (`_embeds.py`). The decisions live in bot/watch.py and
bot/expiry.py."""

from __future__ import annotations

from cogs.alerts._cog import AlertsCog, setup

__all__ = ["AlertsCog", "setup"]
