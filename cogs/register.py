"""`/luma register` and `/ltx register`: a private modal, validation, then useapi.net.

Discord gives 3 seconds to answer an interaction and a modal can't follow a
deferral, so the command opens the modal at once (after a local approval
check), and the submit validates locally, defers, and only then calls upstream.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Iterator
from typing import Any

import discord
from discord import app_commands, ui
from discord.ext import commands

from bot.app import WardenBot
from bot.cookies import CookieError, parse_max_jobs
from bot.registration import RecordingFailed, register_account
from bot.useapi import AccountInfo, UseapiError, UseapiService
from cogs.common import refuse_unapproved, reply, warden
from cogs.embeds import registration_embed, renewal_notice, safe, when
from cogs.errors import answer_error

log = logging.getLogger(__name__)

MODAL_ID_PREFIX = "warden:register:"
# Modal ids this process handed out, oldest first; bounded so a long-running bot stays small.
MAX_REMEMBERED_MODALS = 5000


class RegisterModal(ui.Modal):
    """The form; subclasses add the fields a service needs."""

    cookie: ui.TextInput[RegisterModal]

    def __init__(self, service: UseapiService, issued: dict[str, None]) -> None:
        # Long enough to go and copy a cookie; after this discord.py forgets the modal and a late
        # submit is handled by RegisterCog.on_interaction instead.
        custom_id = f"{MODAL_ID_PREFIX}{service.key}:{secrets.token_hex(8)}"
        super().__init__(title=f"Register your {service.label} account", timeout=3600, custom_id=custom_id)
        self.service = service
        self._issued = issued
        issued[custom_id] = None
        while len(issued) > MAX_REMEMBERED_MODALS:
            issued.pop(next(iter(issued)))

    async def on_timeout(self) -> None:
        self._issued.pop(self.custom_id, None)

    def max_jobs_text(self) -> str | None:
        return None

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:  # type: ignore[override]
        await submit_registration(interaction, self.service, self.cookie.value, self.max_jobs_text())

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:  # type: ignore[override]
        await answer_error(interaction, error)


class LumaModal(RegisterModal):
    cookie: ui.TextInput[RegisterModal] = ui.TextInput(
        label="Luma session cookie",
        custom_id="cookie",
        placeholder="The value of luma_session (or the whole Cookie header)",
        style=discord.TextStyle.short,
        min_length=1,
        max_length=4000,
    )


class LtxModal(RegisterModal):
    cookie: ui.TextInput[RegisterModal] = ui.TextInput(
        label="LTX Studio cookie",
        custom_id="cookie",
        placeholder="lt_id=…; lt_token=…; lt_refresh_token=…",
        style=discord.TextStyle.paragraph,
        min_length=1,
        max_length=4000,
    )
    max_jobs: ui.TextInput[RegisterModal] = ui.TextInput(
        label="Max concurrent jobs (1-100)",
        custom_id="max_jobs",
        placeholder="20",
        style=discord.TextStyle.short,
        required=False,
        max_length=3,
    )

    def max_jobs_text(self) -> str | None:
        return self.max_jobs.value


MODALS: dict[str, type[RegisterModal]] = {"luma": LumaModal, "ltx": LtxModal}


def build_register_modal(bot: WardenBot, service: UseapiService) -> RegisterModal:
    return MODALS[service.key](service, bot.issued_modal_ids)


async def open_register_modal(interaction: discord.Interaction[Any], service: UseapiService) -> None:
    """Open the modal for an approved member, refuse anyone else privately. Used by Renew too."""
    if await refuse_unapproved(interaction, action="open_register", service=service.key):
        return
    await interaction.response.send_modal(build_register_modal(warden(interaction), service))


async def submit_registration(
    interaction: discord.Interaction[Any], service: UseapiService, raw_cookie: str, raw_max_jobs: str | None
) -> None:
    bot = warden(interaction)
    # Approval may have been revoked while the modal was open.
    if await refuse_unapproved(interaction, action="register", service=service.key):
        return
    now = bot.clock.now()
    try:
        credential = service.parse_credential(raw_cookie)
        max_jobs = parse_max_jobs(raw_max_jobs) if raw_max_jobs is not None else None
    except CookieError as exc:
        await bot.store.audit(
            now=now, actor_id=interaction.user.id, action="register", service=service.key,
            outcome="invalid_input", detail=str(exc)[:200],
        )  # fmt: skip
        await reply(interaction, f"{exc}\nNothing was sent to useapi.net.")
        return
    # Only a submit about to reach useapi.net spends a token (REGISTER_RATE); answered before the
    # deferral, so it is an in-memory check with no await between test and spend.
    wait = bot.register_throttle.take(interaction.user.id, now)
    if wait is not None:
        seconds = max(1, math.ceil(wait.total_seconds()))
        await reply(
            interaction,
            f"You sent several registrations in a row. Try again in {seconds} s; nothing was sent.",
        )
        return

    with bot.in_flight():
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            info = await register_account(
                service, credential, max_jobs=max_jobs, store=bot.store, user_id=interaction.user.id, now=now
            )
        except UseapiError as exc:
            await reply(interaction, f"❌ {service.label}: {exc.user_message()}")
            return
        except RecordingFailed as exc:
            log.error("registration accepted upstream but not recorded: %s", exc.__cause__)
            await reply(
                interaction,
                f"⚠️ useapi.net accepted the {service.label} cookie for **{safe(exc.info.account)}** "
                f"(expires {when(exc.info.expires_at)}), but the bot could not record it in its database. "
                "The account works; tell the bot's operator (the disk may be full or read-only).",
            )
            return
        try:
            await _finish_registration(bot, interaction, service, info)
        finally:
            # For the alerts cog, when loaded (on_account_registered): a renewal re-arms the
            # account's stages, and an expiry already inside one is warned about at once.
            bot.dispatch("account_registered", info)


async def _finish_registration(
    bot: WardenBot, interaction: discord.Interaction[Any], service: UseapiService, info: AccountInfo
) -> None:
    notice_failed = await post_renewal_notice(bot, interaction.user.id, info)
    extra = f"\n⚠️ {notice_failed}" if notice_failed else ""
    await reply(
        interaction,
        f"✅ useapi.net accepted the {service.label} cookie.{extra}",
        embed=registration_embed(info),
    )


async def post_renewal_notice(bot: WardenBot, user_id: int, info: Any) -> str | None:
    """Tell the team in the alert channel; return why it failed, or None."""
    try:
        await bot.send_to_alert_channel(content=renewal_notice(user_id, info))
    except LookupError:
        return None  # no alert channel configured: nothing to tell
    except discord.Forbidden:
        log.warning("cannot post the renewal notice: missing permission in the alert channel")
        return "The public notice could not be posted: the bot lacks permission in the alert channel."
    except discord.NotFound:
        log.warning("cannot post the renewal notice: the alert channel no longer exists")
        return "The public notice could not be posted: the alert channel no longer exists."
    except discord.HTTPException as exc:
        log.warning("cannot post the renewal notice: Discord answered %s", exc.status)
        return "The public notice could not be posted (Discord error); the registration itself worked."
    return None


@app_commands.guild_only()
class RegisterCog(commands.GroupCog, group_name="register-base"):
    """Base for one command group per service; subclasses name the group and the service."""

    service_key: str

    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="register", description="Paste a fresh session cookie to renew the account")
    async def register(self, interaction: discord.Interaction[Any]) -> None:
        await open_register_modal(interaction, self.bot.services[self.service_key])

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Submits of forms this process doesn't know: opened before a restart, or over an hour ago.

        discord.py only routes a submit to a modal it still holds; without this the member would
        see "This interaction failed" after every deploy.
        """
        if interaction.type is not discord.InteractionType.modal_submit or interaction.data is None:
            return
        custom_id = str(interaction.data.get("custom_id", ""))
        if not custom_id.startswith(f"{MODAL_ID_PREFIX}{self.service_key}:"):
            return
        if custom_id in self.bot.issued_modal_ids:
            return  # discord.py delivers it to the modal's own on_submit
        values = dict(_submitted_values(interaction.data.get("components", [])))
        service = self.bot.services[self.service_key]
        max_jobs = values.get("max_jobs", "") if self.service_key == "ltx" else None
        try:
            await submit_registration(interaction, service, values.get("cookie", ""), max_jobs)
        except Exception as exc:  # the same answer a live modal's on_error gives
            await answer_error(interaction, exc)


class LumaCog(RegisterCog, group_name="luma", group_description="Luma Dream Machine accounts on useapi.net"):
    service_key = "luma"


class LtxCog(RegisterCog, group_name="ltx", group_description="LTX Studio accounts on useapi.net"):
    service_key = "ltx"


def _submitted_values(components: Any) -> Iterator[tuple[str, str]]:
    """(custom_id, value) of every text input in a modal submit (action rows or labels)."""
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict):
            continue
        if component.get("type") == 4 and isinstance(component.get("value"), str):
            yield str(component.get("custom_id", "")), component["value"]
        yield from _submitted_values(component.get("components"))
        if isinstance(component.get("component"), dict):
            yield from _submitted_values([component["component"]])


SERVICE_COGS: dict[str, type[RegisterCog]] = {"luma": LumaCog, "ltx": LtxCog}


async def setup(bot: WardenBot) -> None:
    # A service switched off in SERVICES registers no commands at all.
    for key in bot.services:
        await bot.add_cog(SERVICE_COGS[key](bot))
