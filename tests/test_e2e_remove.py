"""`/<service> remove <account>` end to end: the real bot against the Discord and useapi.net
doubles (Luma and Flow Music have a DELETE route, LTX Studio has none)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.events import ON_ACCOUNT_REMOVED
from bot.removal import Removal, Tracking, Upstream
from bot.services import REGISTRY
from bot.useapi import Failure, UseapiError
from cogs.register._remove import removal_sentence
from tests.clock import FakeClock
from tests.doubles.discord_double import CallbackResult
from tests.harness import Rig
from tests.test_alerts import START, rig

__all__ = ["rig"]  # a fixture (scheduler passes only when a test runs one; started by the test)

EPHEMERAL = 64
EMAIL = "studio@example.com"
OTHER = "backup@example.com"


async def sync(rig: Rig) -> None:
    """One scheduler pass after SYNC_INTERVAL, so it reads every account list afresh."""
    assert isinstance(rig.clock, FakeClock)
    rig.clock.advance(rig.settings.sync_interval + timedelta(seconds=1))
    reads = len(rig.useapi.requests)
    cog: Any = rig.bot.get_cog("AlertsCog")  # type: ignore[union-attr]
    report = await cog.run_pass()
    assert report.error is None
    assert len(rig.useapi.requests) > reads  # the lists were read


async def tracked(rig: Rig, service: str) -> list[str]:
    return [a.account for a in await rig.bot.store.list_accounts(service)]  # type: ignore[union-attr]


async def audit(rig: Rig) -> list[Any]:
    return [e for e in await rig.bot.store.recent_audit() if e.action == "account_remove"]  # type: ignore[union-attr]


def removals(rig: Rig) -> list[tuple[str, str, int]]:
    """Every `account_removed` event the bot dispatched (the alerts cog of part A listens)."""
    return rig.removed  # type: ignore[attr-defined, no-any-return]


async def start(rig: Rig) -> None:
    await rig.start_bot()
    rig.removed = []  # type: ignore[attr-defined]

    async def on_account_removed(service: str, account: str, actor_id: int) -> None:
        rig.removed.append((service, account, actor_id))  # type: ignore[attr-defined]

    rig.bot.add_listener(on_account_removed, ON_ACCOUNT_REMOVED)  # type: ignore[union-attr]
    await sync(rig)


async def ask(rig: Rig, group: str, account: str, user: int) -> tuple[str, CallbackResult]:
    payload = rig.discord.slash_command(group, "remove", options={"account": account}, user=user)
    iid = await rig.discord.dispatch_interaction(payload)
    return iid, await rig.answered(await rig.discord.wait_for_callback(iid))


async def click(rig: Rig, message: dict[str, Any], label: str, user: int) -> CallbackResult:
    button = next(b for row in message["components"] for b in row["components"] if b["label"] == label)
    payload = rig.discord.button_click(button["custom_id"], int(message["id"]), user=user)
    return await rig.discord.wait_for_callback(await rig.discord.dispatch_interaction(payload))


async def confirm(rig: Rig, group: str, account: str, user: int | None = None) -> str:
    """Ask as an admin, press Remove, and return the final private answer."""
    user = user or rig.discord.admin_id
    iid, cb = await ask(rig, group, account, user)
    assert cb.type == 5 and cb.data["flags"] & EPHEMERAL, cb.data  # acknowledged privately, then asked
    message = rig.discord.messages_for(iid)[0]
    pressed = await click(rig, message, "Remove", user)
    assert pressed.type == 7  # the confirmation itself is edited: answered at once
    token = pressed.request.path.split("/")[3]  # the click's own token edits the message
    final = await rig.discord.wait_for(
        lambda r: (
            r.method == "PATCH" and token in r.path and "Removing" not in (r.json or {}).get("content", "")
        )
    )
    return str(final.json["content"])


async def autocomplete(rig: Rig, group: str, typed: str, user: int) -> list[dict[str, Any]]:
    payload = rig.discord.slash_command(group, "remove", options={"account": typed}, user=user)
    payload["type"] = 4
    payload["data"]["options"][0]["options"][0]["focused"] = True
    iid = await rig.discord.dispatch_interaction(payload)
    cb = await rig.discord.wait_for_callback(iid)
    assert cb.type == 8
    return list(cb.data["choices"])


# -- with a DELETE route --------------------------------------------------------------------------


async def test_remove_deletes_on_useapi_stops_tracking_and_audits(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + timedelta(days=3))
    rig.useapi.set_luma_account(OTHER, START + timedelta(days=5))
    await start(rig)
    assert sorted(await tracked(rig, "luma")) == [OTHER, EMAIL]

    choices = await autocomplete(rig, "luma", "studio", rig.discord.admin_id)
    assert [c["value"] for c in choices] == [EMAIL]

    answer = await confirm(rig, "luma", EMAIL)
    assert "Deleted" in answer and "no longer watches" in answer
    assert [r.path for r in rig.useapi.requests_to("DELETE", ".*")] == [
        "/v1/luma/accounts/studio@example.com"
    ]
    assert EMAIL not in rig.useapi.luma_accounts
    assert await tracked(rig, "luma") == [OTHER]
    [entry] = await audit(rig)
    assert (entry.actor_id, entry.service, entry.target, entry.outcome) == (
        rig.discord.admin_id, "luma", EMAIL, "ok",
    )  # fmt: skip
    assert removals(rig) == [("luma", EMAIL, rig.discord.admin_id)]

    await sync(rig)  # nothing brings it back
    assert await tracked(rig, "luma") == [OTHER]


async def test_a_404_on_delete_still_stops_tracking_and_says_so(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + timedelta(days=3))
    await start(rig)
    rig.useapi.remove_luma_account(EMAIL)  # gone on useapi.net before the bot noticed

    answer = await confirm(rig, "luma", EMAIL)
    assert "no longer had" in answer and "404" in answer
    assert await tracked(rig, "luma") == []
    assert [e.detail for e in await audit(rig)] == ["useapi.net did not have it (404)"]
    assert removals(rig) == [("luma", EMAIL, rig.discord.admin_id)]


@pytest.mark.services("flowmusic")
async def test_a_204_delete_of_flow_music_removes_the_account(rig: Rig) -> None:
    rig.useapi.flowmusic.set_account(EMAIL)
    await start(rig)
    assert await tracked(rig, "flowmusic") == [EMAIL]
    answer = await confirm(rig, "flowmusic", EMAIL)
    assert "Deleted" in answer
    assert EMAIL not in rig.useapi.flowmusic.accounts
    assert await tracked(rig, "flowmusic") == []


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ({"status": 401, "body": {"error": "Unauthorized"}}, "USEAPI_TOKEN"),
        ({"status": 402, "body": {"error": "Subscription expired"}}, "subscription"),
        ({"status": 429, "headers": {"Retry-After": "30"}}, "Try again in 30 s"),
        ({"status": 503, "body": {"error": "maintenance"}}, "Try again in a few minutes"),
        ({"status": 404, "body": b"<html>Not Found</html>"}, "not available on useapi.net"),
    ],
    ids=["401", "402", "429", "5xx", "404-page"],
)
async def test_upstream_failures_on_delete_keep_the_account_tracked(
    rig: Rig, fault: dict[str, Any], says: str
) -> None:
    rig.useapi.set_luma_account(EMAIL, START + timedelta(days=3))
    await start(rig)
    rig.useapi.inject("DELETE", "/v1/luma/accounts/.*", **fault)

    answer = await confirm(rig, "luma", EMAIL)
    assert answer.startswith("❌") and says in answer and "still tracked" in answer
    assert await tracked(rig, "luma") == [EMAIL]
    assert EMAIL in rig.useapi.luma_accounts
    [entry] = await audit(rig)
    assert entry.outcome.startswith("upstream:")
    assert removals(rig) == []


async def test_a_delete_whose_answer_is_lost_says_it_may_have_happened(rig: Rig) -> None:
    """Issue 18's lost registration answer, for a removal: the DELETE was sent, so useapi.net may
    have deleted the account; the admin is not told it is "still configured on useapi.net"."""
    rig.useapi.set_luma_account(EMAIL, START + timedelta(days=3))
    await start(rig)
    rig.useapi.inject("DELETE", "/v1/luma/accounts/.*", hang=True)  # sent, never answered

    answer = await confirm(rig, "luma", EMAIL)
    assert answer.startswith("⚠️") and "can't tell whether useapi.net deleted" in answer
    assert "did not answer in time" in answer
    assert "still tracked" in answer and "still configured" not in answer
    assert "/luma remove" in answer
    assert await tracked(rig, "luma") == [EMAIL]  # nothing erased on an answer the bot can't read
    [entry] = await audit(rig)
    assert entry.outcome.startswith("upstream:") and "may have been deleted" in (entry.detail or "")
    assert removals(rig) == []


# -- without a DELETE route ---------------------------------------------------------------------------


@pytest.mark.services("luma", "ltx")
async def test_without_a_delete_route_the_bot_stops_tracking_only_and_sync_does_not_re_add(rig: Rig) -> None:
    rig.useapi.set_ltx_account(EMAIL, START + timedelta(days=2), START + timedelta(days=30))
    await start(rig)
    assert await tracked(rig, "ltx") == [EMAIL]

    iid, _ = await ask(rig, "ltx", EMAIL, rig.discord.admin_id)
    confirmation = rig.discord.messages_for(iid)[0]["embeds"][0]["description"]
    assert "no delete route" in confirmation and "keeps" in confirmation

    answer = await confirm(rig, "ltx", EMAIL)
    assert "still configured there" in answer
    assert rig.useapi.requests_to("DELETE", ".*") == []
    assert await tracked(rig, "ltx") == []
    assert removals(rig) == [("ltx", EMAIL, rig.discord.admin_id)]

    await sync(rig)  # useapi.net still lists it: remembered as removed, not added back
    assert await tracked(rig, "ltx") == []
    await rig.stop_bot()
    await start(rig)  # remembered across a restart too
    assert await tracked(rig, "ltx") == []

    rig.useapi.remove_ltx_account(EMAIL)
    await sync(rig)  # useapi.net dropped it: the memory goes, so a later re-add is tracked again
    assert await rig.bot.store.removed_accounts("ltx") == set()  # type: ignore[union-attr]
    rig.useapi.set_ltx_account(EMAIL, START + timedelta(days=2), START + timedelta(days=30))
    await sync(rig)
    assert await tracked(rig, "ltx") == [EMAIL]


# -- refusals ------------------------------------------------------------------------------------------


async def test_members_may_not_remove_or_see_the_accounts(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + timedelta(days=3))
    await start(rig)
    member = rig.discord.member_ids[0]
    cb = await rig.slash("access", "grant", user=rig.discord.admin_id, target=member)
    assert "may now register" in (await rig.answer(cb))["content"]  # approved to register, still no admin

    assert await autocomplete(rig, "luma", "", member) == []
    _, cb = await ask(rig, "luma", EMAIL, member)
    assert cb.data["flags"] & EPHEMERAL and "Only server admins" in cb.data["content"]
    assert "components" not in cb.data or not cb.data["components"]
    await rig.audited(lambda e: e.action == "account_remove")  # answered, then audited
    [entry] = await audit(rig)
    assert (entry.actor_id, entry.outcome) == (member, "refused:not_admin")

    # An admin's confirmation can't be pressed by someone else.
    iid, _ = await ask(rig, "luma", EMAIL, rig.discord.admin_id)
    message = rig.discord.messages_for(iid)[0]
    cb = await click(rig, message, "Remove", member)
    assert cb.type == 4 and "Only the admin who asked" in cb.data["content"]
    assert rig.useapi.requests_to("DELETE", ".*") == []
    assert await tracked(rig, "luma") == [EMAIL]


async def test_an_untracked_account_or_cancel_changes_nothing(rig: Rig) -> None:
    rig.useapi.set_luma_account(EMAIL, START + timedelta(days=3))
    await start(rig)
    _, cb = await ask(rig, "luma", "nobody@example.com", rig.discord.admin_id)
    assert "is tracked, so nothing was removed" in (await rig.answer(cb))["content"]

    iid, _ = await ask(rig, "luma", EMAIL, rig.discord.admin_id)
    cb = await click(rig, rig.discord.messages_for(iid)[0], "Cancel", rig.discord.admin_id)
    assert cb.type == 7 and cb.data["content"] == "Nothing was removed."
    assert rig.useapi.requests_to("DELETE", ".*") == []
    assert await tracked(rig, "luma") == [EMAIL]


async def test_an_unanswered_confirmation_times_out_and_removes_nothing(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cogs.register import _remove

    monkeypatch.setattr(_remove, "CONFIRM_TIMEOUT", 0.3)
    rig.useapi.set_luma_account(EMAIL, START + timedelta(days=3))
    await start(rig)
    iid, cb = await ask(rig, "luma", EMAIL, rig.discord.admin_id)
    token = cb.request.path.split("/")[3]
    edit = await rig.discord.wait_for(  # after the confirmation itself (it filled the deferral in)
        lambda r: (
            r.method == "PATCH" and token in r.path and "timed out" in str((r.json or {}).get("content"))
        ),
        timeout=5,
    )
    assert edit.json["content"] == "Nothing was removed: the confirmation timed out."
    assert edit.json["components"] == [] and edit.json["embeds"] == []
    assert rig.discord.messages_for(iid)[0]["components"] == []  # no button left to press
    assert rig.useapi.requests_to("DELETE", ".*") == []
    assert await tracked(rig, "luma") == [EMAIL]


def test_a_dropped_or_unreadable_delete_answer_is_worded_as_lost() -> None:
    """(An unreadable 2xx is a deletion: bot.useapi.base.delete_account.) A connection dropped
    after sending, or an unreadable error answer, may have deleted the account too."""
    luma = REGISTRY["luma"].__new__(REGISTRY["luma"])
    for failure, says in (
        (Failure.CONNECTION, "dropped the connection"),
        (Failure.BAD_RESPONSE, "could not read"),
    ):
        error = UseapiError(failure, service_label="Luma", outcome_unknown=True)
        said = removal_sentence(luma, EMAIL, Removal(Upstream.REFUSED, Tracking.UNCHANGED, error))
        assert said.startswith("⚠️") and says in said and "still tracked" in said
    refused = UseapiError(Failure.UPSTREAM_ERROR, service_label="Luma", status=503)
    said = removal_sentence(luma, EMAIL, Removal(Upstream.REFUSED, Tracking.UNCHANGED, refused))
    assert said.startswith("❌") and "still configured on useapi.net" in said
