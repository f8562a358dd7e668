"""Standard output and error for the operator commands, safe when their reader goes away.

`session-warden check | grep -q passed` and `… | head -1` close the pipe while the command still
writes. Python then raises BrokenPipeError from whatever `write` or `flush` comes next, in the
middle of the work (with the database open, an aiosqlite thread that keeps the process alive),
and again at exit (status 120). `ReaderSafe` drops the output instead: the command finishes,
closes what it opened and exits with its own status. The same goes for any other output that
fails (a full disk under `> file`, a terminal gone away, an output closed with `>&-`).
Standard library only (healthcheck uses it).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO, cast


class ReaderSafe:
    """A text stream whose writes never raise BrokenPipeError: once the reader has gone, output
    is dropped (and `reader_gone` says so, for a command that would rather stop early)."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.reader_gone = stream is None  # started with the descriptor closed (`>&-`)

    def write(self, text: str) -> int:
        if self.stream is not None and not self.reader_gone:
            try:
                self.stream.write(text)
            except (OSError, ValueError):  # BrokenPipeError, or any other output that failed
                self._reader_left()
        return len(text)

    def flush(self) -> None:
        if self.stream is not None and not self.reader_gone:
            try:
                self.stream.flush()
            except (OSError, ValueError):
                self._reader_left()

    def _reader_left(self) -> None:
        self.reader_gone = True
        assert self.stream is not None
        # What the stream still buffers, and the interpreter's own flush at exit, go nowhere
        # instead of failing again.
        try:
            fd = self.stream.fileno()
        except (OSError, ValueError, io.UnsupportedOperation):
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:  # encoding, isatty, fileno … as the stream has them
        return getattr(self.stream, name)


def reader_gone(stream: object) -> bool:
    """True when `stream` is a ReaderSafe whose reader has gone."""
    return isinstance(stream, ReaderSafe) and stream.reader_gone


@contextlib.contextmanager
def reader_safe_output() -> Iterator[tuple[TextIO, TextIO]]:
    """sys.stdout and sys.stderr wrapped in ReaderSafe for the block (and flushed at its end, so a
    closed pipe is found here rather than at interpreter exit); the originals come back after."""
    saved = sys.stdout, sys.stderr
    out, err = ReaderSafe(sys.stdout), ReaderSafe(sys.stderr)
    sys.stdout, sys.stderr = cast(TextIO, out), cast(TextIO, err)
    try:
        yield sys.stdout, sys.stderr
    finally:
        out.flush()
        err.flush()
        sys.stdout, sys.stderr = saved
