"""The seed request's trace, read back from a local APM's JSON API, and what it must hold.

The same assertions hold for ``make up`` and for ``sam local start-api`` (``make sam-local``):
one trace; thinker-api's gateway, function and outgoing call; the microservice's gateway,
function and handler below it; ``think`` twice, ``foo_bar``'s a ``KeyError``; one DynamoDB call
under each ``think``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from thinker_local.harness.traces import TraceNotFound, read_trace, wait_for_trace

Span = dict[str, Any]
ENTRY_SERVICE = "thinker-api-gateway"
# The quick-start's request, below the API's URL.
SEED_PATH = "/think/?subject=technology&subject=foo_bar"


def _listed(apm: str) -> set[str]:
    listing = requests.get(
        f"{apm}/api/traces", params={"service": ENTRY_SERVICE, "limit": 50}, timeout=10
    )
    listing.raise_for_status()
    return {str(trace["trace_id"]) for trace in listing.json()["traces"]}


def entering_trace_ids(apm: str, settle: float = 2.0, timeout: float = 30.0) -> set[str]:
    """The ids of the recent traces that entered thinker-api's gateway, once no more arrive.

    The functions send their spans a moment after they answer: an earlier request's trace may
    still be on its way, so the list is taken once it stays the same for ``settle`` seconds.
    """
    deadline = time.monotonic() + timeout
    listed = _listed(apm)
    while time.monotonic() < deadline:
        time.sleep(settle)
        again = _listed(apm)
        if again == listed:
            break
        listed = again
    return listed


# What each function flushes of a seed request: each sends its spans on its own, so the trace is
# listed once thinker-api's arrive, possibly before thinker-microservice's.
_BOTH_FUNCTIONS = {
    ("aws.apigateway", "thinker-api-gateway"),
    ("aws.lambda", "thinker-api"),
    ("aws.apigateway", "thinker-microservice-gateway"),
    ("aws.lambda", "thinker-microservice"),
}


def _from_both_functions(spans: list[Span]) -> bool:
    return {(span["name"], span["service"]) for span in spans} >= _BOTH_FUNCTIONS


def the_new_trace(apm: str, known: set[str], timeout: float = 60.0) -> list[Span]:
    """The spans of the one seed trace that entered thinker-api and is not among ``known``, once
    both functions' spans are in (or what is there at ``timeout``, for the caller to judge).

    The caller sent one request since it listed ``known``, so one new trace is expected.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = _listed(apm) - known
        if new:
            assert len(new) == 1, new
            (trace_id,) = new
            try:
                return wait_for_trace(
                    apm, trace_id, _from_both_functions, deadline - time.monotonic()
                )
            except TraceNotFound:
                return read_trace(apm, trace_id) or []
        time.sleep(0.5)
    pytest.fail(f"no new trace entered {ENTRY_SERVICE} in the APM within {timeout} s")


def assert_seed_trace(spans: list[Span]) -> None:
    """The seed request's trace, as the quick-start shows it."""
    assert len({span["trace_id"] for span in spans}) == 1
    by_id = {span["span_id"]: span for span in spans}

    def parent(span: Span) -> Span:
        return by_id[span["parent_id"]]

    def only(name: str, service: str) -> Span:
        found = [s for s in spans if s["name"] == name and s["service"] == service]
        assert len(found) == 1, (name, service, found)
        return found[0]

    api_gateway = only("aws.apigateway", "thinker-api-gateway")
    api_lambda = only("aws.lambda", "thinker-api")
    outgoing = only("requests.request", "thinker-api")
    service_gateway = only("aws.apigateway", "thinker-microservice-gateway")
    service_lambda = only("aws.lambda", "thinker-microservice")
    handler = only("aiohttp.request", "thinker-microservice")
    assert api_gateway["parent_id"] not in by_id
    assert parent(api_lambda) is api_gateway
    assert parent(outgoing) is api_lambda
    assert parent(service_gateway) is outgoing
    assert parent(service_lambda) is service_gateway
    assert parent(handler) is service_lambda
    assert api_gateway["meta"]["http.method"] == "GET"
    assert api_gateway["meta"]["http.status_code"] == "200"

    thinks = sorted(
        (s for s in spans if s["name"] == "think"), key=lambda span: span["meta"]["subject"]
    )
    assert [s["meta"]["subject"] for s in thinks] == ["foo_bar", "technology"]
    assert all(parent(s) is handler for s in thinks)
    unknown, known = thinks
    assert not known["error"]
    assert unknown["error"]
    assert unknown["meta"]["error.type"] == "builtins.KeyError"
    assert unknown["meta"]["error.message"] == "'foo_bar'"
    assert "KeyError" in unknown["meta"]["error.stack"]

    dynamodb = [s for s in spans if s["meta"].get("aws.service", "").lower() == "dynamodb"]
    dynamodb = dynamodb or [s for s in spans if s["name"].startswith("dynamodb")]
    assert len(dynamodb) == 2
    assert {parent(s)["span_id"] for s in dynamodb} == {s["span_id"] for s in thinks}
