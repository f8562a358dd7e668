"""Read credentials from what people paste out of their browsers: the checks every service shares.

People paste a bare value, `name=value`, a header line starting with
`Cookie:`, or the whole cookie header with many unrelated cookies. We accept
whatever is unambiguous and name exactly what is missing otherwise. Error
messages never repeat the pasted text: it is a password.
"""

from __future__ import annotations

import re

# Discord caps a modal text field at 4000 characters; a real cookie header is far shorter.
MAX_PASTE_LENGTH = 4000
MAX_VALUE_LENGTH = 3000

# RFC 6265 cookie-octet: printable ASCII except space, DQUOTE, comma, semicolon and backslash.
_COOKIE_OCTETS = re.compile(r"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+")
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_PREFIX = re.compile(r"^\s*(set-)?cookie\s*:\s*", re.IGNORECASE)


class CookieError(ValueError):
    """The pasted text is not usable; the message says what is wrong and what to do."""


def clean_paste(raw: str, what: str) -> str:
    if len(raw) > MAX_PASTE_LENGTH:
        raise CookieError(
            f"That is {len(raw)} characters, longer than any {what} ({MAX_PASTE_LENGTH} at most). "
            "Copy only the cookie, not the whole request."
        )
    text = raw.strip()
    if not text:
        raise CookieError(f"Nothing was pasted. Paste the {what} from your browser.")
    prefix = _HEADER_PREFIX.match(text)
    if prefix is None:
        return text
    if prefix.group(1):
        raise CookieError(
            "That is a Set-Cookie response header. Paste the cookie's value, or the Cookie request header."
        )
    return text[prefix.end() :].strip()


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def check_cookie_value(name: str, value: str) -> str:
    value = _unquote(value.strip())
    if not value:
        raise CookieError(f"The {name} cookie is empty. Copy its value again from your browser.")
    if len(value) > MAX_VALUE_LENGTH:
        raise CookieError(f"The {name} value is too long ({len(value)} characters). Copy it again.")
    if not _COOKIE_OCTETS.fullmatch(value):
        raise CookieError(
            f"The {name} value contains characters a cookie can't hold (spaces, quotes, commas, "
            "non-ASCII letters or control characters). Copy the value again, exactly as the browser shows it."
        )
    return value


def parse_cookie_pairs(text: str) -> dict[str, str]:
    """Split `a=1; b=2` into a dict. The first occurrence of a name wins, as browsers send it."""
    pairs: dict[str, str] = {}
    for chunk in text.split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        name, sep, value = chunk.partition("=")
        name = name.strip()
        if not sep or not _COOKIE_NAME.fullmatch(name):
            raise CookieError(
                "Part of what you pasted is not a `name=value` cookie. Paste a single value, or the "
                "cookie header as the browser shows it (`name=value; name2=value2`)."
            )
        pairs.setdefault(name, value.strip())
    return pairs


def read_max_jobs(raw: str | None, *, low: int, high: int, when_blank: str | None) -> int | None:
    """A max-jobs field, every service's: a whole number from `low` to `high`. Blank is None
    (useapi.net's own default applies; `when_blank` ends the sentence saying which), or refused
    when `when_blank` is None (the service requires the field)."""
    text = (raw or "").strip()
    if not text:
        if when_blank is None:
            raise CookieError(
                f"Max jobs is required: a whole number from {low} to {high}, how many "
                "jobs useapi.net may run at once on this account."
            )
        return None
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        tail = f" Leave it blank for {when_blank}." if when_blank else ""
        raise CookieError(f"Max jobs must be a whole number from {low} to {high} (got {text[:20]!r}).{tail}")
    return int(text)


def parse_max_jobs(raw: str | None, *, low: int = 1, high: int = 100, default: int = 20) -> int:
    """An optional max-jobs field whose blank the bot fills in with `default` (LTX sends one)."""
    value = read_max_jobs(raw, low=low, high=high, when_blank=str(default))
    return default if value is None else value
