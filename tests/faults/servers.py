"""Stand-ins that misbehave on purpose: a thinker-microservice that answers badly or never,
and a DynamoDB that throttles every call. Each is a small HTTP server on a loopback port, in a
thread of the test process, counting what it was asked.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# How long a hanging answer waits at most (the server's close releases it sooner).
HANG_S = 60.0


class FaultyServer(ThreadingHTTPServer):
    """Answers every request with ``status``, ``content_type`` and ``body`` (or never: hang)."""

    daemon_threads = True

    def __init__(
        self, port: int, *, status: int = 200, content_type: str = "text/html",
        body: bytes = b"", hang: bool = False,
    ) -> None:  # fmt: skip
        super().__init__(("127.0.0.1", port), _Handler)
        self.status = status
        self.content_type = content_type
        self.body = body
        self.hang = hang
        self.released = threading.Event()
        self.requests: list[tuple[str, str, bytes]] = []


class _Handler(BaseHTTPRequestHandler):
    server: FaultyServer

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.requests.append((self.command, self.path, self.rfile.read(length)))
        if self.server.hang:
            self.server.released.wait(HANG_S)
            return
        self.send_response(self.server.status)
        self.send_header("Content-Type", self.server.content_type)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(self.server.body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serving(server: FaultyServer) -> Iterator[FaultyServer]:
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


def throttling_dynamodb(port: int) -> FaultyServer:
    """A DynamoDB endpoint that refuses every call as throttled (HTTP 400, as DynamoDB does)."""
    body = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
            "message": "Rate of requests exceeds the allowed throughput.",
        }
    ).encode()
    return FaultyServer(port, status=400, content_type="application/x-amz-json-1.0", body=body)
