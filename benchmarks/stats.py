"""Summaries of samples: percentiles, ratios, rates. Pure functions, no I/O."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, interpolated linearly between ranks.

    The same definition as numpy's default (``linear``): the smallest value is the 0th
    percentile, the largest the 100th.
    """
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within 0 and 100, got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``; NaN when the denominator is 0 (no meaningful ratio)."""
    return numerator / denominator if denominator else math.nan


@dataclass(frozen=True)
class Summary:
    """Latency samples in milliseconds, summarised."""

    count: int
    p50: float
    p95: float
    p99: float
    mean: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> Summary:
        return cls(
            count=len(samples_ms),
            p50=percentile(samples_ms, 50),
            p95=percentile(samples_ms, 95),
            p99=percentile(samples_ms, 99),
            mean=statistics.fmean(samples_ms),
            minimum=min(samples_ms),
            maximum=max(samples_ms),
        )


def paired_sums(first: Sequence[float], second: Sequence[float]) -> list[float]:
    """Element-wise sums of two equally long sample lists (two stages of one request)."""
    if len(first) != len(second):
        raise ValueError(f"{len(first)} samples against {len(second)}")
    return [a + b for a, b in zip(first, second, strict=True)]


def rate(count: int, seconds: float) -> float:
    """Events per second."""
    return ratio(count, seconds)
