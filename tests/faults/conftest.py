"""The real local stack with one fault induced, and what to read back: answers and traces.

Every stack here runs on free loopback ports with its own state directory, so it never meets
a stack on the default ports. Faults come from outside the code under test: an environment
variable pointing thinker-api elsewhere, a template parameter, a trace agent URL to a closed
port, or the stack's DynamoDB process stopped (see docs/faults.md).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from tests.local.conftest import NO_DELAYS
from thinker_local.harness.stack import StackProcess, local_stack
from thinker_local.harness.traces import Span


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
    with local_stack(
        tmp, "--max-environments", "2", *options, env={**NO_DELAYS, **(env or {})}
    ) as process:
        info = process.info
        assert info.apm is not None
        assert info.dynamodb is not None
        (microservice,) = (url for url in info.apis.values() if url != info.api)
        yield Stack(
            process,
            api=info.api,
            microservice=f"{microservice}/",
            apm=info.apm,
            dynamodb_port=urlsplit(info.dynamodb).port or 0,
        )


def traced_get(url: str, timeout: float = 60.0) -> tuple[requests.Response, str]:
    """GET as a traced caller would: with a ``traceparent`` naming a fresh trace id."""
    trace_id = secrets.token_hex(16)
    response = requests.get(
        url, headers={"traceparent": f"00-{trace_id}-{secrets.randbits(63) | 1:016x}-01"},
        timeout=timeout,
    )  # fmt: skip
    return response, trace_id


def has(service: str, name: str, **meta: str) -> Callable[[list[Span]], bool]:
    """``until`` for :func:`wait_for_trace`: a span of ``service`` named ``name`` with ``meta``."""
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
