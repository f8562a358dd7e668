"""LTX Studio on useapi.net: accounts configured from the lt_id / lt_token / lt_refresh_token cookies.

useapi.net retired this API in March 2026 and may bring it back; a 404/410
then reads as "not available right now" through the shared transport.
"""

from __future__ import annotations

from typing import Any

from bot.cookies import parse_cookie_pairs, parse_ltx_cookie
from bot.useapi.base import AccountInfo, UseapiService
from bot.useapi.parsing import millis_or_iso, optional_int, optional_str


class LtxService(UseapiService):
    key = "ltx"
    label = "LTX Studio"
    accounts_path = "/v1/ltxstudio/accounts"

    def parse_credential(self, raw: str) -> str:
        return parse_ltx_cookie(raw)

    def credential_secrets(self, credential: str) -> list[str]:
        return [credential, *parse_cookie_pairs(credential).values()]

    def registration_body(self, credential: str, max_jobs: int | None) -> dict[str, Any]:
        return {"cookie": credential, "maxJobs": 20 if max_jobs is None else max_jobs}

    def parse_account(self, obj: dict[str, Any], key: str | None = None) -> AccountInfo:
        account = optional_str(obj, "email", limit=320) or key
        return AccountInfo(
            service=self.key,
            account=(account or "")[:320],
            expires_at=millis_or_iso(obj, "tokenExpire"),
            refresh_expires_at=millis_or_iso(obj, "refreshTokenExpire"),
            max_jobs=optional_int(obj, "maxJobs"),
            updated_at=millis_or_iso(obj, "updated"),
            error=optional_str(obj, "error"),
        )
