"""HTTP stand-ins for what the code under test calls: a microservice, DynamoDB, CloudFormation.

Each is a small HTTP server on a loopback port, in a thread of the test process, answering as
each test chooses (or misbehaving on purpose) and recording what it was asked.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# How long a hanging answer waits at most (the server's close releases it sooner).
HANG_S = 60.0


@dataclass(frozen=True)
class Received:
    """One request as the stand-in saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class StandIn(ThreadingHTTPServer):
    """Answers with ``first``'s (status, body) pairs in turn, then always with ``status`` and
    ``body`` (or never, with ``hang``). Port 0 picks a free one."""

    daemon_threads = True

    def __init__(
        self,
        port: int = 0,
        *,
        status: int = 200,
        content_type: str = "application/json",
        body: bytes = b"{}",
        hang: bool = False,
        first: Sequence[tuple[int, bytes]] = (),
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.status = status
        self.content_type = content_type
        self.body = body
        self.hang = hang
        self.first = list(first)
        self.released = threading.Event()
        self.requests: list[Received] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/"

    def next_answer(self, request: Received) -> tuple[int, bytes]:
        with self._lock:
            self.requests.append(request)
            return self.first.pop(0) if self.first else (self.status, self.body)


class _Handler(BaseHTTPRequestHandler):
    server: StandIn

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = Received(
            self.command, self.path, dict(self.headers.items()), self.rfile.read(length)
        )
        status, body = self.server.next_answer(received)
        if self.server.hang:
            self.server.released.wait(HANG_S)
            return
        self.send_response(status)
        self.send_header("Content-Type", self.server.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(server: StandIn) -> Iterator[StandIn]:
    """Serve until the block ends; then release hanging answers and close the port."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def json_bodies(server: StandIn, method: str = "PUT") -> list[Any]:
    """The JSON bodies sent to the stand-in with ``method``, in order (e.g. a custom resource's
    answers to CloudFormation's pre-signed URL)."""
    return [json.loads(r.body) for r in server.requests if r.method == method]


THROTTLED = json.dumps(
    {
        "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
        "message": "Rate of requests exceeds the allowed throughput.",
    }
).encode()


def throttling_dynamodb(port: int = 0, *, throttled: int | None = None) -> StandIn:
    """A DynamoDB endpoint that refuses calls as throttled (HTTP 400, as DynamoDB does): every
    call, or the first ``throttled`` ones, after which it finds a thought."""
    found = json.dumps(
        {"Item": {"subject": {"S": "x"}, "quote": {"S": "q"}, "author": {"S": "a"}}}
    ).encode()
    content_type = "application/x-amz-json-1.0"
    if throttled is None:
        return StandIn(port, status=400, content_type=content_type, body=THROTTLED)
    return StandIn(
        port, content_type=content_type, body=found, first=[(400, THROTTLED)] * throttled
    )
