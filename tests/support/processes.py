"""Real processes for tests: started, waited for, and always stopped by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ddapm_test_agent_command(host: str, port: int, *options: str) -> list[str]:
    """ddapm-test-agent on ``host:port``; its other listeners (OTLP, web UI) on free ports, so
    several test agents, and the project's own stack, can run side by side."""
    return [
        sys.executable, "-m", "ddapm_test_agent.agent", "--host", host, "--port", str(port),
        "--otlp-http-port", str(free_port()), "--otlp-grpc-port", str(free_port()),
        "--web-ui-port", str(free_port()), *options,
    ]  # fmt: skip


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Wait until something accepts connections on the port, or fail with the process's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{output}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s: {process.args!r}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the process and its group: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    if process.stdout:
        process.stdout.close()


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
