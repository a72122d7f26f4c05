"""Serve an aiohttp application on a loopback port from a background thread (tests)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from ..net import listen, port_of
from ..net import serve as serve_on


@contextmanager
def serve(app: web.Application, port: int = 0) -> Iterator[str]:
    """Run ``app`` on 127.0.0.1 (a free port unless given) in a thread; yields its base URL."""
    loop = asyncio.new_event_loop()
    sock = listen("127.0.0.1", port)
    runner = loop.run_until_complete(serve_on(app, sock))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port_of(sock)}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        sock.close()
