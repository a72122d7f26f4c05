"""Spans sent to an agent as a tracer sends them (v0.4, JSON: what ddtrace's decoders take)."""

from __future__ import annotations

import json
import time

import requests

JSON = {"Content-Type": "application/json"}


def one_span_payload(service: str, trace_id: int) -> bytes:
    """A v0.4 payload of one root span of ``service``."""
    span = {
        "trace_id": trace_id, "span_id": trace_id, "parent_id": 0, "service": service,
        "name": "web.request", "resource": "GET /", "type": "web", "start": time.time_ns(),
        "duration": 1000, "error": 0, "meta": {}, "metrics": {},
    }  # fmt: skip
    return json.dumps([[span]]).encode()


def send(agent: str, payload: bytes, **headers: str) -> requests.Response:
    """PUT ``payload`` to the agent's v0.4 intake, with ``headers`` besides the content type."""
    return requests.put(
        f"{agent}/v0.4/traces", data=payload, headers={**JSON, **headers}, timeout=30
    )
