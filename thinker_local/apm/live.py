"""Live: new traces pushed to the page as server-sent events, as the agent stores them.

The page opens ``GET /api/traces/stream`` once (an ``EventSource``); each time spans are written
through this store, the stream sends the traces stored since its last event (a trace sent again
has grown: its other function's spans came later). Writes by another process on the same file
are not signalled, so the stream also looks every :data:`CHECK_S` seconds. The event id is the
newest ``received`` time sent, so a reconnecting ``EventSource`` resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import web

from .api import STORE

# How often the stream looks for traces written by another process, and sends a comment line
# so that proxies and the browser keep the connection.
CHECK_S = 1.0
KEEP_ALIVE_S = 15.0
MAX_BATCH = 100
CLOSING: web.AppKey[asyncio.Event] = web.AppKey("live_closing", asyncio.Event)


def _since(request: web.Request) -> int:
    raw = request.headers.get("Last-Event-ID") or request.query.get("since") or ""
    return int(raw) if raw.isdigit() else 0


async def stream(request: web.Request) -> web.StreamResponse:
    store = request.app[STORE]
    closing = request.app[CLOSING]
    since = _since(request)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
    )
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    stored = asyncio.Event()
    stop_listening = store.on_stored(lambda: loop.call_soon_threadsafe(stored.set))
    quiet = 0.0
    try:
        # The first event says the stream is open, so the page knows it need not poll.
        await response.write(f"event: open\ndata: {since}\n\n".encode())
        while not closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stored.wait(), timeout=CHECK_S)
            stored.clear()
            fresh = await asyncio.to_thread(store.traces, limit=MAX_BATCH, since_received=since)
            if fresh:
                since = max(t["received"] for t in fresh)
                data = json.dumps({"traces": fresh})
                await response.write(f"id: {since}\nevent: traces\ndata: {data}\n\n".encode())
                quiet = 0.0
            else:
                quiet += CHECK_S
                if quiet >= KEEP_ALIVE_S:
                    await response.write(b": keep-alive\n\n")
                    quiet = 0.0
    except ConnectionResetError:
        pass  # the page went away
    finally:
        stop_listening()
    return response


async def _close_streams(app: web.Application) -> None:
    app[CLOSING].set()


def add_routes(app: web.Application) -> None:
    app[CLOSING] = asyncio.Event()
    # Open streams end when the server stops, instead of holding its shutdown.
    app.on_shutdown.append(_close_streams)
    app.router.add_get("/api/traces/stream", stream)
