"""The benchmark's arithmetic on known data: percentiles, ratios, summaries, paired sums."""

from __future__ import annotations

import math

import pytest

from benchmarks.stats import Summary, paired_sums, percentile, rate, ratio


def test_percentiles_interpolate_between_ranks_like_numpy() -> None:
    values = [15.0, 20.0, 35.0, 40.0, 50.0]

    assert percentile(values, 0) == 15.0
    assert percentile(values, 50) == 35.0
    assert percentile(values, 100) == 50.0
    # rank (5 - 1) * 0.4 = 1.6: 20 + 0.6 * (35 - 20)
    assert percentile(values, 40) == pytest.approx(29.0)
    assert percentile(values, 95) == pytest.approx(48.0)


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


def test_ratio_and_rate() -> None:
    assert ratio(12.0, 4.0) == 3.0
    assert math.isnan(ratio(1.0, 0.0))
    assert rate(500, 2.5) == 200.0


def test_paired_sums_add_two_stages_request_by_request() -> None:
    assert paired_sums([1.0, 2.0], [10.0, 20.0]) == [11.0, 22.0]
    with pytest.raises(ValueError, match="2 samples against 1"):
        paired_sums([1.0, 2.0], [1.0])
