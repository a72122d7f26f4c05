"""thinker-microservice failing as seen from thinker-api, through the real local stack.

thinker-api's ``THINKER_MICROSERVICE_URL`` points at a loopback port where a stand-in answers
badly, never, or nothing listens; or the real microservice thinks longer than its Lambda
timeout. Each fault gives a defined status and a JSON error, and the trace records it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.support.processes import free_port
from tests.support.stacks import (
    Stack,
    assert_clean_json_error,
    find,
    has,
    start_stack,
    traced_get,
)
from tests.support.stand_ins import StandIn, serving
from thinker_local.harness.traces import wait_for_trace

THINK = "/think/?subject=technology"
SERVICE = "thinker-microservice"


@pytest.fixture(scope="module")
def elsewhere() -> int:
    """The port thinker-api calls thinker-microservice on: a stand-in's, or nothing's."""
    return free_port()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, elsewhere: int) -> Iterator[Stack]:
    env = {"THINKER_MICROSERVICE_URL": f"http://127.0.0.1:{elsewhere}/"}
    yield from start_stack(tmp_path_factory.mktemp("microservice-faults"), env=env)


def _api_error_trace(stack: Stack, trace_id: str, status: str) -> dict[str, dict[str, object]]:
    """thinker-api's aws.lambda and requests.request spans, once both are in the trace."""
    wait_for_trace(stack.apm, trace_id, has("thinker-api", "aws.lambda", http__status_code=status))
    spans = wait_for_trace(stack.apm, trace_id, has("thinker-api", "requests.request"))
    (function,) = find(spans, "thinker-api", "aws.lambda")
    (call,) = find(spans, "thinker-api", "requests.request")
    return {"function": function, "call": call}


def test_unreachable_is_502_and_the_trace_holds_the_connection_error(stack: Stack) -> None:
    response, trace_id = traced_get(stack.api + THINK)

    assert_clean_json_error(response, 502, "thinker-microservice is unreachable")
    spans = _api_error_trace(stack, trace_id, "502")
    assert spans["function"]["error"] == 1
    assert spans["call"]["error"] == 1
    assert spans["call"]["meta"]["error.type"] == "requests.exceptions.ConnectionError"


def test_a_5xx_answer_is_502_naming_the_status(stack: Stack, elsewhere: int) -> None:
    failing = StandIn(elsewhere, status=500, body=b'{"oops": 1}')
    with serving(failing):
        response, trace_id = traced_get(stack.api + THINK)

    assert failing.requests, "thinker-api did not call the stand-in"
    assert_clean_json_error(response, 502, "thinker-microservice answered HTTP 500")
    spans = _api_error_trace(stack, trace_id, "502")
    assert spans["function"]["error"] == 1
    assert spans["call"]["meta"]["http.status_code"] == "500"


def test_a_non_json_answer_is_502(stack: Stack, elsewhere: int) -> None:
    html = StandIn(elsewhere, content_type="text/html", body=b"<html><body>hello</body></html>")
    with serving(html):
        response, trace_id = traced_get(stack.api + THINK)

    assert_clean_json_error(
        response, 502, "thinker-microservice answered something other than JSON"
    )
    assert "hello" not in response.text
    spans = _api_error_trace(stack, trace_id, "502")
    assert spans["function"]["error"] == 1
    assert spans["call"]["meta"]["http.status_code"] == "200"


def test_no_answer_within_thinker_apis_budget_is_504(stack: Stack, elsewhere: int) -> None:
    """thinker-api gives up before its own 15 s Lambda timeout (that would be API Gateway's
    502 ``{"message": ...}``) and before API Gateway's 29 s: its own JSON 504 proves it."""
    silent = StandIn(elsewhere, hang=True)
    with serving(silent):
        response, trace_id = traced_get(stack.api + THINK)

    assert silent.requests, "thinker-api did not call the stand-in"
    assert_clean_json_error(response, 504, "thinker-microservice did not answer in time")
    spans = _api_error_trace(stack, trace_id, "504")
    assert spans["function"]["error"] == 1
    assert spans["call"]["meta"]["error.type"] == "requests.exceptions.ReadTimeout"


@pytest.fixture(scope="module")
def slow_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The real microservice, thinking 30 s: beyond its 10 s Lambda timeout.

    The environment variable, not ``--parameter-overrides ThinkDelaySeconds=30``: a variable
    set in the shell wins over the template's value, and the shared stack fixture sets it to 0.
    """
    yield from start_stack(tmp_path_factory.mktemp("slow"), env={"THINKER_THINK_DELAY": "30"})


def test_a_microservice_slower_than_its_lambda_timeout_is_502(slow_stack: Stack) -> None:
    response, trace_id = traced_get(slow_stack.api + THINK)

    # Lambda stopped the microservice at 10 s; its API Gateway answered 502, within
    # thinker-api's own budget.
    assert_clean_json_error(response, 502, "thinker-microservice answered HTTP 502")
    assert "Task timed out after 10.00 seconds" in slow_stack.process.output()
    spans = _api_error_trace(slow_stack, trace_id, "502")
    assert spans["function"]["error"] == 1
    assert spans["call"]["meta"]["http.status_code"] == "502"


def test_a_microservice_timeout_leaves_its_spans_with_the_impending_timeout_error(
    slow_stack: Stack,
) -> None:
    """The adapter finishes the invocation's open spans shortly before the deadline (as ddtrace
    does for a synchronous handler) and sends them: the microservice's part of the trace is
    there, its local root marked "Impending Timeout", and Error Tracking lists it."""
    response, trace_id = traced_get(slow_stack.api + THINK)
    assert response.status_code == 502

    gateway = "thinker-microservice-gateway"
    spans = wait_for_trace(
        slow_stack.apm, trace_id, has(gateway, "aws.apigateway", error__type="Impending Timeout")
    )
    spans = wait_for_trace(slow_stack.apm, trace_id, has(SERVICE, "think", subject="technology"))
    (root,) = find(spans, gateway, "aws.apigateway")
    (function,) = find(spans, SERVICE, "aws.lambda")
    (server,) = find(spans, SERVICE, "aiohttp.request")
    (think,) = find(spans, SERVICE, "think")
    assert root["meta"]["error.message"] == "Datadog detected an Impending Timeout"
    assert function["parent_id"] == root["span_id"]
    assert server["parent_id"] == function["span_id"]
    assert think["parent_id"] == server["span_id"]
    # Finished 100 ms (DD_APM_FLUSH_DEADLINE_MILLISECONDS) before the 10 s timeout, not at 30 s
    # (ddtrace's own handler may end aws.lambda a moment before the adapter ends the rest).
    assert 9e9 < function["duration"] < 10e9
    assert 9e9 < think["start"] + think["duration"] - function["start"] < 10e9

    issues = requests.get(f"{slow_stack.apm}/api/errors", timeout=10).json()["issues"]
    (timeout,) = [issue for issue in issues if issue["type"] == "Impending Timeout"]
    assert timeout["services"] == [gateway]
