"""Terminal text the operator commands share (standard library only: healthcheck imports it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta


def printable(text: str, limit: int = 60) -> str:
    """Upstream text made safe for a terminal: no control characters, bounded length."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def iso_utc(value: datetime | None) -> str:
    if value is None:
        return "unknown"
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def relative(delta: timedelta) -> str:
    """The two largest units: `2d 3h`, `5h 12m`, `14m`, `<1m`; past times read `3h 5m ago`."""
    seconds = abs(int(delta.total_seconds()))
    units = [(seconds // 86400, "d"), (seconds % 86400 // 3600, "h"), (seconds % 3600 // 60, "m")]
    first = next((i for i, (count, _) in enumerate(units) if count), None)
    text = "<1m" if first is None else " ".join(f"{n}{u}" for n, u in units[first : first + 2] if n)
    return f"{text} ago" if delta < timedelta(0) else text


def table(header: tuple[str, ...], body: Sequence[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell, two spaces apart, one line per row."""
    widths = [max(len(cells[i]) for cells in (header, *body)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()
        for cells in (header, *body)
    ]
    return "\n".join(lines) + "\n"
