"""What useapi.net's answers say about the team's account as a whole, whichever call got them:
every answer the transport receives (list reads, details, registrations, removals, the account
summary) is recorded here, so the team-account watch (bot/team_watch.py) learns of a lapsed
subscription (402) or a refused token (401) from any call, without the callers knowing.

Answers are numbered in the order they arrived (`seq`), not timed: "a 402 after the last read
that said the subscription is active" needs an order, and a number survives a clock moved by a
test. Only numbers and the 402's scrubbed text are kept; never a body, a header or a path.

Which 401 is the bot's token: useapi.net answers 401 both for USEAPI_TOKEN and, on some services,
for the login a member typed (Runway's "This account has been suspended."). Only a 401 with no
text, or "Unauthorized" alone (also "useapi.net ⁝ Unauthorized", the 2026 pages' form), is the
bot's token (`is_bot_token_refusal`); any other 401 text is about an account and never counts.
The rule (TOKEN_REFUSALS): 3 such 401s in a row across any calls, with no 2xx answer between,
and from at least 2 different routes (so one route answering 401 on its own, retried while
backing off, is not taken for the token: the token authorizes every route alike), mean
useapi.net refuses the token; the next 2xx answer clears it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN_TEXT = re.compile(r"\W*(useapi\.net\W*)?unauthori[sz]ed\W*", re.IGNORECASE)

# Bot-token 401s in a row (no 2xx between), from this many routes at least, that mean the token
# is refused, not a glitch.
TOKEN_REFUSALS = 3
TOKEN_REFUSAL_ROUTES = 2


def is_bot_token_refusal(detail: str | None) -> bool:
    """A 401 text that means the bot's USEAPI_TOKEN (or none at all)."""
    return not detail or not detail.strip() or bool(_TOKEN_TEXT.fullmatch(detail.strip()))


@dataclass
class CallOutcomes:
    """The running record of answers, in arrival order (one per transport, in memory)."""

    seq: int = 0  # answers received so far
    token_refusals: int = 0  # bot-token 401s since the last 2xx
    last_2xx: int = 0  # seq of the last 2xx answer (0: none yet)
    last_token_refusal: int = 0  # seq of the last bot-token 401
    last_402: int = 0  # seq of the last 402
    last_402_detail: str | None = None  # useapi.net's text with it, already scrubbed
    refusing_routes: set[str] = field(default_factory=set)  # routes of the current run of 401s

    def record(self, status: int, detail: str | None = None, route: str = "") -> int:
        """Note one answer (`route`: the path called, for counting routes); returns its number."""
        self.seq += 1
        if 200 <= status < 300:
            self.last_2xx = self.seq
            self.token_refusals = 0
            self.refusing_routes.clear()
        elif status == 401 and is_bot_token_refusal(detail):
            self.last_token_refusal = self.seq
            self.token_refusals += 1
            if len(self.refusing_routes) < TOKEN_REFUSAL_ROUTES:
                self.refusing_routes.add(route)
        elif status == 402:
            self.last_402 = self.seq
            self.last_402_detail = detail
        return self.seq

    @property
    def token_refused(self) -> bool:
        """useapi.net refused the bot's token TOKEN_REFUSALS times in a row, on several routes."""
        return self.token_refusals >= TOKEN_REFUSALS and len(self.refusing_routes) >= TOKEN_REFUSAL_ROUTES

    @property
    def token_accepted_since_refusal(self) -> bool:
        """A 2xx answer came after the last bot-token 401 (none in this process: unknown, False)."""
        return self.last_2xx > self.last_token_refusal and self.last_2xx > 0
