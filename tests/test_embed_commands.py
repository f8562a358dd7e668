"""A warning names the command a person can type: each service's own command group (`/flow
register` for Google Flow, `/vids register` for Google Vids), never its key (`/googleflow`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.services import REGISTRY, register_command
from cogs.alerts._embeds import sample_alert, warning_embed

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_a_warning_names_the_services_own_register_command(key: str) -> None:
    embed = warning_embed(sample_alert(key, user_id=1, now=NOW), rechecked=True)
    footer = embed.footer.text or ""
    assert f"/{REGISTRY[key].command_group} register" in footer
    if REGISTRY[key].command_group != key:
        assert f"/{key} register" not in footer


def test_an_unknown_service_is_named_as_stored() -> None:
    assert register_command("midjourney") == "/midjourney register"
    assert register_command("googleflow") == "/flow register"


def test_a_plural_expiry_noun_takes_a_plural_verb() -> None:
    vids = warning_embed(sample_alert("googlevids", user_id=1, now=NOW), rechecked=True)
    luma = warning_embed(sample_alert("luma", user_id=1, now=NOW), rechecked=True)
    assert vids.title == "Google Vids cookies expire within 24h"
    assert luma.title == "Luma session expires within 24h"
