"""How the expiry watch looks in Discord: warnings, sync notices, `/alerts status`, the test sample.

Pure builders: each takes what it shows and returns an embed. Upstream data is escaped (`safe`),
so it can't ping or format anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import discord
from discord.utils import format_dt

from bot import quiet, routing
from bot.credits import Threshold
from bot.deliverability import Blocked
from bot.delivery import Problem
from bot.durations import format_duration
from bot.escalation import Escalation
from bot.expiry import CREDIT_PREFIX, Alert, Kind, Plan, format_stages, stage_label, stage_text
from bot.followup import How, PostedWarning, Reminder, Resolution
from bot.models import AlertFailure, TrackedAccount, WarningKey
from bot.services import REGISTRY, register_command
from bot.sync import Notice, SyncState
from bot.team_account import TeamState
from bot.watch import PassFault
from cogs._format import COLOUR_INFO, COLOUR_WARN, label, left_text, safe, when
from cogs.alerts._team import team_fields, team_resolution_text, team_stage_text

COLOUR_URGENT = discord.Colour.red()
# Above a warning sent to its owner's direct messages (`/notify me`).
DM_INTRO = (
    "An early warning about an account you own (you chose direct messages with `/notify me`; "
    "the last stage and expiry still go to the team's channel)."
)
NO_OWNER = "nobody yet (an admin sets one with `/alerts owner`; claiming it makes you its owner)"


def _noun(service: str) -> str:
    known = REGISTRY.get(service)
    return known.expiry_noun if known else "session"


def _expires(noun: str, phrase: str) -> str:
    """`noun` + a phrase starting "expires", the verb agreeing with it ("cookies expire")."""
    plural = noun.endswith("s") and not noun.endswith("ss")
    return f"{noun} {phrase.replace('expires', 'expire', 1) if plural else phrase}"


def _renewed_by(acc: TrackedAccount) -> str:
    if acc.registered_by and acc.registered_at:
        return f"<@{acc.registered_by}> {format_dt(acc.registered_at, 'R')}"
    return "configured outside the bot"


def credit_warning_embed(alert: Alert, *, test: bool = False) -> discord.Embed:
    """A credit warning: one figure of one account below its threshold (bot.credits)."""
    acc, figure = alert.account, alert.credit
    assert figure is not None
    service = label(acc.service)
    what = safe(figure.label, 60)
    title = f"{service} account low: {what} below {alert.threshold or 'the threshold'}"
    if test:
        title = f"[Test] {title}"
    embed = discord.Embed(title=title[:256], description=f"**{safe(acc.account)}**", colour=COLOUR_WARN)
    embed.add_field(name="Service", value=service)
    embed.add_field(name="Stage", value="below the credit threshold")
    embed.add_field(
        name="Left",
        value=f"{left_text(figure.remaining, figure.allowance, figure.unit)} ({what})",
        inline=False,
    )
    embed.add_field(name="Threshold", value=f"below {alert.threshold} (`/alerts credits`)", inline=False)
    if figure.read_at is not None:
        embed.add_field(name="Read", value=format_dt(figure.read_at, "R"), inline=False)
    if figure.resets_at is not None:
        embed.add_field(
            name="Resets",
            value=f"{when(figure.resets_at)}: it refills by itself, and this warning resolves then",
            inline=False,
        )
        footer = "Nothing to renew: wait for the reset, or use another account meanwhile."
    else:
        footer = (
            f"Top the account up on {service} (or move work to another account); this warning "
            "resolves once a read finds it above the threshold."
        )
    embed.set_footer(text=footer + (" This is a test." if test else ""))
    return embed


def warning_embed(
    alert: Alert, *, rechecked: bool = True, test: bool = False, owner: int | None = None
) -> discord.Embed:
    """One warning, naming the account's owner (bot/owners.py). Every piece of upstream data is
    escaped: it can't ping or format anything."""
    acc = alert.account
    service = label(acc.service)
    if alert.kind is Kind.CREDIT:
        return credit_warning_embed(alert, test=test)
    if alert.kind is Kind.GONE:
        title = f"{service} account no longer on useapi.net"
        stage = "disappeared upstream"
        colour = COLOUR_URGENT
    elif alert.kind is Kind.ERROR:
        title = f"useapi.net reports a problem with a {service} account"
        stage = "error reported upstream"
        colour = COLOUR_URGENT
    else:
        lead = alert.lead or timedelta(0)
        stage = stage_label(lead)
        title = f"{service} {_expires(_noun(acc.service), stage)}"
        colour = COLOUR_URGENT if lead <= timedelta(hours=6) else COLOUR_WARN
    if test:
        title = f"[Test] {title}"
    embed = discord.Embed(title=title, description=f"**{safe(acc.account)}**", colour=colour)
    embed.add_field(name="Service", value=service)
    embed.add_field(name="Stage", value=stage)
    embed.add_field(name="Expires", value=when(acc.expires_at), inline=False)
    if acc.refresh_expires_at:
        embed.add_field(name="Refresh token expires", value=when(acc.refresh_expires_at), inline=False)
    embed.add_field(name="Last renewed", value=_renewed_by(acc), inline=False)
    embed.add_field(name="Owner", value=f"<@{owner}>" if owner else NO_OWNER, inline=False)
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
    embed.set_footer(
        text=f"Renew with the button below or {register_command(acc.service)}."
        + (" This is a test." if test else "")
    )
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


