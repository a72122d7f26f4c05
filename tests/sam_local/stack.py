"""The commands a user runs, `sam build` and `sam local start-api`, as processes of the test.

Every process is started in its own session and stopped by PID (tests.support.processes.stop).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from tests.sam_local.engine import remove_containers
from tests.support.processes import REPO, stop

SAM = REPO / ".venv" / "bin" / "sam"


def sam_environment() -> dict[str, str]:
    """The shell a user has after activating .venv: python3.12 on PATH (sam build needs it)."""
    path = f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "SAM_CLI_TELEMETRY": "0"}


def wait_for(
    host: str, port: int, process: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}: see {log}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), 0.2):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout} s: see {log}")


@contextlib.contextmanager
def serve(
    args: Sequence[str],
    *,
    host: str,
    port: int,
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server until the block ends, once it accepts connections on ``host:port``."""
    with open(log, "wb") as output:
        process = subprocess.Popen(
            list(args),
            cwd=REPO,
            env={**sam_environment(), **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(host, port, process, log, timeout)
            yield process
        finally:
            stop(process)


def sam_build(log: Path) -> None:
    """`sam build`, with the project's samconfig.toml."""
    with open(log, "wb") as output:
        result = subprocess.run(
            [str(SAM), "build"],
            cwd=REPO,
            env=sam_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"sam build failed: see {log}")


@contextlib.contextmanager
def sam_local_start_api(host: str, port: int, log: Path) -> Iterator[None]:
    """`sam local start-api` with the project's samconfig.toml, listening on ``host``.

    Two flags are added to what samconfig.toml says. ``--host``: samconfig.toml listens on all
    interfaces (so that both ``curl localhost:5000`` and the containers reach it); here only the
    Docker bridge is used, which the containers reach and loopback services (``make up``'s own
    gateway on 127.0.0.1:5000) do not collide with. ``--skip-pull-image``: the base image is the
    local stand-in, and no registry is there to compare it with.
    """
    args = [str(SAM), "local", "start-api", "--host", host, "--skip-pull-image"]
    try:
        with serve(args, host=host, port=port, log=log, timeout=300):
            yield
    finally:
        # SIGTERM makes sam remove its containers; any it left behind go here, by id.
        remove_containers(re.findall(r"SAM_CONTAINER_ID: (\w+)", log.read_text(errors="replace")))
