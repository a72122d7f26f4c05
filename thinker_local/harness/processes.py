"""Process trees seen from /proc, and stopping a process so that nothing it started survives
(:func:`stop` is :func:`thinker_local.process.stop`)."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from ..process import stop

__all__ = ["alive", "children_of", "kill", "stop"]


def children_of(pid: int) -> set[int]:
    """Every living descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its ')'.
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """The pids in the set that still run (zombies count as gone)."""
    living = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            if stat[stat.rindex(")") + 2] != "Z":
                living.add(pid)
    return living


def kill(pids: set[int]) -> None:
    """SIGKILL each of the pids that still runs."""
    for pid in alive(pids):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
