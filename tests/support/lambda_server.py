"""Serve one Lambda handler over HTTP for the foundation's tests.

Each request becomes an API Gateway REST (v1) proxy event, built from a sample event in events/,
and the handler runs on the process's main thread (ddtrace's Lambda integration arms SIGALRM).
The full local gateway and runtime are in thinker_local; this stays small on purpose.

    python -m tests.support.lambda_server --port 8000 --handler datadog_lambda.handler.handler \
        --event events/microservice.json --resource /
"""

from __future__ import annotations

import argparse
import base64
import copy
import importlib
import json
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


class LambdaContext:
    """The parts of Lambda's context object handlers and ddtrace read."""

    def __init__(self, function_name: str, timeout_s: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = "512"
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        )
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self.client_context = None
        self.identity = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def build_event(
    template: dict[str, Any],
    method: str,
    target: str,
    headers: dict[str, list[str]],
    body: bytes,
    resource: str,
) -> dict[str, Any]:
    event = copy.deepcopy(template)
    url = urlsplit(target)
    query = parse_qs(url.query, keep_blank_values=True)
    event.update(
        httpMethod=method,
        path=url.path,
        resource=resource,
        multiValueQueryStringParameters=query or None,
        queryStringParameters={k: v[-1] for k, v in query.items()} or None,
        multiValueHeaders=headers,
        headers={k: v[-1] for k, v in headers.items()},
        body=base64.b64encode(body).decode() if body else None,
        isBase64Encoded=bool(body),
    )
    context = event["requestContext"]
    context.update(
        httpMethod=method,
        resourcePath=resource,
        requestId=str(uuid.uuid4()),
        requestTimeEpoch=int(time.time() * 1000),
    )
    context["path"] = f"/{context['stage']}{url.path}"
    return event


def serve(port: int, handler_name: str, event_path: Path, resource: str, timeout_s: float) -> None:
    module_name, _, attribute = handler_name.rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    template = json.loads(event_path.read_text())
    function_name = __import__("os").environ.get("AWS_LAMBDA_FUNCTION_NAME", "function")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            headers: dict[str, list[str]] = {}
            for name, value in self.headers.items():
                headers.setdefault(name, []).append(value)
            length = int(self.headers.get("Content-Length") or 0)
            event = build_event(
                template, self.command, self.path, headers, self.rfile.read(length), resource
            )
            result = handler(event, LambdaContext(function_name, timeout_s))
            body = result.get("body") or ""
            payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
            self.send_response(int(result.get("statusCode", 200)))
            for name, value in (result.get("headers") or {}).items():
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            # One connection at a time on the main thread: an idle keep-alive would block others.
            self.send_header("Connection", "close")
            self.close_connection = True
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    HTTPServer(("127.0.0.1", port), Handler).serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--handler", required=True)
    parser.add_argument("--event", type=Path, required=True)
    parser.add_argument("--resource", required=True)
    parser.add_argument("--timeout", type=float, default=15.0)
    args = parser.parse_args()
    serve(args.port, args.handler, args.event, args.resource, args.timeout)


if __name__ == "__main__":
    main()