def escalation_embed(escalation: Escalation, *, owner: int | None) -> discord.Embed:
    """An escalation, posted as a reply to the warning nobody took (`/alerts escalate`)."""
    warning, acc = escalation.about, escalation.account
    embed = discord.Embed(
        title=f"Escalated: {label(acc.service)} account needs someone now",
        description=f"**{safe(acc.account)}**: nobody has claimed or renewed it since "
        f"{format_dt(escalation.since, 'R')} ({_stage_of(warning.key.stage)}).",
        colour=COLOUR_URGENT,
    )
    if acc.expires_at:
        embed.add_field(name="Expires", value=when(acc.expires_at), inline=False)
    embed.add_field(name="Owner", value=f"<@{owner}>" if owner else NO_OWNER, inline=False)
    embed.set_footer(text="Renew with the button below, or press I'm on it on the warning.")
    return embed


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
    open_warnings: Sequence[PostedWarning] = (),
    faults: Sequence[PassFault] = (),
    team: TeamState | None = None,
    auto_services: bool = False,
    credit_thresholds: Mapping[str, Mapping[str, Threshold]] | None = None,
    blocked: Blocked | None = None,
    routes: Mapping[str, routing.Route] | None = None,
    quiet_hours: quiet.QuietHours | None = None,
    escalation: tuple[int, timedelta] | None = None,
) -> discord.Embed:
    """`/alerts status`: channel, mention, where each service's warnings go, quiet hours,
    escalation, stages, what is due and next (as many upcoming warnings as `plan` holds, then
    how many more), each service's last sync, and what went wrong; `blocked`: why no warning can
    be posted now (bot/deliverability.py)."""
    embed = discord.Embed(title="Expiry warnings", colour=COLOUR_INFO)
    if channel_id is None:
        channel_text = "⚠️ not set: no warning can be posted (`/alerts channel`)"
    else:
        channel_text = f"<#{channel_id}>" + (" (ALERT_CHANNEL_ID)" if channel_is_default else "")
    embed.add_field(name="Channel", value=channel_text)
    if blocked is not None:
        embed.colour = COLOUR_WARN
        embed.add_field(name="⚠️ Warnings can't be posted", value=blocked_text(blocked), inline=False)
    embed.add_field(name="Mention", value=f"<@&{mention_role_id}>" if mention_role_id else "nobody")
    if routes:
        embed.add_field(name="Routing", value=routing_text(routes, channel_id), inline=False)
    quiet_end = quiet_hours.end_of_quiet(now) if quiet_hours else None
    embed.add_field(name="Quiet hours", value=quiet_text(quiet_hours, now), inline=False)
    embed.add_field(
        name="Escalation",
        value=f"<@&{escalation[0]}> after {format_duration(escalation[1])} nobody took a warning that needs a person"
        if escalation
        else "off",
        inline=False,
    )
    embed.add_field(
        name="Stages",
        value=_clip(
            "\n".join(
                f"{label(k)}: {format_stages(v).replace(',', ', ')}, expired" for k, v in stages.items()
            )
            or "no service is switched on"
        ),
        inline=False,
    )

    lines = []
    for alert in plan.due:
        failure = failures.get(alert.key)
        why = f" · ⚠️ {failure.attempts} failed attempt(s): {safe(failure.reason, 150)}" if failure else ""
        due = "**due now**"
        if quiet_hours is not None and quiet_end is not None and quiet.should_hold(alert, quiet_hours, now):
            due = f"**held until {format_dt(quiet_end, 't')}** (quiet hours)"
        lines.append(
            f"• {due} · {label(alert.key.service)} · {safe(alert.key.account, 60)} · {_stage_text(alert)}{why}"
        )
    for upcoming in plan.upcoming:
        lines.append(
            f"• {format_dt(upcoming.due_at, 'R')} · {label(upcoming.key.service)} · "
            f"{safe(upcoming.key.account, 60)} · {stage_label(upcoming.lead)}"
        )
    if plan.more_upcoming:
        lines.append(f"…and {plan.more_upcoming} more")
    embed.add_field(name="Next warnings", value=_clip("\n".join(lines) or "none scheduled"), inline=False)
    embed.add_field(name="Open warnings", value=open_warnings_text(open_warnings), inline=False)
    if credit_thresholds:
        embed.add_field(
            name="Credit thresholds",
            value=_clip(
                "\n".join(
                    f"{label(service)}: " + ", ".join(f"{t.key} below {t.text()}" for t in found.values())
                    for service, found in credit_thresholds.items()
                )
            ),
            inline=False,
        )

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
    team_fields(embed, team, now=now, watched=list(sync_states), auto=auto_services)

    if standing_by:
        embed.add_field(
            name="Scheduler",
            value="⚠️ another instance holds the scheduler lease; this one is standing by.",
            inline=False,
        )
    if last_error:
        embed.add_field(name="Last pass failed", value=safe(last_error, 300), inline=False)
    if faults:
        embed.add_field(name="Problems in the last pass", value=faults_text(faults), inline=False)
    embed.set_footer(text=f"Checked at {now:%Y-%m-%d %H:%M:%S} UTC")
    return _fit(embed)


