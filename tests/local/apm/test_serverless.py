"""The serverless view's figures for one function, from invocations as REPORT lines give them."""

from __future__ import annotations

import pytest

from thinker_local.apm.serverless import summary, timeseries
from thinker_local.lambdafn.reports import ERROR, SUCCESS, TIMEOUT
from thinker_local.store.invocations import FunctionInfo, Invocation

API = FunctionInfo(
    name="thinker-api",
    logical_id="ThinkerApiFunction",
    memory_mb=512,
    timeout_s=15.0,
    architecture="x86_64",
    runtime="python3.12",
    api="REST",
    service="thinker-api",
)
NOW = 1_800_000_000.0


def invocation(
    number: int,
    duration_ms: float,
    *,
    init_ms: float | None = None,
    status: str = SUCCESS,
    span_error: bool = False,
    used: int | None = 90,
    seconds_ago: float = 30.0,
) -> Invocation:
    billed = int(duration_ms + (init_ms or 0) + 0.999)
    return Invocation(
        request_id=f"r{number}",
        function="thinker-api",
        start=int((NOW - seconds_ago) * 1e9),
        duration_ms=duration_ms,
        billed_ms=billed,
        memory_size_mb=512,
        max_memory_used_mb=used,
        init_ms=init_ms,
        status=status,
        trace_id=f"{number:032x}",
        span_error=span_error,
    )


INVOCATIONS = [
    invocation(1, 40.5, init_ms=600.2, used=120),
    invocation(2, 10.0),
    invocation(3, 20.0, status=TIMEOUT),
    invocation(4, 30.0, status=ERROR),
    invocation(5, 15.0, span_error=True, used=None),
]


def test_a_function_row_counts_invocations_errors_timeouts_and_cold_starts() -> None:
    row = summary(API, INVOCATIONS, window_s=60.0)
    assert row["name"] == "thinker-api"
    assert row["invocations"] == 5
    assert row["rate"] == pytest.approx(5 / 60)
    # A timeout, a Status: error, and a handler error only the span knows about.
    assert row["errors"] == 3
    assert row["timeouts"] == 1
    assert row["cold_starts"] == 1
    assert row["cold_start_share"] == pytest.approx(0.2)
    assert row["init_p50"] == pytest.approx(600.2)
    assert row["max_memory_used_mb"] == 120
    assert row["memory_mb"] == 512


def test_duration_percentiles_interpolate_between_ranks() -> None:
    row = summary(API, INVOCATIONS, window_s=60.0)
    # Durations 10, 15, 20, 30, 40.5: the median is the third; p95 is at rank 3.8 (of 0..4).
    assert row["p50"] == pytest.approx(20.0)
    assert row["p95"] == pytest.approx(30 + 0.8 * 10.5)


def test_cost_comes_from_billed_duration_and_memory_size_at_list_prices() -> None:
    row = summary(API, INVOCATIONS, window_s=60.0)
    billed = sum(i.billed_ms for i in INVOCATIONS)
    gb_s = billed / 1000 * 0.5
    assert row["billed_ms"] == billed
    assert row["billed_gb_s"] == pytest.approx(gb_s)
    total = 5 * 0.2e-6 + gb_s * 0.0000166667 + 5 * 3.5e-6
    assert row["cost"]["total"] == pytest.approx(total)
    assert row["cost"]["per_million"] == pytest.approx(total / 5 * 1e6)


def test_a_function_with_no_invocation_has_a_row_of_zeros() -> None:
    row = summary(API, [], window_s=60.0)
    assert (row["invocations"], row["errors"], row["cold_starts"], row["p99"]) == (0, 0, 0, 0.0)
    assert row["max_memory_used_mb"] is None
    assert row["cost"]["total"] == 0.0


def test_the_time_series_puts_each_invocation_in_its_bucket() -> None:
    recent = [invocation(9, 12.0, seconds_ago=5.0), invocation(10, 18.0, seconds_ago=4.0)]
    series = timeseries([*INVOCATIONS, *recent], 60.0, end=NOW, buckets=6)
    points = series["points"]
    assert len(points) == 6
    assert series["interval"] == 10.0
    assert [p["requests"] for p in points] == [0, 0, 0, 5, 0, 2]
    assert [p["errors"] for p in points] == [0, 0, 0, 3, 0, 0]
    assert [p["cold_starts"] for p in points] == [0, 0, 0, 1, 0, 0]
    assert points[5]["p50"] == pytest.approx(15.0)
