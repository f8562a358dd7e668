"""Draw the README's pictures from what the real bot sends, not from a mock-up.

    .venv/bin/python docs/render.py            # capture payloads, then draw the PNGs
    .venv/bin/python docs/render.py --draw     # draw again from docs/payloads.json only

Step 1 runs the real bot against the local Discord and useapi.net doubles (the same rig as the
end-to-end tests, with a fixed clock), registers a Luma account through the modal, lists the
accounts, and keeps the JSON the bot posted: the modal, the private answer, the public notice,
the /accounts list embed and, when the scheduler is built in, an expiry alert. They are saved to
docs/payloads.json.

Step 2 turns each payload into a small HTML page styled like Discord's dark theme and
screenshots it with headless Chromium (`apt-get install chromium`). Discord's own fonts,
avatars and window chrome are not reproduced; text, fields, colours, timestamps and mentions
come from the payloads. Timestamps are shown in UTC and relative to the capture clock.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
PAYLOADS = DOCS / "payloads.json"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SESSION = "mK8jP2xZc9AfQw3LnT7vYbE1R"  # a made-up cookie the useapi.net double accepts

# -- step 1: capture ------------------------------------------------------------------------------


async def capture() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.clock import FakeClock
    from tests.harness import running_rig

    captured: dict[str, Any] = {"now": NOW.isoformat(), "names": {}}
    with tempfile.TemporaryDirectory() as tmp:
        async with running_rig(Path(tmp), clock=FakeClock(NOW)) as rig:
            dd, ua = rig.discord, rig.useapi
            member = dd.member_ids[0]
            captured["names"] = {str(uid): m.nick or m.username for uid, m in dd.members.items()}
            ua.add_luma_session(SESSION, "studio@example.com", NOW + timedelta(days=2, hours=3, minutes=14))
            ua.set_luma_account("backup@example.com", NOW + timedelta(hours=5, minutes=40))
            ua.set_ltx_account("ltx@example.com", NOW + timedelta(days=6, hours=2))
            await rig.slash("access", "grant", user=dd.admin_id, target=member)

            opened = await rig.slash("luma", "register", user=member)
            captured["modal"] = _stable(opened.data)
            submitted = await rig.submit(opened, {"cookie": f"luma_session={SESSION}"}, user=member)
            captured["register_answer"] = _stable(await rig.followup(submitted))
            notices = dd.channel_messages.get(dd.alert_channel_id, [])
            captured["renewal_notice"] = _stable(notices[-1] if notices else None)

            assert rig.bot is not None
            await _sync_all(rig.bot)
            listing = await rig.slash("accounts", "list", user=member)
            captured["accounts"] = _stable(listing.data)
            alert = await _capture_alert(rig)
            captured["alert"] = _stable(alert)
            if alert is not None:
                captured.update(await _capture_follow_through(rig, alert, member))
    return captured


async def _capture_follow_through(rig: Any, alert: dict[str, Any], member: int) -> dict[str, Any]:
    """The same warning as the channel shows it later: claimed with "I'm on it", then resolved
    when the member renewed the account through its Renew button."""
    dd, ua = rig.discord, rig.useapi
    message_id = int(alert["id"])

    async def click(custom_id: str, on: int) -> Any:
        return await dd.wait_for_callback(
            await dd.dispatch_interaction(dd.button_click(custom_id, on, user=member))
        )

    async def edits() -> int:
        return sum(1 for r in dd.edits if r.path.endswith(f"/messages/{message_id}"))

    before = await edits()
    await click("warden:claim:luma", message_id)
    for _ in range(50):  # the click answers privately first, then edits the public message
        if await edits() > before:
            break
        await asyncio.sleep(0.05)
    claimed = _stable(dd.messages[message_id])
    renewal = "Rn7wQ2bX5cV8zK3mL6pT9yHf"
    ua.add_luma_session(renewal, "backup@example.com", NOW + timedelta(days=30))
    opened = await click("warden:renew:luma", message_id)
    submitted = await rig.submit(opened, {"cookie": renewal}, user=member)
    await rig.followup(submitted)
    await rig.bot.get_cog("AlertsCog").run_pass()  # the pass that resolves it
    return {"alert_claimed": claimed, "alert_resolved": _stable(dd.messages[message_id])}


async def _sync_all(bot: Any) -> None:
    """Bring the upstream-only accounts into the store, as the scheduler's sync does."""
    from bot.sync import sync_service

    for service in bot.services.values():
        await sync_service(service, bot.store, bot.clock.now())