EMBED_LIMIT = 6000  # Discord's limit on all of an embed's text together


def _fit(embed: discord.Embed) -> discord.Embed:
    """Shorten the longest fields until the whole embed is within Discord's limit (a status
    with every field at its longest: many services, each with its own channel, syncs and faults)."""
    while len(embed) > EMBED_LIMIT:
        index = max(range(len(embed.fields)), key=lambda i: len(embed.fields[i].value or ""))
        field = embed.fields[index]
        value = field.value or ""
        keep = max(len(value) - (len(embed) - EMBED_LIMIT) - 2, 1)
        embed.set_field_at(
            index, name=field.name or "", value=value[:keep].rstrip() + "\n…", inline=bool(field.inline)
        )
    return embed


def blocked_text(blocked: Blocked) -> str:
    """Why no warning can be posted, since when, and when the bot tries again."""
    if blocked.problem is Problem.UNCONFIGURED:
        head = "No alert channel is set: pick one with `/alerts channel` (or set ALERT_CHANNEL_ID)."
    else:
        head = f"{safe(blocked.reason, 300)} (first found {format_dt(blocked.since, 'R')})."
    lines = [head, "Meanwhile the due warnings wait, and nothing is read from useapi.net for them."]
    if blocked.retry_at is not None:
        sooner = blocked.sooner.replace("/alerts channel", "`/alerts channel`").replace(
            "/alerts test", "`/alerts test`"
        )
        lines.append(f"Tried again {format_dt(blocked.retry_at, 'R')}, or at once {sooner}.")
    return "\n".join(lines)


def routing_text(routes: Mapping[str, routing.Route], team_channel: int | None) -> str:
    """`/alerts status`: where each switched-on service's warnings go, and why."""
    lines = []
    for service, route in routes.items():
        own = f"<#{route.own_channel_id}>" if route.own_channel_id else ""
        team = f"<#{team_channel}>" if team_channel else "no channel"
        if route.via is routing.Via.SERVICE and route.broken is not None:
            line = f"{own}, ⚠️ which refused the last post (missing permission): tried first, then {team}"
        elif route.via is routing.Via.SERVICE:
            line = f"{own} (its own)"
        elif route.via is routing.Via.FALLBACK:
            line = f"{team}: ⚠️ its own channel {own} was deleted (`/alerts channel` picks another)"
        elif route.via is routing.Via.TEAM:
            line = f"{team} (the team's)"
        else:
            line = "⚠️ nowhere: no channel is set"
        lines.append(f"**{label(service)}** → {line}")
    return _clip("\n".join(lines) or "no service is switched on")


