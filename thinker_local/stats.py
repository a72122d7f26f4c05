"""Summaries of samples: percentiles, request statistics, ratios, rates. Pure functions, no I/O.

One definition serves the trace store's pages, the load commands and the benchmarks: a percentile
``q`` is given in 0-100 and interpolated linearly between closest ranks (the "type 7" definition
of Hyndman & Fan, numpy's default and ``statistics.quantiles(method="inclusive")``); the
percentile of no values is an error, so each caller says what an empty sample shows.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# The latency percentiles every view reports.
PERCENTILES = (50, 95, 99)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, in any order, interpolated between ranks.

    >>> percentile([40, 10, 30, 20], 50)
    25.0
    """
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within 0 and 100, got {q}")
    return _interpolated(sorted(values), q)


def _interpolated(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of values already in ascending order."""
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``; NaN when the denominator is 0 (no meaningful ratio)."""
    return numerator / denominator if denominator else math.nan


def rate(count: int, seconds: float) -> float:
    """Events per second."""
    return ratio(count, seconds)


def paired_sums(first: Sequence[float], second: Sequence[float]) -> list[float]:
    """Element-wise sums of two equally long sample lists (two stages of one request)."""
    if len(first) != len(second):
        raise ValueError(f"{len(first)} samples against {len(second)}")
    return [a + b for a, b in zip(first, second, strict=True)]


@dataclass(frozen=True)
class Summary:
    """Latency samples (any one unit), summarised; at least one sample."""

    count: int
    p50: float
    p95: float
    p99: float
    mean: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        p50, p95, p99 = (percentile(samples, q) for q in PERCENTILES)
        return cls(
            count=len(samples),
            p50=p50,
            p95=p95,
            p99=p99,
            mean=statistics.fmean(samples),
            minimum=min(samples),
            maximum=max(samples),
        )


@dataclass(frozen=True)
class RequestStats:
    """Requests, errors and latency of a set of calls; latency 0 when there were none."""

    requests: int
    errors: int
    p50: float
    p95: float
    p99: float
    total: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @classmethod
    def of(cls, durations: Sequence[float], errors: int) -> RequestStats:
        if not durations:
            return cls(0, errors, 0.0, 0.0, 0.0, 0)
        # Sorted once for the three percentiles: a service's day holds ~10^5 durations.
        ordered = sorted(durations)
        p50, p95, p99 = (_interpolated(ordered, q) for q in PERCENTILES)
        return cls(len(durations), errors, p50, p95, p99, sum(durations))
