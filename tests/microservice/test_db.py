"""The DynamoDB store: lookups, and bounded retries before a clear 'unavailable'."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws

from microservice.db import DynamoDBThoughts
from microservice.thoughts import ThoughtsUnavailable, seed_thoughts
from tests.support.expected import TABLE, create_thoughts_table
from tests.support.processes import free_port


@mock_aws
def test_known_and_unknown_subjects() -> None:
    create_thoughts_table()
    store = DynamoDBThoughts(TABLE)

    assert store.get("technology") == seed_thoughts()["technology"]
    with pytest.raises(KeyError):
        store.get("foo_bar")


@contextmanager
def throttling_dynamodb(throttled: int) -> Iterator[tuple[str, list[str]]]:
    """A DynamoDB endpoint that throttles the first ``throttled`` calls, then answers."""
    calls: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            calls.append(self.headers["X-Amz-Target"])
            if len(calls) <= throttled:
                status, body = (
                    400,
                    {
                        "__type": "com.amazonaws.dynamodb.v20120810#"
                        "ProvisionedThroughputExceededException",
                        "message": "Rate of requests exceeds the allowed throughput.",
                    },
                )
            else:
                status, body = (
                    200,
                    {"Item": {"subject": {"S": "x"}, "quote": {"S": "q"}, "author": {"S": "a"}}},
                )
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", calls
    finally:
        server.shutdown()
        server.server_close()


def store_at(endpoint: str) -> DynamoDBThoughts:
    store = DynamoDBThoughts(TABLE)
    store._client = boto3.client("dynamodb", endpoint_url=endpoint, config=store.client.meta.config)
    return store


def test_throttling_is_retried_a_bounded_number_of_times_then_unavailable() -> None:
    with (
        throttling_dynamodb(throttled=100) as (endpoint, calls),
        pytest.raises(ThoughtsUnavailable, match="ProvisionedThroughputExceeded"),
    ):
        store_at(endpoint).get("x")

    assert calls == ["DynamoDB_20120810.GetItem"] * 3


def test_throttling_that_clears_within_the_retries_is_invisible() -> None:
    with throttling_dynamodb(throttled=2) as (endpoint, calls):
        assert store_at(endpoint).get("x").quote == "q"

    assert len(calls) == 3


def test_an_unreachable_table_is_reported_unavailable() -> None:
    with pytest.raises(ThoughtsUnavailable, match="Could not connect"):
        store_at(f"http://127.0.0.1:{free_port()}").get("technology")
