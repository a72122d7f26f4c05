"""The JSON API behind the APM pages (documented in docs/apm-api.md).

Every handler reads the :class:`~thinker_local.store.TraceStore` in a worker thread, so a slow
query never stalls the event loop that also serves the pages.
"""

from __future__ import annotations

import asyncio
import json
import re

from aiohttp import web

from ..store import TraceStore
from ..store.presentation import trace_document
from ..store.query import Query, QueryError, parse

STORE: web.AppKey[TraceStore] = web.AppKey("store", TraceStore)

DEFAULT_WINDOW_S = 3600.0
MAX_WINDOW_S = 30 * 86400.0
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_WINDOW = re.compile(r"^(\d+(?:\.\d+)?)([smhdw]?)$")


def parse_window(raw: str | None) -> float:
    """Seconds from ``900``, ``15m``, ``1h``, ``1d``, ``7d``...; 400 if it is none of those."""
    if not raw:
        return DEFAULT_WINDOW_S
    match = _WINDOW.match(raw.strip().lower())
    if not match:
        raise web.HTTPBadRequest(text=f"window must look like 15m, 1h, 1d or seconds, not {raw!r}")
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if not 0 < seconds <= MAX_WINDOW_S:
        raise web.HTTPBadRequest(text="window must be between 1 second and 30 days")
    return seconds


def int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """An integer parameter, ``default`` when absent, clamped to ``low``..``high``; else a 400."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} must be an integer, not {raw!r}") from None
    return max(low, min(high, value))


def _bool(request: web.Request, name: str) -> bool | None:
    raw = request.query.get(name, "").strip().lower()
    if raw in ("", "any"):
        return None
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise web.HTTPBadRequest(text=f"{name} must be true or false, not {raw!r}")


def _tag(request: web.Request) -> tuple[str, str] | None:
    raw = request.query.get("tag", "").strip()
    if not raw:
        return None
    key, sep, value = raw.partition(":")
    if not sep or not key:
        raise web.HTTPBadRequest(text=f"tag must look like key:value, not {raw!r}")
    return key.strip(), value.strip()


async def services(request: web.Request) -> web.Response:
    window = parse_window(request.query.get("window"))
    rows = await asyncio.to_thread(request.app[STORE].services, window)
    return web.json_response({"window": window, "services": rows})


async def resources(request: web.Request) -> web.Response:
    window = parse_window(request.query.get("window"))
    service = request.match_info["service"]
    rows = await asyncio.to_thread(request.app[STORE].resources, service, window)
    return web.json_response({"window": window, "service": service, "resources": rows})


async def timeseries(request: web.Request) -> web.Response:
    window = parse_window(request.query.get("window"))
    buckets = int_param(request, "buckets", 60, 1, 120)
    series = await asyncio.to_thread(
        request.app[STORE].timeseries,
        window,
        service=request.query.get("service") or None,
        resource=request.query.get("resource") or None,
        buckets=buckets,
    )
    return web.json_response({"window": window, **series})


def _query(request: web.Request) -> Query | None:
    """The search of ``query=``; a malformed one is a 400 saying what is wrong and where."""
    raw = request.query.get("query", "")
    if not raw.strip():
        return None
    try:
        return parse(raw)
    except QueryError as error:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": error.message, "position": error.position}),
            content_type="application/json",
        ) from None


async def traces(request: web.Request) -> web.Response:
    store = request.app[STORE]
    since = request.query.get("since")
    rows = await asyncio.to_thread(
        store.traces,
        service=request.query.get("service") or None,
        resource=request.query.get("resource") or None,
        error=_bool(request, "error"),
        tag=_tag(request),
        limit=int_param(request, "limit", 50, 1, 500),
        since_received=int(since) if since and since.isdigit() else None,
        call=_call(request),
        query=_query(request),
    )
    return web.json_response({"traces": rows})


def _call(request: web.Request) -> tuple[str, str] | None:
    """The (caller, callee) of ``caller=``/``callee=``: traces crossing that service map edge."""
    caller, callee = request.query.get("caller", ""), request.query.get("callee", "")
    if not caller and not callee:
        return None
    if not caller or not callee:
        raise web.HTTPBadRequest(text="caller and callee go together")
    return caller, callee


async def trace(request: web.Request) -> web.Response:
    store = request.app[STORE]
    trace_id = await asyncio.to_thread(store.find_trace, request.match_info["trace_id"])
    if trace_id is None:
        raise web.HTTPNotFound(text=f"no trace {request.match_info['trace_id']!r} in the store")
    spans = await asyncio.to_thread(store.trace, trace_id)
    return web.json_response(trace_document(trace_id, spans))


async def facets(request: web.Request) -> web.Response:
    window = parse_window(request.query.get("window"))
    found = await asyncio.to_thread(request.app[STORE].facets, window, query=_query(request))
    return web.json_response({"window": window, **found})


async def issues(request: web.Request) -> web.Response:
    window = parse_window(request.query.get("window"))
    rows = await asyncio.to_thread(
        request.app[STORE].issues.issues,
        window,
        service=request.query.get("service") or None,
        buckets=int_param(request, "buckets", 30, 1, 60),
    )
    return web.json_response({"window": window, "issues": rows})


async def issue(request: web.Request) -> web.Response:
    window = parse_window(request.query.get("window"))
    issue_id = request.match_info["issue"]
    found = await asyncio.to_thread(
        request.app[STORE].issues.issue,
        issue_id,
        window,
        buckets=int_param(request, "buckets", 30, 1, 60),
    )
    if found is None:
        raise web.HTTPNotFound(text=f"no issue {issue_id!r} in the store")
    return web.json_response({"window": window, "issue": found})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/services", services)
    app.router.add_get("/api/services/{service}/resources", resources)
    app.router.add_get("/api/timeseries", timeseries)
    app.router.add_get("/api/traces", traces)
    app.router.add_get("/api/traces/{trace_id}", trace)
    app.router.add_get("/api/facets", facets)
    app.router.add_get("/api/errors", issues)
    app.router.add_get("/api/errors/{issue}", issue)
