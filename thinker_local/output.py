"""The stack's one output stream: every process's lines, each prefixed with where it came from.

Lambda writes each function's output to its own log group; locally they interleave in one
terminal, so each line says which function (or part of the stack) wrote it.
"""

from __future__ import annotations

import sys
import zlib
from typing import TextIO

_COLOURS = (36, 35, 33, 32, 34, 91, 92, 93, 94, 95, 96)


class Output:
    """Writes prefixed lines to a stream; coloured prefixes when it is a terminal."""

    def __init__(self, stream: TextIO | None = None, width: int = 22) -> None:
        self._stream = stream or sys.stdout
        self._width = width
        self._colour = self._stream.isatty()

    def line(self, source: str, text: str) -> None:
        prefix = f"{source:<{self._width}}|"
        if self._colour:
            colour = _COLOURS[zlib.crc32(source.encode()) % len(_COLOURS)]
            prefix = f"\033[{colour}m{prefix}\033[0m"
        self._stream.write(f"{prefix} {text}\n")
        self._stream.flush()

    def info(self, text: str) -> None:
        """A message from the stack itself."""
        self.line("thinker", text)
