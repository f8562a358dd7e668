"""Which tests are end-to-end, so `pytest -m "not e2e"` runs the fast rest.

An end-to-end test runs the real bot against the doubles: in process (the rig of
tests/harness.py) or as a process (`python -m bot …`, tests/process.py). tests/conftest.py marks
`e2e` every test that
- is in a `test_e2e_*.py` file, or
- uses the `rig` fixture, or
- calls `running_rig`, `run_bot` or `start_bot_process`, itself or through a function or fixture
  of its module or of another module of tests/ (`starts_the_bot`).
A test that starts the bot some other way carries `@pytest.mark.e2e` itself. `require_e2e`,
called wherever the rig or the bot's process starts, fails a test without the mark, so the fast
run never starts a bot by accident.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

STARTERS = frozenset({"running_rig", "run_bot", "start_bot_process"})
_TESTS = Path(__file__).resolve().parent
_SCANNING: set[Path] = set()


class _Current:
    # Whether the running test is marked e2e; set by tests/conftest.py for each test, None
    # outside pytest (docs/render.py runs the rig too).
    marked: bool | None = None


def set_current(marked: bool | None) -> None:
    _Current.marked = marked


def require_e2e(what: str) -> None:
    """Fail a test not marked e2e that is about to start `what`."""
    if _Current.marked is False:
        raise RuntimeError(
            f"this test runs {what}: mark it @pytest.mark.e2e (or name its file test_e2e_*.py), "
            'so that `pytest -m "not e2e"` stays the fast run'
        )


@cache
def _starting_functions(path: Path) -> frozenset[str]:
    """The names in the module at `path` of functions (tests, helpers, fixtures) that start the
    bot: those that call a STARTER, a function of the module that does, or one imported from
    another module of tests/ that does."""
    _SCANNING.add(path)  # a module importing one that imports it back: the loop is cut there
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        starters = set(STARTERS)
        calls: dict[str, set[str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests."):
                source = _TESTS.parent.joinpath(*str(node.module).split(".")).with_suffix(".py")
                if source.is_file() and source not in _SCANNING:
                    imported = _starting_functions(source)
                    starters.update(a.asname or a.name for a in node.names if a.name in imported | STARTERS)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                called = calls.setdefault(node.name, set())
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call):
                        func = inner.func
                        called.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    finally:
        _SCANNING.discard(path)
    starting = starters - STARTERS  # imported fixtures and helpers count as the module's own
    while grown := {name for name, called in calls.items() if called & (starters | starting)} - starting:
        starting |= grown
    return frozenset(starting)


def starts_the_bot(path: Path, test: str, fixtures: list[str]) -> bool:
    """Whether the test `test` of the module at `path`, using `fixtures`, starts the bot."""
    starting = _starting_functions(path)
    return test in starting or any(name in starting for name in fixtures)
