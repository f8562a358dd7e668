"""The `e2e` marker (tests/e2e.py): which tests start the bot, and what happens to one that does
without the mark (every end-to-end test of the suite then proves it is marked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import e2e


def test_a_test_is_end_to_end_when_it_or_its_module_s_helpers_start_the_bot(tmp_path: Path) -> None:
    module = tmp_path / "test_x.py"
    module.write_text(
        "async def helper(rig):\n    return rig\n"
        "async def story(tmp_path):\n    async with running_rig(tmp_path) as rig:\n        await helper(rig)\n"
        "async def via_story(tmp_path):\n    await story(tmp_path)\n"
        "async def cli(tmp_path):\n    await process.run_bot('check', env={}, cwd=tmp_path)\n"
        "def started():\n    return start_bot_process({}, None)\n"
        "def test_pure():\n    assert helper\n",
        encoding="utf-8",
    )
    assert e2e.starts_the_bot(module, "story", [])
    assert e2e.starts_the_bot(module, "via_story", [])  # through another function of the module
    assert e2e.starts_the_bot(module, "cli", [])
    assert e2e.starts_the_bot(module, "test_pure", ["started"])  # through a fixture of the module
    assert not e2e.starts_the_bot(module, "test_pure", [])
    assert not e2e.starts_the_bot(module, "helper", [])


def test_fixtures_and_helpers_imported_from_other_test_modules_count(tmp_path: Path) -> None:
    module = tmp_path / "test_y.py"
    module.write_text(
        "from tests.test_alerts import rig as manual_rig, clock\n"
        "from tests.harness import running_rig as start\n"
        "async def test_watched(manual_rig):\n    clock(manual_rig)\n"
        "async def test_renamed(tmp_path):\n    async with start(tmp_path):\n        pass\n"
        "def test_clock_only():\n    clock(None)\n",
        encoding="utf-8",
    )
    assert e2e.starts_the_bot(module, "test_watched", ["manual_rig", "tmp_path"])
    assert e2e.starts_the_bot(module, "test_renamed", ["tmp_path"])
    assert not e2e.starts_the_bot(module, "test_clock_only", [])


def test_starting_the_bot_unmarked_fails_and_says_how_to_mark_it() -> None:
    e2e.set_current(False)
    try:
        with pytest.raises(RuntimeError, match=r"mark it @pytest.mark.e2e"):
            e2e.require_e2e("the bot as a process")
    finally:
        e2e.set_current(None)
    e2e.require_e2e("the bot, outside pytest")  # docs/render.py: no marker to ask
