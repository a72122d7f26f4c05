"""The quick-start through the real `sam build && sam local start-api`, traced end to end.

What runs: Docker, the stand-in base image (sam_local/build-image), both functions in local mode
(template.yaml Mode=local, from samconfig.toml), the Datadog library from the layer `sam build`
makes, moto's DynamoDB and Datadog's test agent on the Docker bridge, where the containers reach
them as host.docker.internal.
"""

from __future__ import annotations

import json
import logging
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.sam_local.conftest import GATEWAY_PORT
from tests.sam_local.stack import sam_build, sam_local_start_api
from tests.support.expected import SEED_RESPONSE

logger = logging.getLogger(__name__)

# The seed's request; sam listens on the Docker bridge here (see stack.sam_local_start_api).
SEED_PATH = "/think/?subject=technology&subject=foo_bar"

pytestmark = pytest.mark.sam_local


def curl(url: str) -> tuple[str, float]:
    """The body curl prints for ``url``, and how long the request took."""
    started = time.monotonic()
    result = subprocess.run(
        ["curl", "-sS", "--fail-with-body", url], capture_output=True, text=True
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout, elapsed


def traces_with_both_services(agent: str, timeout: float = 60.0) -> list[list[dict[str, Any]]]:
    """The traces the agent holds that crossed both functions, once there is one."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"{agent}/test/traces", timeout=5) as response:
            traces: list[list[dict[str, Any]]] = json.load(response)
        crossing = [
            trace
            for trace in traces
            if {"thinker-api", "thinker-microservice"}
            <= {span["service"] for span in trace if span["name"] == "aws.lambda"}
        ]
        if crossing or time.monotonic() > deadline:
            return crossing
        time.sleep(0.5)


def test_seed_request_through_sam_local_is_one_trace_across_both_functions(
    lambda_base_image: None,
    docker: str,
    dynamodb_on_bridge: str,
    agent_on_bridge: str,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    sam_build(tmp_path / "sam-build.log")
    logger.info("sam build: %.1f s", time.monotonic() - started)

    with sam_local_start_api(docker, GATEWAY_PORT, tmp_path / "sam-local.log"):
        seed_curl = f"{docker}:{GATEWAY_PORT}{SEED_PATH}"
        body, first = curl(seed_curl)
        _, warm = curl(seed_curl)
        logger.info("seed request through sam local: first %.2f s, warm %.2f s", first, warm)

        assert json.loads(body) == SEED_RESPONSE
        assert list(json.loads(body)) == ["technology", "foo_bar"]

        traces = traces_with_both_services(agent_on_bridge)

    assert traces, f"no trace crossed both functions: see {tmp_path}"
    trace = traces[0]
    assert len({span["trace_id"] for span in trace}) == 1
    spans = {span["span_id"]: span for span in trace}

    # thinker-api's outgoing call is the parent of what thinker-microservice did with it.
    (call,) = [
        s for s in trace if s["service"] == "thinker-api" and s["name"] == "requests.request"
    ]
    (microservice,) = [
        s for s in trace if s["service"] == "thinker-microservice" and s["name"] == "aws.lambda"
    ]
    ancestor = microservice
    while ancestor["parent_id"] in spans and ancestor["span_id"] != call["span_id"]:
        ancestor = spans[ancestor["parent_id"]]
    assert ancestor["span_id"] == call["span_id"]

    thinks = {s["meta"]["subject"]: s for s in trace if s["name"] == "think"}
    assert set(thinks) == {"technology", "foo_bar"}
    assert thinks["technology"]["error"] == 0
    assert thinks["foo_bar"]["error"] == 1
    assert thinks["foo_bar"]["meta"]["error.type"].endswith("KeyError")
