"""The real local stack with one fault induced, and what to read back: answers and traces.

Every stack here runs on free loopback ports with its own state directory, so it never meets
a stack on the default ports. Faults come from outside the code under test: an environment
variable pointing thinker-api elsewhere, a template parameter, a trace agent URL to a closed
port, or the stack's DynamoDB process stopped (see docs/faults.md).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.local.conftest import StackProcess, running_stack, up_command
from tests.support.processes import free_port

TRACE_TIMEOUT_S = 60.0
Span = dict[str, Any]


@dataclass(frozen=True)
class Stack:
    """A running local stack: its process, thinker-api's URL, its APM, its DynamoDB port."""

    process: StackProcess
    api: str
    microservice: str
    apm: str
    dynamodb_port: int


def start_stack(tmp: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[Stack]:
    """A stack on free ports (as a generator for fixtures); stopped, whatever happens."""
    api, microservice, dynamodb, agent, apm = (free_port() for _ in range(5))
    args = up_command(
        "--state-dir", str(tmp / "state"),
        "--port", str(api),
        "--other-ports", str(microservice),
        "--dynamodb-port", str(dynamodb),
        "--agent-port", str(agent),
        "--apm-port", str(apm),
        "--no-reload",
        "--max-environments", "2",
        *options,
    )  # fmt: skip
    with running_stack(args, tmp / "stack.log", env) as process:
        yield Stack(
            process,
            api=f"http://127.0.0.1:{api}",
            microservice=f"http://127.0.0.1:{microservice}/",
            apm=f"http://127.0.0.1:{apm}",
            dynamodb_port=dynamodb,
        )


def traced_get(url: str, timeout: float = 60.0) -> tuple[requests.Response, str]:
    """GET as a traced caller would: with a ``traceparent`` naming a fresh trace id."""
    trace_id = secrets.token_hex(16)
    response = requests.get(
        url, headers={"traceparent": f"00-{trace_id}-{secrets.randbits(63) | 1:016x}-01"},
        timeout=timeout,
    )  # fmt: skip
    return response, trace_id


def trace_spans(
    apm: str, trace_id: str, until: Callable[[list[Span]], bool], timeout: float = TRACE_TIMEOUT_S
) -> list[Span]:
    """The trace's spans from the APM JSON API, once ``until`` holds for them."""
    deadline = time.monotonic() + timeout
    spans: list[Span] = []
    while time.monotonic() < deadline:
        response = requests.get(f"{apm}/api/traces/{trace_id}", timeout=10)
        if response.status_code == 200:
            spans = list(response.json()["spans"])
            if until(spans):
                return spans
        time.sleep(0.5)
    pytest.fail(f"trace {trace_id} not as expected within {timeout} s: {spans}")


def has(service: str, name: str, **meta: str) -> Callable[[list[Span]], bool]:
    """``until`` for :func:`trace_spans`: a span of ``service`` named ``name`` with ``meta``."""
    return lambda spans: bool(find(spans, service, name, **meta))


def find(spans: list[Span], service: str, name: str, **meta: str) -> list[Span]:
    return [
        span
        for span in spans
        if span["service"] == service
        and span["name"] == name
        and all(span["meta"].get(key.replace("__", ".")) == value for key, value in meta.items())
    ]


def assert_clean_json_error(response: requests.Response, status: int, message: str) -> None:
    """The answer is ``{"error": message}`` with ``status``, and tells nothing of the inside."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"error": message}
    for leak in ("Traceback", 'File "', "127.0.0.1", "Exception", "botocore"):
        assert leak not in response.text
