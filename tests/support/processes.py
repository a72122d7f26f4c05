"""Real server processes for tests: started, waited for, and always stopped by PID."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from thinker_local.harness.ports import free_port, wait_for_port
from thinker_local.harness.processes import children_of, stop
from thinker_local.harness.stack import REPO

__all__ = ["REPO", "ddapm_test_agent_command", "free_port", "running", "stop", "store_servers"]


def ddapm_test_agent_command(host: str, port: int, *options: str) -> list[str]:
    """ddapm-test-agent on ``host:port``; its other listeners (OTLP, web UI) on free ports, so
    several test agents, and the project's own stack, can run side by side."""
    return [
        sys.executable, "-m", "ddapm_test_agent.agent", "--host", host, "--port", str(port),
        "--otlp-http-port", str(free_port()), "--otlp-grpc-port", str(free_port()),
        "--web-ui-port", str(free_port()), *options,
    ]  # fmt: skip


@contextlib.contextmanager
def running(
    args: Sequence[str], *, port: int, env: Mapping[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process until the block ends; its output goes to ``log`` (or is kept)."""
    output = open(log, "wb") if log else subprocess.PIPE  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        list(args),
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(port, process)
        yield process
    finally:
        stop(process)
        if log:
            output.close()  # type: ignore[union-attr]


def store_servers(pid: int) -> dict[str, int]:
    """The agent and APM processes (thinker_local.run.store_server) under ``pid``, by role."""
    module = b"thinker_local.run.store_server"
    found = {}
    for child in children_of(pid):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if module in argv:
            found[argv[argv.index(module) + 1].decode()] = child
    return found
