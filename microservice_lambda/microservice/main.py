"""The application factory.

Standalone, as in the quick-start::

    python -m aiohttp.web -H 127.0.0.1 -P 8000 microservice.main:init_app
"""

from __future__ import annotations

from collections.abc import Sequence

import ddtrace
from aiohttp import web
from ddtrace.contrib.aiohttp import trace_app

from .db import DynamoDBThoughts
from .keys import SETTINGS, THOUGHTS
from .settings import Settings
from .thoughts import ThoughtStore
from .views import handle

SERVICE = "thinker-microservice"


def create_app(
    settings: Settings, store: ThoughtStore, *, continue_incoming_trace: bool
) -> web.Application:
    """The traced application.

    ``continue_incoming_trace`` says whether the aiohttp span continues the trace named by the
    request's headers. Standalone it must; inside Lambda the Datadog wrapper has already continued
    it (``aws.lambda`` is the parent), so reading the headers again would skip that span.
    """
    app = web.Application()
    app[SETTINGS] = settings
    app[THOUGHTS] = store
    app.router.add_get("/", handle)
    # trace_app needs ddtrace's aiohttp integration loaded (in Lambda the layer patches it too).
    ddtrace.patch(aiohttp=True)
    trace_app(app, service=SERVICE)  # type: ignore[no-untyped-call]
    app["datadog_trace"]["distributed_tracing_enabled"] = continue_incoming_trace
    return app


def init_app(argv: Sequence[str] | None = None) -> web.Application:
    """Entry point for ``python -m aiohttp.web``: settings and table from the environment."""
    settings = Settings.from_env()
    return create_app(settings, DynamoDBThoughts(settings.table_name), continue_incoming_trace=True)
