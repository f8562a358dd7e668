"""How the expiry watch looks in Discord: warnings, sync notices, `/alerts status`, the test sample.

Pure builders: each takes what it shows and returns an embed. Upstream data is escaped (`safe`),
so it can't ping or format anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import discord
from discord.utils import format_dt

from bot.expiry import Alert, Kind, Plan, format_stages, stage_label
from bot.models import AlertFailure, TrackedAccount, WarningKey
from bot.services import REGISTRY
from bot.sync import Notice, SyncState
from cogs._format import COLOUR_INFO, COLOUR_WARN, label, safe, when

COLOUR_URGENT = discord.Colour.red()


def _noun(service: str) -> str:
    known = REGISTRY.get(service)
    return known.expiry_noun if known else "session"


def _renewed_by(acc: TrackedAccount) -> str:
    if acc.registered_by and acc.registered_at:
        return f"<@{acc.registered_by}> {format_dt(acc.registered_at, 'R')}"
    return "configured outside the bot"


def warning_embed(alert: Alert, *, rechecked: bool = True, test: bool = False) -> discord.Embed:
    """One warning. Every piece of upstream data is escaped: it can't ping or format anything."""
    acc = alert.account
    service = label(acc.service)
    if alert.kind is Kind.GONE:
        title = f"{service} account no longer on useapi.net"
        stage = "disappeared upstream"
        colour = COLOUR_URGENT
    elif alert.kind is Kind.ERROR:
        title = f"useapi.net reports a problem with a {service} account"
        stage = "error reported upstream"
        colour = COLOUR_URGENT
    else:
        threshold = alert.threshold or timedelta(0)
        stage = stage_label(threshold)
        title = f"{service} {_noun(acc.service)} {stage}"
        colour = COLOUR_URGENT if threshold <= timedelta(hours=6) else COLOUR_WARN
    if test:
        title = f"[Test] {title}"
    embed = discord.Embed(title=title, description=f"**{safe(acc.account)}**", colour=colour)
    embed.add_field(name="Service", value=service)
    embed.add_field(name="Stage", value=stage)
    embed.add_field(name="Expires", value=when(acc.expires_at), inline=False)
    if acc.refresh_expires_at:
        embed.add_field(name="Refresh token expires", value=when(acc.refresh_expires_at), inline=False)
    embed.add_field(name="Last renewed", value=_renewed_by(acc), inline=False)
    if alert.kind is Kind.ERROR and acc.last_error:
        embed.add_field(name="useapi.net says", value=safe(acc.last_error, 1000), inline=False)
    if alert.kind is Kind.GONE:
        embed.add_field(
            name="What happened",
            value=f"useapi.net stopped listing this account {format_dt(alert.due_at, 'R')}. "
            "Renders through it will fail until someone registers it again.",
            inline=False,
        )
    if not rechecked:
        embed.add_field(
            name="Note",
            value="useapi.net could not be re-checked just now; this is the last known expiry.",
            inline=False,
        )
    command = f"/{acc.service} register"
    embed.set_footer(text=f"Renew with the button below or {command}." + (" This is a test." if test else ""))
    return embed


def sample_alert(service: str, *, user_id: int, now: datetime) -> Alert:
    """The made-up 24h warning `/alerts test` posts, as renewed by `user_id` six days ago."""
    sample = TrackedAccount(
        service=service, account="example@example.com", expires_at=now + timedelta(hours=24),
        refresh_expires_at=None, concurrency=None, credits_usage=None, credits_limit=None, max_jobs=None,
        registered_by=user_id, registered_at=now - timedelta(days=6), last_error=None,
        upstream_updated_at=None, first_seen_at=now, synced_at=now, gone_at=None,
    )  # fmt: skip
    return Alert(WarningKey(service, sample.account, 0, "24h"), Kind.STAGE, sample, now, timedelta(hours=24))