async def _capture_alert(rig: Any) -> dict[str, Any] | None:
    """The first expiry warning one scheduler pass posts (backup@ is 5h40m from expiry)."""
    channel = rig.discord.channel_messages.setdefault(rig.discord.alert_channel_id, [])
    before = len(channel)
    await rig.bot.get_cog("AlertsCog").run_pass()
    fresh = [m for m in channel[before:] if m.get("embeds")]
    return fresh[0] if fresh else None


def _stable(message: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the picture needs, without ids and wall-clock stamps that change on every run."""
    if message is None:
        return None
    return {k: message[k] for k in ("title", "components", "content", "embeds", "flags") if k in message}


# -- step 2: draw -----------------------------------------------------------------------------------

STYLE = """
body { margin: 0; background: #313338; color: #dbdee1; width: 620px;
       font: 16px/1.375 'Noto Sans', 'DejaVu Sans', 'Liberation Sans', sans-serif; }
.msg { display: flex; gap: 14px; padding: 14px 16px; }
.avatar { width: 40px; height: 40px; border-radius: 50%; background: #5865f2; flex: none;
          color: white; font-weight: 700; display: flex; align-items: center; justify-content: center; }
.head { font-weight: 600; color: #f2f3f5; }
.tag { background: #5865f2; color: white; font-size: 10px; padding: 1px 4px; border-radius: 3px;
       margin-left: 4px; vertical-align: 2px; }
.time { color: #949ba4; font-size: 12px; margin-left: 6px; }
.embed { background: #2b2d31; border-left: 4px solid; border-radius: 4px; padding: 8px 16px 16px 12px;
         margin-top: 4px; max-width: 520px; box-sizing: border-box; }
.etitle { font-weight: 600; color: #f2f3f5; margin-top: 8px; }
.edesc { font-size: 14px; margin-top: 8px; white-space: pre-wrap; }
.fields { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; margin-top: 8px; }
.field { font-size: 14px; } .field.wide { grid-column: 1 / -1; }
.fname { font-weight: 600; color: #f2f3f5; margin-bottom: 2px; }
.footer { font-size: 12px; color: #b5bac1; margin-top: 8px; }
.ts { background: rgba(255,255,255,.06); border-radius: 3px; padding: 0 2px; }
.mention { background: rgba(88,101,242,.3); color: #c9cdfb; border-radius: 3px; padding: 0 2px; font-weight: 500; }
code { background: #1e1f22; border-radius: 3px; padding: 0 3px; font-size: 85%; }
.ephemeral { font-size: 12px; color: #949ba4; margin-top: 4px; }
.button { display: inline-block; margin: 8px 8px 0 0; padding: 2px 16px; border-radius: 3px; font-size: 14px;
          line-height: 28px; color: white; background: #4e5058; }
.button.primary { background: #5865f2; } .button.success { background: #248046; } .button.danger { background: #da373c; }
.modal { background: #313338; width: 440px; margin: 20px; border-radius: 8px; overflow: hidden;
         box-shadow: 0 0 0 1px #1e1f22, 0 8px 24px rgba(0,0,0,.5); }
.modal h1 { font-size: 20px; color: #f2f3f5; margin: 0; padding: 24px 16px 8px; }
.modal .body { padding: 8px 16px 16px; }
.modal label { display: block; font-size: 12px; font-weight: 700; text-transform: uppercase; color: #b5bac1;
               margin: 12px 0 8px; }
.modal .req { color: #f23f42; margin-left: 2px; }
.modal .about { font-size: 14px; color: #b5bac1; margin: -4px 0 8px; }
.modal .input { background: #1e1f22; border-radius: 3px; padding: 10px; color: #87898c; font-size: 15px; }
.modal .input.para { min-height: 80px; }
.modal .foot { background: #2b2d31; padding: 16px; display: flex; justify-content: flex-end; gap: 16px;
               align-items: center; font-size: 14px; }
.modal .foot .submit { background: #5865f2; color: white; padding: 0 20px; line-height: 38px; border-radius: 3px; }
.caption { font-size: 11px; color: #6d6f78; padding: 0 16px 10px; }
"""

_TOKEN = re.compile(
    r"<t:(?P<ts>-?\d+)(?::(?P<style>[tTdDfFR]))?>"
    r"|<@!?(?P<user>\d+)>|<@&(?P<role>\d+)>|<#(?P<channel>\d+)>"
    r"|\*\*(?P<bold>.+?)\*\*|`(?P<code>[^`]+)`|\\(?P<escaped>[^\w\s])"
)


def _relative(when: datetime, now: datetime) -> str:
    seconds = (when - now).total_seconds()
    size = abs(seconds)
    text = "a few seconds"
    for unit, span in (
        ("year", 31_536_000),
        ("month", 2_592_000),
        ("day", 86_400),
        ("hour", 3600),
        ("minute", 60),
    ):
        if size >= span:
            count = round(size / span)
            text = ("an hour" if unit == "hour" else f"a {unit}") if count == 1 else f"{count} {unit}s"
            break
    return f"in {text}" if seconds > 0 else f"{text} ago"


def _timestamp(epoch: int, style: str, now: datetime) -> str:
    when = datetime.fromtimestamp(epoch, tz=UTC)
    clock = when.strftime("%I:%M %p").lstrip("0")
    formats = {
        "t": clock,
        "T": when.strftime("%I:%M:%S %p").lstrip("0"),
        "d": when.strftime("%m/%d/%Y"),
        "D": f"{when:%B} {when.day}, {when.year}",
        "f": f"{when:%B} {when.day}, {when.year} {clock}",
        "F": f"{when:%A}, {when:%B} {when.day}, {when.year} {clock}",
        "R": _relative(when, now),
    }
    return formats[style] + ("" if style == "R" else " UTC")


def markdown(text: str, ctx: dict[str, Any]) -> str:
    """The subset of Discord markdown the bot uses, escaped everywhere else."""
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        out.append(html.escape(text[pos : match.start()]))
        pos = match.end()
        if match["ts"]:
            shown = _timestamp(int(match["ts"]), match["style"] or "f", ctx["now"])
            out.append(f'<span class="ts">{html.escape(shown)}</span>')
        elif match["user"]:
            name = ctx["names"].get(match["user"], "unknown-user")
            out.append(f'<span class="mention">@{html.escape(name)}</span>')
        elif match["role"]:
            out.append('<span class="mention">@role</span>')
        elif match["channel"]:
            out.append('<span class="mention">#warden-alerts</span>')
        elif match["bold"] is not None:
            out.append(f"<b>{markdown(match['bold'], ctx)}</b>")
        elif match["code"] is not None:
            out.append(f"<code>{html.escape(match['code'])}</code>")
        else:
            out.append(html.escape(match["escaped"]))
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _embed(embed: dict[str, Any], ctx: dict[str, Any]) -> str:
    colour = f"#{embed.get('color', 0x1E1F22):06x}"
    parts = [f'<div class="embed" style="border-color:{colour}">']
    if embed.get("title"):
        parts.append(f'<div class="etitle">{markdown(embed["title"], ctx)}</div>')
    if embed.get("description"):
        parts.append(f'<div class="edesc">{markdown(embed["description"], ctx)}</div>')
    if embed.get("fields"):
        parts.append('<div class="fields">')
        for field in embed["fields"]:
            wide = "" if field.get("inline") else " wide"
            parts.append(
                f'<div class="field{wide}"><div class="fname">{markdown(field["name"], ctx)}</div>'
                f"<div>{markdown(field['value'], ctx)}</div></div>"
            )
        parts.append("</div>")
    if embed.get("footer"):
        parts.append(f'<div class="footer">{html.escape(embed["footer"]["text"])}</div>')
    parts.append("</div>")
    return "".join(parts)


def _buttons(components: list[dict[str, Any]]) -> str:
    styles = {1: "primary", 2: "", 3: "success", 4: "danger", 5: ""}
    out = []
    for row in components:
        for comp in row.get("components", []):
            if comp.get("type") == 2:
                out.append(
                    f'<span class="button {styles.get(comp.get("style", 2), "")}">{html.escape(comp.get("label", ""))}</span>'
                )
    return "".join(out)


def message_html(message: dict[str, Any], ctx: dict[str, Any], *, ephemeral: bool) -> str:
    content = markdown(message.get("content") or "", ctx)
    embeds = "".join(_embed(e, ctx) for e in message.get("embeds") or [])
    note = '<div class="ephemeral">Only you can see this • Dismiss message</div>' if ephemeral else ""
    clock = _timestamp(int(ctx["now"].timestamp()), "t", ctx["now"])
    return (
        '<div class="msg"><div class="avatar">SW</div><div>'
        f'<div><span class="head">Session Warden</span><span class="tag">APP</span>'
        f'<span class="time">Today at {html.escape(clock)}</span></div>'
        f"<div>{content}</div>{embeds}{_buttons(message.get('components') or [])}{note}</div></div>"
    )


def _text_inputs(components: list[dict[str, Any]]) -> list[tuple[str | None, str | None, dict[str, Any]]]:
    """(label, description, input) from action rows (type 1) or labels (type 18)."""
    found: list[tuple[str | None, str | None, dict[str, Any]]] = []
    for comp in components:
        if comp.get("type") in (3, 4):
            found.append((comp.get("label"), None, comp))
        elif comp.get("type") == 18 and isinstance(comp.get("component"), dict):
            found.append((comp.get("label"), comp.get("description"), comp["component"]))
        else:
            found.extend(_text_inputs(comp.get("components", [])))
    return found


def modal_html(modal: dict[str, Any]) -> str:
    fields = []
    for label, description, comp in _text_inputs(modal.get("components", [])):
        req = '<span class="req">*</span>' if comp.get("required", True) else ""
        para = " para" if comp.get("style") == 2 else ""
        about = f'<div class="about">{html.escape(description)}</div>' if description else ""
        fields.append(
            f"<label>{html.escape(label or '')}{req}</label>{about}"
            f'<div class="input{para}">{html.escape(comp.get("placeholder") or "")}</div>'
        )
    return (
        f'<div class="modal"><h1>{html.escape(modal["title"])}</h1><div class="body">{"".join(fields)}</div>'
        '<div class="foot"><span>Cancel</span><span class="submit">Submit</span></div></div>'
    )


# -- the same payloads as plain text (for `session-warden demo`) ------------------------------------


def plain(text: str, ctx: dict[str, Any]) -> str:
    """The subset of Discord markdown the bot uses, as a terminal shows it: times in UTC, @names,
    no asterisks or escapes."""
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        out.append(text[pos : match.start()])
        pos = match.end()
        if match["ts"]:
            out.append(_timestamp(int(match["ts"]), match["style"] or "f", ctx["now"]))
        elif match["user"]:
            out.append(f"@{ctx['names'].get(match['user'], 'unknown-user')}")
        elif match["role"]:
            out.append("@role")
        elif match["channel"]:
            out.append("#warden-alerts")
        elif match["bold"] is not None:
            out.append(plain(match["bold"], ctx))
        elif match["code"] is not None:
            out.append(match["code"])
        else:
            out.append(match["escaped"])
    out.append(text[pos:])
    return "".join(out)


def _button_labels(components: list[dict[str, Any]]) -> list[str]:
    return [
        f"[{comp.get('label', '')}]"
        for row in components
        for comp in row.get("components", [])
        if comp.get("type") == 2
    ]


def message_text(message: dict[str, Any], ctx: dict[str, Any]) -> list[str]:
    """A message as lines of text: its content, each embed (title, description, fields,
    footer) and its buttons."""
    lines = plain(message.get("content") or "", ctx).splitlines()
    for embed in message.get("embeds") or []:
        if embed.get("title"):
            lines.append(f"▌ {plain(embed['title'], ctx)}")
        if embed.get("description"):
            lines.extend(f"▌ {line}" for line in plain(embed["description"], ctx).splitlines())
        for field in embed.get("fields") or []:
            name, *rest = [plain(field["name"], ctx), *plain(field["value"], ctx).splitlines()]
            if len(rest) == 1:
                lines.append(f"▌ {name}: {rest[0]}")
            else:
                lines.append(f"▌ {name}:")
                lines.extend(f"▌   {line}" for line in rest)
        if embed.get("footer"):
            lines.append(f"▌ ({embed['footer']['text']})")
    buttons = _button_labels(message.get("components") or [])
    if buttons:
        lines.append(" ".join(buttons))
    return lines


def modal_text(modal: dict[str, Any]) -> list[str]:
    """A form as lines of text: its title, each field (label, what it says, its placeholder)."""
    lines = [f"▌ {modal['title']}"]
    for label, description, comp in _text_inputs(modal.get("components", [])):
        required = " (required)" if comp.get("required", True) else " (optional)"
        lines.append(f"▌ {label or ''}{required}")
        if description:
            lines.append(f"▌   {description}")
        if comp.get("placeholder"):
            lines.append(f"▌   [{comp['placeholder']}]")
    lines.append("[Cancel] [Submit]")
    return lines


def page(body: str, caption: str) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><style>{STYLE}</style></head>'
        f'<body><div id="all">{body}<div class="caption">{html.escape(caption)}</div></div>'
        "<script>document.title = Math.ceil(document.getElementById('all').getBoundingClientRect().bottom) + 2</script></body></html>"
    )


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("headless Chromium is needed to draw: apt-get install chromium")


def screenshot(document: str, target: Path) -> None:
    browser = chromium()
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "page.html"
        source.write_text(document, encoding="utf-8")
        profile = f"--user-data-dir={Path(tmp) / 'profile'}"
        dom = subprocess.run(  # noqa: S603 - a local browser on a local file
            [browser, *flags, profile, "--dump-dom", source.as_uri()],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        title = re.search(r"<title>(\d+)</title>", dom)
        height = int(title.group(1)) if title else 600
        subprocess.run(  # noqa: S603
            [
                browser,
                *flags,
                profile,
                f"--window-size=620,{height}",
                f"--screenshot={target}",
                source.as_uri(),
            ],
            capture_output=True,
            check=True,
            timeout=60,
        )
    print(f"wrote {target.relative_to(ROOT)} (620x{height})")


def draw(captured: dict[str, Any]) -> None:
    ctx = {"now": datetime.fromisoformat(captured["now"]), "names": captured["names"]}
    note = "Rendered by docs/render.py from the JSON the bot sent to a Discord test double; not a screenshot of Discord."
    pictures: dict[str, str] = {
        "modal.png": modal_html(captured["modal"]),
        "register-answer.png": message_html(captured["register_answer"], ctx, ephemeral=True),
        "accounts.png": message_html(captured["accounts"], ctx, ephemeral=True),
    }
    if captured.get("renewal_notice"):
        pictures["renewal-notice.png"] = message_html(captured["renewal_notice"], ctx, ephemeral=False)
    if captured.get("alert"):
        pictures["alert.png"] = message_html(captured["alert"], ctx, ephemeral=False)
    for name in ("alert_claimed", "alert_resolved"):
        if captured.get(name):
            pictures[f"{name.replace('_', '-')}.png"] = message_html(captured[name], ctx, ephemeral=False)
    for name, body in pictures.items():
        screenshot(page(body, note), DOCS / name)


def main() -> None:
    if "--draw" not in sys.argv[1:]:
        captured = asyncio.run(capture())
        PAYLOADS.write_text(json.dumps(captured, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {PAYLOADS.relative_to(ROOT)}")
    draw(json.loads(PAYLOADS.read_text(encoding="utf-8")))


if __name__ == "__main__":
    main()
