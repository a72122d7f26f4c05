"""Statistics on known data: percentiles, summaries, request statistics, ratios, paired sums."""

from __future__ import annotations

import math
import statistics

import pytest

from thinker_local.stats import RequestStats, Summary, paired_sums, percentile, rate, ratio


@pytest.mark.parametrize(
    "values",
    [[15, 20, 35, 40, 50], list(range(1, 101)), [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5], [7, 7]],
)
def test_percentiles_match_linear_interpolation_between_closest_ranks(values: list[int]) -> None:
    # statistics' "inclusive" method is the same definition (numpy's default, type 7).
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    for q in (50, 95, 99):
        assert percentile(values, q) == pytest.approx(cuts[q - 1])


def test_percentiles_interpolate_between_ranks_like_numpy() -> None:
    values = [15.0, 20.0, 35.0, 40.0, 50.0]

    assert percentile(values, 0) == 15.0
    assert percentile(values, 50) == 35.0
    assert percentile(values, 100) == 50.0
    # rank (5 - 1) * 0.4 = 1.6: 20 + 0.6 * (35 - 20)
    assert percentile(values, 40) == pytest.approx(29.0)
    assert percentile(values, 95) == pytest.approx(48.0)  # 40 + 0.8 * (50 - 40)
    assert percentile(values, 99) == pytest.approx(49.6)


def test_percentiles_do_not_depend_on_the_order_of_the_samples() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == percentile([1.0, 2.0, 3.0], 50) == 2.0


def test_one_sample_is_every_percentile() -> None:
    assert percentile([7.0], 0) == percentile([7.0], 99) == 7.0


def test_percentile_of_nothing_or_out_of_range_is_an_error() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="within 0 and 100"):
        percentile([1.0], 101)


def test_summary_of_1_to_100_ms() -> None:
    summary = Summary.of([float(ms) for ms in range(1, 101)])

    assert summary.count == 100
    assert summary.p50 == pytest.approx(50.5)
    assert summary.p95 == pytest.approx(95.05)
    assert summary.p99 == pytest.approx(99.01)
    assert summary.mean == pytest.approx(50.5)
    assert (summary.minimum, summary.maximum) == (1.0, 100.0)


def test_request_stats_count_errors_and_total_time() -> None:
    stats = RequestStats.of([30, 10, 20, 40], errors=1)

    assert (stats.requests, stats.errors, stats.total) == (4, 1, 100)
    assert stats.error_rate == 0.25
    assert stats.p50 == 25.0
    assert stats.p99 == pytest.approx(39.7)


def test_request_stats_of_no_requests_show_zero_latency() -> None:
    stats = RequestStats.of([], errors=0)

    assert (stats.requests, stats.p50, stats.p95, stats.p99, stats.total) == (0, 0, 0, 0, 0)
    assert stats.error_rate == 0.0


def test_ratio_and_rate() -> None:
    assert ratio(12.0, 4.0) == 3.0
    assert math.isnan(ratio(1.0, 0.0))
    assert rate(500, 2.5) == 200.0


def test_paired_sums_add_two_stages_request_by_request() -> None:
    assert paired_sums([1.0, 2.0], [10.0, 20.0]) == [11.0, 22.0]
    with pytest.raises(ValueError, match="2 samples against 1"):
        paired_sums([1.0, 2.0], [1.0])
