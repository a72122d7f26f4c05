"""The local stack as a user runs it: a real process tree, started, waited for, stopped by PID.

:class:`StackProcess` starts ``make up`` (or ``python -m thinker_local up ...``) in its own
process group, waits for its banner, remembers every process it started, and stops it the way
Ctrl-C does (SIGINT to the group). Whatever happens in a test, nothing it started survives:
the stack's processes are killed by PID if the stack did not stop them itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.support.processes import REPO, free_port

READY = "Ctrl-C stops everything."
FAULTS_TEMPLATE = Path(__file__).parent / "faults" / "template.yaml"
# The quick-start's delays would only slow the tests down.
NO_DELAYS = {"THINKER_SUBJECT_DELAY": "0", "THINKER_THINK_DELAY": "0"}


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


class StackProcess:
    """One run of the local stack."""

    def __init__(self, args: Sequence[str], log_path: Path, env: dict[str, str]) -> None:
        self.args = list(args)
        self.log_path = log_path
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.seen: set[int] = set()

    def start(self, timeout: float = 180.0) -> None:
        """Start and wait for the banner; fail with the stack's output if it exits first."""
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.args,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while READY not in self.output():
            if self.process.poll() is not None:
                pytest.fail(f"{self.args} exited with {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{self.args} not ready within {timeout} s:\n{self.output()}")
            time.sleep(0.1)
        self.remember()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def remember(self) -> set[int]:
        """Note every process the stack runs now, to check later that none outlives it."""
        assert self.process is not None
        self.seen |= children_of(self.process.pid)
        return self.seen

    def interrupt(self, timeout: float = 60.0) -> int:
        """Ctrl-C: SIGINT to the process group; the exit code."""
        assert self.process is not None
        self.remember()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def kill_everything(self) -> None:
        """Last resort: SIGKILL the group and every process the stack was seen running."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.remember()
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        for pid in alive(self.seen):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def running_stack(
    args: Sequence[str], log_path: Path, env: dict[str, str] | None = None
) -> Iterator[StackProcess]:
    """A started stack, always stopped (and killed if it will not stop) when the block ends."""
    stack = StackProcess(args, log_path, {**os.environ, **NO_DELAYS, **(env or {})})
    try:
        stack.start()
        yield stack
    finally:
        try:
            if stack.process is not None and stack.process.poll() is None:
                stack.interrupt()
        finally:
            stack.kill_everything()


def up_command(*options: str) -> list[str]:
    return [sys.executable, "-m", "thinker_local", "up", *options]


@pytest.fixture(scope="module")
def faults_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[StackProcess, str, Path]]:
    """The throwaway functions of faults/template.yaml behind a gateway on a free port.

    Yields the stack, its base URL, and the path of the file that breaks BrokenInitFunction's
    init: it exists from the start (so even the warm environment fails), until a test removes it.
    """
    tmp = tmp_path_factory.mktemp("faults")
    port = free_port()
    flag = tmp / "init-fails"
    flag.touch()
    args = up_command(
        "--template",
        str(FAULTS_TEMPLATE),
        "--state-dir",
        str(tmp / "state"),
        "--port",
        str(port),
        "--no-apm",
        "--no-reload",
        "--max-environments",
        "4",
        "--parameter-overrides",
        f"InitFailsIfExists={flag}",
    )
    with running_stack(args, tmp / "stack.log") as stack:
        yield stack, f"http://127.0.0.1:{port}", flag
