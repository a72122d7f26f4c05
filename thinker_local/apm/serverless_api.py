"""The JSON API of the serverless view and the service map (documented in docs/apm-api.md)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from . import serverless
from .api import STORE, int_param, parse_window
from .service_map import edges, service_map


async def functions(request: web.Request) -> web.Response:
    window = parse_window(request.query.get("window"))
    return web.json_response(
        await asyncio.to_thread(serverless.overview, request.app[STORE], window)
    )


async def invocations(request: web.Request) -> web.Response:
    window = parse_window(request.query.get("window"))
    function = request.match_info["function"]
    rows = await asyncio.to_thread(
        serverless.invocations,
        request.app[STORE],
        function,
        window,
        limit=int_param(request, "limit", 100, 1, 1000),
    )
    return web.json_response({"window": window, "function": function, "invocations": rows})


async def function_timeseries(request: web.Request) -> web.Response:
    window = parse_window(request.query.get("window"))
    series = await asyncio.to_thread(
        serverless.function_timeseries,
        request.app[STORE],
        request.match_info["function"],
        window,
        buckets=int_param(request, "buckets", 60, 1, 120),
    )
    return web.json_response(series)


async def map_(request: web.Request) -> web.Response:
    window = parse_window(request.query.get("window"))
    store = request.app[STORE]
    services, calls = await asyncio.gather(
        asyncio.to_thread(store.services, window), asyncio.to_thread(store.calls, window)
    )
    # Cold-start spans are part of a function's start, not a service it calls.
    shown = [s for s in services if s["kind"] != "Lambda cold start"]
    return web.json_response(service_map(shown, edges(calls), window))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/serverless", functions)
    app.router.add_get("/api/serverless/{function}/invocations", invocations)
    app.router.add_get("/api/serverless/{function}/timeseries", function_timeseries)
    app.router.add_get("/api/service-map", map_)
