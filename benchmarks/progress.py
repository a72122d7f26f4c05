"""Progress on stderr while the benchmark runs: which step, how far, how long so far."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from thinker_local.harness.progress import ProgressBar


class Progress:
    """Step lines (``[2/7] cold start``), a progress bar within a step, and notes."""

    def __init__(self, steps: int, stream: TextIO | None = None) -> None:
        self._steps = steps
        self._step = 0
        self._stream = stream or sys.stderr
        self._started = time.monotonic()
        self._bar: ProgressBar | None = None

    def step(self, title: str) -> None:
        self._step += 1
        self._write(f"[{self._step}/{self._steps}] {title}")

    def note(self, text: str) -> None:
        self._write(f"      {text}")

    def count(self, label: str, done: int, total: int) -> None:
        """A bar for ``label``, drawn anew when the label changes, finished at the total."""
        if self._bar is None or self._bar.label != f"      {label}: ":
            self._bar = ProgressBar(self._stream, total, f"      {label}")
        self._bar.draw(done)
        if done >= total:
            self._bar.finish()
            self._bar = None

    def _write(self, text: str) -> None:
        elapsed = time.monotonic() - self._started
        self._stream.write(f"{elapsed:7.1f}s {text}\n")
        self._stream.flush()
