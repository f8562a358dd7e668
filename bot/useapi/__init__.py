"""The useapi.net client: the HTTP transport, typed errors, field readers and the service base.

The services themselves, one module each, live in `bot.services`.
"""

from __future__ import annotations

from bot.useapi.base import AccountInfo, Credit, CreditSource, EmptyList, Transport, UseapiService
from bot.useapi.errors import Failure, UseapiError
from bot.useapi.forms import FormField, Submission

__all__ = [
    "AccountInfo",
    "Credit",
    "CreditSource",
    "EmptyList",
    "Failure",
    "FormField",
    "Submission",
    "Transport",
    "UseapiError",
    "UseapiService",
]
