"""Progress on stderr while the benchmark runs: which step, how far, how long so far."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Step lines (``[2/7] cold start``), counters within a step, and notes."""

    def __init__(self, steps: int, stream: TextIO | None = None) -> None:
        self._steps = steps
        self._step = 0
        self._stream = stream or sys.stderr
        self._started = time.monotonic()
        self._tty = self._stream.isatty()
        self._last_count = 0.0

    def step(self, title: str) -> None:
        self._step += 1
        self._write(f"[{self._step}/{self._steps}] {title}")

    def note(self, text: str) -> None:
        self._write(f"      {text}")

    def count(self, label: str, done: int, total: int) -> None:
        """A counter: redrawn in place on a terminal, a line every ~2 s otherwise."""
        now = time.monotonic()
        if self._tty:
            end = "\n" if done >= total else ""
            self._stream.write(f"\r      {label}: {done}/{total}{end}")
            self._stream.flush()
        elif done >= total or now - self._last_count >= 2:
            self._last_count = now
            self._write(f"      {label}: {done}/{total}")

    def _write(self, text: str) -> None:
        elapsed = time.monotonic() - self._started
        self._stream.write(f"{elapsed:7.1f}s {text}\n")
        self._stream.flush()
