"""The trace-integrity judge finds each way a trace can go wrong (on a real trace's shape)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from loadtest.integrity import judge
from loadtest.traffic import Outcome, Planned

CALLER = 170
PLANNED = Planned(subjects=("technology", "foo_bar"), trace_id="ab" * 16, parent_id=CALLER)
OK = Outcome(PLANNED, 200, 0.1, "request-1", b"{}")


def _span(span_id: int, parent: int, service: str, name: str, **meta: str) -> dict[str, Any]:
    return {
        "span_id": str(span_id),
        "parent_id": str(parent),
        "service": service,
        "name": name,
        "meta": meta,
    }


def _seed_trace() -> list[dict[str, Any]]:
    """The seed request's trace, as the local APM returns it (ids shortened)."""
    return [
        _span(1, CALLER, "thinker-api-gateway", "aws.apigateway", **{"http.status_code": "200"}),
        _span(2, 1, "thinker-api", "aws.lambda"),
        _span(3, 2, "thinker-api", "requests.request"),
        _span(4, 3, "thinker-microservice-gateway", "aws.apigateway"),
        _span(5, 4, "thinker-microservice", "aws.lambda"),
        _span(6, 5, "thinker-microservice", "aiohttp.request"),
        _span(7, 6, "thinker-microservice", "think", subject="technology"),
        _span(8, 7, "thinker-microservice", "dynamodb.command"),
        _span(9, 6, "thinker-microservice", "think", subject="foo_bar"),
        _span(10, 9, "thinker-microservice", "dynamodb.command"),
    ]


def test_the_seed_trace_is_complete() -> None:
    assert judge(OK, _seed_trace()).state == "complete"


def test_no_spans_is_lost() -> None:
    assert judge(OK, []).state == "lost"


@pytest.mark.parametrize("missing", [3, 5, 6])
def test_a_missing_link_of_the_chain_is_incomplete(missing: int) -> None:
    spans = [span for span in _seed_trace() if span["span_id"] != str(missing)]

    assert judge(OK, spans).state == "incomplete"


def test_a_missing_think_span_is_incomplete() -> None:
    spans = [span for span in _seed_trace() if span["span_id"] not in ("9", "10")]

    verdict = judge(OK, spans)

    assert (verdict.state, "foo_bar" in verdict.problem) == ("incomplete", True)


def test_a_wrong_parent_is_incomplete() -> None:
    spans = _seed_trace()
    spans[4]["parent_id"] = "1"  # the microservice's aws.lambda under thinker-api's gateway

    assert judge(OK, spans).state == "incomplete"


def test_a_root_not_under_the_callers_span_is_incomplete() -> None:
    spans = _seed_trace()
    spans[0]["parent_id"] = "999"

    assert judge(OK, spans).state == "incomplete"


def test_another_requests_microservice_spans_make_it_merged() -> None:
    other = copy.deepcopy(_seed_trace()[3:])
    for span in other:
        span["span_id"] = str(100 + int(span["span_id"]))
        if span["parent_id"] != "3":
            span["parent_id"] = str(100 + int(span["parent_id"]))

    assert judge(OK, _seed_trace() + other).state == "merged"


def test_an_extra_think_span_makes_it_merged() -> None:
    spans = [*_seed_trace(), _span(11, 6, "thinker-microservice", "think", subject="science")]

    assert judge(OK, spans).state == "merged"


def test_a_failed_request_needs_only_thinker_apis_spans_with_its_status() -> None:
    failed = Outcome(PLANNED, 502, 0.1, "request-2", b"{}")
    spans = _seed_trace()[:2]
    spans[0]["meta"]["http.status_code"] = "502"

    assert judge(failed, spans).state == "complete"
    assert judge(failed, _seed_trace()[:2]).state == "incomplete"