def quiet_text(quiet_hours: quiet.QuietHours | None, now: datetime) -> str:
    """`/alerts status` and `/alerts quiet`: the quiet hours and whether they are on now."""
    if quiet_hours is None:
        return "none (`/alerts quiet` sets them)"
    shown = f"{quiet_hours.start:%H:%M} to {quiet_hours.end:%H:%M} {quiet_hours.zone_name}"
    ends = quiet_hours.end_of_quiet(now)
    if ends is not None:
        return f"{shown} · 🌙 now, until {format_dt(ends, 'f')}: stage warnings wait, only expiry and act-now warnings ping"
    starts = quiet_hours.next_start(now)
    return f"{shown} · next from {format_dt(starts, 'f')}" if starts else shown


def faults_text(faults: Sequence[PassFault], *, limit: int = 5) -> str:
    """The steps of the last pass that failed (it went on for everything else), one a line."""
    lines = [
        f"• {fault.step} · {label(fault.service)}"
        + (f" · {safe(fault.account, 60)}" if fault.account else "")
        + f" · {safe(fault.error, 120)}"
        for fault in faults[:limit]
    ]
    if len(faults) > limit:
        lines.append(f"…and {len(faults) - limit} more")
    head = f"{len(faults)} step(s) failed; the rest of the pass went on (details in the log)"
    return _clip(head + "\n" + "\n".join(lines))


def _stage_text(alert: Alert) -> str:
    if alert.kind is Kind.CREDIT:
        return _stage_of(alert.key.stage)
    if alert.kind is Kind.GONE:
        return "disappeared upstream"
    if alert.kind is Kind.ERROR:
        return "error reported upstream"
    return stage_label(alert.lead or timedelta(0))


def _clip(text: str, limit: int = 1024) -> str:
    return text if len(text) <= limit else text[: limit - 2] + "\n…"


# -- follow-through: claimed, lapsed, resolved, reminded ---------------------------------------

COLOUR_RESOLVED = discord.Colour.green()
RESOLVED_PREFIX = "✅ Resolved · "
# The fields this module adds to a posted warning; a redraw replaces them.
_FOLLOW_FIELDS = ("On it", "Claim", "Resolved", "Expires now")


def resolution_text(resolution: Resolution, account: TrackedAccount | None) -> str:
    """How a warning was resolved, for people."""
    how, by = resolution.how, resolution.by
    if how is How.RENEWED:
        return f"Renewed by <@{by}>" if by else "Renewed through the bot"
    if how is How.REFRESHED:
        if account is not None and account.self_renewing:
            return "Refreshed by useapi.net"
        return "Renewed outside the bot or refreshed by useapi.net"
    if how is How.CLEARED:
        return "useapi.net no longer reports a problem"
    if how is How.RETURNED:
        return "The account is listed on useapi.net again"
    if how is How.REMOVED:
        return f"Removed by <@{by}>; no longer tracked" if by else "No longer tracked by the bot"
    if how is How.TOPPED_UP:
        return "Topped up: back above the credit threshold"
    if how is How.RESET:
        return "Refilled by itself at its reset time"
    if how is How.UNWATCHED:
        return "The credit threshold was switched off or lowered"
    return "Replaced by a newer warning about this account"