def sync_notice_embed(service: str, notice: Notice, state: SyncState) -> discord.Embed:
    if notice == "failing":
        embed = discord.Embed(
            title=f"Can't read useapi.net's {label(service)} accounts",
            description=(
                f"The last {state.failures} attempts failed. Expiry warnings for {label(service)} use "
                "the last known data until this works again."
            ),
            colour=COLOUR_WARN,
        )
        embed.add_field(name="Last error", value=safe(state.outcome, 500) or "unknown", inline=False)
        if state.next_at:
            embed.add_field(name="Next try", value=format_dt(state.next_at, "R"))
    else:
        embed = discord.Embed(
            title=f"useapi.net's {label(service)} accounts can be read again",
            description="Expiry data is current again.",
            colour=discord.Colour.green(),
        )
    return embed


def status_embed(
    *,
    now: datetime,
    channel_id: int | None,
    channel_is_default: bool,
    mention_role_id: int | None,
    stages: Mapping[str, Sequence[timedelta]],
    plan: Plan,
    failures: Mapping[tuple[str, str, int, str], AlertFailure],
    sync_states: Mapping[str, SyncState],
    standing_by: bool,
    last_error: str | None,
) -> discord.Embed:
    """`/alerts status`: channel, mention, stages, what is due and next (as many upcoming warnings
    as `plan` holds, then how many more), each service's last sync, and what went wrong."""
    embed = discord.Embed(title="Expiry warnings", colour=COLOUR_INFO)
    if channel_id is None:
        channel_text = "⚠️ not set: no warning can be posted (`/alerts channel`)"
    else:
        channel_text = f"<#{channel_id}>" + (" (ALERT_CHANNEL_ID)" if channel_is_default else "")
    embed.add_field(name="Channel", value=channel_text)
    embed.add_field(name="Mention", value=f"<@&{mention_role_id}>" if mention_role_id else "nobody")
    embed.add_field(
        name="Stages",
        value="\n".join(
            f"{label(k)}: {format_stages(v).replace(',', ', ')}, expired" for k, v in stages.items()
        )
        or "no service is switched on",
        inline=False,
    )

    lines = []
    for alert in plan.due:
        failure = failures.get(alert.key)
        why = f" · ⚠️ {failure.attempts} failed attempt(s): {safe(failure.reason, 150)}" if failure else ""
        lines.append(
            f"• **due now** · {label(alert.key.service)} · {safe(alert.key.account, 60)} · {_stage_text(alert)}{why}"
        )
    for upcoming in plan.upcoming:
        lines.append(
            f"• {format_dt(upcoming.due_at, 'R')} · {label(upcoming.key.service)} · "
            f"{safe(upcoming.key.account, 60)} · {stage_label(upcoming.threshold)}"
        )
    if plan.more_upcoming:
        lines.append(f"…and {plan.more_upcoming} more")
    embed.add_field(name="Next warnings", value=_clip("\n".join(lines) or "none scheduled"), inline=False)

    sync_lines = []
    for key, state in sync_states.items():
        last = format_dt(state.last_attempt_at, "R") if state.last_attempt_at else "never"
        line = f"**{label(key)}**: {last} · {safe(state.outcome, 200)}"
        if state.failures:
            line += f" · {state.failures} failure(s) in a row"
            if state.next_at:
                line += f", next try {format_dt(state.next_at, 'R')}"
        sync_lines.append(line)
    embed.add_field(name="Last sync", value=_clip("\n".join(sync_lines) or "no service"), inline=False)

    if standing_by:
        embed.add_field(
            name="Scheduler",
            value="⚠️ another instance holds the scheduler lease; this one is standing by.",
            inline=False,
        )
    if last_error:
        embed.add_field(name="Last pass failed", value=safe(last_error, 300), inline=False)
    embed.set_footer(text=f"Checked at {now:%Y-%m-%d %H:%M:%S} UTC")
    return embed


def _stage_text(alert: Alert) -> str:
    if alert.kind is Kind.GONE:
        return "disappeared upstream"
    if alert.kind is Kind.ERROR:
        return "error reported upstream"
    return stage_label(alert.threshold or timedelta(0))


def _clip(text: str, limit: int = 1024) -> str:
    return text if len(text) <= limit else text[: limit - 2] + "\n…"
