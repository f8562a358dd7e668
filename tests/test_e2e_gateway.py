"""Gateway drops in the middle of a session: the bot resumes and keeps answering, each interaction once.

Interactions dispatched while the connection is down are buffered by the double and replayed
after the bot's RESUME, as Discord does; those dispatched before the drop must not be handled
again. A form opened before a drop can still be submitted after it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.harness import Rig

EPHEMERAL = 64
SESSION = "GatewayLumaSess10nVb6Np2Yt"
EMAIL = "resume@example.com"
EXPIRES = datetime(2026, 12, 20, 8, 30, tzinfo=UTC)
DEADLINE = 3.0  # Discord's limit for the first answer to an interaction


def frame_seq(rig: Rig, interaction_id: str) -> int:
    """The sequence number the double gave the INTERACTION_CREATE carrying this interaction."""
    session = rig.discord._session
    assert session is not None
    return next(
        f["s"] for f in session.frames if f["t"] == "INTERACTION_CREATE" and f["d"]["id"] == interaction_id
    )


def resumed_from(rig: Rig) -> list[int]:
    """The `seq` of every RESUME the bot sent: the last event it had received."""
    return [f["d"]["seq"] for f in rig.discord.gateway_received if f.get("op") == 6]


@pytest.mark.parametrize("close_code", [4000, None], ids=["close-4000", "tcp-reset"])
async def test_the_bot_resumes_and_answers_each_interaction_once(rig: Rig, close_code: int | None) -> None:
    admin = rig.discord.admin_id
    first_member, second_member = rig.discord.member_ids
    rig.useapi.add_luma_session(SESSION, EMAIL, expires=EXPIRES)

    answered: list[str] = []
    granted = await rig.slash("access", "grant", user=admin, target=first_member)
    assert "may now register" in (await rig.answer(granted))["content"]
    answered.append(granted.request.path.split("/")[2])
    opened = await rig.slash("luma", "register", user=first_member)
    assert opened.type == 9
    answered.append(opened.request.path.split("/")[2])

    # The connection drops; an admin's command is sent while the bot is away.
    await rig.discord.disconnect_gateway(code=close_code, resumable=True)
    payload = rig.discord.slash_command("access", "grant", options={"target": second_member}, user=admin)
    replayed = await rig.discord.dispatch_interaction(payload)
    callback = await rig.discord.wait_for_callback(replayed, timeout=DEADLINE)
    assert callback.type == 5 and "may now register" in (await rig.answer(callback))["content"]
    assert callback.latency < DEADLINE
    answered.append(replayed)
    await rig.discord.wait_until_ready()
    # It really was replayed after a RESUME (not delivered live), on the same session.
    assert rig.discord.resume_count == 1 and rig.discord.identify_count == 1
    (resume_seq,) = resumed_from(rig)
    assert resume_seq < frame_seq(rig, replayed)

    # The form opened before the drop is submitted after it, and the registration goes through.
    submitted = await rig.submit(opened, {"cookie": SESSION}, user=first_member)
    assert submitted.type == 5 and submitted.data["flags"] & EPHEMERAL
    answer = await rig.followup(submitted)
    assert EMAIL in answer["embeds"][0]["description"]
    answered.append(submitted.request.path.split("/")[2])
    listed = await rig.slash("accounts", "list", user=second_member)
    assert EMAIL in (await rig.answer(listed))["embeds"][0]["description"]
    answered.append(listed.request.path.split("/")[2])

    # Once each: one callback per interaction, one audit row per action, one upstream call.
    for interaction_id in answered:
        assert len(rig.discord.callbacks_for(interaction_id)) == 1, interaction_id
    assert rig.discord.unknown_routes == []
    assert await audited(rig) == [
        ("access_grant", f"user:{first_member}", "ok"),
        ("access_grant", f"user:{second_member}", "ok"),
        ("register", EMAIL, "ok"),
    ]
    assert len(rig.useapi.requests_to("POST", "/v1/luma/accounts")) == 1
    assert any("RESUMED" in line for line in rig.raw_logs.lines)


async def test_a_second_drop_resumes_again_from_where_the_bot_was(rig: Rig) -> None:
    admin = rig.discord.admin_id
    for round_ in (1, 2):
        await rig.discord.disconnect_gateway(code=4000, resumable=True)
        iid = await rig.discord.dispatch_interaction(
            rig.discord.slash_command("accounts", "list", user=admin)
        )
        callback = await rig.discord.wait_for_callback(iid, timeout=DEADLINE)
        assert callback.type == 5 and callback.data["flags"] & EPHEMERAL  # acknowledged privately
        await rig.answer(callback)
        await rig.discord.wait_until_ready()
        assert rig.discord.resume_count == round_ and rig.discord.identify_count == 1
        assert len(rig.discord.callbacks_for(iid)) == 1
    first, second = resumed_from(rig)
    assert second > first  # the second RESUME names a later event: nothing is replayed twice


async def audited(rig: Rig) -> list[tuple[str, str | None, str]]:
    """Grants and registrations in the audit trail, oldest first: (action, target, outcome)."""
    assert rig.bot is not None
    entries = reversed(await rig.bot.store.recent_audit())
    return [(e.action, e.target, e.outcome) for e in entries if e.action in ("access_grant", "register")]
