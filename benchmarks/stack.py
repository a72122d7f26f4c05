"""The local stack (``python -m thinker_local up``) as a benchmark target.

Every run takes free loopback ports and its own state directory, so it never meets another
stack on the machine; its output goes to a log file that the benchmark reads for Lambda's
REPORT lines. It is stopped as Ctrl-C stops it (SIGINT to its PID), then killed if it lingers.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
READY = "Ctrl-C stops everything."
SEED_PATH = "/think/?subject=technology&subject=foo_bar"
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0
# "<FunctionLogicalId> | REPORT RequestId: ...\tDuration: 12.03 ms\t...[\tInit Duration: 590.12 ms]"
_REPORT = re.compile(
    r"^(?P<function>\S+)\s*\|\s*REPORT RequestId: \S+\tDuration: (?P<duration>[\d.]+) ms"
    r"(?:.*\tInit Duration: (?P<init>[\d.]+) ms)?"
)


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that nothing listens on right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass(frozen=True)
class Report:
    """One Lambda REPORT line: which function, its Duration, and its Init Duration if cold."""

    function: str
    duration_ms: float
    init_ms: float | None


def parse_reports(text: str) -> list[Report]:
    """Every REPORT line in the stack's output."""
    reports = []
    for line in text.splitlines():
        match = _REPORT.match(line)
        if match:
            init = match.group("init")
            reports.append(
                Report(
                    function=match.group("function"),
                    duration_ms=float(match.group("duration")),
                    init_ms=float(init) if init else None,
                )
            )
    return reports


class LocalStack:
    """One running local stack; :meth:`url` is its thinker-api URL."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path, api_port: int) -> None:
        self.process = process
        self.log = log
        self.api_port = api_port

    def url(self, path: str = SEED_PATH) -> str:
        return f"http://127.0.0.1:{self.api_port}{path}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def mark(self) -> int:
        """A position in the output; :meth:`reports_since` reads REPORT lines after it."""
        return self.log.stat().st_size

    def reports_since(self, mark: int) -> list[Report]:
        with self.log.open("rb") as log:
            log.seek(mark)
            return parse_reports(log.read().decode(errors="replace"))


@contextlib.contextmanager
def local_stack(
    state_dir: Path,
    *,
    parameter_overrides: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Iterator[LocalStack]:
    """Start the stack on free ports, wait for its banner, and stop it when the block ends."""
    api, microservice, dynamodb, agent, apm = free_ports(5)
    overrides = [f"{key}={value}" for key, value in (parameter_overrides or {}).items()]
    command = [
        sys.executable,
        "-m",
        "thinker_local",
        "up",
        "--state-dir",
        str(state_dir),
        "--port",
        str(api),
        "--other-ports",
        str(microservice),
        "--dynamodb-port",
        str(dynamodb),
        "--agent-port",
        str(agent),
        "--apm-port",
        str(apm),
        "--no-reload",
    ]
    if overrides:
        command += ["--parameter-overrides", *overrides]
    state_dir.mkdir(parents=True, exist_ok=True)
    log = state_dir / "up.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our interpreter and arguments)
            command,
            cwd=REPO,
            env={**os.environ, **(environ or {})},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = LocalStack(process, log, api)
    try:
        _wait_until_ready(stack)
        yield stack
    finally:
        _stop(process)


def _wait_until_ready(stack: LocalStack) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while READY not in stack.output():
        if stack.process.poll() is not None:
            raise RuntimeError(
                f"the local stack exited with {stack.process.returncode}:\n{stack.output()}"
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"the local stack was not up within {START_TIMEOUT_S:.0f} s")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C (the stack then stops its own children), then SIGKILL if it does not exit."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_S)
