"""A local Datadog agent: takes what ddtrace and datadog-lambda send, keeps the traces.

Serve it on 127.0.0.1:8126 (the port ddtrace expects)::

    app = create_agent_app(TraceStore(".thinker/traces.sqlite3"))
    web.run_app(app, host="127.0.0.1", port=8126)

- ``/v0.4/traces`` and ``/v0.5/traces`` are decoded with Datadog's own decoders (from
  ddapm-test-agent), answered, and stored in the :class:`~thinker_local.store.TraceStore` right
  after, from a thread of their own (:mod:`.writer`), as the Datadog Agent processes a payload
  after answering.
- ``/info`` advertises those endpoints, as a real agent does, so ddtrace keeps its default v0.5.
- Everything else a tracer sends (stats, telemetry, remote configuration, EVP proxy, DogStatsD
  over HTTP, profiles, flares, ...) is accepted and dropped: nothing is ever answered 404.
- Optionally, each trace payload is also relayed unchanged to a real Datadog Agent, which sends
  it on to Datadog APM with its API key: give ``forward_url``, or export both ``DD_API_KEY`` and
  ``THINKER_FORWARD_AGENT_URL`` (e.g. a Datadog Agent container's ``http://127.0.0.1:18126``).
  Without them, nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import aiohttp
from aiohttp import web
from ddapm_test_agent.trace import (  # type: ignore[import-untyped]
    decode_v04,
    decode_v05,
)

from ..hosts import allowed_hosts_middleware, browsers_refused_middleware
from ..store import TraceStore
from .writer import SpanWriter

logger = logging.getLogger(__name__)

AGENT_PORT = 8126
STORE: web.AppKey[TraceStore] = web.AppKey("store", TraceStore)
WRITER: web.AppKey[SpanWriter] = web.AppKey("writer", SpanWriter)
FORWARD_URL: web.AppKey[str | None] = web.AppKey("forward_url", str)
FORWARD_SESSION: web.AppKey[aiohttp.ClientSession] = web.AppKey(
    "forward_session", aiohttp.ClientSession
)
# A real agent's version string; ddtrace only logs it.
AGENT_VERSION = "7.60.0"
# Tracers send headers like these with trace payloads; a relay must keep them.
_RELAYED_HEADERS = (
    "Content-Type",
    "Datadog-Meta-Lang",
    "Datadog-Meta-Lang-Version",
    "Datadog-Meta-Lang-Interpreter",
    "Datadog-Meta-Tracer-Version",
    "Datadog-Container-Id",
    "X-Datadog-Trace-Count",
    "Datadog-Client-Computed-Stats",
    "Datadog-Client-Computed-Top-Level",
)

Decoder = Callable[[web.Request, bytes], list[list[Any]]]

BROWSER_REFUSED = "this Datadog agent takes traces from tracers, not from web pages"


# A JSON escape of half a UTF-16 surrogate pair: json.loads keeps a lone one in the str, which
# no UTF-8 (SQLite's text) can hold. msgpack's strings are checked UTF-8 already.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _decode_v04(request: web.Request, body: bytes) -> list[list[Any]]:
    content_type = request.headers.get("Content-Type", "application/msgpack").split(";")[0]
    content_type = content_type.strip().lower()
    traces = list(decode_v04(content_type, body, suppress_errors=False))
    # A msgpack body (what ddtrace sends) is not scanned.
    if content_type == "application/json" and _SURROGATE_ESCAPE.search(body):
        return [_valid_text(trace) for trace in traces]
    return traces


def _valid_text(value: Any) -> Any:
    """``value`` with each lone surrogate in its strings replaced by U+FFFD, as the Datadog
    Agent's JSON decoding does."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_valid_text(item) for item in value]
    if isinstance(value, dict):
        return {_valid_text(key): _valid_text(item) for key, item in value.items()}
    return value


def _decode_v05(request: web.Request, body: bytes) -> list[list[Any]]:
    return list(decode_v05(body))


def _traces_handler(decode: Decoder) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            chunks = decode(request, body)
        except Exception as error:  # a bad payload is the client's fault, never a crash
            logger.warning("rejected a %s payload: %s", request.path, error)
            return web.json_response({"error": f"cannot decode payload: {error}"}, status=400)
        writer = request.app[WRITER]
        if writer.full:
            # The Datadog Agent's answer to a payload it cannot take now; the tracer retries.
            return web.json_response({"error": "the trace store's disk is full"}, status=429)
        # Queued at once unless the writer is behind: then wait for room, off the event loop.
        if not writer.put(chunks, timeout=0) and not await asyncio.to_thread(writer.put, chunks):
            return web.json_response({"error": "the trace store cannot keep up"}, status=429)
        if request.app[FORWARD_URL]:
            await _forward(request, body)
        # As a real agent answers: the sampling rate for every service is 1 (keep everything).
        return web.json_response({"rate_by_service": {"service:,env:": 1.0}})

    return handle


