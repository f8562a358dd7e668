"""`session-warden demo` as a newcomer runs it: a real process, no configuration, no network.

It must tell the whole story (registration, a stage warning falling due, I'm on it, a renewal
resolving it), draw the same messages as HTML with --html, leave nothing behind (its temporary
directory, files in the working directory), stop early when its reader leaves, and say clearly
that it needs a checkout when the installation has no test doubles.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from tests.process import process_env, run_bot, run_bot_with_reader_leaving

ROOT = Path(__file__).resolve().parent.parent

# What each step shows, in order (the lines the story prints; see scripts/demo.py).
STORY = [
    "1. An admin lets @member1 register accounts",
    "│ ✅ @member1 may now register accounts.",
    "2. @member1 registers a Luma account through the private form",
    "│ ▌ Register your Luma account",
    "│ ▌ Luma session cookie (required)",
    "│ ✅ useapi.net accepted the Luma cookie.",
    "┌ public notice in #warden-alerts",
    "│ 🔑 @member1 added the Luma account studio@example.com",
    "3. Time passes: the session now expires within 72h",
    "┌ warning in #warden-alerts",
    "│ ▌ Luma session expires within 72h",
    "│ [Renew Luma] [I'm on it]",
    '4. @member1 presses "I\'m on it"',
    "┌ the same warning, edited for everyone",
    "│ ▌ On it: @member1 since a few seconds ago",
    "5. @member1 presses Renew Luma and pastes a fresh cookie",
    "│ ▌ Luma account renewed",
    "┌ the warning, edited: resolved",
    "│ ▌ ✅ Resolved · Luma session expires within 72h",
    "│ ▌ Resolved: Renewed by @member1 a few seconds ago",
    "6. The bot stops (as on SIGTERM or Ctrl-C)",
    "Secret sweep: none of 4 secrets",
]


def demo_env(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    """No Session Warden variable at all, and a TMPDIR of its own to see what is left in it."""
    scratch, cwd = tmp_path / "tmp", tmp_path / "cwd"
    scratch.mkdir()
    cwd.mkdir()
    return process_env(TMPDIR=str(scratch)), scratch, cwd


async def test_the_demo_tells_the_story_draws_it_and_leaves_nothing_behind(tmp_path: Path) -> None:
    env, scratch, cwd = demo_env(tmp_path)
    html = tmp_path / "pictures"
    status, out, err = await run_bot("demo", "--html", str(html), env=env, cwd=cwd, timeout=120)
    assert (status, err) == (0, ""), out + err

    lines = out.splitlines()
    position = 0
    for expected in STORY:
        found = next((i for i in range(position, len(lines)) if expected in lines[i]), None)
        assert found is not None, f"{expected!r} missing (or out of order) in:\n{out}"
        position = found + 1
    # The warning fell due by itself, once: the scheduler's own pass, not the demo, posted it.
    assert out.count("┌ warning in #warden-alerts") == 1
    waited = re.search(r"^   (\d+\.\d) s after the registration, the scheduler posts:$", out, re.M)
    assert waited and 5 < float(waited.group(1)) < 30, "it fell due 8 s after the registration"
    # Nothing left: the temporary directory (database and all) is gone, the working directory
    # untouched, and the stand-ins say they are closed.
    database = re.search(r"database: (\S+)/warden\.sqlite3", out)
    assert database and Path(database.group(1)).parent == scratch
    assert os.listdir(scratch) == [] and os.listdir(cwd) == []
    assert f"The stand-ins are closed and {database.group(1)} is deleted." in out

    pages = sorted(p.name for p in html.iterdir())
    assert pages[-1] == "index.html" and len(pages) == 11, pages
    index = (html / "index.html").read_text(encoding="utf-8")
    for shown in ("Register your Luma account", "Luma session expires within 72h", "Resolved", "Renew Luma"):
        assert shown in index, shown
    assert 'class="embed"' in index and 'class="modal"' in index, "drawn by docs/render.py"
    for secret_ish in ("luma_session=", "demoSess1on", "demo-only-token"):
        assert secret_ish not in index and secret_ish not in out


async def test_the_demo_stops_and_cleans_up_when_its_reader_leaves(tmp_path: Path) -> None:
    env, scratch, cwd = demo_env(tmp_path)
    for read_lines in (0, 12):  # before anything, and once the bot runs
        status, err = await run_bot_with_reader_leaving("demo", env=env, cwd=cwd, read_lines=read_lines)
        assert (status, err) == (0, "")
        assert os.listdir(scratch) == [] and os.listdir(cwd) == []


async def test_without_a_checkout_the_demo_says_it_needs_one(tmp_path: Path) -> None:
    """The Docker image and a pip install carry bot/ and cogs/ only."""
    installed = tmp_path / "site"
    for package in ("bot", "cogs"):
        shutil.copytree(ROOT / package, installed / package, ignore=shutil.ignore_patterns("__pycache__"))
    status, out, err = await run_bot("demo", env=process_env(), cwd=installed)
    assert (status, out) == (1, "")
    assert "the demo needs a checkout of the repository" in err
    assert "uv run session-warden demo" in err
    assert sorted(os.listdir(installed)) == ["bot", "cogs"]


async def test_an_html_directory_that_cannot_be_written_fails_before_anything_runs(tmp_path: Path) -> None:
    env, scratch, cwd = demo_env(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    status, out, err = await run_bot("demo", "--html", str(blocker / "pictures"), env=env, cwd=cwd)
    assert (status, out) == (1, "")
    assert err == f"demo: cannot write HTML to {blocker / 'pictures'}: Not a directory\n"
    assert blocker.read_text() == "keep me" and os.listdir(scratch) == []
