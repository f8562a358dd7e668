"""`/<service> register` for every switched-on service: a private modal, validation, then useapi.net.

Discord gives 3 seconds to answer an interaction and a modal can't follow a
deferral, so the command opens the modal at once (after a local approval
check), and the submit validates locally, defers, and only then calls upstream.
"""

from __future__ import annotations

import logging
import math
import secrets
import traceback
from collections.abc import Mapping
from typing import Any

import discord
from discord import ui
from discord.utils import format_dt

from bot import metrics
from bot.app import WardenBot
from bot.delivery import DeliveryError
from bot.events import ACCOUNT_REGISTERED
from bot.form_errors import CookieError
from bot.registration import RecordingFailed, register_account
from bot.store import StoreBusy, StoreError
from bot.useapi import AccountInfo, FormField, UseapiError, UseapiService
from cogs import _alert_channel as alert_channel
from cogs._format import safe, when
from cogs.common import acknowledge, audit_after_answering, refuse_unapproved, reply, warden
from cogs.errors import DATABASE_BUSY, SOMETHING_WRONG, answer_error
from cogs.register._embeds import maybe_added_text, registration_embed, renewal_notice

log = logging.getLogger(__name__)

MODAL_ID_PREFIX = "warden:register:"
# Modal ids this process handed out, oldest first; bounded so a long-running bot stays small.
MAX_REMEMBERED_MODALS = 5000
# The audit sentence of a form a parser failed on (a bug): fixed, like every audit sentence here.
FORM_BUG = "The form could not be read: a bug in the bot (the log says where; nothing typed is kept)."
REGISTER_BUG = "The registration failed: a bug in the bot (the log says where; nothing typed is kept)."


class RegisterModal(ui.Modal):
    """A service's register form, built from its `form_fields`: each input in a Label that says
    where the value comes from (Discord's current modal layout), below the service's
    `form_intro` as a text block when it has longer steps to explain."""

    def __init__(self, service: UseapiService, issued: dict[str, None]) -> None:
        # Long enough to go and copy a cookie; after this discord.py forgets the modal and a late
        # submit is handled by RegisterCog.on_interaction instead.
        custom_id = f"{MODAL_ID_PREFIX}{service.key}:{secrets.token_hex(8)}"
        super().__init__(title=f"Register your {service.label} account", timeout=3600, custom_id=custom_id)
        self.service = service
        self._issued = issued
        self.inputs: dict[str, ui.TextInput[RegisterModal] | ui.Select[RegisterModal]] = {}
        if service.form_intro:
            # Not an input: a submit answers it with its type and id only, and values() skips it.
            self.add_item(ui.TextDisplay(service.form_intro))
        for spec in service.form_fields:
            component = _input_for(spec)
            self.inputs[spec.id] = component
            self.add_item(ui.Label(text=spec.label, description=spec.description, component=component))
        issued[custom_id] = None
        while len(issued) > MAX_REMEMBERED_MODALS:
            issued.pop(next(iter(issued)))

    async def on_timeout(self) -> None:
        self._issued.pop(self.custom_id, None)

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for field_id, component in self.inputs.items():
            if isinstance(component, ui.Select):
                out[field_id] = component.values[0] if component.values else ""
            else:
                out[field_id] = component.value
        return out

    async def on_submit(self, interaction: discord.Interaction[WardenBot]) -> None:  # type: ignore[override]
        await submit_registration(interaction, self.service, self.values())

    async def on_error(self, interaction: discord.Interaction[WardenBot], error: Exception) -> None:  # type: ignore[override]
        await answer_error(interaction, error)


def _input_for(spec: FormField) -> ui.TextInput[RegisterModal] | ui.Select[RegisterModal]:
    if spec.options:
        return ui.Select(
            custom_id=spec.id,
            placeholder=spec.placeholder,
            required=spec.required,
            options=[discord.SelectOption(label=text, value=value) for value, text in spec.options],
        )
    return ui.TextInput(
        custom_id=spec.id,
        placeholder=spec.placeholder,
        style=discord.TextStyle.paragraph if spec.paragraph else discord.TextStyle.short,
        required=spec.required,
        min_length=spec.min_length,
        max_length=spec.max_length,
    )


def build_register_modal(bot: WardenBot, service: UseapiService) -> RegisterModal:
    return RegisterModal(service, bot.issued_modal_ids)


async def open_register_modal(interaction: discord.Interaction[WardenBot], service: UseapiService) -> None:
    """Open the modal for an approved member, refuse anyone else privately. Used by Renew too.
    A service useapi.net retired takes no new registration: said before anyone pastes a secret.
    The modal is the acknowledgement: nothing before it waits on the database (the approval and
    the retirement are checked in memory; a refusal is answered first and audited after)."""
    if await refuse_unapproved(interaction, action="open_register", service=service.key):
        return
    if await refuse_retired(interaction, service):
        return
    await interaction.response.send_modal(build_register_modal(warden(interaction), service))


async def refuse_retired(interaction: discord.Interaction[WardenBot], service: UseapiService) -> bool:
    """Answer privately, and audit, when useapi.net retired `service` (bot/team_watch.py reads it
    from useapi.net's answers); True when refused."""
    bot = warden(interaction)
    since = bot.team.retired_since(service.key)
    if since is None:
        return False
    tracked = await bot.store.count_accounts(service.key)  # a read: never waits for a writer (WAL)
    kept = (
        f" The {tracked} tracked {service.label} account(s) stay listed in `/accounts list`."
        if tracked
        else ""
    )
    await reply(
        interaction,
        f"{service.label} is retired on useapi.net: its routes answer that it is gone (seen "
        f"{format_dt(since, 'R')}) and the team's useapi.net account no longer lists it, so no new "
        f"account can be registered. Nothing was sent.{kept} If useapi.net brings it back, the bot "
        "takes registrations again by itself.",
    )  # answered first; the audit may wait
    await audit_after_answering(
        bot, actor_id=interaction.user.id, action="register", service=service.key, outcome="refused:retired"
    )
    return True


