"""bot/ is what the README says: everything that is not Discord's UI, importable alone.

No module of bot/ but the host files (app.py, the discord.py bot; runner.py, the process;
__main__.py, the command line) imports discord, directly or through another bot module it
imports; and bot/'s modules import one another without a circle. The way
tests/test_ops_layout.py keeps the health check light.
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOSTS = frozenset({"bot.app", "bot.runner", "bot.__main__"})


@cache
def bot_modules() -> dict[str, Path]:
    """module name -> file, for every module of bot/."""
    found = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _named(path: Path, module: str) -> set[str]:
    """Every module an import statement in the file names, wherever it stands (module level,
    inside a function, under TYPE_CHECKING), with `from a import b` naming a and a.b."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


@cache
def imports() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """module -> (the bot modules it imports, the other top-level packages it imports)."""
    modules = bot_modules()
    out = {}
    for module, path in modules.items():
        named = _named(path, module)
        inside = {n for n in named if n in modules and n != module}
        outside = {n.split(".")[0] for n in named if n.split(".")[0] != "bot"}
        out[module] = (frozenset(inside), frozenset(outside))
    return out


def _parents(module: str) -> set[str]:
    """The packages importing `module` runs first (bot.ops for bot.ops._check)."""
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def test_no_module_but_the_hosts_imports_discord_not_even_through_another() -> None:
    graph = imports()
    problems = {}
    for module in sorted(set(graph) - HOSTS):
        seen, todo, path_to = {module}, [module], {module: [module]}
        while todo:
            current = todo.pop()
            for nxt in sorted(graph[current][0] | _parents(current)):
                if nxt not in seen:
                    seen.add(nxt)
                    path_to[nxt] = [*path_to[current], nxt]
                    todo.append(nxt)
        for reached in sorted(seen):
            if reached in HOSTS or "discord" in graph[reached][1]:
                problems[module] = " -> ".join(path_to[reached]) + ("" if reached in HOSTS else " -> discord")
                break
    assert problems == {}


def test_importing_every_module_but_the_hosts_loads_no_discord() -> None:
    """The same, as Python sees it: third-party imports included."""
    modules = sorted(set(bot_modules()) - HOSTS)
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'discord' or m.startswith('discord.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_the_static_check_sees_imports_wherever_they_stand(tmp_path: Path) -> None:
    """It would not pass by looking nowhere: lazy, guarded and relative imports are all seen."""
    module = tmp_path / "x.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import models\n"
        "if TYPE_CHECKING:\n    from discord import Embed\n"
        "def later() -> None:\n    import discord.ui\n",
        encoding="utf-8",
    )
    assert {"discord", "discord.ui", "discord.Embed", "bot.models"} <= _named(module, "bot.x")
    assert "discord" in imports()["bot.app"][1]


def test_bot_modules_import_one_another_without_a_circle() -> None:
    sorter = graphlib.TopologicalSorter({module: inside for module, (inside, _) in imports().items()})
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        raise AssertionError(f"import circle: {' -> '.join(exc.args[1])}") from None
