"""Luma Dream Machine on useapi.net: accounts configured from the `luma_session` cookie."""

from __future__ import annotations

from typing import Any

from bot.cookies import parse_luma_session
from bot.useapi.base import AccountInfo, UseapiService
from bot.useapi.parsing import (
    FieldError,
    optional_bool,
    optional_int,
    optional_number,
    optional_str,
    parse_luma_expires,
)


class LumaService(UseapiService):
    key = "luma"
    label = "Luma"
    accounts_path = "/v1/luma/accounts"

    def parse_credential(self, raw: str) -> str:
        return parse_luma_session(raw)

    def registration_body(self, credential: str, max_jobs: int | None) -> dict[str, Any]:
        return {"session": credential}

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        credits = obj.get("credits")
        usage = limit = None
        if credits is not None:
            if not isinstance(credits, dict):
                raise FieldError(f"credits should be an object or null, got {type(credits).__name__}")
            usage = optional_number(credits, "usage")
            limit = optional_number(credits, "limit")
        account = optional_str(obj, "account", limit=320) or optional_str(obj, "email", limit=320) or key
        return AccountInfo(
            service=self.key,
            account=(account or "")[:320],
            expires_at=parse_luma_expires(obj.get("luma_session_expires")),
            concurrency=optional_int(obj, "concurrency"),
            credits_usage=usage,
            credits_limit=limit,
            error=optional_str(obj, "error"),
            created=optional_bool(obj, "created"),
        )
