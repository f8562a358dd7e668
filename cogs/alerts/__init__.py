"""The expiry watch in Discord, one module per job (python-discord's help_channels layout):

- `_cog.py`: the scheduler loop, the events that wake it, the senders (AlertsCog);
- `_commands.py`: `/alerts …` (AlertsCommands), driving the loop through AlertsCog;
- `_embeds.py`: what warnings, notices and the status look like;
- `_claim.py`: the I'm on it button.

The decisions live in bot/watch.py and bot/expiry.py.
"""

from __future__ import annotations

from bot.app import WardenBot
from cogs.alerts._cog import AlertsCog
from cogs.alerts._commands import AlertsCommands

__all__ = ["AlertsCog", "AlertsCommands", "setup"]


async def setup(bot: WardenBot) -> None:
    alerts = AlertsCog(bot)
    await bot.add_cog(alerts)
    await bot.add_cog(AlertsCommands(bot, alerts))
