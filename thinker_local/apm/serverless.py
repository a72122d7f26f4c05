"""The serverless view's figures: per function, from its invocations' REPORT lines.

One row per function of the template, and a time series per function, computed here and only
here for the page, the JSON API and the tests:

- **invocations**: REPORT lines (and failed inits) in the window; **cold starts**: those with an
  Init Duration; **timeouts**: ``Status: timeout``; **errors**: ``Status: error`` or ``timeout``,
  or an ``aws.lambda`` span of that request marked as an error (a handler that raised, which
  Lambda's REPORT does not mention).
- Durations are the REPORT's, in milliseconds; percentiles as everywhere in the APM
  (:mod:`thinker_local.stats`).
- Cost: :mod:`thinker_local.apm.pricing`, from each invocation's Billed Duration and Memory Size.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ..lambdafn.reports import TIMEOUT
from ..stats import RequestStats
from ..store import TraceStore
from ..store.invocations import FunctionInfo, Invocation, by_function
from ..store.trace_store import MAX_BUCKETS
from . import pricing


def _percentiles(values: Sequence[float], prefix: str = "") -> dict[str, float]:
    """p50, p95 and p99 of the values (0 when there are none)."""
    stats = RequestStats.of(values, 0)
    return {f"{prefix}p50": stats.p50, f"{prefix}p95": stats.p95, f"{prefix}p99": stats.p99}


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


def _since(window_s: float, now: float | None) -> tuple[float, int]:
    end = time.time() if now is None else now
    return end, int((end - window_s) * 1e9)


def _unlisted(name: str, invocations: Sequence[Invocation]) -> FunctionInfo:
    """A function that reported but is not in the template's list (e.g. fed by ``sam local``)."""
    return FunctionInfo(
        name=name,
        logical_id=name,
        memory_mb=max(i.memory_size_mb for i in invocations),
        timeout_s=0.0,
        architecture="x86_64",
        runtime="",
        api=None,
        service=name,
    )


def overview(store: TraceStore, window_s: float, *, now: float | None = None) -> dict[str, Any]:
    """Every function's row in the window, and the prices they are costed at."""
    _, since = _since(window_s, now)
    groups = by_function(store.invocations.window(since))
    functions = store.invocations.functions()
    listed = {f.name for f in functions}
    functions += [_unlisted(name, group) for name, group in groups.items() if name not in listed]
    return {
        "window": window_s,
        "prices": pricing.price_list(),
        "functions": [summary(f, groups.get(f.name, []), window_s) for f in functions],
    }


def invocations(
    store: TraceStore, function: str, window_s: float, *, limit: int, now: float | None = None
) -> list[dict[str, Any]]:
    """A function's invocations in the window, newest first."""
    _, since = _since(window_s, now)
    return [i.to_json() for i in store.invocations.window(since, function=function)[:limit]]


def function_timeseries(
    store: TraceStore, function: str, window_s: float, *, buckets: int, now: float | None = None
) -> dict[str, Any]:
    """A function's time series over the window (see :func:`timeseries`)."""
    end, since = _since(window_s, now)
    found = store.invocations.window(since, function=function)
    return {"window": window_s, **timeseries(found, window_s, end=end, buckets=buckets)}
