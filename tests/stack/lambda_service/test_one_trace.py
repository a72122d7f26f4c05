"""A lambda.invoke from a traced function to a traced one is one trace, read back from the APM.

ddtrace's botocore integration puts the trace context in the invoke's ClientContext; the local
Invoke API hands it to the callee's runtime, and datadog-lambda continues the trace from it.
"""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from tests.support.lambda_stack import LambdaStack
from thinker_local.harness.traces import Span, wait_for_trace

WAIT_S = 30.0


def _invoke_caller(stack: LambdaStack, invocation_type: str, marker: str) -> dict[str, Any]:
    answer = stack.client().invoke(
        FunctionName="CallerFunction",
        Payload=json.dumps({"invocation_type": invocation_type, "payload": {"marker": marker}}),
    )
    result: dict[str, Any] = json.loads(answer["Payload"].read())
    return result


def _callee_invocations(stack: LambdaStack) -> int:
    overview = requests.get(f"{stack.apm}/api/serverless", timeout=30).json()
    (callee,) = [row for row in overview["functions"] if row["logical_id"] == "CalleeFunction"]
    return int(callee["invocations"])


def test_the_callers_invoke_span_is_the_parent_of_the_callees_lambda_span(
    lambda_stack: LambdaStack,
) -> None:
    callee = _invoke_caller(lambda_stack, "RequestResponse", "one-trace")["payload"]
    # W3C's traceparent names the trace (128 bits) and the span that made the call.
    _, trace_id, invoke_span, _ = callee["custom"]["traceparent"].split("-")

    def whole(spans: list[Span]) -> bool:
        return {span["service"] for span in spans if span["name"] == "aws.lambda"} == {
            "lambda-caller",
            "lambda-callee",
        }

    spans = wait_for_trace(lambda_stack.apm, trace_id, whole)
    by_id = {span["span_id"]: span for span in spans}
    (callee_span,) = [span for span in spans if span["service"] == "lambda-callee"]
    invoke = by_id[callee_span["parent_id"]]
    assert invoke["span_id"] == str(int(invoke_span, 16))
    assert (invoke["service"], invoke["resource"]) == ("lambda-caller", "lambda.invoke")
    caller_span = by_id[invoke["parent_id"]]
    assert (caller_span["service"], caller_span["name"]) == ("lambda-caller", "aws.lambda")
    assert caller_span["parent_id"] is None
    assert callee_span["meta"]["request_id"] == callee["request_id"]


def test_the_service_map_shows_the_edge_and_the_serverless_view_counts_event_invocations(
    lambda_stack: LambdaStack,
) -> None:
    before = _callee_invocations(lambda_stack)
    assert _invoke_caller(lambda_stack, "RequestResponse", "map")["status"] == 200
    assert _invoke_caller(lambda_stack, "Event", "counted")["status"] == 202

    deadline = time.monotonic() + WAIT_S
    while _callee_invocations(lambda_stack) < before + 2:
        assert time.monotonic() < deadline, "the callee's two invocations were not counted"
        time.sleep(0.5)
    # The spans come in the functions' own time (ddtrace's writer sends them every second).
    while ("lambda-caller", "lambda-callee") not in _edges(lambda_stack):
        assert time.monotonic() < deadline, "the service map has no edge from caller to callee"
        time.sleep(0.5)


def _edges(stack: LambdaStack) -> set[tuple[str, str]]:
    edges = requests.get(f"{stack.apm}/api/service-map", timeout=30).json()["edges"]
    return {(edge["caller"], edge["callee"]) for edge in edges}
