"""Run an aiohttp application inside AWS Lambda, behind an API Gateway REST (v1) proxy integration.

Each event becomes a real HTTP/1.1 request handed to aiohttp's own request handler over an
in-memory connection, so routing, middlewares, ``prepare()`` and the response signals all run as
they do on a socket; the HTTP response is then mapped back to API Gateway's proxy format. Running
``prepare()`` matters: ddtrace's aiohttp span only finishes there.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import io
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

# Headers that describe one HTTP connection, not the request or response.
_HOP_BY_HOP = frozenset(
    {"connection", "content-length", "keep-alive", "transfer-encoding", "te", "upgrade"}
)
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


class _MemoryTransport(asyncio.Transport):
    """One connection's worth of bytes written by aiohttp, and a future resolved on close."""

    def __init__(self, peer: tuple[str, int], closed: asyncio.Future[None]) -> None:
        super().__init__()
        self._extra = {"peername": peer, "sockname": ("127.0.0.1", 443)}
        self._closed = closed
        self.written = bytearray()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._extra.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self._closed.done()

    def close(self) -> None:
        if not self._closed.done():
            self._closed.set_result(None)

    def abort(self) -> None:
        self.close()

    def get_write_buffer_size(self) -> int:
        return 0

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class _BufferedSocket:
    """Just enough of a socket for :class:`http.client.HTTPResponse` to parse bytes."""

    def __init__(self, data: bytes) -> None:
        self._file = io.BytesIO(data)

    def makefile(self, mode: str) -> io.BytesIO:
        return self._file


def http_request_from_event(event: Mapping[str, Any]) -> bytes:
    """The HTTP/1.1 request an API Gateway v1 proxy event describes."""
    method = str(event.get("httpMethod") or "GET").upper()
    path = quote(str(event.get("path") or "/"), safe="/%:@!$&'()*+,;=-._~")
    query = event.get("multiValueQueryStringParameters") or {
        name: [value] for name, value in (event.get("queryStringParameters") or {}).items()
    }
    target = f"{path}?{urlencode(query, doseq=True, quote_via=quote)}" if query else path

    body = event.get("body") or ""
    payload = base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode()

    headers = event.get("multiValueHeaders") or {
        name: [value] for name, value in (event.get("headers") or {}).items()
    }
    lines = [f"{method} {target} HTTP/1.1"]
    for name, values in headers.items():
        if name.lower() in _HOP_BY_HOP:
            continue
        lines.extend(f"{name}: {_single_line(value)}" for value in values)
    if not any(name.lower() == "host" for name in headers):
        lines.append("Host: localhost")
    lines += [f"Content-Length: {len(payload)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("utf-8") + payload


def proxy_response_from_http(raw: bytes) -> dict[str, Any]:
    """API Gateway's proxy response for an HTTP/1.1 response."""
    response = http.client.HTTPResponse(_BufferedSocket(raw))  # type: ignore[arg-type]
    try:
        response.begin()
    except http.client.HTTPException as error:
        raise RuntimeError("the application closed the connection without a response") from error
    body = response.read()

    multi: dict[str, list[str]] = {}
    for name, value in response.getheaders():
        if name.lower() not in _HOP_BY_HOP:
            multi.setdefault(name, []).append(value)

    content_type = response.getheader("Content-Type", "")
    is_text = content_type.startswith(_TEXT_TYPES) or not body
    return {
        "statusCode": response.status,
        "headers": {name: values[-1] for name, values in multi.items()},
        "multiValueHeaders": multi,
        "body": body.decode("utf-8") if is_text else base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": not is_text,
    }


def _single_line(value: object) -> str:
    return str(value).replace("\r", " ").replace("\n", " ")


class LambdaAdapter:
    """A Lambda handler serving an aiohttp :class:`~aiohttp.web.Application`.

    The application starts once, in the execution environment's init phase, on an event loop
    kept for the environment's life; each invocation runs on that loop.

    With ``before_deadline``, an invocation still running ``margin_ms`` before its deadline
    (the context's ``get_remaining_time_in_millis()``) pauses its loop to call it once with the
    loop (whose tasks hold the request's state), then goes on until it ends or Lambda stops it.
    """

    def __init__(
        self,
        app: web.Application,
        *,
        before_deadline: Callable[[asyncio.AbstractEventLoop], None] | None = None,
        margin_ms: int = 0,
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        self._before_deadline = before_deadline
        self._margin_ms = margin_ms

    def __call__(self, event: Mapping[str, Any], context: object = None) -> dict[str, Any]:
        identity = (event.get("requestContext") or {}).get("identity") or {}
        peer = (str(identity.get("sourceIp") or "127.0.0.1"), 0)
        exchange = self._loop.create_task(self._exchange(http_request_from_event(event), peer))
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if self._before_deadline is not None and callable(remaining):
            timeout = max(0.0, (remaining() - self._margin_ms) / 1000)
            done, _ = self._loop.run_until_complete(asyncio.wait({exchange}, timeout=timeout))
            if not done:
                self._before_deadline(self._loop)
        return proxy_response_from_http(self._loop.run_until_complete(exchange))

    async def _exchange(self, request: bytes, peer: tuple[str, int]) -> bytes:
        server = self._runner.server
        assert server is not None, "the runner is set up in __init__"
        closed: asyncio.Future[None] = self._loop.create_future()
        transport = _MemoryTransport(peer, closed)
        protocol = server()
        protocol.connection_made(transport)
        try:
            protocol.data_received(request)
            await closed
        finally:
            protocol.connection_lost(None)
        return bytes(transport.written)

    def close(self) -> None:
        """Run the application's cleanup and close the loop (tests; Lambda just freezes)."""
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()
