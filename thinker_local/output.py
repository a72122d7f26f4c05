"""The stack's one output stream: every process's lines, each prefixed with where it came from.

Lambda writes each function's output to its own log group; locally they interleave in one
terminal, so each line says which function (or part of the stack) wrote it. Listeners (the
trace store, for one) receive every line too, with the invocation it belongs to where known.
"""

from __future__ import annotations

import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

_COLOURS = (36, 35, 33, 32, 34, 91, 92, 93, 94, 95, 96)


@dataclass(frozen=True)
class LogLine:
    """One line of output: who wrote it, when (epoch seconds), and during which invocation."""

    source: str
    text: str
    time: float
    # The invocation running in the environment that wrote the line, if any.
    request_id: str | None = None


Listener = Callable[[LogLine], None]


def printed(
    text: str, *, source: str = "", request_id: str | None = None, at: float | None = None
) -> LogLine:
    """A line as ``source`` printed it ("": unnamed) at ``at`` (epoch seconds, default now),
    during the invocation ``request_id``, if known."""
    return LogLine(source, text, time.time() if at is None else at, request_id)


class Output:
    """Writes prefixed lines to a stream; coloured prefixes when it is a terminal."""

    def __init__(self, stream: TextIO | None = None, width: int = 22) -> None:
        self._stream = stream or sys.stdout
        self._width = width
        self._colour = self._stream.isatty()
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with every line from now on (it must be quick and must not raise)."""
        self._listeners.append(listener)

    def line(self, source: str, text: str, *, request_id: str | None = None) -> None:
        prefix = f"{source:<{self._width}}|"
        if self._colour:
            colour = _COLOURS[zlib.crc32(source.encode()) % len(_COLOURS)]
            prefix = f"\033[{colour}m{prefix}\033[0m"
        self._stream.write(f"{prefix} {text}\n")
        self._stream.flush()
        if self._listeners:
            record = printed(text, source=source, request_id=request_id)
            for listener in self._listeners:
                listener(record)

    def info(self, text: str) -> None:
        """A message from the stack itself."""
        self.line("thinker", text)
