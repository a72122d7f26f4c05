"""Real local stacks for tests, and what to read back from them: answers and traces.

Every stack here runs on free loopback ports with its own state directory, so it never meets
a stack on the default ports, and without the quick-start's delays, which would only slow the
tests down. The fault tests induce their faults from outside the code under test (see
docs/faults.md).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from thinker_local.harness import stack as harness
from thinker_local.harness.stack import NO_DELAYS_ENV, StackProcess, local_stack
from thinker_local.harness.traces import Span

FAULTS_TEMPLATE = Path(__file__).parents[1] / "stack" / "faults" / "template.yaml"


@contextlib.contextmanager
def running_stack(
    args: Sequence[str], log_path: Path, env: dict[str, str] | None = None
) -> Iterator[StackProcess]:
    """:func:`thinker_local.harness.stack.running_stack`, without the quick-start's delays."""
    with harness.running_stack(args, log_path, {**NO_DELAYS_ENV, **(env or {})}) as stack:
        yield stack


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
        tmp, "--max-environments", "2", *options, env={**NO_DELAYS_ENV, **(env or {})}
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
