"""Fixtures shared by the end-to-end tests, and which tests are end-to-end (tests/e2e.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot import board, digest
from bot.services._lenient import forget_notes
from bot.store import Store
from bot.useapi import base as useapi_base
from tests import e2e
from tests.harness import Rig, running_rig


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `e2e` every test that runs the bot against the doubles (the rules: tests/e2e.py)."""
    for item in items:
        fixtures = list(getattr(item, "fixturenames", ()))
        if (
            item.path.name.startswith("test_e2e_")
            or "rig" in fixtures
            or (
                isinstance(item, pytest.Function)
                and e2e.starts_the_bot(item.path, item.originalname, fixtures)
            )
        ):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def _e2e_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tell tests/e2e.py whether this test may start the bot (autouse: set before the rig)."""
    e2e.set_current(request.node.get_closest_marker("e2e") is not None)
    yield
    e2e.set_current(None)


@pytest.fixture(autouse=True)
def _nothing_said_yet() -> None:
    """What the bot says once per process (an odd field, an unreadable stored board or digest
    schedule) is said again in each test: pytest-xdist runs a worker's tests in any order, and a
    test that counts a "said once" line must not depend on which tests ran before it."""
    useapi_base.forget_said()
    forget_notes()
    board.forget_said()
    digest.forget_said()


def services_marked(request: pytest.FixtureRequest) -> dict[str, tuple[str, ...]]:
    """`@pytest.mark.services("luma", "ltx")`: the test is about a service that is off by default,
    so SERVICES naming it is the setting under test; every other default stays."""
    marker = request.node.get_closest_marker("services")
    return {"services": tuple(marker.args)} if marker else {}


@pytest.fixture
async def rig(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    """The real bot, started and ready, against fresh Discord and useapi.net doubles."""
    async with running_rig(tmp_path, **services_marked(request)) as rig:
        yield rig


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A fresh, migrated database."""
    store = await Store.open(tmp_path / "warden.sqlite3")
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    """Two connections to one database file, as two bot processes would have."""
    first = await Store.open(tmp_path / "warden.sqlite3")
    second = await Store.open(tmp_path / "warden.sqlite3")
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()
