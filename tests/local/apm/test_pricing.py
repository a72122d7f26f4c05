"""What invocations cost at the documented list prices."""

from __future__ import annotations

import pytest

from thinker_local.apm import pricing
from thinker_local.apm.pricing import cost, gb_seconds


def test_gb_seconds_are_billed_seconds_times_configured_gigabytes() -> None:
    assert gb_seconds(1000, 1024) == 1.0
    assert gb_seconds(13, 512) == pytest.approx(0.0065)
    assert gb_seconds(608, 128) == pytest.approx(0.076)


def test_a_function_behind_a_rest_api_pays_requests_duration_and_the_gateway() -> None:
    invocations = [(13, 512), (608, 512), (20, 512)]
    result = cost(invocations, architecture="x86_64", api="REST")
    expected_gb_s = (13 + 608 + 20) / 1000 * 0.5
    assert result.requests == 3
    assert result.gb_seconds == pytest.approx(expected_gb_s)
    assert result.lambda_requests == pytest.approx(3 * 0.20 / 1e6)
    assert result.lambda_duration == pytest.approx(expected_gb_s * 0.0000166667)
    assert result.api_gateway == pytest.approx(3 * 3.50 / 1e6)
    assert result.total == pytest.approx(
        3 * 0.20 / 1e6 + expected_gb_s * 0.0000166667 + 3 * 3.50 / 1e6
    )
    assert result.per_million == pytest.approx(result.total / 3 * 1e6)


def test_arm64_seconds_are_cheaper_and_no_api_means_no_gateway_cost() -> None:
    x86 = cost([(1000, 1024)], architecture="x86_64", api=None)
    arm = cost([(1000, 1024)], architecture="arm64", api=None)
    assert x86.api_gateway == 0.0
    assert x86.lambda_duration == pytest.approx(0.0000166667)
    assert arm.lambda_duration == pytest.approx(0.0000133334)
    assert arm.total < x86.total


def test_an_http_api_request_costs_less_than_a_rest_one() -> None:
    rest = cost([(1, 128)], architecture="x86_64", api="REST")
    http = cost([(1, 128)], architecture="x86_64", api="HTTP")
    assert http.api_gateway == pytest.approx(1.00 / 1e6)
    assert http.total < rest.total


def test_no_invocation_costs_nothing() -> None:
    nothing = cost([], architecture="x86_64", api="REST")
    assert (nothing.total, nothing.per_million) == (0.0, 0.0)


def test_an_unknown_architecture_or_api_is_refused_rather_than_priced_at_zero() -> None:
    with pytest.raises(ValueError, match="architecture"):
        cost([(1, 128)], architecture="sparc", api=None)
    with pytest.raises(ValueError, match="WEBSOCKET"):
        cost([(1, 128)], architecture="x86_64", api="WEBSOCKET")


def test_the_price_list_names_its_region_date_and_sources() -> None:
    listed = pricing.price_list()
    assert listed["region"] == "us-east-1"
    assert listed["date"] == pricing.PRICES_DATE
    assert listed["sources"] == [pricing.LAMBDA_PRICING_URL, pricing.API_GATEWAY_PRICING_URL]
    assert listed["lambda_gb_second"]["x86_64"] == 0.0000166667
