"""Run the two real functions, wrapped by the Datadog layer, to produce genuine traces.

The tests need what ddtrace and datadog-lambda really send, without the whole local stack:

- ``python functions.py microservice PORT`` serves thinker-microservice's handler over HTTP on
  127.0.0.1:PORT, one API Gateway v1 event per request, on the main thread (ddtrace's Lambda
  integration arms SIGALRM), with DynamoDB played by moto's server in the same process;
- ``python functions.py api QUERY...`` invokes thinker-api's handler once per query string
  (e.g. ``subject=technology&subject=foo_bar``) and prints each response as a JSON line.

Both send their spans to the agent named by ``DD_TRACE_AGENT_URL``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
PYTHON = sys.executable
TABLE = "thinker-thoughts"


class LambdaContext:
    """The parts of Lambda's context object that the Datadog wrapper and the handlers read."""

    def __init__(self, function_name: str, timeout_s: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        )
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self.client_context = None
        self.identity = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _event(template: str, path_query: str, headers: dict[str, str]) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / template).read_text())
    query = parse_qs(urlsplit(path_query).query or path_query, keep_blank_values=True)
    event["multiValueQueryStringParameters"] = query or None
    event["queryStringParameters"] = {k: v[-1] for k, v in query.items()} or None
    if headers:
        event["headers"] = headers
        event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    event["requestContext"]["requestTimeEpoch"] = int(time.time() * 1000)
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    return event


def _serve_microservice(port: int) -> None:
    from datadog_lambda.handler import handler

    class Gateway(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            event = _event("microservice.json", self.path, dict(self.headers.items()))
            result = handler(event, LambdaContext("thinker-microservice", 10))
            body = str(result.get("body") or "").encode()
            self.send_response(int(result["statusCode"]))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", port), Gateway)
    print("ready", flush=True)
    server.serve_forever()


def _invoke_api(queries: Sequence[str]) -> None:
    from datadog_lambda.handler import handler

    for query in queries:
        result = handler(_event("think.json", query, {}), LambdaContext("thinker-api", 15))
        print(json.dumps(result), flush=True)


def _environment(agent_url: str, function: str, extra: dict[str, str]) -> dict[str, str]:
    code = {"thinker-api": "api_lambda", "thinker-microservice": "microservice_lambda"}[function]
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(ROOT / code),
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "DD_SERVICE": function,
        "DD_ENV": "local",
        "DD_TRACE_AGENT_URL": agent_url,
        "DD_FLUSH_TO_LOG": "true",
        "DD_ENHANCED_METRICS": "false",
        "DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED": "true",
        "DD_SERVICE_MAPPING": f"lambda_api_gateway:{function}-gateway",
        "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
        "DD_REMOTE_CONFIGURATION_ENABLED": "false",
        **extra,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def dynamodb() -> Iterator[str]:
    """moto's DynamoDB, seeded with the thoughts as a deploy would; yields its endpoint.

    It runs here, not in the function's process, where ddtrace would trace moto's own server.
    """
    import boto3
    from moto.server import ThreadedMotoServer

    from microservice.db import DynamoDBThoughts
    from microservice.thoughts import seed_thoughts

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "subject", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "subject", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        DynamoDBThoughts(TABLE, client).put_all(seed_thoughts())
        yield endpoint
    finally:
        server.stop()


@contextmanager
def microservice(agent_url: str, dynamodb_endpoint: str) -> Iterator[str]:
    """thinker-microservice behind a minimal gateway; yields its URL."""
    port = free_port()
    env = _environment(
        agent_url,
        "thinker-microservice",
        {
            "DD_LAMBDA_HANDLER": "microservice.lambda_function.handler",
            "THOUGHTS_TABLE": TABLE,
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
            # Shorter than the quick-start's 0.2 s and 0.5 s, still long enough to see.
            "THINKER_SUBJECT_DELAY": "0.02",
            "THINKER_THINK_DELAY": "0.05",
        },
    )
    process = subprocess.Popen(
        [PYTHON, __file__, "microservice", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "ready", f"the microservice did not start: {line!r}"
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def call_api(agent_url: str, microservice_url: str, queries: Sequence[str]) -> list[dict[str, Any]]:
    """Invoke thinker-api once per query; its Lambda proxy responses."""
    env = _environment(
        agent_url,
        "thinker-api",
        {"DD_LAMBDA_HANDLER": "app.app", "THINKER_MICROSERVICE_URL": microservice_url},
    )
    completed = subprocess.run(
        [PYTHON, __file__, "api", *queries],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]


def wait_for_spans(store: Any, minimum: int, timeout_s: float = 20.0) -> None:
    """Wait (bounded) until the store holds at least ``minimum`` spans."""
    deadline = time.monotonic() + timeout_s
    while store.span_count() < minimum:
        assert time.monotonic() < deadline, f"only {store.span_count()} spans arrived"
        time.sleep(0.05)


if __name__ == "__main__":
    if sys.argv[1] == "microservice":
        _serve_microservice(int(sys.argv[2]))
    else:
        _invoke_api(sys.argv[2:])
