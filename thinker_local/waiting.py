"""Waiting with a deadline: until a check holds, or until something accepts connections.

A check returns what was waited for (anything true) or a false value to be asked again; it may
raise to stop the wait at once (a process that exited will never serve).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable

INTERVAL_S = 0.2


def until[T](check: Callable[[], T], timeout: float, interval: float = INTERVAL_S) -> T | None:
    """Ask ``check`` until it answers something true (returned), or None after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        if found := check():
            return found
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


async def until_async[T](
    check: Callable[[], Awaitable[T]], timeout: float, interval: float = INTERVAL_S
) -> T | None:
    """:func:`until` for an event loop: the check is awaited, the pauses do not block."""
    deadline = time.monotonic() + timeout
    while True:
        if found := await check():
            return found
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(interval)


def accepts(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts a TCP connection on ``host:port`` now."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout):
        return True
    return False
