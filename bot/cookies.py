"""Extract session cookies from what people paste out of their browsers.

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
MIN_LUMA_SESSION_LENGTH = 8

LUMA_COOKIE = "luma_session"
LTX_COOKIES = ("lt_id", "lt_token", "lt_refresh_token")

# RFC 6265 cookie-octet: printable ASCII except space, DQUOTE, comma, semicolon and backslash.
_COOKIE_OCTETS = re.compile(r"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+")
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_PREFIX = re.compile(r"^\s*(set-)?cookie\s*:\s*", re.IGNORECASE)


class CookieError(ValueError):
    """The pasted text is not usable; the message says what is wrong and what to do."""


def _common_checks(raw: str, what: str) -> str:
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


def _check_value(name: str, value: str) -> str:
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


def parse_luma_session(raw: str) -> str:
    """Return the `luma_session` value from a bare value, `luma_session=…`, or a cookie header."""
    text = _common_checks(raw, "Luma session cookie")
    if "\n" in text or "\r" in text:
        raise CookieError(
            "The Luma session cookie is a single line; what you pasted has line breaks. "
            "Copy just the value of `luma_session`."
        )
    if "=" not in text and ";" not in text:
        value = _check_value(LUMA_COOKIE, text)
    else:
        pairs = parse_cookie_pairs(text)
        if LUMA_COOKIE not in pairs:
            names = ", ".join(sorted(pairs)[:5])
            raise CookieError(
                f"There is no `{LUMA_COOKIE}` cookie in what you pasted (found: {names}). "
                f"Copy the `{LUMA_COOKIE}` cookie from lumalabs.ai in your browser."
            )
        value = _check_value(LUMA_COOKIE, pairs[LUMA_COOKIE])
    if len(value) < MIN_LUMA_SESSION_LENGTH:
        raise CookieError(
            f"That value is only {len(value)} characters; a Luma session cookie is longer "
            "(about 25). Copy the whole value."
        )
    return value


def parse_ltx_cookie(raw: str) -> str:
    """Return `lt_id=…; lt_token=…; lt_refresh_token=…` built from what was pasted.

    Only the three cookies useapi.net needs are passed on; the rest of a pasted
    header (other sites' sessions, trackers) never leaves the bot.
    """
    text = _common_checks(raw, "LTX Studio cookie")
    lines = [line.strip().rstrip(";") for line in text.splitlines() if line.strip()]
    if len(lines) > 1:
        # One cookie per line is unambiguous; anything else spread over lines is not.
        if not all("=" in line and ";" not in line for line in lines):
            raise CookieError(
                "What you pasted spans several lines. Paste the cookie header on one line "
                "(`lt_id=…; lt_token=…; lt_refresh_token=…`), or one `name=value` per line."
            )
        text = "; ".join(lines)
    pairs = parse_cookie_pairs(text)
    missing = [name for name in LTX_COOKIES if not pairs.get(name, "").strip()]
    if missing:
        listed = " and ".join(f"`{name}`" for name in missing)
        raise CookieError(
            f"No {listed} in what you pasted. Copy the cookie header from ltx.studio while "
            "signed in; it must contain lt_id, lt_token and lt_refresh_token."
        )
    values = [f"{name}={_check_value(name, pairs[name])}" for name in LTX_COOKIES]
    return "; ".join(values)


def parse_max_jobs(raw: str | None) -> int:
    """The optional LTX max-jobs field: blank means useapi.net's default of 20."""
    text = (raw or "").strip()
    if not text:
        return 20
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise CookieError(
            f"Max jobs must be a whole number from 1 to 100 (got {text[:20]!r}). Leave it blank for 20."
        )
    return int(text)
