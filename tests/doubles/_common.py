"""Pieces shared by the HTTP doubles: the request record, a recorder with waiters,
JSON responses in the exact shape clients expect, body parsing (JSON, multipart, form)
and a small aiohttp server wrapper bound to 127.0.0.1 on a random port."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web


@dataclass
class Recorded:
    """One request as the double saw it. `path` is relative to the API root
    (Discord: without `/api/v10`), `json` is the parsed JSON body, or the parsed
    `payload_json` part of a multipart body, or the form fields; `at` is time.monotonic()."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    raw_body: bytes
    at: float
    files: list[dict[str, Any]] = field(default_factory=list)  # multipart file parts


class Recorder:
    """Keeps every request and lets tests wait for one that has not arrived yet."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._waiters: list[tuple[Callable[[Recorded], bool], asyncio.Future[Recorded]]] = []

    def add(self, rec: Recorded) -> None:
        self.requests.append(rec)
        for pred, fut in list(self._waiters):
            if not fut.done() and _safe(pred, rec):
                fut.set_result(rec)

    def requests_to(self, method: str, path_regex: str) -> list[Recorded]:
        """Requests whose method matches (case-insensitive, "*" for any) and whose path
        matches `path_regex` completely."""
        return [r for r in self.requests if _matches(r, method, path_regex)]

    async def wait_for(self, predicate: Callable[[Recorded], bool], timeout: float = 5) -> Recorded:
        """First recorded request satisfying `predicate`, including ones that arrive later."""
        for rec in self.requests:
            if _safe(predicate, rec):
                return rec
        fut: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        entry = (predicate, fut)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._waiters.remove(entry)


def _safe(pred: Callable[[Recorded], bool], rec: Recorded) -> bool:
    try:
        return bool(pred(rec))
    except Exception:  # a predicate poking at a missing key simply does not match
        return False


def _matches(rec: Recorded, method: str, path_regex: str) -> bool:
    return (method == "*" or rec.method == method.upper()) and re.fullmatch(path_regex, rec.path) is not None


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Content-Type must be exactly "application/json": discord.py's json_or_text compares the
    # header verbatim and treats "application/json; charset=utf-8" (aiohttp's json_response) as text.
    return web.Response(
        body=json.dumps(payload).encode(), status=status, headers=headers, content_type="application/json"
    )


async def read_request(request: web.Request, path: str) -> Recorded:
    """Read the whole body once and parse it into a Recorded (JSON, multipart or form)."""
    raw = await request.read()
    ctype = request.headers.get("Content-Type", "")
    body: Any = None
    files: list[dict[str, Any]] = []
    if raw and ctype.startswith("application/json"):
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
    elif raw and ctype.startswith("multipart/form-data"):
        body, files = parse_multipart(ctype, raw)
    elif raw and ctype.startswith("application/x-www-form-urlencoded"):
        body = dict(parse_qsl(raw.decode()))
    return Recorded(
        method=request.method,
        path=path,
        query=dict(request.query),
        headers=dict(request.headers),
        json=body,
        raw_body=raw,
        at=time.monotonic(),
        files=files,
    )


def parse_multipart(content_type: str, raw: bytes) -> tuple[Any, list[dict[str, Any]]]:
    """Split multipart/form-data. `payload_json` (Discord) becomes the JSON body; other text
    fields become a dict; parts with a filename are returned as files."""
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    fields: dict[str, Any] = {}
    files: list[dict[str, Any]] = []
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files.append(
                {"name": name, "filename": filename, "content_type": part.get_content_type(), "data": data}
            )
        else:
            fields[str(name)] = data.decode()
    if "payload_json" in fields:
        return json.loads(fields["payload_json"]), files
    return (fields or None), files


class LocalServer:
    """An aiohttp app on 127.0.0.1, on `port` or a random free one. It can be stopped and started
    again on the same port (a service that goes away and comes back)."""

    def __init__(self, app: web.Application, port: int = 0) -> None:
        self._app = app
        self._runner: web.AppRunner | None = None
        self.port: int | None = port or None

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port or 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
