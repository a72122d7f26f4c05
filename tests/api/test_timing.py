"""The outgoing call's budget comes from the Lambda's remaining time."""

from __future__ import annotations

import pytest

from chalicelib.timing import DEFAULT_S, MINIMUM_S, RESPONSE_MARGIN_S, call_budget
from tests.support.lambda_server import LambdaContext


@pytest.mark.parametrize("remaining_ms", [14_000, 3_000, 900])
def test_the_budget_is_the_remaining_time_less_a_margin(remaining_ms: int) -> None:
    assert call_budget(LambdaContext("f", remaining_ms / 1000)) == pytest.approx(
        remaining_ms / 1000 - RESPONSE_MARGIN_S, abs=0.05
    )


def test_the_budget_never_drops_below_the_minimum() -> None:
    assert call_budget(LambdaContext("f", 0.01)) == MINIMUM_S


def test_without_a_context_the_functions_timeout_applies() -> None:
    assert call_budget(None) == DEFAULT_S - RESPONSE_MARGIN_S
