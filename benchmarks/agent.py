"""The local stack's Datadog agent, served on a free loopback port for the duration of a block.

Traced measurements outside the stack send their spans here, as the functions do in ``make up``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from thinker_local.agent.intake import create_agent_app
from thinker_local.net import listen, port_of, serve
from thinker_local.store import TraceStore


@contextlib.asynccontextmanager
async def local_agent(state_dir: Path) -> AsyncIterator[str]:
    """Serve the agent on the running loop; yields its URL."""
    store = TraceStore(state_dir / "traces.sqlite3")
    sock = listen("127.0.0.1", 0)
    runner = await serve(create_agent_app(store), sock)
    try:
        yield f"http://127.0.0.1:{port_of(sock)}"
    finally:
        await runner.cleanup()
        sock.close()
        store.close()