async def _span_writer(app: web.Application) -> Any:
    app[WRITER] = writer = SpanWriter(app[STORE])
    yield
    # What was taken is written before the agent stops.
    await asyncio.to_thread(writer.close)


async def _forward(request: web.Request, body: bytes) -> None:
    """Relay a trace payload to the real agent; a failure is logged, never fatal."""
    url = f"{request.app[FORWARD_URL]}{request.path}"
    headers = {name: request.headers[name] for name in _RELAYED_HEADERS if name in request.headers}
    try:
        async with request.app[FORWARD_SESSION].put(url, data=body, headers=headers) as response:
            if response.status >= 300:
                logger.warning("the Datadog Agent at %s answered %s", url, response.status)
    except (aiohttp.ClientError, TimeoutError) as error:
        logger.warning("could not forward traces to %s: %s", url, error)


async def info(request: web.Request) -> web.Response:
    """What this agent supports, in the shape of the Datadog Agent's ``/info``."""
    return web.json_response(
        {
            "version": AGENT_VERSION,
            "endpoints": [
                "/v0.4/traces",
                "/v0.5/traces",
                "/v0.6/stats",
                "/telemetry/proxy/",
                "/evp_proxy/v2/",
                "/evp_proxy/v4/",
                "/profiling/v1/input",
                "/dogstatsd/v2/proxy",
                "/tracer_flare/v1",
            ],
            # Remote configuration is off here: /v0.7/config is not advertised.
            "feature_flags": [],
            # False: the tracer must send every trace (a real agent lets it drop P0 traces
            # once it computes stats itself, but this store is the only copy).
            "client_drop_p0s": False,
            "span_meta_structs": True,
            "long_running_spans": False,
            "config": {"statsd_port": 8125, "receiver_port": AGENT_PORT},
        }
    )


async def remote_config(request: web.Request) -> web.Response:
    """Remote configuration, disabled: no targets, no files, ever."""
    await request.read()
    return web.json_response({})


async def accept(request: web.Request) -> web.Response:
    """Anything else a tracer sends: read it, drop it, say OK."""
    await request.read()
    if request.method == "GET":
        return web.json_response({})
    return web.Response(status=202 if request.path.startswith("/evp_proxy/") else 200, text="OK")


async def _forward_session(app: web.Application) -> Any:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        app[FORWARD_SESSION] = session
        yield


def forward_url_from_env(environ: Mapping[str, str]) -> str | None:
    """The real agent to relay to: only when the user has a Datadog API key to send with."""
    url = environ.get("THINKER_FORWARD_AGENT_URL", "").strip()
    if url and environ.get("DD_API_KEY", "").strip():
        return url
    if url:
        logger.warning("THINKER_FORWARD_AGENT_URL is set without DD_API_KEY: not forwarding")
    return None


def create_agent_app(
    store: TraceStore, *, forward_url: str | None = None, allow_hosts: Iterable[str] = ()
) -> web.Application:
    """The agent's aiohttp application, storing traces in ``store``.

    ``forward_url`` (e.g. ``http://127.0.0.1:18126``), when given, is a real Datadog Agent that
    also receives every trace payload unchanged; by default, :func:`forward_url_from_env`.
    It answers a loopback ``Host`` and ``allow_hosts`` only (:mod:`thinker_local.hosts`), and
    no request carrying an ``Origin`` (a browser's).
    """
    forward_url = forward_url or forward_url_from_env(os.environ)
    # Tracers send payloads of up to several MB; the real agent accepts 25 MB by default.
    app = web.Application(
        client_max_size=25 * 1024 * 1024,
        middlewares=[
            allowed_hosts_middleware(allow_hosts),
            # Tracers send neither Origin nor Sec-Fetch-Site; a browser sends Origin with every
            # cross-site write (a "simple" POST needs no CORS preflight) and Sec-Fetch-Site with
            # every request. A page must not inject spans into the store (the Datadog Agent
            # refuses Sec-Fetch-Site: cross-site).
            browsers_refused_middleware(BROWSER_REFUSED),
        ],
    )
    app[STORE] = store
    app[FORWARD_URL] = forward_url.rstrip("/") if forward_url else None
    app.cleanup_ctx.append(_span_writer)
    if forward_url:
        app.cleanup_ctx.append(_forward_session)
    for path, decode in (("/v0.4/traces", _decode_v04), ("/v0.5/traces", _decode_v05)):
        handler = _traces_handler(decode)
        app.router.add_put(path, handler)
        app.router.add_post(path, handler)
    app.router.add_get("/info", info)
    app.router.add_route("*", "/v0.7/config", remote_config)
    app.router.add_route("*", "/{tail:.*}", accept)
    return app
