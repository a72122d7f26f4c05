"""One progress bar: redrawn in place on a terminal, a line per tenth of the way otherwise."""

from __future__ import annotations

from typing import TextIO

BAR_WIDTH = 30


class ProgressBar:
    """``[#####---------] 10/50  failed 1`` on ``out``, after an optional label."""

    def __init__(self, out: TextIO, total: int, label: str = "") -> None:
        self.out = out
        self.total = max(1, total)
        self.label = f"{label}: " if label else ""
        self.interactive = out.isatty()
        self._last_tenth = -1

    def draw(self, done: int, failed: int | None = None) -> None:
        """Show ``done`` of the total (and ``failed`` of them, when counted)."""
        filled = BAR_WIDTH * done // self.total
        line = f"{self.label}[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done}/{self.total}"
        if failed is not None:
            line += f"  failed {failed}"
        if self.interactive:
            self.out.write(f"\r{line}")
        elif (tenth := 10 * done // self.total) != self._last_tenth:
            self._last_tenth = tenth
            self.out.write(f"{line}\n")
        self.out.flush()

    def finish(self) -> None:
        if self.interactive:
            self.out.write("\n")
            self.out.flush()
