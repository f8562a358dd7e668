"""The README is the operator's only guide: keep it in step with the code it describes."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import discord

from bot.__main__ import COMMANDS
from bot.config import ENV_VARS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]{2,}")


def section(title: str) -> str:
    """The README's text under the heading `title`, up to the next heading of the same or higher level."""
    match = re.search(rf"^(#+) {re.escape(title)}\n", README, re.M)
    assert match, f"no section {title!r}"
    body = README[match.end() :]
    end = re.search(rf"^#{{1,{len(match.group(1))}}} ", body, re.M)
    return body[: end.start()] if end else body


def documented_variables() -> dict[str, str]:
    """name -> default cell, from the configuration table."""
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|", section("3. Configuration"), re.M)
    return {name: default.strip() for name, default in rows}


def variables_read_by_the_code() -> set[str]:
    """Names passed to os.environ / os.getenv / env.get / a `get("NAME")` helper, or used as env[...]."""
    found: set[str] = set()
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("cogs").rglob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            name: ast.expr | None = None
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                owner = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
                if called == "getenv" or (called in ("get", "pop") and re.search(r"env", owner, re.I)):
                    name = node.args[0]
                elif called == "get" and not owner:  # config.py's local get("NAME")
                    name = node.args[0]
            elif isinstance(node, ast.Subscript) and re.search(r"env", ast.unparse(node.value), re.I):
                name = node.slice
            if (
                isinstance(name, ast.Constant)
                and isinstance(name.value, str)
                and ENV_NAME.fullmatch(name.value)
            ):
                found.add(name.value)
    return found


def test_quick_start_is_the_commands_ci_runs() -> None:
    block = re.search(r"## Quick start\n\n```sh\n(.*?)```", README, re.S)
    assert block, "the quick start's code block"
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["uv run session-warden", "uv run pytest", "uv run session-warden demo"]
    # The third is run by the suite, as a newcomer runs it.
    assert '"demo"' in (ROOT / "tests" / "test_e2e_demo.py").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^uv run pytest$", ci, re.M)
    assert re.search(r"^uv sync --locked$", ci, re.M), "CI installs from uv.lock and fails when it is stale"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["session-warden"] == "bot.__main__:main"


def test_the_code_reads_only_variables_it_declares() -> None:
    read = variables_read_by_the_code()
    assert {"DISCORD_TOKEN", "USEAPI_TOKEN", "LOG_LEVEL", "HEALTH_MAX_AGE"} <= read, (
        "the scan finds config.py's reads"
    )
    assert read <= set(ENV_VARS), f"read but not in bot.config.ENV_VARS: {sorted(read - set(ENV_VARS))}"


def test_every_environment_variable_is_documented_with_its_default() -> None:
    documented = documented_variables()
    missing = (set(ENV_VARS) | variables_read_by_the_code()) - set(documented)
    assert not missing, f"add to the README's configuration table: {sorted(missing)}"
    assert not set(documented) - set(ENV_VARS), "the README documents a variable the code does not read"
    for name, default in ENV_VARS.items():
        cell = documented[name]
        if default:
            assert cell == f"`{default}`", f"{name}: README says {cell}, the code's default is {default!r}"
        elif default == "":
            assert cell == "empty", name
        else:
            assert cell in ("required", "unset", "Discord's"), f"{name}: {cell}"
    required = {name for name, cell in documented.items() if cell == "required"}
    assert required == {"DISCORD_TOKEN", "USEAPI_TOKEN"}


def test_env_example_and_compose_use_only_real_variables() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.M))
    assert listed == set(ENV_VARS)
    # Each line shows the real default (an uncommented copy must change nothing), or nothing
    # for the required and the unset ones.
    shown = dict(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=(.*)$", example, re.M))
    for name, default in ENV_VARS.items():
        assert shown[name] == (default or ""), (
            f".env.example shows {name}={shown[name]}, the default is {default!r}"
        )
    for line in example.splitlines():  # only the two tokens are uncommented, and they are empty
        if line and not line.startswith("#"):
            assert line in ("DISCORD_TOKEN=", "USEAPI_TOKEN=")
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert set(re.findall(r"^\s+([A-Z][A-Z0-9_]+):", compose, re.M)) <= set(ENV_VARS)
    assert "DATABASE_PATH=/data/session-warden.sqlite3" in dockerfile


def test_invite_link_asks_for_exactly_the_documented_permissions() -> None:
    needed = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
    links = re.findall(
        r"https://discord\.com/oauth2/authorize\?client_id=<APP_ID>&scope=bot\+applications\.commands"
        r"&permissions=(\d+)",
        README,
    )
    assert links == [str(needed.value)]
    with_mentions = needed | discord.Permissions(mention_everyone=True)
    assert f"`permissions={with_mentions.value}`" in README
    assert f"{needed.value}` = **View Channel** ({discord.Permissions(view_channel=True).value})" in README


def test_every_command_is_documented() -> None:
    commands = section("Operator commands")
    for command in COMMANDS:
        assert f"`python -m bot {command}" in commands, command


def test_every_slash_command_is_documented() -> None:
    """Each app command the cogs define appears in the team members' table."""
    table = section("For team members: the commands")
    source = "\n".join(p.read_text(encoding="utf-8") for p in ROOT.joinpath("cogs").rglob("*.py"))
    from bot.services import REGISTRY

    # Cog-defined groups, plus one per service (built from the registry).
    groups = set(re.findall(r'group_name="([a-z-]+)"', source))
    groups |= {cls.command_group for cls in REGISTRY.values()}
    assert groups >= {"luma", "ltx", "access", "alerts", "accounts", "notify"}
    for group in groups:
        assert f"`/{group} " in table, group
    # Each subcommand of the bot's own groups, by the name it is synced under.
    for name in re.findall(r'@app_commands\.command\(\s*name="([a-z-]+)"', source):
        assert re.search(rf"`/[a-z]+ {name}\b", table), name


def test_local_links_and_pictures_exist() -> None:
    targets = re.findall(r"\]\(((?!https?://|#)[^)\s]+)\)", README)
    assert any(t.endswith(".png") for t in targets)
    for target in targets:
        assert (ROOT / target).exists(), target


def test_anchors_point_at_headings() -> None:
    slugs = set()
    for heading in re.findall(r"^#+ (.+)$", README, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        slugs.add(slug)
    for anchor in re.findall(r"\]\(#([^)]+)\)", README):
        assert anchor in slugs, anchor


def test_every_test_the_reliability_table_names_exists() -> None:
    """The README's reliability section must not cite tests that were renamed or removed."""
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Reliability and security") : text.index("## For developers")]
    cited = re.findall(r"`(test_\w+\.py)(?:::(\w+))?`", section)
    assert len(cited) > 30
    tests_dir = Path(__file__).resolve().parent
    for filename, name in cited:
        source = (tests_dir / filename).read_text(encoding="utf-8")
        if name:
            assert re.search(rf"def {name}\(", source), f"{filename}::{name} is cited but does not exist"


def test_the_services_table_lists_exactly_the_registry() -> None:
    from bot.services import REGISTRY

    rows = re.findall(r"^\| ([^|]+) \| `([a-z0-9_-]+)` \| ([^|]+) \|", section("Services"), re.M)
    assert [key for _, key, _ in rows] == list(REGISTRY), "one row per service, in the registry's order"
    for name, key, commands in rows:
        cls = REGISTRY[key]
        assert name.strip() == cls.label
        assert f"`/{cls.command_group} register`" in commands
