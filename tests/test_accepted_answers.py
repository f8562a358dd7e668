"""An accepted registration never hands back what was sent: for every service in the registry,
an answer that names the account but whose `error` or `health` quotes the submitted cookie,
token, password or URL (whole, or cut short) is returned with those parts `[redacted]`, so
neither the member's reply, the stored reason to act nor the alert channel repeats them.

Each service's own accepted answer is faked with respx at its register route: the real
`parse_form`, `register` (and any override of it) and `parse_account` run.
"""

from __future__ import annotations

import functools
from typing import Any

import httpx
import pytest
import respx

from bot.logs import REDACTED
from bot.services import REGISTRY
from bot.services.mureka import MurekaService
from bot.useapi import AccountInfo, Transport, UseapiService
from tests.harness import runs

BASE = "https://useapi.test"
COOKIE = "mK8jP2xZc9AfQw3LnT7vYbE1Rabc=="
PASSWORD = "Pw-9xQ2vL7mZk4Rt"
GOOGLE_TABLE = (
    "__Secure-1PSID\tg.a000xK9mQ2vL7pZr4Tn8Wc3Yb\t.google.com\t/\t2026-12-20T10:00:00.000Z\n"
    "SID\tg.a000Fq7Lm2Xz9Kp4Rv8Nc1Wd\t.google.com\t/\t2026-12-20T10:00:00.000Z"
)
GOOGLE_VALUES = ("g.a000xK9mQ2vL7pZr4Tn8Wc3Yb", "g.a000Fq7Lm2Xz9Kp4Rv8Nc1Wd")
MINIMAX_URL = (
    "https://hailuoai.video/v3/api/multimodal/video/my/cursor?type=next&uuid=b5df53d1-4c0d-4c77"
    "-8422-87e3f3b1a1d6&device_id=398115730563153920&unix=1764003917482"
)
MINIMAX_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3NjYwfQ.c2lnbmF0dXJlLXF4"
MUREKA_TOKEN = "mt-Qx7vL2mZk9Rt4Wc8Yb3N"
MUREKA_REFRESH = "mr-Hp4Lz8Kq2Xv7Nc5Wd1Ty"
EMAIL = "maker@example.com"

# service -> (a valid form, what is quoted back, the accepted answer naming the account)
CASES: dict[str, tuple[dict[str, str], tuple[str, ...], dict[str, Any]]] = {
    "luma": ({"cookie": COOKIE}, (COOKIE.rstrip("="),), {"account": EMAIL}),
    "ltx": (
        {"cookie": "lt_id=user123; lt_token=eyJ.k9Qx2vL7mZp4; lt_refresh_token=refreshSecret99x"},
        ("eyJ.k9Qx2vL7mZp4", "refreshSecret99x"),
        {"email": EMAIL},
    ),
    "googleflow": ({"cookies": GOOGLE_TABLE}, GOOGLE_VALUES, {"email": EMAIL}),
    "googlevids": ({"cookies": GOOGLE_TABLE}, GOOGLE_VALUES, {"email": EMAIL}),
    "gemininotebook": ({"cookies": GOOGLE_TABLE}, GOOGLE_VALUES, {"email": EMAIL}),
    "dreamina": (
        {"email": EMAIL, "password": PASSWORD, "region": "US"},
        (PASSWORD,),
        {"account": f"US:{EMAIL}"},
    ),
    "flowmusic": ({"refresh_token": "l6eQ2mZp8wRt4vYxK3nz4v"}, ("l6eQ2mZp8wRt4vYxK3nz4v",), {"email": EMAIL}),
    "acemusic": ({"email": EMAIL, "password": PASSWORD}, (PASSWORD,), {"email": EMAIL}),
    "mureka": (
        {"token": MUREKA_TOKEN, "refresh_token": MUREKA_REFRESH},
        (MUREKA_TOKEN, MUREKA_REFRESH),
        {"account": "123456"},
    ),
    "kling": ({"email": EMAIL, "password": PASSWORD, "max_jobs": "2"}, (PASSWORD,), {"email": EMAIL}),
    "runway": ({"email": EMAIL, "password": PASSWORD, "max_jobs": "2"}, (PASSWORD,), {"email": EMAIL}),
    "pixverse": ({"email": EMAIL, "password": PASSWORD, "max_jobs": "2"}, (PASSWORD,), {"email": EMAIL}),
    "minimax": (
        {"url": MINIMAX_URL, "token": MINIMAX_TOKEN, "max_jobs": "2"},
        (MINIMAX_URL, MINIMAX_TOKEN),
        {"account": "424242"},
    ),
}


@functools.cache
def _transport() -> Transport:
    return Transport(httpx.AsyncClient(), BASE, "user:1-test-token", 2)


def quoting(secrets: tuple[str, ...]) -> dict[str, str]:
    """`error` and `health` that quote each secret whole and a 12-character piece of it."""
    whole = " and ".join(secrets)
    pieces = " and ".join(secret[3:15] for secret in secrets)
    return {
        "error": f"Session refresh failed for {whole}; manual update required",
        "health": f"degraded: last value {pieces}…",
    }


def leaked(info: AccountInfo, secrets: tuple[str, ...]) -> set[str]:
    texts = f"{info.error or ''}\n{info.health or ''}"
    return {run for secret in secrets for run in runs(secret) if run in texts}


def test_every_service_has_a_case() -> None:
    assert set(CASES) == set(REGISTRY)


@respx.mock
@pytest.mark.parametrize("key", list(CASES))
async def test_an_accepted_answer_quoting_the_credential_is_scrubbed(key: str) -> None:
    values, secrets, answer = CASES[key]
    service: UseapiService = REGISTRY[key](_transport())
    submission = service.parse_form(values)
    route = respx.post(f"{BASE}{service.register_path(submission)}").respond(
        201, json={**answer, **quoting(secrets)}
    )
    info = await service.register(submission)
    assert route.called
    assert info.account  # accepted, not refused
    assert info.error is not None and REDACTED in info.error, info.error
    assert info.error.endswith("manual update required")  # the rest of the sentence is kept
    assert leaked(info, secrets) == set()


@respx.mock
async def test_an_email_mode_mureka_answer_found_in_the_list_is_scrubbed_too() -> None:
    """Mureka's email-mode answer without an account id is matched by email in the list: that
    record is the registration's answer in effect, and is scrubbed like one."""
    service = MurekaService(_transport())
    submission = service.parse_form({"email": EMAIL, "password": PASSWORD})
    respx.post(f"{BASE}/v1/mureka/accounts").respond(201, json={"email": EMAIL})
    respx.get(f"{BASE}/v1/mureka/accounts").respond(
        200, json={"123456": {"account": "123456", "email": EMAIL, **quoting((PASSWORD,))}}
    )
    info = await service.register(submission)
    assert info.account == "123456"
    assert info.error is not None and REDACTED in info.error
    assert leaked(info, (PASSWORD,)) == set()


@respx.mock
async def test_an_answer_that_quotes_nothing_is_returned_as_it_is() -> None:
    values, _, answer = CASES["acemusic"]
    service = REGISTRY["acemusic"](_transport())
    said = {"error": "ACE Music refused the stored email and password.", "health": "error"}
    respx.post(f"{BASE}/v1/acemusic/accounts").respond(201, json={**answer, **said})
    info = await service.register(service.parse_form(values))
    assert (info.error, info.health) == (said["error"], said["health"])
