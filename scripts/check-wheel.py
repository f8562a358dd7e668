"""Check that the wheel holds every file of the bot (CI runs it after `uv build --wheel`).

The Docker image installs the project as a wheel, so a package the build leaves out (bot/ops/
was once missing from an explicit list) is a bot that passes every test in the source tree and
crashes in production. Usage: python scripts/check-wheel.py DIST_DIR
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(dist: Path) -> int:
    wheels = sorted(dist.glob("session_warden-*.whl"))
    if len(wheels) != 1:
        print(f"check-wheel: expected one wheel in {dist}, found {len(wheels)}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(wheels[0]) as wheel:
        inside = set(wheel.namelist())
    wanted = {
        path.relative_to(ROOT).as_posix()
        for top in ("bot", "cogs")
        for path in (ROOT / top).rglob("*")
        if path.suffix in (".py", ".sql") and "__pycache__" not in path.parts
    }
    missing = sorted(wanted - inside)
    if missing:
        print(
            f"check-wheel: {wheels[0].name} lacks {len(missing)} file(s): {', '.join(missing)}",
            file=sys.stderr,
        )
        return 1
    print(f"check-wheel: {wheels[0].name} holds all {len(wanted)} files of bot/ and cogs/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