async def submit_registration(
    interaction: discord.Interaction[WardenBot], service: UseapiService, values: Mapping[str, str]
) -> None:
    bot = warden(interaction)
    # Approval may have been revoked while the modal was open.
    if await refuse_unapproved(interaction, action="register", service=service.key):
        metrics.record_registration(service.key, "refused")
        return
    if await refuse_retired(interaction, service):  # retired while the form was open
        return
    now = bot.clock.now()
    try:
        submission = service.parse_form(values)
    except CookieError as exc:
        # The code and its fixed sentence, never the exception's text: the audit trail is read by
        # every admin and kept for months.
        metrics.record_registration(service.key, "invalid_input")
        await reply(interaction, f"{exc}\nNothing was sent to useapi.net.")  # answered first
        await audit_after_answering(
            bot, actor_id=interaction.user.id, action="register", service=service.key,
            outcome=f"invalid_input:{exc.code}", detail=exc.audit,
        )  # fmt: skip
        return
    except StoreError:
        raise
    except Exception as exc:
        _log_withheld(f"reading the {service.key} form", exc)
        await reply(interaction, SOMETHING_WRONG)  # answered first
        await audit_after_answering(
            bot, actor_id=interaction.user.id, action="register", service=service.key,
            outcome="error", detail=FORM_BUG,
        )  # fmt: skip
        return
    # Only a submit about to reach useapi.net spends a token (REGISTER_RATE); an in-memory check
    # with no await between test and spend, answered before the deferral.
    wait = bot.register_throttle.take(interaction.user.id, now)
    if wait is not None:
        metrics.record_registration(service.key, "throttled")
        seconds = max(1, math.ceil(wait.total_seconds()))
        await reply(
            interaction,
            f"You sent several registrations in a row. Try again in {seconds} s; nothing was sent.",
        )
        return

    with bot.in_flight():
        await acknowledge(interaction)  # before anything waits on the database or useapi.net
        try:
            # A database busy now would lose the answer: say so before anything is sent.
            await bot.store.writable()
        except StoreBusy:
            await reply(interaction, f"{DATABASE_BUSY} Nothing was sent to useapi.net.")
            return
        except StoreError as exc:  # read-only or full: useapi.net is still told; the answer says
            log.warning(
                "the database can't be written before a registration: %s", exc
            )  # what wasn't recorded
        try:
            info = await register_account(
                service, submission, store=bot.store, user_id=interaction.user.id, now=now
            )
        except UseapiError as exc:
            if exc.outcome_unknown:  # sent, but the answer was lost: the account may exist now
                await reply(interaction, maybe_added_text(service, exc))
                return
            await reply(interaction, f"❌ {service.label}: {exc.user_message()}")
            return
        except RecordingFailed as exc:
            log.error("registration accepted upstream but not recorded: %s", exc.__cause__)
            if isinstance(exc.__cause__, StoreBusy):
                why = (
                    "the database was busy (another program held it), so the bot could not record it "
                    "yet. The account works; the next sync of useapi.net's list records it."
                )
            else:
                why = (
                    "the bot could not record it in its database. The account works; tell the bot's "
                    "operator (the disk may be full or read-only)."
                )
            await reply(
                interaction,
                f"⚠️ useapi.net accepted the {service.label} {service.credential_noun} for **{safe(exc.info.account)}** "
                f"(expires {when(exc.info.expires_at)}), but {why}",
            )
            return
        except StoreError:
            raise
        except Exception as exc:  # a bug: the credential was in memory, so its text is withheld
            _log_withheld(f"registering a {service.key} account", exc)
            await reply(interaction, SOMETHING_WRONG)  # answered first
            await audit_after_answering(
                bot, actor_id=interaction.user.id, action="register", service=service.key,
                outcome="error", detail=REGISTER_BUG,
            )  # fmt: skip
            return
        try:
            await _finish_registration(bot, interaction, service, info)
        finally:
            # For the alerts cog, when loaded (its ON_ACCOUNT_REGISTERED listener): a renewal re-arms the
            # account's stages, and an expiry already inside one is warned about at once.
            bot.dispatch(ACCOUNT_REGISTERED, info)


def _log_withheld(doing: str, exc: BaseException) -> None:
    """Log an unexpected error raised while what a member typed was in scope: its type and where
    it was raised, never its text (an exception's message may quote its input, as `int()`'s does)."""
    frames = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
    log.error("%s failed: %s (its message is withheld)\n%s", doing, type(exc).__name__, frames)


async def _finish_registration(
    bot: WardenBot, interaction: discord.Interaction[WardenBot], service: UseapiService, info: AccountInfo
) -> None:
    notice_failed = await post_renewal_notice(bot, interaction.user.id, info)
    extra = f"\n⚠️ {notice_failed}" if notice_failed else ""
    await reply(
        interaction,
        f"✅ useapi.net accepted the {service.label} {service.credential_noun}.{extra}",
        embed=registration_embed(info),
    )


async def post_renewal_notice(bot: WardenBot, user_id: int, info: Any) -> str | None:
    """Tell the team where the service's warnings go (its own channel, else the team's); return
    why it failed, or None."""
    try:
        await alert_channel.post(
            bot, service=getattr(info, "service", None), content=renewal_notice(user_id, info)
        )
    except DeliveryError as exc:
        if exc.unconfigured:
            return None  # no alert channel configured: nothing to tell
        log.warning("cannot post the renewal notice: %s", exc)
        return f"The public notice could not be posted: {exc}. The registration itself worked."
    return None
