"""The "I'm on it" button under every warning, and the take-over button it offers.

Both are `DynamicItem`s, so buttons on messages posted before a restart keep working once the
alerts cog registered them. A claim is kept on the warning's row (`claim_warning` in
bot/tables/alert_log.py); the public message then shows who is on it, and the scheduler lapses
the claim after CLAIM_TIMEOUT (bot/watch.py).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord.utils import format_dt

from bot.delivery import DeliveryError
from bot.expiry import CREDIT_PREFIX
from bot.followup import PostedWarning
from cogs import _alert_channel as alert_channel
from cogs._format import label, safe
from cogs.alerts._embeds import followup_embed
from cogs.common import refuse_unapproved, reply, warden
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
    """Edit the warning's message to show it as it stands; raises DeliveryError."""
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
    bot = warden(interaction)
    now = bot.clock.now()
    outcome, warning = await bot.store.claim_warning(
        message_id, interaction.user.id, now=now, take_over_from=take_over_from
    )
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
    await bot.store.audit(
        now=now, actor_id=interaction.user.id, action="claim" if outcome == "claimed" else "take_over",
        service=warning.key.service, target=warning.key.account, outcome="ok",
    )  # fmt: skip
    lapses = format_dt(now + bot.settings.claim_timeout, "R")
    took = f" from <@{take_over_from}>" if outcome == "took_over" else ""
    done = f"✅ You took {what} over{took}." if took else f"✅ You're on {what}; the team sees it."
    # Nobody owned it (configured outside the bot): who takes it on owns it (bot/owners.py).
    adopted = await bot.store.adopt_account(
        warning.key.service, warning.key.account, interaction.user.id, now=now
    )
    owns = " Nobody owned this account, so you do now: its warnings ping you." if adopted else ""
    if warning.key.stage.startswith(CREDIT_PREFIX):  # nothing to renew: a top-up resolves it
        then = f"Top the account up; the claim lapses {lapses} if the warning is still open then."
    else:
        then = f"Renew it with the Renew button; the claim lapses {lapses} if it isn't renewed by then."
    await reply(interaction, f"{done} {then}{owns}")
    try:
        await redraw(bot, warning)
    except DeliveryError as exc:
        log.warning("could not show the claim on the warning message: %s", exc)


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
