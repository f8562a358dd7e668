"""`python -m bot audit` as operators run it: a real process, no token, the database read-only."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.store import Store
from tests.harness import Rig
from tests.process import process_env, run_bot


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def seeded(tmp_path: Path, ages: list[timedelta]) -> Path:
    """A database whose audit entries are `ages` old (oldest first), one per age."""
    db = tmp_path / "warden.sqlite3"
    store = await Store.open(db)
    now = datetime.now(UTC)
    try:
        for i, age in enumerate(ages):
            await store.audit(
                now=now - age,
                actor_id=1000 + i % 2,
                action="register",
                service="luma" if i % 2 else "ltx",
                target=f"user{i}@example.com",
                outcome="ok" if i % 3 else "upstream:unauthorized",
                detail="\x1b[31mred\x1b[0m" if i == 0 else None,
            )
    finally:
        await store.close()
    return db


async def test_entries_the_running_bot_wrote_are_printed_as_json_lines(rig: Rig) -> None:
    member = rig.discord.member_ids[0]
    await rig.slash("access", "grant", user=rig.discord.admin_id, target=member)
    await rig.slash("luma", "remove", user=member, account="x@example.com")
    env = process_env(DATABASE_PATH=str(rig.settings.database_path))  # no token at all
    status, out, err = await run_bot("audit", "--json", env=env, cwd=rig.settings.database_path.parent)
    assert (status, err) == (0, "")
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(e["action"], e["outcome"], e["actor_id"]) for e in lines] == [
        ("account_remove", "refused:not_admin", member),
        ("access_grant", "ok", rig.discord.admin_id),
    ]
    assert lines[1]["target"] == f"user:{member}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", lines[0]["at"])
    assert lines[0]["id"] > lines[1]["id"]


async def test_table_pages_with_limit_and_before(tmp_path: Path) -> None:
    db = await seeded(tmp_path, [timedelta(hours=h) for h in range(12, 0, -1)])
    before = digest(db)
    env = process_env(DATABASE_PATH=str(db))
    status, out, err = await run_bot("audit", "--limit", "5", env=env, cwd=tmp_path)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == [
        "id",
        "at",
        "(UTC)",
        "actor",
        "action",
        "service",
        "target",
        "outcome",
        "detail",
    ]
    assert [int(line.split()[0]) for line in lines[1:6]] == [12, 11, 10, 9, 8]
    assert lines[-1] == "more entries: add --before 8"

    status, out, _ = await run_bot("audit", "--limit=5", "--before", "3", env=env, cwd=tmp_path)
    rows = out.splitlines()[1:]
    assert [int(line.split()[0]) for line in rows] == [2, 1]  # the last page says nothing more
    assert "?[31mred?[0m" in rows[-1] and "\x1b" not in out  # no terminal escapes get through
    assert digest(db) == before  # read-only: the file is untouched


async def test_since_member_and_service_filter(tmp_path: Path) -> None:
    db = await seeded(
        tmp_path, [timedelta(days=10), timedelta(days=8), timedelta(days=2), timedelta(hours=1)]
    )
    env = process_env(DATABASE_PATH=str(db))
    status, out, _ = await run_bot("audit", "--json", "--since", "7d", env=env, cwd=tmp_path)
    assert status == 0 and [json.loads(line)["id"] for line in out.splitlines()] == [4, 3]
    status, out, _ = await run_bot("audit", "--json", "--service", "luma", env=env, cwd=tmp_path)
    assert [json.loads(line)["id"] for line in out.splitlines()] == [4, 2]
    status, out, _ = await run_bot(
        "audit", "--json", "--member", "1000", "--since", "9d", env=env, cwd=tmp_path
    )
    assert [json.loads(line)["id"] for line in out.splitlines()] == [3]
    status, out, err = await run_bot("audit", "--json", "--limit", "1", env=env, cwd=tmp_path)
    assert len(out.splitlines()) == 1 and err == "more entries: add --before 4\n"  # stdout stays pure JSON
    status, out, _ = await run_bot("audit", "--member", "55", env=env, cwd=tmp_path)
    assert (status, out) == (0, "No audit entry matches.\n")


async def test_without_a_database_exits_1_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "data" / "warden.sqlite3"
    status, out, err = await run_bot("audit", env=process_env(DATABASE_PATH=str(db)), cwd=tmp_path)
    assert status == 1 and out == "" and "no database at" in err
    assert not db.parent.exists()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["audit", "--since", "soon"], "--since"),
        (["audit", "--limit", "0"], "--limit takes a whole number above 0"),
        (["audit", "--limit", "99999999"], "--limit is at most"),
        (["audit", "--service", "nope"], "is not a service; known: luma"),
        (["audit", "--member"], "--member needs a value"),
        (["audit", "--verbose"], "unknown option"),
    ],
)
def test_bad_audit_options_exit_2_and_say_which(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert says in err and "usage: python -m bot" in err
