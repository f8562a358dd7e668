"""Read an email and password typed into a register form (Dreamina, Kling): the checks every
login-based service shares. Messages say what is wrong and what to do, and never repeat a
password."""

from __future__ import annotations

import re

from bot.form_errors import CookieError, Fixed, problem
from bot.useapi.forms import FormField

MAX_EMAIL_LENGTH = 320  # RFC 5321: 64 for the local part, 255 for the domain, and the @
MAX_LOCAL_PART = 64
MAX_PASSWORD_LENGTH = 256  # no service documents its own limit; this bounds what a form may send

# RFC 5322 dot-atom local part (what sign-up forms accept) and a dotted domain of LDH labels.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")

EMAIL_EMPTY = problem(
    "email_empty",
    "The email is empty. Type the email you sign in to {site} with.",
    "The email was empty.",
)
EMAIL_TOO_LONG = problem(
    "email_too_long",
    "That email is {length} characters; an email address has at most {limit}. "
    "Type just the email you sign in to {site} with.",
    "The email was longer than an email address can be.",
)
EMAIL_INVALID = problem(
    "email_invalid",
    "That is not an email address (like name@example.com, no spaces). "
    "Type the email you sign in to {site} with.",
    "The email was not an email address.",
)
PASSWORD_EMPTY = problem(
    "password_empty",
    "The password is empty. Type the password you sign in to {site} with.",
    "The password was empty.",
)
PASSWORD_LINE_BREAK = problem(
    "password_line_break",
    "The password has a line break in it. Type it on one line, without Enter.",
    "The password had a line break.",
)
PASSWORD_TOO_LONG = problem(
    "password_too_long",
    "That password is {length} characters, longer than the {limit} accepted. "
    "Check that you typed only the password.",
    "The password was longer than accepted.",
)
PASSWORD_CONTROL = problem(
    "password_control_chars",
    "The password contains control characters (tabs or invisible characters). Type it again by hand.",
    "The password held control characters.",
)


def parse_email(raw: str | None, *, site: str) -> str:
    """A plausible email address, without surrounding spaces. `site` is where the member signs in
    (the bot's word, never input)."""
    where = Fixed(site)
    text = (raw or "").strip()
    if not text:
        raise CookieError(EMAIL_EMPTY, site=where)
    if len(text) > MAX_EMAIL_LENGTH:
        raise CookieError(EMAIL_TOO_LONG, length=len(text), limit=MAX_EMAIL_LENGTH, site=where)
    local, at, domain = text.rpartition("@")
    labels = domain.split(".")
    if (
        not at
        or not local
        or len(local) > MAX_LOCAL_PART
        or not _LOCAL.fullmatch(local)
        or len(domain) > 255
        or len(labels) < 2
        or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise CookieError(EMAIL_INVALID, site=where)
    return text


def parse_password(raw: str | None, *, site: str) -> str:
    """The password exactly as typed (spaces, quotes and `=` may be part of it), on one line,
    bounded. Nothing is stripped or decoded: useapi.net signs in with what the member typed."""
    text = raw or ""
    if not text.strip():
        raise CookieError(PASSWORD_EMPTY, site=Fixed(site))
    if "\n" in text or "\r" in text:
        raise CookieError(PASSWORD_LINE_BREAK)
    if len(text) > MAX_PASSWORD_LENGTH:
        raise CookieError(PASSWORD_TOO_LONG, length=len(text), limit=MAX_PASSWORD_LENGTH)
    if any(not ch.isprintable() for ch in text):
        raise CookieError(PASSWORD_CONTROL)
    return text


def login_fields(service: str, email_says: str, secret_says: str, /) -> tuple[FormField, FormField]:
    """The email and password inputs of a login-based register form (`*_says`: where the value
    comes from). The email is the account's key, shown back on purpose: not a secret."""
    return (
        FormField(
            id="email",
            secret=False,
            label=f"{service} email",
            description=email_says,
            placeholder="name@example.com",
            min_length=3,
            max_length=MAX_EMAIL_LENGTH,
        ),
        FormField(
            id="password",
            label=f"{service} password",
            description=secret_says,
            min_length=1,
            max_length=MAX_PASSWORD_LENGTH,
        ),
    )
