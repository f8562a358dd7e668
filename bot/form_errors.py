"""Refusals of what a member typed into a register form, built so they can't carry it.

A refusal is a `CookieError` made from a `Problem`: a stable code (what the audit trail stores),
a fixed sentence for the audit trail, and the member's sentence, a template filled only with
numbers (lengths, limits, line numbers) and `Fixed` words (a label, a cookie name, a site: words
the bot chose). There is no way to hand an error free text: `CookieError("…")` is a TypeError,
and mypy refuses a plain `str` where a `Fixed` word is expected. So no refusal, audit entry or
log line can repeat any part of a cookie, token or password, however it was pasted.

Problems are declared once, at import, by the module that raises them (`problem(...)`); codes
are unique across the bot, and `PROBLEMS` lists them all (the tests' vocabulary of the bot's
own words comes from it).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import NewType

# A word the bot chose (a label, a cookie name, a site), never one a member typed.
Fixed = NewType("Fixed", str)

_CODE = re.compile(r"[a-z][a-z0-9_]{2,25}")  # "invalid_input:<code>" fits 40 characters


@dataclass(frozen=True)
class Problem:
    """One way a form's input can be wrong."""

    code: str  # stored in the audit trail: `invalid_input:<code>`
    says: str  # the member's sentence: what is wrong and what to do; `{name}`s filled by facts
    audit: str  # the audit trail's sentence: fixed, no `{name}`s

    def fields(self) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self.says) if name}


PROBLEMS: dict[str, Problem] = {}


def problem(code: str, says: str, audit: str) -> Problem:
    """Declare a problem (at import). A code names one problem everywhere in the bot."""
    if not _CODE.fullmatch(code):
        raise ValueError(f"problem code {code!r}: lower case, digits and _, 3 to 26 characters")
    if "{" in audit or "}" in audit:
        raise ValueError(f"problem {code}: the audit sentence is fixed (no fields)")
    declared = Problem(code, says, audit)
    if PROBLEMS.setdefault(code, declared) != declared:
        raise ValueError(f"problem code {code!r} is declared twice with different sentences")
    return declared


class CookieError(ValueError):
    """What is wrong with a register form's input: `code`, `audit` (a fixed sentence) and, as the
    exception's text, the member's sentence. Raise it as `CookieError(PROBLEM, length=…)`."""

    def __init__(self, which: Problem, /, **facts: int | Fixed) -> None:
        if not isinstance(which, Problem):
            raise TypeError("CookieError takes a Problem (declare one with bot.form_errors.problem)")
        for name, value in facts.items():
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise TypeError(f"fact {name!r} of {which.code}: a number or a Fixed word")
        if set(facts) != which.fields():
            raise TypeError(f"{which.code} needs the facts {sorted(which.fields())}, got {sorted(facts)}")
        self.problem = which
        super().__init__(which.says.format(**facts))

    @property
    def code(self) -> str:
        return self.problem.code

    @property
    def audit(self) -> str:
        return self.problem.audit
