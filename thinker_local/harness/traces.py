"""A trace read back from a running stack's APM, by id, once it holds what is expected."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

TRACE_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.5

Span = dict[str, Any]


class TraceNotFound(AssertionError):
    """The trace was not as expected in time (an assertion: tests report it as a failure)."""


def read_trace(apm: str, trace_id: str) -> list[Span] | None:
    """The trace's spans (tree order) from the APM's JSON API; ``None`` if it has no such trace."""
    try:
        with urllib.request.urlopen(f"{apm}/api/traces/{trace_id}", timeout=10) as response:  # noqa: S310 (the stack's loopback URL)
            document: dict[str, Any] = json.load(response)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise
    return list(document["spans"])


def wait_for_trace(
    apm: str,
    trace_id: str,
    until: Callable[[list[Span]], bool],
    timeout: float = TRACE_TIMEOUT_S,
) -> list[Span]:
    """The trace's spans once ``until`` holds for them (spans arrive after the answer)."""
    deadline = time.monotonic() + timeout
    spans: list[Span] = []
    while time.monotonic() < deadline:
        spans = read_trace(apm, trace_id) or []
        if spans and until(spans):
            return spans
        time.sleep(POLL_INTERVAL_S)
    raise TraceNotFound(f"trace {trace_id} not as expected within {timeout} s: {spans}")
