"""The quick-start through SAM's own tool: `make sam-local`, i.e. ``python -m thinker_local sam``.

What runs: Docker, the Lambda base image (AWS's, or the stand-in), both functions in local mode
(template.yaml Mode=local) in the containers `sam local start-api` starts, the Datadog library
from the layer `sam build` makes; around them, on the Docker bridge, moto's DynamoDB seeded by
the template's custom resource and the local agent, and the APM on loopback. The trace is read
back from the APM's API with the assertions `make up`'s test makes.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.support.expected import SEED_RESPONSE
from tests.support.seed_trace import SEED_PATH, assert_seed_trace, entering_trace_ids, the_new_trace
from thinker_local.harness.reports import Report
from thinker_local.harness.stack import StackProcess
from thinker_local.sam.engine import lambda_containers

pytestmark = pytest.mark.sam_local

FUNCTIONS = ("ThinkerApiFunction", "MicroserviceFunction")


def seed_request(stack: StackProcess) -> requests.Response:
    response = requests.get(stack.info.api + SEED_PATH, timeout=120)
    assert response.status_code == 200, response.text
    return response


def output_since(stack: StackProcess, mark: int) -> str:
    return stack.log_path.read_bytes()[mark:].decode(errors="replace")


def reports_by_function(stack: StackProcess, mark: int) -> dict[str, list[Report]]:
    """The REPORT lines each function printed since ``mark``, once both have printed one."""
    deadline = time.monotonic() + 30
    while True:
        reports = stack.reports_since(mark)
        found = {name: [r for r in reports if r.function == name] for name in FUNCTIONS}
        if all(found.values()) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_start_up_prints_the_urls_the_base_image_and_the_seed_curl(sam_stack: StackProcess) -> None:
    output = sam_stack.output()
    info = sam_stack.info

    assert f"curl '{info.api}{SEED_PATH}'" in output
    assert info.apm is not None
    assert info.apm.startswith("http://127.0.0.1:")
    assert info.apm in output
    assert info.trace_agent in output
    assert "Lambda base image public.ecr.aws/lambda/python:3.12-x86_64: " in output
    assert "custom resource ThoughtsSeed (Custom::ThoughtsSeed): 6 thoughts written" in output


def test_the_seed_request_answers_the_quick_starts_json(sam_stack: StackProcess) -> None:
    response = seed_request(sam_stack)

    assert response.json() == SEED_RESPONSE
    assert list(response.json()) == ["technology", "foo_bar"]


def test_the_seed_request_is_one_trace_across_both_functions(sam_stack: StackProcess) -> None:
    assert sam_stack.info.apm is not None
    known = entering_trace_ids(sam_stack.info.apm)
    seed_request(sam_stack)

    assert_seed_trace(the_new_trace(sam_stack.info.apm, known))


def test_a_second_request_reuses_the_warm_containers(sam_stack: StackProcess) -> None:
    seed_request(sam_stack)
    containers = lambda_containers()
    mark = sam_stack.mark()

    seed_request(sam_stack)

    assert lambda_containers() == containers
    reports = reports_by_function(sam_stack, mark)
    for name in FUNCTIONS:
        assert len(reports[name]) == 1, reports
        assert reports[name][0].init_ms is None, reports[name]
        assert f"Lambda function '{name}' is already running" in output_since(sam_stack, mark)


def test_report_figures_reach_the_store(sam_stack: StackProcess) -> None:
    apm = sam_stack.info.apm
    assert apm is not None
    known = entering_trace_ids(apm)
    mark = sam_stack.mark()
    seed_request(sam_stack)
    trace_id = the_new_trace(apm, known)[0]["trace_id"]
    reports = reports_by_function(sam_stack, mark)

    for name in FUNCTIONS:
        (report,) = reports[name]
        deadline = time.monotonic() + 30
        while True:
            invocations = requests.get(
                f"{apm}/api/serverless/{name}/invocations", timeout=10
            ).json()["invocations"]
            stored = {i["request_id"]: i for i in invocations}
            row = stored.get(report.figures.request_id)
            if (row and row["trace_id"]) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert row is not None, (name, report, invocations)
        assert row["duration_ms"] == pytest.approx(report.duration_ms)
        assert row["memory_size_mb"] == 512
        assert row["trace_id"] == trace_id


def test_the_functions_lines_reach_the_trace_logs(sam_stack: StackProcess) -> None:
    apm = sam_stack.info.apm
    assert apm is not None
    known = entering_trace_ids(apm)
    seed_request(sam_stack)
    trace_id = the_new_trace(apm, known)[0]["trace_id"]

    deadline = time.monotonic() + 30
    while True:
        logs = requests.get(f"{apm}/api/traces/{trace_id}/logs", timeout=10).json()["logs"]
        functions = {line["function"] for line in logs}
        if set(FUNCTIONS) <= functions or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    assert set(FUNCTIONS) <= functions, logs
    unknown = [line for line in logs if "foo_bar" in line["message"]]
    assert unknown, logs
    assert {line["function"] for line in unknown} == {"MicroserviceFunction"}


def test_the_agent_answers_the_containers_names_and_the_apm_does_not(
    sam_stack: StackProcess,
) -> None:
    """The seed trace above came through host.docker.internal; that name (and the bridge's
    address) is allowed at the agent only, and a rebinding name nowhere."""
    info = sam_stack.info
    assert info.agent is not None
    assert info.apm is not None
    bridge = info.agent.split("/")[2]
    port = bridge.rsplit(":", 1)[1]
    for host in (f"host.docker.internal:{port}", bridge):
        response = requests.get(info.agent + "/info", headers={"Host": host}, timeout=10)
        assert response.status_code == 200, host
        refused = requests.get(info.apm + "/api/services", headers={"Host": host}, timeout=10)
        assert refused.status_code == 403, host
    rebinding = requests.get(info.agent + "/info", headers={"Host": "rebind.example"}, timeout=10)
    assert rebinding.status_code == 403
