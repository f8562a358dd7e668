"""See Session Warden work without a Discord application or a useapi.net account.

    uv run session-warden demo [--html DIR] [--verbose]      (also: python -m bot demo)

Starts the local stand-ins of Discord and useapi.net the tests use (tests/doubles/, on
127.0.0.1: nothing leaves the machine), runs the real bot against them (real discord.py, HTTP
and SQLite, every setting at its default, a temporary database), and plays a short story: an
admin approves a member, the member registers a Luma account through the private form, the
account's first stage warning (72h) falls due and is posted, the member claims it with I'm on
it, renews the account through the warning's Renew button, and the warning is resolved. Each
Discord message is printed as text (and, with --html DIR, drawn as HTML the way docs/render.py
draws the README's pictures). The only thing made short is the wait: the demo's account is
registered expiring 72 hours and a few seconds ahead, so its first stage falls due seconds
later, when the bot's own scheduler wakes for it. At the end the bot stops, the stand-ins
close and the temporary directory is deleted; a secret sweep shows that neither token nor
cookie reached anything sent to Discord, any log line or the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import re
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot import logs  # noqa: E402
from bot.app import WardenBot  # noqa: E402
from bot.config import Settings, load_settings  # noqa: E402
from bot.expiry import DEFAULT_STAGES, format_stage, format_stages  # noqa: E402
from bot.ops._output import reader_gone, reader_safe_output  # noqa: E402
from tests.doubles.discord_double import CallbackResult, DiscordDouble  # noqa: E402
from tests.doubles.useapi_double import UseapiDouble  # noqa: E402
from tests.harness import Rig, sweep  # noqa: E402


def _load_render() -> Any:
    """docs/render.py, which draws the bot's payloads (a script, not a package: loaded by path)."""
    spec = importlib.util.spec_from_file_location("session_warden_render", ROOT / "docs" / "render.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _load_render()

# Made up for the stand-ins (which check them, as Discord and useapi.net would); never real ones.
DISCORD_TOKEN = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.Gx7Kq2.demo-only-token-Hq4Vn8Tz"  # noqa: S105
USEAPI_TOKEN = "user:4242-demo-only-useapi-token-Lp6Rc2"  # noqa: S105
ACCOUNT = "studio@example.com"
FIRST_COOKIE = "demoSess1on-Qm4Zt8Wc2Kx7Lb3Yp"  # luma_session values the useapi.net stand-in accepts
RENEWED_COOKIE = "demoSess1on-Rn7wQ2bX5cV8zK3mTf"
FIRST_STAGE = timedelta(hours=72)  # the longest of the default stages, 72h,24h,6h
FALLS_DUE_IN = timedelta(seconds=8)  # after the registration: the demo's one shortcut
STEP_TIMEOUT = 20.0  # seconds any one step may take before the demo gives up on it


class DemoFailed(Exception):
    """A step did not happen; the message says which."""


class ReaderGone(Exception):
    """Nobody reads the output any more (`demo | head`): stop early, cleaning up as usual."""


class Story:
    """What the demo prints (and draws), in order."""

    def __init__(self, out: TextIO, html_dir: Path | None) -> None:
        self.out = out
        self.html_dir = html_dir
        self.started = time.monotonic()
        self.names: dict[str, str] = {}
        self.pages: list[tuple[str, str]] = []  # (caption, HTML body), for --html
        self.step = 0

    def say(self, text: str = "") -> None:
        if reader_gone(self.out):
            raise ReaderGone
        self.out.write(text + "\n")
        self.out.flush()

    def heading(self, text: str) -> None:
        self.step += 1
        self.say()
        self.say(f"{self.step}. {text}   [at {time.monotonic() - self.started:.1f} s]")

    def ctx(self) -> dict[str, Any]:
        return {"now": datetime.now(UTC), "names": self.names}

    def message(self, where: str, message: dict[str, Any], *, private: bool) -> None:
        """One Discord message: where it appears, then what it shows."""
        self.say(f"   ┌ {where}")
        for line in render.message_text(message, self.ctx()):
            self.say(f"   │ {line}")
        self.say("   └")
        self.pages.append((where, render.message_html(message, self.ctx(), ephemeral=private)))

    def form(self, where: str, modal: dict[str, Any]) -> None:
        self.say(f"   ┌ {where}")
        for line in render.modal_text(modal):
            self.say(f"   │ {line}")
        self.say("   └")
        self.pages.append((where, render.modal_html(modal)))

    def write_html(self) -> list[Path]:
        """One page per message, as docs/render.py draws them, and index.html with all of them."""
        if self.html_dir is None:
            return []
        note = "Drawn by session-warden demo from the JSON the bot sent to a Discord stand-in; not Discord itself."
        written = []
        for number, (caption, body) in enumerate(self.pages, 1):
            slug = re.sub(r"[^a-z0-9]+", "-", caption.lower()).strip("-")[:50]
            target = self.html_dir / f"{number:02d}-{slug}.html"
            target.write_text(render.page(body, f"{number}. {caption}. {note}"), encoding="utf-8")
            written.append(target)
        everything = "".join(
            f'<div class="caption">{number}. {render.html.escape(caption)}</div>{body}'
            for number, (caption, body) in enumerate(self.pages, 1)
        )
        index = self.html_dir / "index.html"
        index.write_text(render.page(everything, note), encoding="utf-8")
        return [index, *written]


async def until(what: str, found: Callable[[], Any], seconds: float = STEP_TIMEOUT) -> Any:
    """Poll `found()` until it returns something truthy; DemoFailed naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        result = found()
        if result:
            return result
        if time.monotonic() > deadline:
            raise DemoFailed(f"{what} did not happen within {seconds:.0f} s")
        await asyncio.sleep(0.05)


def demo_settings(dd: DiscordDouble, ua: UseapiDouble, database: Path) -> Settings:
    """The bot's real defaults, read the way the bot reads its environment, plus only where
    Discord, useapi.net and the database are (never the operator's .env or environment)."""
    return load_settings(
        {
            "DISCORD_TOKEN": DISCORD_TOKEN,
            "USEAPI_TOKEN": USEAPI_TOKEN,
            "USEAPI_BASE_URL": ua.base_url,
            "DISCORD_API_BASE": dd.api_base,
            "DISCORD_GATEWAY_URL": dd.gateway_url,
            "DATABASE_PATH": str(database),
            "GUILD_ID": str(dd.guild_id),
            "ALERT_CHANNEL_ID": str(dd.alert_channel_id),
        },
        read_dotenv=False,
    )


@contextlib.asynccontextmanager
async def running_bot(rig: Rig) -> AsyncIterator[WardenBot]:
    """The bot, started as `python -m bot` starts it (but in this process), stopped cleanly after."""
    bot = WardenBot(rig.settings)
    rig.bot = bot
    task = asyncio.create_task(bot.start(rig.settings.discord_token), name="the bot")
    try:
        await until("the bot's connection to Discord", lambda: bot.is_ready() or task.done(), 30)
        if task.done():
            task.result()  # raises what stopped it
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 15)


async def click(rig: Rig, custom_id: str, message_id: int, user: int) -> CallbackResult:
    dd = rig.discord
    return await dd.wait_for_callback(
        await dd.dispatch_interaction(dd.button_click(custom_id, message_id, user=user)), STEP_TIMEOUT
    )


async def play(story: Story, rig: Rig) -> None:
    dd, ua = rig.discord, rig.useapi
    admin, member = dd.admin_id, dd.member_ids[0]
    alerts = dd.channel_messages.setdefault(dd.alert_channel_id, [])
    story.names = {str(uid): m.nick or m.username for uid, m in dd.members.items()}
    name = story.names[str(member)]

    async with running_bot(rig):
        commands = sorted(c["name"] for c in dd.synced_guild_commands.get(dd.guild_id, []))
        story.say(
            f'   The bot is connected to the Discord stand-in\'s server "{dd.guild_name}" '
            f"and synced its commands there: /{', /'.join(commands)}."
        )

        story.heading(f"An admin lets @{name} register accounts")
        story.say(f"   @{story.names[str(admin)]} types /access grant member:@{name}")
        granted = await rig.slash("access", "grant", user=admin, target=member)
        story.message(
            f"private answer to @{story.names[str(admin)]}", await rig.answer(granted), private=True
        )

        story.heading(f"@{name} registers a Luma account through the private form")
        story.say(f"   @{name} types /luma register")
        opened = await rig.slash("luma", "register", user=member)
        if opened.type != 9:
            raise DemoFailed(f"/luma register answered with type {opened.type}, not the form")
        story.form(f"the form @{name} sees", opened.data)
        expires = datetime.now(UTC) + FIRST_STAGE + FALLS_DUE_IN
        ua.add_luma_session(FIRST_COOKIE, ACCOUNT, expires)
        story.say(f"   @{name} pastes the account's luma_session cookie and presses Submit")
        before = len(alerts)
        submitted = await rig.submit(opened, {"cookie": f"luma_session={FIRST_COOKIE}"}, user=member)
        answer = await rig.followup(submitted, STEP_TIMEOUT)
        story.message(f"private answer to @{name}", answer, private=True)
        notice = await until("the renewal notice", lambda: alerts[before:] and alerts[before])
        story.message("public notice in #warden-alerts", notice, private=False)

        registered = time.monotonic()
        stage = format_stage(FIRST_STAGE)
        story.heading(f"Time passes: the session now expires within {stage}")
        story.say(
            f"   The demo's account was registered expiring {stage} and {FALLS_DUE_IN.seconds} s ahead, so its"
        )
        story.say(
            f"   first stage ({stage}, of the default {format_stages(DEFAULT_STAGES)}) falls due "
            f"{FALLS_DUE_IN.seconds} s later. Nobody"
        )
        story.say(
            "   pokes the bot: its scheduler wakes for it, checks the account with useapi.net again, and posts."
        )
        before = len(alerts)
        warning = await until(
            "the stage warning",
            lambda: next((m for m in alerts[before:] if m.get("embeds")), None),
            FALLS_DUE_IN.total_seconds() + STEP_TIMEOUT,
        )
        warning_id = int(warning["id"])
        waited = time.monotonic() - registered
        story.say(f"   {waited:.1f} s after the registration, the scheduler posts:")
        story.message("warning in #warden-alerts", warning, private=False)

        story.heading(f'@{name} presses "I\'m on it"')
        edits = len(dd.edits)
        claimed = await click(rig, "warden:claim:luma", warning_id, member)
        story.message(f"private answer to @{name}", await rig.answer(claimed, STEP_TIMEOUT), private=True)
        await until("the claim on the warning", lambda: _edited(dd, warning_id, edits))
        story.message("the same warning, edited for everyone", dd.messages[warning_id], private=False)

        story.heading(f"@{name} presses Renew Luma and pastes a fresh cookie")
        opened = await click(rig, "warden:renew:luma", warning_id, member)
        if opened.type != 9:
            raise DemoFailed(f"Renew answered with type {opened.type}, not the form")
        story.say(
            f'   The same private form opens ("{opened.data.get("title")}"); @{name} submits a new cookie.'
        )
        ua.add_luma_session(RENEWED_COOKIE, ACCOUNT, datetime.now(UTC) + timedelta(days=30))
        before, edits = len(alerts), len(dd.edits)
        submitted = await rig.submit(opened, {"cookie": RENEWED_COOKIE}, user=member)
        answer = await rig.followup(submitted, STEP_TIMEOUT)
        story.message(f"private answer to @{name}", answer, private=True)
        notice = await until("the renewal notice", lambda: alerts[before:] and alerts[before])
        story.message("public notice in #warden-alerts", notice, private=False)
        await until("the warning's resolution", lambda: _edited(dd, warning_id, edits))
        story.message("the warning, edited: resolved", dd.messages[warning_id], private=False)

        story.heading("The bot stops (as on SIGTERM or Ctrl-C)")


def _edited(dd: DiscordDouble, message_id: int, seen: int) -> bool:
    return any(r.path.endswith(f"/messages/{message_id}") for r in dd.edits[seen:])


def _upstream_calls(ua: UseapiDouble) -> str:
    counts: dict[str, int] = {}
    for rec in ua.requests:
        call = f"{rec.method} {rec.path}"
        counts[call] = counts.get(call, 0) + 1
    return ", ".join(f"{call} ×{n}" for call, n in counts.items()) or "none"


async def tell(story: Story, err: TextIO, verbose: bool) -> None:
    """Set up the stand-ins, a temporary database and the logging, play, sweep, clean up."""
    story.say("Session Warden demo: the real bot (discord.py, SQLite, every setting at its default)")
    story.say("against local stand-ins of Discord and useapi.net. No Discord application, no useapi.net")
    story.say("account, no network: everything below runs on this machine and is gone at the end.")
    root = logging.getLogger()
    saved = root.level, list(root.handlers)
    with tempfile.TemporaryDirectory(prefix="session-warden-demo-") as tmp:
        async with (
            DiscordDouble(token=DISCORD_TOKEN) as dd,
            UseapiDouble(token=USEAPI_TOKEN) as ua,
        ):
            rig = Rig(discord=dd, useapi=ua, settings=demo_settings(dd, ua, Path(tmp) / "warden.sqlite3"))
            story.say(
                f"   Discord stand-in: {dd.base_url}   useapi.net stand-in: {ua.base_url}   "
                f"database: {rig.settings.database_path}"
            )
            # The production logging at the default level, shown with --verbose, kept for the sweep.
            handler = logs.configure(rig.settings.log_level, stream=err if verbose else rig.log_output)
            handler.setLevel(logging.DEBUG)
            for secret in rig.settings.secrets():
                logs.add_secret(secret)
            root.addHandler(rig.raw_logs)
            try:
                await play(story, rig)
            finally:
                for handler in list(root.handlers):
                    root.removeHandler(handler)
                for handler in saved[1]:
                    root.addHandler(handler)
                root.setLevel(saved[0])
            result = sweep(rig, name="demo")
            story.say(
                f"   Stopped cleanly. useapi.net saw: {_upstream_calls(ua)}; the bot posted "
                f"{len(dd.channel_messages.get(dd.alert_channel_id, []))} messages to #warden-alerts."
            )
            if result.leaks:
                raise DemoFailed("secret sweep: " + "; ".join(result.leaks))
            story.say(
                f"   Secret sweep: none of {result.secrets} secrets (the two tokens, both cookies) appears "
                f"in any of {result.places} places\n"
                "   (every request and gateway frame sent to Discord, every log line, the database files)."
            )
    story.say(f"   The stand-ins are closed and {tmp} is deleted.")


def main(out: TextIO, err: TextIO, *, html: Path | None = None, verbose: bool = False) -> int:
    """Play the story; 0 when it ran (or its reader left early), 1 when it could not, 130 on Ctrl-C."""
    story = Story(out, html)
    try:
        if html is not None:  # before anything runs: a DIR that can't be written fails at once
            try:
                html.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                err.write(f"demo: cannot write HTML to {html}: {exc.strerror or exc}\n")
                return 1
        asyncio.run(tell(story, err, verbose))
        written = story.write_html()
        if written:
            story.say(f"   Wrote each message as an HTML page to {html}, and all of them to {written[0]}.")
        story.say(f"Done in {time.monotonic() - story.started:.1f} s.")
    except ReaderGone:
        return 0
    except KeyboardInterrupt:
        err.write("demo interrupted; cleaned up\n")
        return 130
    except DemoFailed as exc:
        err.write(f"demo failed: {exc}\n")
        return 1
    except Exception as exc:  # the stand-ins or the bot could not start, a file could not be written
        err.write(f"demo failed: {type(exc).__name__}: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", metavar="DIR", type=Path, help="also write each message as HTML")
    parser.add_argument("--verbose", action="store_true", help="show the bot's log lines")
    options = parser.parse_args()
    with reader_safe_output() as (stdout, stderr):
        status = main(stdout, stderr, html=options.html, verbose=options.verbose)
    raise SystemExit(status)
