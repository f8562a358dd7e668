"""Read credentials from what people paste out of their browsers: the checks every service shares.

People paste a bare value (base64 padding `=` included), the value in double quotes,
`name=value`, a header line starting with `Cookie:`, the whole cookie header with many
unrelated cookies, one `name=value` per line, or rows of the developer tools' cookie table
(Name, Value, … separated by tabs). We accept whatever is unambiguous and say what is missing
otherwise. Refusals are `CookieError`s built from fixed sentences (`bot.form_errors`): they never
repeat the pasted text, a cookie's name included.

A cookie value is kept exactly as the browser holds it: `%3D` and other percent-escapes are part
of the value (a site that sets an encoded value decodes it itself, and useapi.net replays the
cookie as a browser would), so they are never decoded.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from bot.form_errors import CookieError as CookieError
from bot.form_errors import Fixed, problem

# Discord caps a modal text field at 4000 characters; a real cookie header is far shorter.
MAX_PASTE_LENGTH = 4000
MAX_VALUE_LENGTH = 3000

# RFC 6265 cookie-octet: printable ASCII except space, DQUOTE, comma, semicolon and backslash.
_COOKIE_OCTETS = re.compile(r"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+")
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_PREFIX = re.compile(r"^\s*(set-)?cookie\s*:\s*", re.IGNORECASE)
# Line breaks as browsers and editors write them (not str.splitlines' wider set: a \x1c or \x85
# inside a value is a character a cookie can't hold, not a line break).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

PASTE_TOO_LONG = problem(
    "paste_too_long",
    "That is {length} characters, longer than any {what} ({limit} at most). "
    "Copy only the cookie, not the whole request.",
    "The paste was longer than any credential.",
)
PASTE_EMPTY = problem(
    "paste_empty",
    "Nothing was pasted. Paste the {what} from your browser.",
    "Nothing was pasted.",
)
SET_COOKIE = problem(
    "set_cookie_header",
    "That is a Set-Cookie response header. Paste the cookie's value, or the Cookie request header.",
    "A Set-Cookie response header was pasted.",
)
PASTE_LINE_BREAKS = problem(
    "paste_line_breaks",
    "What you pasted spans several lines, with line breaks inside a value or a header. Paste the "
    "{what} on one line, or one `name=value` per line, or the rows of the developer tools' table.",
    "The paste had line breaks where none belong.",
)
NOT_COOKIE_PAIRS = problem(
    "not_cookie_pairs",
    "Part of what you pasted is not a `name=value` cookie. Paste a single value, or the cookie "
    "header as the browser shows it (`name=value; name2=value2`).",
    "Part of the paste was not a name=value cookie.",
)
NAME_ONLY = problem(
    "cookie_name_only",
    "That is the cookie's name. Paste its value (or `name=value`), copied from your browser.",
    "The cookie's name was pasted without its value.",
)
TABLE_ROW = problem(
    "cookie_table_row",
    "Line {line} of what you pasted is not a cookie row of the developer tools' table (a name, "
    "then its value, separated by a tab). Copy the rows again, as they are.",
    "A line of the pasted cookie table was not a cookie row.",
)
COOKIE_EMPTY = problem(
    "cookie_empty",
    "The {name} cookie is empty. Copy its value again from your browser.",
    "The cookie's value was empty.",
)
COOKIE_TOO_LONG = problem(
    "cookie_too_long",
    "The {name} value is too long ({length} characters). Copy it again.",
    "The cookie's value was too long.",
)
COOKIE_CHARACTERS = problem(
    "cookie_bad_characters",
    "The {name} value contains characters a cookie can't hold (spaces, quotes, commas, non-ASCII "
    "letters or control characters). Copy the value again, exactly as the browser shows it.",
    "The cookie's value held characters a cookie can't hold.",
)
MAX_JOBS_REQUIRED = problem(
    "max_jobs_required",
    "Max jobs is required: a whole number from {low} to {high}, how many jobs useapi.net may run "
    "at once on this account.",
    "Max jobs was left blank; the service requires it.",
)
MAX_JOBS_NOT_NUMBER = problem(
    "max_jobs_not_number",
    "Max jobs must be a whole number from {low} to {high}, written in digits.{blank}",
    "Max jobs was not a whole number.",
)
MAX_JOBS_OUT_OF_RANGE = problem(
    "max_jobs_out_of_range",
    "Max jobs must be a whole number from {low} to {high}.{blank}",
    "Max jobs was outside the service's range.",
)


def clean_paste(raw: str, what: str) -> str:
    """The paste without surrounding whitespace or a `Cookie:` prefix. `what` names the field (a
    label the bot chose, never input)."""
    if len(raw) > MAX_PASTE_LENGTH:
        raise CookieError(PASTE_TOO_LONG, length=len(raw), what=Fixed(what), limit=MAX_PASTE_LENGTH)
    text = raw.strip()
    if not text:
        raise CookieError(PASTE_EMPTY, what=Fixed(what))
    prefix = _HEADER_PREFIX.match(text)
    if prefix is None:
        return text
    if prefix.group(1):
        raise CookieError(SET_COOKIE)
    return text[prefix.end() :].strip()


def _unquote(value: str, quotes: str = '"') -> str:
    """Without one pair of surrounding quotes: `"` as RFC 6265 allows around a value, and for a
    bare paste also `'` and a backtick (copied from code, as useapi.net's examples quote it)."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in quotes:
        return value[1:-1]
    return value


def check_cookie_value(name: str, value: str) -> str:
    """A cookie's value as the browser holds it, without the optional double quotes. `name` is the
    cookie the bot asked for (never a name read from the paste)."""
    value = _unquote(value.strip())
    if not value:
        raise CookieError(COOKIE_EMPTY, name=Fixed(name))
    if len(value) > MAX_VALUE_LENGTH:
        raise CookieError(COOKIE_TOO_LONG, name=Fixed(name), length=len(value))
    if not _COOKIE_OCTETS.fullmatch(value):
        raise CookieError(COOKIE_CHARACTERS, name=Fixed(name))
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
            raise CookieError(NOT_COOKIE_PAIRS)
        pairs.setdefault(name, value.strip())
    return pairs


@dataclass(frozen=True)
class Cookies:
    """What a paste holds: one bare value (no name), or named cookies (the first of a name wins)."""

    bare: str | None = None
    named: dict[str, str] = field(default_factory=dict)


def read_cookies(raw: str, what: str, *, names: Collection[str]) -> Cookies:
    """Read a paste into a bare value or named cookies; `names` are the cookies the service needs.

    A single line without `;` whose only `=` are trailing (base64 padding) is a bare value,
    unless what precedes the `=` is one of `names` (`luma_session=`: that cookie, empty). Several
    lines are read when each is one `name=value` (or a row of the developer tools' table): a
    value wrapped over two lines can't be told from two cookies otherwise.
    """
    text = clean_paste(raw, what)
    lines = [line.strip() for line in _LINE_BREAK.split(text) if line.strip()]
    if any("\t" in line for line in lines):
        return Cookies(named=_table_pairs(lines))
    if len(lines) > 1:
        chunks = [line.rstrip(";").strip() for line in lines]
        if not all("=" in chunk and ";" not in chunk for chunk in chunks):
            raise CookieError(PASTE_LINE_BREAKS, what=Fixed(what))
        return Cookies(named=parse_cookie_pairs("; ".join(chunks)))
    unquoted = _unquote(text, "\"'`")
    head = unquoted.rstrip("=")
    if unquoted in names:
        raise CookieError(NAME_ONLY)
    if ";" not in unquoted and "=" not in head and head not in names:
        return Cookies(bare=unquoted)
    return Cookies(named=parse_cookie_pairs(text))


def _table_pairs(lines: list[str]) -> dict[str, str]:
    """Name -> value from rows of the developer tools' cookie table (a header row is optional)."""
    first = [cell.strip().lower() for cell in lines[0].split("\t")]
    name_col, value_col, start = 0, 1, 0
    if {"name", "value"} <= set(first):
        name_col, value_col, start = first.index("name"), first.index("value"), 1
    pairs: dict[str, str] = {}
    for number, line in enumerate(lines[start:], start=start + 1):
        cells = line.split("\t")
        name = cells[name_col].strip() if len(cells) > name_col else ""
        if len(cells) <= value_col or not _COOKIE_NAME.fullmatch(name):
            raise CookieError(TABLE_ROW, line=number)
        pairs.setdefault(name, cells[value_col].strip())
    return pairs


def read_max_jobs(raw: str | None, *, low: int, high: int, when_blank: str | None) -> int | None:
    """A max-jobs field, every service's: a whole number from `low` to `high`. Blank is None
    (useapi.net's own default applies; `when_blank` ends the sentence saying which), or refused
    when `when_blank` is None (the service requires the field). Refusals never repeat the text."""
    text = (raw or "").strip()
    if not text:
        if when_blank is None:
            raise CookieError(MAX_JOBS_REQUIRED, low=low, high=high)
        return None
    blank = Fixed(f" Leave it blank for {when_blank}." if when_blank else "")
    if not text.isascii() or not text.isdigit():
        raise CookieError(MAX_JOBS_NOT_NUMBER, low=low, high=high, blank=blank)
    if len(text) > len(str(high)) or not low <= int(text) <= high:
        raise CookieError(MAX_JOBS_OUT_OF_RANGE, low=low, high=high, blank=blank)
    return int(text)


def parse_max_jobs(raw: str | None, *, low: int = 1, high: int = 100, default: int = 20) -> int:
    """An optional max-jobs field whose blank the bot fills in with `default` (LTX sends one)."""
    value = read_max_jobs(raw, low=low, high=high, when_blank=str(default))
    return default if value is None else value
