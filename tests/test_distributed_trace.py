"""One request, one trace: both functions wrapped by the real Datadog Lambda library.

thinker-api and thinker-microservice each run in their own process behind HTTP, with the
environment template.yaml gives them, and send their spans to Datadog's test agent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.expected import SEED_RESPONSE, TABLE
from tests.support.functions import running_functions
from tests.support.seed_trace import SEED_PATH


@pytest.fixture
def thinker(test_agent: str, dynamodb_url: str, tmp_path: Path) -> Iterator[str]:
    """Both functions running, wrapped by datadog_lambda; yields thinker-api's base URL."""
    with running_functions(
        test_agent, dynamodb_url, tmp_path, subject_delay="0", think_delay="0"
    ) as url:
        yield url


def wait_for_trace(agent: str, services: set[str], timeout: float = 90.0) -> list[dict[str, Any]]:
    """Every span the agent holds, once each ``service`` has sent its ``aws.lambda`` span."""
    deadline = time.monotonic() + timeout
    spans: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        chunks = requests.get(f"{agent}/test/session/traces", timeout=5).json()
        spans = [span for chunk in chunks for span in chunk]
        if services <= {span["service"] for span in spans if span["name"] == "aws.lambda"}:
            return spans
        time.sleep(0.2)
    seen = sorted({(s["name"], s["service"]) for s in spans if s["name"] != "aws.lambda.import"})
    raise AssertionError(f"not every service traced {sorted(services)}: {seen}")


def test_the_seed_request_answers_the_quick_starts_json(thinker: str) -> None:
    response = requests.get(thinker.rstrip("/") + SEED_PATH, timeout=90)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == SEED_RESPONSE
    assert list(response.json()) == ["technology", "foo_bar"]


def test_one_request_is_one_trace_across_both_functions(thinker: str, test_agent: str) -> None:
    assert requests.get(thinker.rstrip("/") + SEED_PATH, timeout=90).status_code == 200

    spans = wait_for_trace(test_agent, {"thinker-api", "thinker-microservice"})
    by_id = {span["span_id"]: span for span in spans}

    assert len({span["trace_id"] for span in spans}) == 1

    def parent(span: dict[str, Any]) -> dict[str, Any]:
        return by_id[span["parent_id"]]

    thinks = sorted((s for s in spans if s["name"] == "think"), key=lambda s: s["meta"]["subject"])
    assert [s["meta"]["subject"] for s in thinks] == ["foo_bar", "technology"]
    unknown, known = thinks
    assert known.get("error", 0) == 0
    assert unknown["error"] == 1
    assert unknown["meta"]["error.type"] == "builtins.KeyError"
    assert unknown["meta"]["error.message"] == "'foo_bar'"
    assert "Traceback" in unknown["meta"]["error.stack"]
    assert all(s["service"] == "thinker-microservice" for s in thinks)

    # think → aiohttp.request → aws.lambda (microservice) → aws.apigateway → requests.request
    #   → aws.lambda (api) → aws.apigateway: the request's whole path, one tree.
    chain = [known]
    while chain[-1]["parent_id"] in by_id:
        chain.append(parent(chain[-1]))
    assert [(s["name"], s["service"]) for s in reversed(chain)] == [
        ("aws.apigateway", "thinker-api-gateway"),
        ("aws.lambda", "thinker-api"),
        ("requests.request", "thinker-api"),
        ("aws.apigateway", "thinker-microservice-gateway"),
        ("aws.lambda", "thinker-microservice"),
        ("aiohttp.request", "thinker-microservice"),
        ("think", "thinker-microservice"),
    ]
    assert chain[-1]["parent_id"] == 0
    assert parent(unknown)["name"] == "aiohttp.request"

    dynamodb = [s for s in spans if s["name"] == "dynamodb.command"]
    assert len(dynamodb) == 2
    assert {s["meta"]["aws.operation"] for s in dynamodb} == {"GetItem"}
    assert {s["meta"]["aws.dynamodb.table_name"] for s in dynamodb} == {TABLE}
    assert {parent(s)["name"] for s in dynamodb} == {"think"}
