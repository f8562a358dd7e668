"""`demo`: the real bot against the local stand-ins of Discord and useapi.net, with a story.

The stand-ins (tests/doubles/) and the story (scripts/demo.py) live in the repository, not in
the package: the Docker image and a plain `pip install` leave them out. This finds them next to
the package that is running (a checkout, as `uv run` uses it) and says so clearly when they are
not there.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TextIO

# What the demo needs from a checkout, relative to its root.
NEEDED = ("scripts/demo.py", "tests/doubles/discord_double.py", "tests/harness.py", "docs/render.py")


def checkout_root() -> Path | None:
    """The repository this package runs from, when it holds what the demo needs."""
    root = Path(__file__).resolve().parents[2]
    return root if all((root / part).is_file() for part in NEEDED) else None


def demo(out: TextIO, err: TextIO, *, html: Path | None = None, verbose: bool = False) -> int:
    """Play the story; 0 when it ran (or its reader left), 1 when it could not."""
    root = checkout_root()
    if root is None:
        err.write(
            "demo: this installation has no tests/doubles/ (the Docker image and a pip install leave "
            "them out); the demo needs a checkout of the repository: git clone it, then "
            "`uv run session-warden demo` there\n"
        )
        return 1
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    spec = importlib.util.spec_from_file_location("session_warden_demo", root / "scripts" / "demo.py")
    assert spec is not None and spec.loader is not None
    story = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(story)
    status: int = story.main(out, err, html=html, verbose=verbose)
    return status