def followup_embed(warning: PostedWarning, account: TrackedAccount | None) -> discord.Embed:
    """The warning as posted, redrawn with who is on it, a lapsed claim, or how it was resolved."""
    if warning.embed:
        embed = discord.Embed.from_dict(json.loads(warning.embed))
    else:  # posted before the bot kept embeds: enough to read on its own
        embed = discord.Embed(
            title=f"{label(warning.key.service)} warning", description=f"**{safe(warning.key.account)}**"
        )
    kept = [f for f in embed.fields if f.name not in _FOLLOW_FIELDS]
    embed.clear_fields()
    for f in kept:
        embed.add_field(name=f.name or "", value=f.value or "", inline=f.inline)
    title = embed.title or ""
    if title.startswith(RESOLVED_PREFIX):
        title = title[len(RESOLVED_PREFIX) :]
    embed.title = title
    if warning.resolution is not None and warning.resolved_at is not None:
        embed.title = (RESOLVED_PREFIX + title)[:256]
        embed.colour = COLOUR_RESOLVED
        how = (
            team_resolution_text(warning.key.stage)
            if warning.key.is_team
            else resolution_text(warning.resolution, account)
        )
        embed.add_field(name="Resolved", value=f"{how} {format_dt(warning.resolved_at, 'R')}", inline=False)
        if (
            account is not None
            and account.expires_at
            and warning.resolution.how in (How.RENEWED, How.REFRESHED)
        ):
            embed.add_field(name="Expires now", value=when(account.expires_at), inline=False)
        embed.set_footer(text="Resolved: nothing to do.")
    elif warning.claim is not None:
        took = f", took over from <@{warning.claim.took_over_from}>" if warning.claim.took_over_from else ""
        embed.add_field(
            name="On it",
            value=f"<@{warning.claim.by}> since {format_dt(warning.claim.at, 'R')}{took}",
            inline=False,
        )
    elif warning.lapsed is not None:
        embed.add_field(
            name="Claim",
            value=f"<@{warning.lapsed.by}>'s claim lapsed {format_dt(warning.lapsed.at, 'R')} without a "
            "renewal; anyone can take it.",
            inline=False,
        )
    return embed


def reminder_embed(reminder: Reminder) -> discord.Embed:
    """A reminder, posted as a reply to the open warning it is about."""
    warning, acc = reminder.about, reminder.account
    stage = warning.key.stage
    if stage.startswith("error:"):
        what = "useapi.net still reports a problem with it"
    elif acc.expires_at is not None and acc.expires_at <= reminder.quiet_since:
        what = f"its {_noun(acc.service)} expired {format_dt(acc.expires_at, 'R')}"
    else:
        what = f"its {_expires(_noun(acc.service), 'expires')} {format_dt(acc.expires_at, 'R')}" if acc.expires_at \
            else "it still needs someone"  # fmt: skip
    embed = discord.Embed(
        title=f"Reminder: {label(acc.service)} account still needs someone",
        description=f"**{safe(acc.account)}**: {what}, and nobody has renewed or claimed it since "
        f"{format_dt(warning.recorded_at, 'R')}.",
        colour=COLOUR_URGENT,
    )
    if acc.expires_at:
        embed.add_field(name="Expires", value=when(acc.expires_at), inline=False)
    embed.set_footer(
        text=f"Renew with the button below or {register_command(acc.service)}; or press I'm on it on the warning."
    )
    return embed


def open_warnings_text(warnings: Sequence[PostedWarning], *, limit: int = 10) -> str:
    """`/alerts status`: the open warnings, newest first (account, stage, since when, claimed by)."""
    lines = []
    for warning in sorted(warnings, key=lambda w: w.recorded_at, reverse=True)[:limit]:
        claim = (
            f" · 🙋 <@{warning.claim.by}> since {format_dt(warning.claim.at, 'R')}" if warning.claim else ""
        )
        lines.append(
            f"• {label(warning.key.service)} · {safe(warning.key.account, 60)} · "
            f"{_stage_of(warning.key.stage)} · since {format_dt(warning.recorded_at, 'R')}{claim}"
        )
    if len(warnings) > limit:
        lines.append(f"…and {len(warnings) - limit} more")
    return _clip("\n".join(lines) or "none")


def _stage_of(stage: str) -> str:
    if stage.startswith("team:"):
        return team_stage_text(stage)
    if stage == "gone":
        return "disappeared upstream"
    if stage.startswith("error:"):
        return "error reported upstream"
    if stage.startswith(CREDIT_PREFIX):
        return f"{safe(stage[len(CREDIT_PREFIX) :], 40)} below the credit threshold"
    if stage == "expired":
        return "expired"
    return f"expires within {stage_text(stage)}"
