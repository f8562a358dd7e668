"""The "I'm on it" button under every warning, and the take-over button it offers.

Both are `DynamicItem`s, so buttons on messages posted before a restart keep working once the
alerts cog registered them. A claim is kept on the warning's row (`claim_warning` in
bot/tables/alert_log.py); the public message then shows who is on it, and the scheduler lapses
the claim after CLAIM_TIMEOUT (bot/watch.py).

The public message is never drawn from what this click read: the claim is stored, and the
message is redrawn from the state stored at the moment of the edit, under the warning's lock
(bot/redraw.py). A renewal resolving the warning meanwhile wins; a standby instance leaves the
redraw to the scheduler lease holder.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord.utils import format_dt

from bot.expiry import CREDIT_PREFIX
from bot.followup import PostedWarning
from bot.models import WarningKey
from bot.redraw import RedrawFailed
from bot.store import StoreError
from cogs import _alert_channel as alert_channel
from cogs._format import label, safe
from cogs.alerts._embeds import followup_embed
from cogs.common import acknowledge, refuse_unapproved, reply, warden
from cogs.errors import answer_error
from cogs.register import RenewButton

if TYPE_CHECKING:
    from bot.app import WardenBot

log = logging.getLogger(__name__)


def warning_view(service: str, *, renew: bool = True) -> discord.ui.View:
    """Renew and I'm on it, under a warning (a credit warning has nothing to renew: I'm on it only)."""
    view = discord.ui.View(timeout=None)
    if renew:
        view.add_item(RenewButton(service))
    view.add_item(ClaimButton(service))
    return view


async def redraw(bot: WardenBot, warning: PostedWarning) -> None:
    """Edit the warning's message to show `warning` (read under its lock by bot/redraw.py, the
    only caller); raises DeliveryError."""
    account = await bot.store.get_account(warning.key.service, warning.key.account)
    # A team warning (the subscription, the token, slots) has no buttons: nobody fixes it from
    # Discord; a credit crossing has nothing to renew.
    open_account_warning = warning.resolved_at is None and not warning.key.is_team
    renew = not warning.key.stage.startswith(CREDIT_PREFIX)
    view = warning_view(warning.key.service, renew=renew) if open_account_warning else None
    await alert_channel.edit(
        bot, warning.channel_id, warning.message_id, embed=followup_embed(warning, account), view=view
    )


async def claim(
    interaction: discord.Interaction[WardenBot], message_id: int, *, take_over_from: int | None = None
) -> None:
    """Claim (or take over) the warning posted as `message_id`, answer privately, then redraw it."""
    if await refuse_unapproved(
        interaction,
        action="claim",
        service=None,
        sentence="Only members approved to register accounts can claim a warning.",
    ):
        return
    await acknowledge(interaction)  # before anything waits on the database
    bot = warden(interaction)
    now = bot.clock.now()
    store = bot.store
    async with store.atomic():  # the claim and its audit entry, or neither (busy: nothing changed)
        outcome, warning = await store.claim_warning(
            message_id, interaction.user.id, now=now, take_over_from=take_over_from
        )
        if outcome in ("claimed", "took_over"):
            assert warning is not None
            await store.audit(
                now=now, actor_id=interaction.user.id, action="claim" if outcome == "claimed" else "take_over",
                service=warning.key.service, target=warning.key.account, outcome="ok",
            )  # fmt: skip
    if warning is None:
        await reply(
            interaction, "This message isn't an open warning (a sample from `/alerts test`, or a reminder)."
        )
        return
    what = f"{label(warning.key.service)} **{safe(warning.key.account, 100)}**"
    if outcome == "resolved":
        await reply(interaction, f"The warning about {what} is resolved already: nothing to do.")
        return
    assert warning.claim is not None
    since = format_dt(warning.claim.at, "R")
    if outcome == "mine":
        await reply(interaction, f"You're on {what} already (since {since}).")
        return
    if outcome == "taken":
        view = discord.ui.View(timeout=300)
        view.add_item(TakeOverButton(message_id, warning.claim.by))
        await reply(
            interaction, f"<@{warning.claim.by}> is on {what} since {since}. Take it over?", view=view
        )
        return
    lapses = format_dt(now + bot.settings.claim_timeout, "R")
    took = f" from <@{take_over_from}>" if outcome == "took_over" else ""
    done = f"✅ You took {what} over{took}." if took else f"✅ You're on {what}; the team sees it."
    # Nobody owned it (configured outside the bot): who takes it on owns it (bot/owners.py).
    try:
        adopted = await bot.store.adopt_account(
            warning.key.service, warning.key.account, interaction.user.id, now=now
        )
    except StoreError as exc:  # the claim stands; the adoption waits for the next claim
        log.warning("could not record the claimer as the account's owner: %s", exc)
        adopted = False
    owns = " Nobody owned this account, so you do now: its warnings ping you." if adopted else ""
    if warning.key.stage.startswith(CREDIT_PREFIX):  # nothing to renew: a top-up resolves it
        then = f"Top the account up; the claim lapses {lapses} if the warning is still open then."
    else:
        then = f"Renew it with the Renew button; the claim lapses {lapses} if it isn't renewed by then."
    await reply(interaction, f"{done} {then}{owns}")
    await show(bot, warning.key)


async def show(bot: WardenBot, key: WarningKey) -> None:
    """Redraw the warning's public message from its stored state (bot/redraw.py); a failure is
    left pending for the scheduler, which follows through at its next pass."""
    cog: Any = bot.get_cog("AlertsCog")
    messages = cog.watch.messages if cog is not None else None
    if messages is None:
        return
    try:
        await messages.redraw(key)
    except (RedrawFailed, StoreError) as exc:
        log.warning("could not show the claim on the warning message (retried by the scheduler): %s", exc)
        cog.watch.follow_up_soon()


class ClaimButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"warden:claim:(?P<service>[a-z]+)"
):
    """I'm on it: claims the warning it is under. Dynamic, so it outlives restarts."""

    def __init__(self, service: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="I'm on it",
                emoji="🙋",
                style=discord.ButtonStyle.secondary,
                custom_id=f"warden:claim:{service}",
            )
        )
        self.service = service

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls, interaction: discord.Interaction[WardenBot], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ClaimButton:
        return cls(match["service"])

    async def callback(self, interaction: discord.Interaction[WardenBot]) -> None:  # type: ignore[override]
        try:
            assert interaction.message is not None
            await claim(interaction, interaction.message.id)
        except Exception as exc:
            await answer_error(interaction, exc)


class TakeOverButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"warden:takeover:(?P<message>\d+):(?P<holder>\d+)",
):
    """Offered privately to a member who pressed I'm on it while someone else had it."""

    def __init__(self, message_id: int, holder: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Take it over",
                style=discord.ButtonStyle.danger,
                custom_id=f"warden:takeover:{message_id}:{holder}",
            )
        )
        self.message_id = message_id
        self.holder = holder

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls, interaction: discord.Interaction[WardenBot], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> TakeOverButton:
        return cls(int(match["message"]), int(match["holder"]))

    async def callback(self, interaction: discord.Interaction[WardenBot]) -> None:  # type: ignore[override]
        try:
            await claim(interaction, self.message_id, take_over_from=self.holder)
        except Exception as exc:
            await answer_error(interaction, exc)
