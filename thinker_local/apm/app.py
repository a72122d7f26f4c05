"""The APM web application: the pages, their static files, and the JSON API behind them.

Every page is the same shell (``static/index.html``); its ES modules (``static/router.js`` and
one module per view in ``static/views/``) read the path and draw the view from the JSON API, so
each view has its own address and works with the back button.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

from ..hosts import allowed_hosts_middleware
from ..store import TraceStore
from . import api, live, logs_api, serverless_api

APM_PORT = 8080
STATIC = Path(__file__).with_name("static")
# The project's OpenAPI descriptions, if it keeps an openapi/ beside this package: served with
# the traces they explain.
OPENAPI = Path(__file__).resolve().parents[2] / "openapi"
# The addresses a person can open or bookmark; all served by the page shell.
PAGES = (
    "/",
    "/services",
    "/services/{service}",
    "/resource",
    "/traces",
    "/traces/{trace_id}",
    "/live",
    "/logs",
    "/errors",
    "/errors/{issue}",
)
# The serverless view, a function's page, the service map and the traces crossing one of its edges.
MAP_PAGES = ("/serverless", "/serverless/{function}", "/map", "/map/edge")


async def _page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


@web.middleware
async def _no_store_for_api(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def create_apm_app(store: TraceStore, *, allow_hosts: Iterable[str] = ()) -> web.Application:
    """The APM's aiohttp application over ``store``; serve it on 127.0.0.1:8080.

    It answers a loopback ``Host`` and ``allow_hosts`` only (:mod:`thinker_local.hosts`); every
    route is a GET that changes nothing, and no answer carries CORS headers, so a page of
    another origin can neither read it nor change it.
    """
    app = web.Application(middlewares=[allowed_hosts_middleware(allow_hosts), _no_store_for_api])
    app[api.STORE] = store
    live.add_routes(app)
    api.add_routes(app)
    serverless_api.add_routes(app)
    logs_api.add_routes(app)
    for path in PAGES:
        app.router.add_get(path, _page)
    for path in MAP_PAGES:
        app.router.add_get(path, _page)
    app.router.add_static("/static/", STATIC)
    if OPENAPI.is_dir():
        app.router.add_static("/openapi/", OPENAPI)
    return app
