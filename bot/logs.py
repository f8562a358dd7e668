"""Logging: one line per event, UTC times, and secrets scrubbed at the last moment.

Secrets are kept out of log calls in the first place; the scrubbing formatter
is a second line of defence for what a library might print. discord.py's
gateway logger prints every event (modal values included) at DEBUG, so it
is held at INFO whatever LOG_LEVEL says.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import re
import sys
import time
from collections.abc import Iterable, Iterator

# Replaced, never changed in place: a log line formatted in another thread (aiosqlite's) reads
# one whole set, and iterating it can't fail half-way (a Logging error would print the raw line).
_secrets: frozenset[str] = frozenset()
_always: frozenset[str] = frozenset()  # add_secret's (the tokens)
_in_flight: collections.Counter[str] = collections.Counter()  # registrations may share a value
_windows_of: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())

REDACTED = "[redacted]"
# Any run of this many characters of a secret is scrubbed, not only the whole of it: an answer
# that quotes a cookie cut short ("mK8jP2xZc9Af…") still leaks it.
WINDOW = 8
# A secret that holds several cookies (a header, a table) is scrubbed whole; its values are
# listed apart and scrubbed by any run of WINDOW characters. Runs of a whole header or table
# would take its cookie names, domains and dates with them ("accounts", "lt_token").
_SEVERAL_COOKIES = re.compile(r"[\t\r\n]|; ")

# Loggers whose DEBUG output contains raw payloads (modal submits carry cookies).
PAYLOAD_LOGGERS = (
    "discord.gateway",
    "discord.http",
    "discord.webhook.async_",
    "httpcore",
    "hpack",
    "aiosqlite",
)


def _publish() -> None:
    global _secrets
    _secrets = _always | frozenset(_in_flight)


def add_secret(value: str) -> None:
    """Scrub this value from every log line from now on (ignores short values)."""
    global _always
    if value and len(value) >= 6:
        _always = _always | {value}
        _publish()


@contextlib.contextmanager
def secret_in_flight(*values: str) -> Iterator[None]:
    """Scrub these values while a registration is in progress (until the last one holding a
    value ends, when two registrations share it)."""
    added = {v for v in values if v and len(v) >= 6}
    _in_flight.update(added)
    _publish()
    try:
        yield
    finally:
        for value in added:  # no count of 0 left behind: the value leaves memory with the call
            _in_flight[value] -= 1
            if _in_flight[value] <= 0:
                del _in_flight[value]
        _publish()


def _windows(secrets: Iterable[str]) -> frozenset[str]:
    return frozenset(
        secret[i : i + WINDOW]
        for secret in secrets
        if len(secret) >= WINDOW and not _SEVERAL_COOKIES.search(secret)
        for i in range(len(secret) - WINDOW + 1)
    )


def _registered_windows() -> frozenset[str]:
    global _windows_of
    current = _secrets
    known, windows = _windows_of
    if known is not current:
        windows = _windows(current)
        _windows_of = (current, windows)
    return windows


def scrub(text: str, secrets: Iterable[str] | None = None) -> str:
    """Replace each secret (by default every one registered here), and any run of WINDOW or more
    characters of one, with `[redacted]`."""
    chosen = _secrets if secrets is None else {s for s in secrets if s}
    for secret in sorted(chosen, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    windows = _registered_windows() if secrets is None else _windows(chosen)
    if not windows or len(text) < WINDOW:
        return text
    hidden = bytearray(len(text))
    found = False
    for i in range(len(text) - WINDOW + 1):
        if text[i : i + WINDOW] in windows:
            hidden[i : i + WINDOW] = b"\x01" * WINDOW
            found = True
    if not found:
        return text
    out: list[str] = []
    for i, ch in enumerate(text):
        if not hidden[i]:
            out.append(ch)
        elif i == 0 or not hidden[i - 1]:
            out.append(REDACTED)
    return "".join(out)


class ScrubbingFormatter(logging.Formatter):
    converter = time.gmtime  # type: ignore[assignment]

    def format(self, record: logging.LogRecord) -> str:
        # One event, one line: tracebacks are folded onto the same line.
        return scrub(super().format(record)).replace("\n", " | ")


class ReconnectSummary(logging.Filter):
    """discord.py logs every gateway reconnect attempt with a whole traceback, at ERROR; a lost
    connection it recovers from is worth one WARNING line that says what happened."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Attempting a reconnect") and record.exc_info:
            exc = record.exc_info[1]
            record.msg = f"Discord connection lost ({type(exc).__name__}: {exc}); " + str(record.msg)
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_RECONNECT_SUMMARY = ReconnectSummary()


def configure(level: str = "INFO", *, stream: object = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(
        ScrubbingFormatter("%(asctime)sZ %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
    logging.getLogger("discord.client").addFilter(_RECONNECT_SUMMARY)  # adding twice is a no-op
    # httpx logs each request line at INFO; our transport logs the same thing without the host.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler
