"""useapi.net client: one module per service behind `UseapiService`.

Adding a service with the same accounts pattern means one new module and one
entry in SERVICE_CLASSES.
"""

from __future__ import annotations

import httpx

from bot.useapi.base import AccountInfo, Transport, UseapiService
from bot.useapi.errors import Failure, UseapiError
from bot.useapi.ltx import LtxService
from bot.useapi.luma import LumaService

SERVICE_CLASSES: dict[str, type[UseapiService]] = {
    LumaService.key: LumaService,
    LtxService.key: LtxService,
}

__all__ = [
    "SERVICE_CLASSES",
    "AccountInfo",
    "Failure",
    "LtxService",
    "LumaService",
    "Transport",
    "UseapiError",
    "UseapiService",
    "build_services",
]


def build_services(
    http: httpx.AsyncClient, *, base_url: str, token: str, timeout: float, enabled: tuple[str, ...]
) -> dict[str, UseapiService]:
    transport = Transport(http, base_url, token, timeout)
    return {key: SERVICE_CLASSES[key](transport) for key in enabled}
