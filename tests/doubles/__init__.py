"""Local doubles of Discord (REST + gateway) and useapi.net for tests; see each module's docstring."""

from .discord_double import CallbackResult, DiscordDouble, FakeMember
from .useapi_double import UseapiDouble

__all__ = ["CallbackResult", "DiscordDouble", "FakeMember", "UseapiDouble"]
