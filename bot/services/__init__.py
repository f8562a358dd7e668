"""The useapi.net services Session Warden knows: one module each in this package.

Adding a service is one new module here defining a `UseapiService` subclass (see luma.py):
it is discovered, so nothing else is edited. Config (`SERVICES`), the register commands and
forms, labels, `/alerts` choices, `check` and the README test all read from `REGISTRY`.
"""

from __future__ import annotations

import httpx

from bot import metrics
from bot.discovery import subclasses_in
from bot.useapi.base import Transport, UseapiService


def _discover() -> dict[str, type[UseapiService]]:
    found = subclasses_in(__name__, __path__, UseapiService)
    found.sort(key=lambda cls: (cls.order, cls.key))
    registry = {cls.key: cls for cls in found}
    if len(registry) != len(found):
        raise RuntimeError("two useapi.net service modules use the same key")
    return registry


# key -> service class, in display order.
REGISTRY: dict[str, type[UseapiService]] = _discover()
KNOWN_SERVICES: tuple[str, ...] = tuple(REGISTRY)
DEFAULT_SERVICES: tuple[str, ...] = tuple(k for k, cls in REGISTRY.items() if cls.on_by_default)
# The metrics name each useapi.net call by the service its route belongs to.
metrics.name_useapi_routes({cls.accounts_path: key for key, cls in REGISTRY.items()})


def register_command(service: str) -> str:
    """The command a person types to renew an account of `service`: `/flow register` for Google
    Flow (its command group, not its key); an unknown key is shown as is."""
    known = REGISTRY.get(service)
    return f"/{known.command_group if known else service} register"


def label(service: str) -> str:
    """The name people read; an unknown key (an account of a removed service) is shown as is."""
    known = REGISTRY.get(service)
    return known.label if known else service


def build_services(
    http: httpx.AsyncClient, *, base_url: str, token: str, timeout: float, enabled: tuple[str, ...]
) -> dict[str, UseapiService]:
    """The switched-on services, sharing one transport (one HTTP client, one token)."""
    transport = Transport(http, base_url, token, timeout)
    return {key: REGISTRY[key](transport) for key in enabled}
