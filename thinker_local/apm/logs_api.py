"""The JSON API of the Logs page and the trace panel's Logs tab (documented in docs/apm-api.md)."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from ..lambdafn.log_lines import LEVELS
from ..store import TraceStore
from ..store.logs import MAX_PAGE, LogQuery
from .api import STORE, int_param, parse_window


def _whole(request: web.Request, name: str, what: str) -> int | None:
    """A parameter that is a whole number (``what`` it is, for the 400), or ``None``."""
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise web.HTTPBadRequest(text=f"{name} must be {what}, not {raw!r}")
    return int(raw)


def _ms(request: web.Request, name: str) -> int | None:
    """An epoch time in milliseconds, as nanoseconds."""
    value = _whole(request, name, "epoch milliseconds")
    return None if value is None else value * 1_000_000


def log_query(request: web.Request) -> LogQuery:
    """The filters of ``GET /api/logs``; a tail (``after``) looks at every time."""
    level = request.query.get("level", "").strip().upper() or None
    if level is not None and level not in LEVELS:
        raise web.HTTPBadRequest(text=f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    after = _whole(request, "after", "a line id")
    since = _ms(request, "from")
    if since is None and after is None and request.query.get("window") != "all":
        since = int((time.time() - parse_window(request.query.get("window"))) * 1e9)
    return LogQuery(
        text=request.query.get("q", "").strip() or None,
        function=request.query.get("function", "").strip() or None,
        level=level,
        request_id=request.query.get("request_id", "").strip() or None,
        since_ns=since,
        until_ns=_ms(request, "to"),
        after_id=after,
        before_id=_whole(request, "before", "a line id"),
        limit=int_param(request, "limit", 200, 1, MAX_PAGE),
    )


def _search(store: TraceStore, query: LogQuery) -> dict[str, object]:
    # Read before searching, so that a tail from it misses no line written meanwhile.
    latest = store.logs.latest_id()
    lines = store.logs.search(query)
    if query.after_id is not None:
        cursor = max([query.after_id, *(line["id"] for line in lines)])
    else:
        cursor = latest
    return {"logs": lines, "cursor": cursor}


async def logs(request: web.Request) -> web.Response:
    query = log_query(request)
    return web.json_response(await asyncio.to_thread(_search, request.app[STORE], query))


async def functions(request: web.Request) -> web.Response:
    names = await asyncio.to_thread(request.app[STORE].logs.functions)
    return web.json_response({"functions": names})


async def trace_logs(request: web.Request) -> web.Response:
    store = request.app[STORE]
    trace_id = await asyncio.to_thread(store.find_trace, request.match_info["trace_id"])
    if trace_id is None:
        raise web.HTTPNotFound(text=f"no trace {request.match_info['trace_id']!r} in the store")
    lines = await asyncio.to_thread(store.logs.of_trace, trace_id)
    return web.json_response({"trace_id": trace_id, "logs": lines})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/logs", logs)
    app.router.add_get("/api/logs/functions", functions)
    app.router.add_get("/api/traces/{trace_id}/logs", trace_logs)
