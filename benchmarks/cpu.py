"""CPU time by process over a load, from /proc: what each request cost each part of the stack.

The stack's processes are the ``up`` process (the gateways, the Runtime API, the Lambda API, the
agent and the APM all run in it), moto's, and the Lambda environments, each counted with its
function (its ``AWS_LAMBDA_FUNCTION_NAME``); the benchmark's client is this process. A snapshot
of utime + stime before and after the load gives what each spent in between: a process started
during the load counts whole, start-up included (about a second of CPU for an environment, so
``make bench`` measures once every environment the load needs has started), and one that ended
during it counts through the cutime + cstime its parent collected.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from thinker_local.harness.processes import children_of

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
CONCURRENCY = 8
UP = "`up`: gateways, Runtime API, agent, APM"
MOTO = "moto (DynamoDB, IAM)"
ENDED = "processes that ended during the load"
OTHER = "other processes of the stack"
CLIENT = "the benchmark's client"
_FUNCTION_VARIABLE = b"AWS_LAMBDA_FUNCTION_NAME="


ENVIRONMENTS = "'s environments"


def environments(function: str) -> str:
    """The group of a function's environments."""
    return function + ENVIRONMENTS


@dataclass(frozen=True)
class Sample:
    """One process at one moment: its group, its own CPU and its waited-for children's."""

    group: str
    ticks: int  # utime + stime
    reaped: int  # cutime + cstime


@dataclass(frozen=True)
class CpuUse:
    """What one load of ``requests`` over ``seconds`` cost: CPU milliseconds by group, and by
    group the processes at its end and those among them that started during it."""

    requests: int
    seconds: float
    ms: dict[str, float]
    processes: dict[str, int]
    started: dict[str, int]

    def per_request(self, group: str) -> float:
        return self.ms.get(group, 0.0) / self.requests

    @property
    def stack_per_request(self) -> float:
        """Every process of the stack together, the client left out."""
        return sum(ms for group, ms in self.ms.items() if group != CLIENT) / self.requests


def _sample(pid: int, group: str | None, names: Mapping[str, str]) -> Sample | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        group = group or _group(pid, names)
    except OSError:  # it ended meanwhile
        return None
    # "pid (comm) state ppid ...": fields from the state on; utime is the 14th field of all.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return Sample(group, utime + stime, cutime + cstime)


def _group(pid: int, names: Mapping[str, str]) -> str:
    if b"moto_server" in Path(f"/proc/{pid}/cmdline").read_bytes():
        return MOTO
    for variable in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
        if variable.startswith(_FUNCTION_VARIABLE):
            function = variable.removeprefix(_FUNCTION_VARIABLE).decode()
            return environments(names.get(function, function))
    return OTHER


def snapshot(root: int, names: Mapping[str, str]) -> dict[int, Sample]:
    """Every process of the stack whose ``up`` process is ``root``, and this one.

    ``names`` gives a function's name in the report by its logical id."""
    wanted: dict[int, str | None] = {os.getpid(): CLIENT, root: UP}
    wanted.update(dict.fromkeys(children_of(root) - wanted.keys()))
    found = {pid: _sample(pid, group, names) for pid, group in wanted.items()}
    return {pid: sample for pid, sample in found.items() if sample is not None}


def spent(
    before: Mapping[int, Sample], after: Mapping[int, Sample], requests: int, seconds: float
) -> CpuUse:
    """What the processes spent between two snapshots ``seconds`` apart, over ``requests``."""
    ticks: dict[str, int] = {}
    processes: dict[str, int] = {}
    started: dict[str, int] = {}
    for pid, end in after.items():
        start = before.get(pid)
        ticks[end.group] = ticks.get(end.group, 0) + end.ticks - (start.ticks if start else 0)
        processes[end.group] = processes.get(end.group, 0) + 1
        if start is None:
            started[end.group] = started.get(end.group, 0) + 1
    # Children waited for meanwhile, less what those seen before had spent by then.
    reaped = sum(
        end.reaped - before[pid].reaped
        for pid, end in after.items()
        if pid in before and end.group != CLIENT
    )
    reaped -= sum(start.ticks for pid, start in before.items() if pid not in after)
    if reaped > 0:
        ticks[ENDED] = reaped
    ms = {group: n * TICK_MS for group, n in ticks.items()}
    return CpuUse(requests, seconds, ms, processes, started)


class Meter:
    """:meth:`start` as the load's measured requests begin, :meth:`stop` when they are done."""

    def __init__(self, root: int, names: Mapping[str, str]) -> None:
        self.root = root
        self.names = names
        self._before: dict[int, Sample] = {}
        self._started = 0.0

    def start(self) -> None:
        self._before = snapshot(self.root, self.names)
        self._started = time.monotonic()

    def stop(self, requests: int) -> CpuUse:
        after = snapshot(self.root, self.names)
        return spent(self._before, after, requests, time.monotonic() - self._started)
