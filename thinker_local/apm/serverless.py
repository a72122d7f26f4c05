"""The serverless view's figures: per function, from its invocations' REPORT lines.

One row per function of the template, and a time series per function, computed here and only
here for the page, the JSON API and the tests:

- **invocations**: REPORT lines (and failed inits) in the window; **cold starts**: those with an
  Init Duration; **timeouts**: ``Status: timeout``; **errors**: ``Status: error`` or ``timeout``,
  or an ``aws.lambda`` span of that request marked as an error (a handler that raised, which
  Lambda's REPORT does not mention).
- Durations are the REPORT's, in milliseconds; percentiles as everywhere in the APM
  (:func:`~thinker_local.store.percentile`).
- Cost: :mod:`thinker_local.pricing`, from each invocation's Billed Duration and Memory Size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import pricing
from ..reports import ERROR, TIMEOUT
from ..store import MAX_BUCKETS, PERCENTILES, percentile


@dataclass(frozen=True)
class FunctionInfo:
    """A function of the template, as the view needs it: its configuration and what fronts it."""

    name: str
    logical_id: str
    memory_mb: int
    timeout_s: float
    architecture: str
    runtime: str
    # The kind of API Gateway API in front of it ("REST", "HTTP"), or None.
    api: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "logical_id": self.logical_id,
            "memory_mb": self.memory_mb,
            "timeout_s": self.timeout_s,
            "architecture": self.architecture,
            "runtime": self.runtime,
            "api": self.api,
        }


@dataclass(frozen=True)
class Invocation:
    """One invocation: its REPORT figures, and the trace its ``aws.lambda`` span belongs to."""

    request_id: str
    function: str
    start: int  # ns since the epoch
    duration_ms: float
    billed_ms: int
    memory_size_mb: int
    max_memory_used_mb: int | None
    init_ms: float | None
    status: str
    error_type: str | None = None
    trace_id: str | None = None
    span_error: bool = False

    @property
    def cold(self) -> bool:
        return self.init_ms is not None

    @property
    def failed(self) -> bool:
        return self.status in (ERROR, TIMEOUT) or self.span_error

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "function": self.function,
            "start": self.start,
            "duration_ms": self.duration_ms,
            "billed_ms": self.billed_ms,
            "memory_size_mb": self.memory_size_mb,
            "max_memory_used_mb": self.max_memory_used_mb,
            "init_ms": self.init_ms,
            "cold": self.cold,
            "status": self.status,
            "error_type": self.error_type,
            "error": self.failed,
            "trace_id": self.trace_id,
        }


def _percentiles(values: Sequence[float], prefix: str = "") -> dict[str, float]:
    ordered = sorted(values)
    return {f"{prefix}p{round(q * 100)}": percentile(ordered, q) for q in PERCENTILES}


def summary(
    function: FunctionInfo, invocations: Sequence[Invocation], window_s: float
) -> dict[str, Any]:
    """A function's row: counts, init and duration percentiles, memory and cost in the window."""
    count = len(invocations)
    cold = [i for i in invocations if i.cold]
    cost = pricing.cost(
        ((i.billed_ms, i.memory_size_mb) for i in invocations),
        architecture=function.architecture,
        api=function.api,
    )
    used = [i.max_memory_used_mb for i in invocations if i.max_memory_used_mb is not None]
    init = _percentiles([i.init_ms for i in cold if i.init_ms is not None], "init_")
    return {
        **function.to_json(),
        "invocations": count,
        "rate": count / window_s if window_s > 0 else 0.0,
        "errors": sum(i.failed for i in invocations),
        "timeouts": sum(i.status == TIMEOUT for i in invocations),
        "cold_starts": len(cold),
        "cold_start_share": len(cold) / count if count else 0.0,
        "init_p50": init["init_p50"],
        "init_p95": init["init_p95"],
        **_percentiles([i.duration_ms for i in invocations]),
        "max_memory_used_mb": max(used, default=None),
        "billed_ms": sum(i.billed_ms for i in invocations),
        "billed_gb_s": cost.gb_seconds,
        "cost": cost.to_json(),
    }


def timeseries(
    invocations: Sequence[Invocation], window_s: float, *, end: float, buckets: int = 40
) -> dict[str, Any]:
    """Invocations, errors, cold starts and duration percentiles (ms) per time bucket."""
    count = max(1, min(buckets, MAX_BUCKETS))
    interval = window_s / count
    start = end - interval * count
    per_bucket: list[list[Invocation]] = [[] for _ in range(count)]
    # The invocations are those of the window: clamp the edges' rounding into the end buckets.
    for invocation in invocations:
        index = int((invocation.start / 1e9 - start) // interval)
        per_bucket[max(0, min(count - 1, index))].append(invocation)
    points = [
        {
            "time": start + index * interval,
            "requests": len(members),
            "errors": sum(i.failed for i in members),
            "cold_starts": sum(i.cold for i in members),
            **_percentiles([i.duration_ms for i in members]),
        }
        for index, members in enumerate(per_bucket)
    ]
    return {"start": start, "interval": interval, "points": points}
