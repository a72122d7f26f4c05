"""Free loopback ports, and waiting until something accepts connections on one."""

from __future__ import annotations

import socket
import subprocess

from ..waiting import accepts, until

HOST = "127.0.0.1"


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that nothing listens on right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_port() -> int:
    """A loopback port that nothing listens on right now."""
    (port,) = free_ports(1)
    return port


def wait_for_port(
    port: int, process: subprocess.Popen[bytes] | None = None, timeout: float = 60.0
) -> None:
    """Wait until something accepts connections on the port; fail if ``process`` exits first."""

    def serving() -> bool:
        if process is not None and process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{output}")
        return accepts(HOST, port, 0.2)

    if not until(serving, timeout, interval=0.05):
        raise TimeoutError(f"nothing listened on port {port} within {timeout} s")
