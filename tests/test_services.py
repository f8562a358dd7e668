"""The service registry: every useapi.net service is described once, and the rest derives from it."""

from __future__ import annotations

import re

import pytest

from bot.config import ENV_VARS, load_settings
from bot.services import DEFAULT_SERVICES, KNOWN_SERVICES, REGISTRY, label
from bot.useapi import FormField, UseapiService
from bot.useapi.forms import MODAL_COMPONENT_LIMIT, TEXT_DISPLAY_LIMIT

# Discord's rule for command and option names (lower case, no spaces, 1-32 characters).
COMMAND_NAME = re.compile(r"^[-_a-z0-9]{1,32}$")
FIELD_ID = re.compile(r"^[a-z_]{1,100}$")


def test_the_registry_discovers_each_service_module_in_display_order() -> None:
    assert KNOWN_SERVICES[:1] == ("luma",) and "ltx" in KNOWN_SERVICES
    orders = [cls.order for cls in REGISTRY.values()]
    assert orders == sorted(orders)
    assert all(issubclass(cls, UseapiService) and cls.key == key for key, cls in REGISTRY.items())


@pytest.mark.parametrize("key", KNOWN_SERVICES)
def test_each_description_fits_discord_and_useapi(key: str) -> None:
    cls = REGISTRY[key]
    assert COMMAND_NAME.fullmatch(cls.command_group), cls.command_group
    assert 1 <= len(cls.group_description) <= 100 and 1 <= len(cls.register_description) <= 100
    assert 1 <= len(cls.form_fields) <= 5  # a modal holds five components
    # The text block above the fields is one of the five, and holds at most 4000 characters.
    intro = cls.form_intro
    assert len(cls.form_fields) + (1 if intro else 0) <= MODAL_COMPONENT_LIMIT
    assert intro is None or 1 <= len(intro) <= TEXT_DISPLAY_LIMIT
    ids = [f.id for f in cls.form_fields]
    assert len(set(ids)) == len(ids) and all(FIELD_ID.fullmatch(i) for i in ids)
    assert cls.accounts_path.startswith("/v1/") or cls.accounts_path.startswith("/v2/")
    # Title "Register your <label> account" must fit Discord's 45 characters.
    assert len(f"Register your {cls.label} account") <= 45
    assert label(key) == cls.label


def test_command_groups_are_unique() -> None:
    groups = [cls.command_group for cls in REGISTRY.values()]
    assert len(set(groups)) == len(groups)
    assert not {"accounts", "access", "alerts"} & set(groups)


def test_a_field_over_discords_limits_is_refused_when_declared() -> None:
    with pytest.raises(ValueError, match="limit"):
        FormField(id="x", label="x" * 46, description="where it comes from")
    with pytest.raises(ValueError, match="limit"):
        FormField(id="x", label="x", description="d" * 101)


def test_config_takes_known_services_and_the_default_from_the_registry() -> None:
    # SERVICES defaults to auto (issue 21); the registry's on-by-default services are what auto
    # offers a team with no account anywhere yet.
    assert ENV_VARS["SERVICES"] == "auto"
    env = {"DISCORD_TOKEN": "a" * 60, "USEAPI_TOKEN": "b" * 30}
    assert load_settings(env, read_dotenv=False).services == ("auto",)
    assert load_settings(env, read_dotenv=False).auto_services
    assert DEFAULT_SERVICES == tuple(k for k, cls in REGISTRY.items() if cls.on_by_default) == ("luma",)
    assert (
        load_settings({**env, "SERVICES": ",".join(DEFAULT_SERVICES)}, read_dotenv=False).services
        == DEFAULT_SERVICES
    )
    with pytest.raises(Exception, match="known: " + ", ".join(KNOWN_SERVICES)):
        load_settings({**env, "SERVICES": "luma,nope"}, read_dotenv=False)
