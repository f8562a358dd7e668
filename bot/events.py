"""The bot's own events, dispatched by one extension and heard by another.

discord.py's `bot.dispatch(EVENT, *args)` calls every listener registered as `on_<event>`: a
dispatch uses the event's name here, a listener `@commands.Cog.listener(ON_…)`, so the two
cannot drift apart. Nothing waits for a listener; without one (the alerts cog unloaded) nothing
happens.
"""

from __future__ import annotations

# A registration was stored; args: (info: AccountInfo). The alerts cog plans again at once.
ACCOUNT_REGISTERED = "account_registered"
ON_ACCOUNT_REGISTERED = f"on_{ACCOUNT_REGISTERED}"

# An account is no longer tracked (`/<service> remove`); args: (service_key: str, account: str,
# actor_id: int | None). The alerts cog resolves its open warnings as removed.
ACCOUNT_REMOVED = "account_removed"
ON_ACCOUNT_REMOVED = f"on_{ACCOUNT_REMOVED}"
