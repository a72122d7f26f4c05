"""`make sam-local` stops everything it started, removes `sam`'s containers and the image build
locks a stopped `sam` leaves (the next one would wait on them): after SIGTERM
once it serves, after SIGTERM while `sam` is still starting its containers, and after a start
that failed."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from thinker_local.harness.processes import alive, children_of, kill, stop
from thinker_local.harness.stack import NO_DELAYS, REPO, local_sam_stack, sam_command, sam_options
from thinker_local.sam.engine import lambda_containers, stale_build_locks

pytestmark = pytest.mark.sam_local


def run_until(
    args: list[str], log: Path, ready: Callable[[], bool], timeout: float = 480.0
) -> tuple[subprocess.Popen[bytes], set[int], set[str]]:
    """Start the command and wait until ``ready()``; the process, every process it ran, and
    every container `sam` made meanwhile (for the checks after it is stopped)."""
    before = lambda_containers()
    with log.open("wb") as output:
        process = subprocess.Popen(
            args, cwd=REPO, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    seen: set[int] = set()
    made: set[str] = set()
    deadline = time.monotonic() + timeout
    while not ready() and process.poll() is None:
        seen |= children_of(process.pid)
        made |= lambda_containers() - before
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.2)
    seen |= children_of(process.pid)
    made |= lambda_containers() - before
    return process, seen, made


def assert_nothing_left(seen: set[int], made: set[str]) -> None:
    """No process it ran, no container sam made, no image build lock of a stopped sam."""
    leftovers = alive(seen)
    kill(leftovers)
    assert not leftovers
    assert not made & lambda_containers()
    assert not stale_build_locks(Path(tempfile.gettempdir()))


def test_sigterm_stops_everything_and_removes_the_containers(docker: str, tmp_path: Path) -> None:
    before = lambda_containers()
    with local_sam_stack(tmp_path, NO_DELAYS) as stack:
        assert stack.process is not None
        made = lambda_containers() - before
        seen = stack.remember()
        os.kill(stack.process.pid, signal.SIGTERM)
        code = stack.process.wait(timeout=60)

    assert code == 0
    assert len(made) == 3  # one warm container per function, EAGER
    assert "removed sam local start-api's containers (3)" in stack.output()
    assert_nothing_left(seen, made)


def test_sigterm_while_sam_starts_its_containers(docker: str, tmp_path: Path) -> None:
    before = lambda_containers()
    args = sam_command(*sam_options(tmp_path, NO_DELAYS))
    process, seen, made = run_until(
        args, tmp_path / "stack.log", lambda: bool(lambda_containers() - before)
    )
    try:
        assert process.poll() is None, (tmp_path / "stack.log").read_text()
        os.kill(process.pid, signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        stop(process)

    assert code == 0  # stopped as asked
    assert made
    assert_nothing_left(seen, made)


def test_a_failed_start_leaves_nothing(docker: str, tmp_path: Path) -> None:
    args = sam_command(*sam_options(tmp_path, NO_DELAYS), "--start-timeout", "2")
    log = tmp_path / "stack.log"
    process, seen, made = run_until(args, log, lambda: False)
    code = process.wait()

    assert code == 1
    assert "error: `sam local start-api` did not serve" in log.read_text()
    assert "stopped" in log.read_text()
    assert_nothing_left(seen, made)
