"""How warnings about the team's useapi.net account look (bot/team_account.py decides them):
a lapsed subscription, a refused token, an API with accounts in error, a broken account holding
a slot; and the account's section of `/alerts status`.

None carries a Renew button: nobody fixes these from Discord (each broken account of a watched
service has its own warning, with one). Upstream text (display names, useapi.net's 402 text) is
escaped, so it can't ping or format anything.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import discord
from discord.utils import format_dt

from bot.services import REGISTRY
from bot.team_account import Kind, TeamState, TeamWarning, kind_of_stage, match_service
from bot.useapi.account import AccountSummary, ServiceSlots
from bot.useapi.outcomes import TOKEN_REFUSALS
from cogs._format import label, safe

COLOUR_URGENT = discord.Colour.red()
COLOUR_WARN = discord.Colour.orange()
MAX_NAMED = 10  # accounts named in one warning
# The status section's most: with the other fields at theirs, the embed stays under Discord's 6,000.
STATUS_LIMIT = 700


def entry_title(name: str, service: str | None) -> str:
    """ "Kling (Kling API)" for an entry of a known service, the entry's own name otherwise."""
    return f"{label(service)} ({safe(name, 80)})" if service else safe(name, 80)


def team_warning_embed(warning: TeamWarning) -> discord.Embed:
    kind = warning.topic.kind
    if kind is Kind.SUBSCRIPTION:
        return _subscription(warning)
    if kind is Kind.TOKEN:
        return _token()
    return _slots(warning) if kind is Kind.SLOTS else _errors(warning)


def _subscription(warning: TeamWarning) -> discord.Embed:
    embed = discord.Embed(
        title="useapi.net subscription is not active",
        description="The team's useapi.net subscription is not active: nothing can be rendered.",
        colour=COLOUR_URGENT,
    )
    seen = []
    if warning.summary_says_lapsed:
        seen.append("useapi.net's account summary says the subscription is not active")
    if warning.payment_detail is not None or not warning.summary_says_lapsed:
        said = f': "{safe(warning.payment_detail, 300)}"' if warning.payment_detail else ""
        seen.append(f"a call to useapi.net answered HTTP 402 (payment required){said}")
    embed.add_field(name="Seen", value="\n".join(seen), inline=False)
    summary = warning.summary
    if summary is not None and summary.renewed is not None:
        embed.add_field(name="Last renewed", value=summary.renewed.isoformat())
    embed.add_field(
        name="What to do",
        value="Renew the team's subscription on useapi.net (Account → Subscription). Nobody can fix "
        "this from Discord. This message turns green once useapi.net says the subscription is "
        "active again.",
        inline=False,
    )
    embed.set_footer(text="Account warnings resume by themselves once useapi.net answers again.")
    return embed


def _token() -> discord.Embed:
    embed = discord.Embed(
        title="useapi.net refuses the bot's API token",
        description="useapi.net refuses the bot's API token (reset or wrong): the bot can't read, "
        "register or remove any account until it has the right one.",
        colour=COLOUR_URGENT,
    )
    embed.add_field(
        name="Seen", value=f"{TOKEN_REFUSALS} calls in a row answered 401 Unauthorized", inline=False
    )
    embed.add_field(
        name="What the bot's operator must do",
        value="Copy the API token from useapi.net (Account → API token; after a token reset, the new "
        "one), set it as `USEAPI_TOKEN` where the bot runs (its `.env` or the container's "
        "environment), and restart the bot. Members can't fix this from Discord.",
        inline=False,
    )
    embed.set_footer(text="This message turns green once useapi.net accepts the token again.")
    return embed


def _named(warning: TeamWarning) -> str:
    service = warning.service
    if service is None:
        return "Not known: the bot has no module for this API, so it doesn't list its accounts."
    if not warning.switched_on:
        return f"Not known: {label(service)} is switched off on this bot (SERVICES)."
    if not warning.accounts_in_error:
        return f"None in the bot's {label(service)} list yet: its next sync names them."
    names = [safe(a, 80) for a in warning.accounts_in_error[:MAX_NAMED]]
    more = len(warning.accounts_in_error) - len(names)
    return "\n".join(f"• {n}" for n in names) + (f"\n…and {more} more" if more > 0 else "")


def _errors(warning: TeamWarning) -> discord.Embed:
    slots = warning.slots or ServiceSlots(warning.topic.entry)
    count = slots.error or 0
    name = entry_title(warning.topic.entry, warning.service)
    cap = warning.summary.max_accounts_per_api if warning.summary else None
    held = f", and still take one of the {cap} account slots" if cap else ", and still take an account slot"
    embed = discord.Embed(
        title=f"{name}: {count} account(s) in error on useapi.net"[:256],
        description=f"useapi.net counts {count} {name} account(s) in error. Renders through them fail{held}.",
        colour=COLOUR_URGENT,
    )
    embed.add_field(name="Accounts in error", value=_named(warning), inline=False)
    if warning.service is None:
        todo = "Fix or delete them on useapi.net."
    elif warning.switched_on:
        todo = "Each has its own warning here with a Renew button; or fix or delete it on useapi.net."
    else:
        todo = f"Fix or delete them on useapi.net, or add `{warning.service}` to SERVICES to watch each one."
    embed.add_field(name="What to do", value=todo, inline=False)
    embed.set_footer(text="This message turns green once useapi.net counts no account in error.")
    return embed


