"""What the bot opens once and hands to what needs it (see `WardenBot.open_resources`): here, the
useapi.net HTTP client and the services built on it, shared by the bot and `python -m bot check`.

The service registry (bot/services) knows nothing of the settings; this module joins the two,
so bot.config and bot.services import neither each other nor a module that imports the other.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from bot.config import Settings
from bot.services import KNOWN_SERVICES, build_services
from bot.useapi import UseapiService


def open_useapi(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    enabled: Iterable[str] | None = None,
    user_agent: str = "session-warden/0.1",
) -> tuple[httpx.AsyncClient, dict[str, UseapiService]]:
    """The HTTP client (USEAPI_TIMEOUT) and the services built on it (default: SERVICES, or every
    service under SERVICES=auto), for the bot and `check` alike; the caller closes the client."""
    timeout = settings.useapi_timeout.total_seconds()
    http = httpx.AsyncClient(transport=transport, timeout=timeout, headers={"User-Agent": user_agent})
    services = build_services(
        http,
        base_url=settings.useapi_base_url,
        token=settings.useapi_token,
        timeout=timeout,
        enabled=tuple(
            enabled
            if enabled is not None
            else KNOWN_SERVICES
            if settings.auto_services
            else settings.services
        ),
    )
    return http, services
