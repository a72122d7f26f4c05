"""The Lambda Runtime API, served to one execution environment.

awslambdaric (AWS's runtime client, the same code as in the python3.12 runtime) long-polls
``GET /2018-06-01/runtime/invocation/next`` for an event and posts the handler's result or
error back; init errors go to ``/runtime/init/error``. This server hands it one invocation at a
time, as Lambda does, and tells the environment what happened.

Each environment gets its own server on an ephemeral loopback port: the Runtime API has no
notion of several clients. The listening socket sets ``TCP_NODELAY`` (accepted sockets inherit
it on Linux); without it the event's headers and body wait for the client's delayed ACK, which
costs 40-90 ms per invocation.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

from aiohttp import web

from ..hosts import allowed_hosts_middleware
from ..net import listen, port_of, serve

PREFIX = "/2018-06-01/runtime"


@dataclass(frozen=True)
class InvocationResult:
    """How an invocation ended: the handler's output, or an error (Lambda's FunctionError)."""

    payload: bytes
    error_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_type is None

    @classmethod
    def error(cls, error_type: str, message: str) -> InvocationResult:
        body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
        return cls(payload=body, error_type=error_type)


@dataclass
class Invocation:
    """One event on its way to the runtime, and the future its result lands in."""

    request_id: str
    payload: bytes
    function_arn: str
    deadline_ms: int
    trace_id: str
    # The caller's ClientContext, as JSON (the Invoke API's header decoded from base64), or None.
    client_context: str | None = None
    result: asyncio.Future[InvocationResult] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    # When the runtime took the event (monotonic seconds): the invocation's Duration starts here.
    started_at: float | None = None


class RuntimeApi:
    """The Runtime API for one environment; the environment submits invocations to it."""

    def __init__(self) -> None:
        self._pending: asyncio.Queue[Invocation] = asyncio.Queue(maxsize=1)
        self._current: Invocation | None = None
        # GET /next handlers still waiting; stopping cancels them (nobody will read the answer).
        self._waiting: set[asyncio.Task[object]] = set()
        self._runner: web.AppRunner | None = None
        self.address = ""
        # Set on the first GET /next: the runtime has finished its init phase.
        self.ready = asyncio.Event()
        self.ready_at: float | None = None
        self.init_error: asyncio.Future[InvocationResult] = (
            asyncio.get_running_loop().create_future()
        )

    async def start(self) -> str:
        """Listen on an ephemeral loopback port; the address for AWS_LAMBDA_RUNTIME_API."""
        # A page re-resolving its name to 127.0.0.1 must not take or answer an invocation.
        app = web.Application(
            client_max_size=7 * 1024 * 1024, middlewares=[allowed_hosts_middleware()]
        )
        app.router.add_get(f"{PREFIX}/invocation/next", self._next)
        app.router.add_post(f"{PREFIX}/invocation/{{request_id}}/response", self._response)
        app.router.add_post(f"{PREFIX}/invocation/{{request_id}}/error", self._error)
        app.router.add_post(f"{PREFIX}/init/error", self._init_error)
        sock = listen("127.0.0.1", 0)
        self._runner = await serve(app, sock)
        self.address = f"127.0.0.1:{port_of(sock)}"
        return self.address

    async def stop(self) -> None:
        for task in self._waiting:
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def submit(self, invocation: Invocation) -> None:
        """Queue the invocation for the runtime's next GET /next."""
        await self._pending.put(invocation)

    async def _next(self, request: web.Request) -> web.Response:
        if not self.ready.is_set():
            self.ready_at = time.monotonic()
            self.ready.set()
        task = asyncio.current_task()
        assert task is not None
        self._waiting.add(task)
        try:
            invocation = await self._pending.get()
        finally:
            self._waiting.discard(task)
        invocation.started_at = time.monotonic()
        self._current = invocation
        headers = {
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
            "Lambda-Runtime-Trace-Id": invocation.trace_id,
        }
        if invocation.client_context is not None:
            headers["Lambda-Runtime-Client-Context"] = invocation.client_context
        return web.Response(
            body=invocation.payload, content_type="application/json", headers=headers
        )

    async def _response(self, request: web.Request) -> web.Response:
        return await self._finish(request, error_type=None)

    async def _error(self, request: web.Request) -> web.Response:
        error_type = request.headers.get("Lambda-Runtime-Function-Error-Type", "Unhandled")
        return await self._finish(request, error_type=error_type)

    async def _finish(self, request: web.Request, *, error_type: str | None) -> web.Response:
        invocation = self._current
        if invocation is None or invocation.request_id != request.match_info["request_id"]:
            return web.json_response(
                {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"}, status=400
            )
        body = await request.read()
        self._current = None
        if not invocation.result.done():
            invocation.result.set_result(InvocationResult(payload=body, error_type=error_type))
        return web.json_response({"status": "OK"}, status=202)

    async def _init_error(self, request: web.Request) -> web.Response:
        body = await request.read()
        error_type = request.headers.get("Lambda-Runtime-Function-Error-Type", "Runtime.Unknown")
        if not self.init_error.done():
            self.init_error.set_result(InvocationResult(payload=body, error_type=error_type))
        return web.json_response({"status": "OK"}, status=202)