def _slots(warning: TeamWarning) -> discord.Embed:
    slots = warning.slots or ServiceSlots(warning.topic.entry)
    name = entry_title(warning.topic.entry, warning.service)
    cap = warning.summary.max_accounts_per_api if warning.summary else None
    embed = discord.Embed(
        title=f"{name}: a broken account is holding a slot"[:256],
        description=f"{name} uses {slots.total} of its {cap} account slots (maxAccountsPerAPI) and "
        f"{slots.error} of them are in error: a broken account is holding a slot, so no other "
        "account can be added.",
        colour=COLOUR_WARN,
    )
    embed.add_field(name="Accounts in error", value=_named(warning), inline=False)
    remove = ""
    if warning.service is not None and warning.switched_on:
        remove = f" (or `/{REGISTRY[warning.service].command_group} remove`)"
    embed.add_field(
        name="What to do",
        value=f"Delete the broken account on useapi.net{remove}, or fix it, to free its slot; more "
        "slots take another useapi.net subscription.",
        inline=False,
    )
    embed.set_footer(text="This message turns green once no broken account holds a slot.")
    return embed


def team_resolution_text(stage: str) -> str:
    """How a team warning was resolved, for people."""
    kind = kind_of_stage(stage)
    if kind is Kind.SUBSCRIPTION:
        return "useapi.net says the subscription is active again"
    if kind is Kind.TOKEN:
        return "useapi.net accepts the bot's API token again"
    if kind is Kind.SLOTS:
        return "No broken account holds a slot any more"
    return "useapi.net no longer counts an account in error"


def team_stage_text(stage: str) -> str:
    """A team warning's stage, for `/alerts status`'s open warnings."""
    kind = kind_of_stage(stage)
    return {
        Kind.SUBSCRIPTION: "subscription not active",
        Kind.TOKEN: "API token refused",
        Kind.SLOTS: "a broken account holds a slot",
    }.get(kind, "accounts in error") if kind else "team account"  # fmt: skip


def _subscription_line(summary: AccountSummary | None) -> str:
    if summary is None:
        return "unknown (not read yet)"
    state = {True: "✅ active", False: "⚠️ **not active**", None: "unknown"}[summary.subscription_active]
    parts = [state]
    if summary.subscriptions is not None:
        parts.append(f"{summary.subscriptions} subscription(s)")
    if summary.renewed is not None:
        parts.append(f"renewed {summary.renewed.isoformat()}")
    return " · ".join(parts)


def team_status_text(state: TeamState, *, now: datetime, watched: Collection[str], auto: bool) -> str:
    """`/alerts status`: the subscription, each API's slot use, the last read and its age."""
    summary = state.summary
    lines = [f"**Subscription**: {_subscription_line(summary)}"]
    if state.read_at is not None:
        age = now - state.read_at
        lines.append(f"**Read** {format_dt(state.read_at, 'R')} ({int(age.total_seconds() // 60)} min old)")
    else:
        lines.append("**Read**: never yet")
    if state.failures:
        lines.append(f"⚠️ the last {state.failures} read(s) failed: {safe(state.outcome, 150)}")
    cap = summary.max_accounts_per_api if summary else None
    if summary is not None and summary.accounts is None:
        lines.append("Slots: unknown (useapi.net sent no readable `accounts`)")
    elif summary is not None:
        lines.append(
            f"**Slots** ({cap if cap is not None else '?'} per API):"
            if summary.accounts
            else "Slots: no API has an account"
        )
        for slots in summary.accounts or ():
            lines.append("• " + _slots_line(slots, cap, watched))
    for key, since in sorted(state.retired.items()):
        lines.append(f"• {label(key)}: retired on useapi.net (seen <t:{since}:R>)")
    if auto:
        on = ", ".join(label(k) for k in watched) or "nothing"
        lines.append(f"Switched on (SERVICES=auto): {on}")
    return _clip("\n".join(lines), STATUS_LIMIT)


def _slots_line(slots: ServiceSlots, cap: int | None, watched: Collection[str]) -> str:
    service = match_service(slots.name)
    where = (
        f"{label(service)}, {'on' if service in watched else 'off'}" if service else "no module in this bot"
    )
    total = "?" if slots.total is None else str(slots.total)
    text = f"{safe(slots.name, 60)} ({where}): {total}/{cap if cap is not None else '?'}"
    if slots.error:
        text += f" · ⚠️ {slots.error} in error"
    elif slots.error is None:
        text += " · errors unknown"
    return text


def _clip(text: str, limit: int = 1024) -> str:
    return text if len(text) <= limit else text[: limit - 2] + "\n…"


def team_fields(
    embed: discord.Embed, state: TeamState | None, *, now: datetime, watched: Collection[str], auto: bool
) -> None:
    """Add the team account's section to the `/alerts status` embed."""
    if state is None:
        return
    embed.add_field(
        name="useapi.net account",
        value=team_status_text(state, now=now, watched=list(watched), auto=auto),
        inline=False,
    )
