"""Doubles of the useapi.net services added after Luma and LTX, one module each.

Each module defines one `ServiceDouble` subclass; `UseapiDouble` discovers them, mounts each on
its `prefix` (e.g. "/v1/kling/") and exposes it as an attribute named by `name` (`ua.kling`).
The shared machinery (recording, fault injection, the bearer-token check) stays in
`UseapiDouble`: a request reaches a service double only after those, so `ua.inject(...)`
works for every service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, ClassVar

from aiohttp import web

from bot.discovery import subclasses_in

from .._common import Recorded, json_response


class ServiceDouble:
    """One service's routes and upstream state. Subclasses set `name`, `prefix` and `handle`."""

    name: ClassVar[str]  # attribute on UseapiDouble
    prefix: ClassVar[str]  # e.g. "/v1/kling/"
    # The documented 401 body of this service.
    unauthorized: ClassVar[dict[str, Any]] = {"error": "Unauthorized"}

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        self.now = now

    # Body fields of a POST that carry a credential (the harness's secret sweep looks for them).
    secret_fields: ClassVar[tuple[str, ...]] = ()

    def taught_secrets(self) -> list[str]:
        """Every credential a test taught this double (passwords, tokens, cookie values)."""
        return []

    def posted_secrets(self, body: dict[str, Any]) -> list[str]:
        """The credentials in a body posted to this service: `secret_fields`, split into the
        cookie values when a field holds a pasted cookie table (override for other shapes)."""
        found: list[str] = []
        for name in self.secret_fields:
            value = body.get(name)
            if isinstance(value, str):
                found.append(value)
        return found

    def handle(self, rec: Recorded) -> web.Response | None:
        """Answer a request under `prefix`; None for a route this double doesn't serve (404)."""
        raise NotImplementedError

    @staticmethod
    def json(body: Any, status: int = 200) -> web.Response:
        return json_response(body, status)


def discover() -> list[type[ServiceDouble]]:
    return subclasses_in(__name__, __path__, ServiceDouble)
