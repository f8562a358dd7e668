"""bot/ops is a package of one module per operator command; healthcheck stays light."""

from __future__ import annotations

import subprocess
import sys

from bot import ops


def test_healthcheck_imports_no_http_client_database_driver_or_discord() -> None:
    code = (
        "import sys; from bot.ops import healthcheck, HEARTBEAT_KEY; "
        "print(sorted(m for m in ('httpx', 'aiosqlite', 'discord', 'bot.store', 'bot.ops._check') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert out.stdout.strip() == "[]"


def test_the_package_re_exports_functions_not_the_modules_of_the_same_name() -> None:
    import bot.ops._audit
    import bot.ops._backup
    import bot.ops._check
    import bot.ops._healthcheck  # noqa: F401 - importing submodules must not shadow the functions

    for name in ("check", "healthcheck", "backup", "audit"):
        assert callable(getattr(ops, name)) and getattr(ops, name).__name__ == name
    assert set(ops.__all__) >= {"HEARTBEAT_KEY", "relative", "merge_rows", "format_table"}
