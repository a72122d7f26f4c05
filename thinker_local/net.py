"""Loopback listening sockets, bound before anything is started on them, and serving on them.

Binding every port up front turns "address already in use" halfway through start-up into one
clear message before anything runs, and handing the bound socket to the server leaves no window
for another program to take the port in between.
"""

from __future__ import annotations

import socket
from typing import Any

from aiohttp import web


class PortInUse(OSError):
    """Something else listens on the port."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"{host}:{port} is already in use")
        self.host = host
        self.port = port


def listen(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A bound TCP socket (port 0: any free port), with ``TCP_NODELAY`` for small replies."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise PortInUse(host, port) from None
    return sock


def check_free(host: str, port: int) -> None:
    """:class:`PortInUse` unless the port can be bound now (for servers in other processes)."""
    listen(host, port).close()


def port_of(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


async def serve(app: web.Application, sock: socket.socket, **options: Any) -> web.AppRunner:
    """Serve ``app`` on the bound ``sock``; the runner, whose ``cleanup()`` stops it.

    ``options`` go to :class:`aiohttp.web.AppRunner`; signals stay with the caller's loop.
    """
    runner = web.AppRunner(app, handle_signals=False, access_log=None, **options)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner
