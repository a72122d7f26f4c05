"""What a Lambda execution environment of the local stack holds, and how it ends, as on AWS.

Throwaway functions (environments/template.yaml) behind the real local stack: a function sees
its own dependencies, its layers and the runtime's packages, never the development virtualenv;
a function past its memory size is killed; a traced function's timeout is in the trace store.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.stacks import find, has, traced_get
from thinker_local.harness.stack import StackProcess, local_stack
from thinker_local.harness.traces import wait_for_trace

TEMPLATE = Path(__file__).parent / "environments" / "template.yaml"
FUNCTIONS = TEMPLATE.parent / "functions"
INTERNAL_ERROR = {"message": "Internal server error"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    directory = tmp_path_factory.mktemp("environments")
    with local_stack(directory, "--template", str(TEMPLATE)) as process:
        yield process


def _get(stack: StackProcess, path: str) -> requests.Response:
    return requests.get(stack.info.api + path, timeout=60)


def test_a_package_the_requirements_lack_fails_the_import_as_on_aws(stack: StackProcess) -> None:
    response = _get(stack, "/undeclared")

    assert response.status_code == 502
    assert response.json() == INTERNAL_ERROR
    assert (
        "Runtime.ImportModuleError: Unable to import module 'yaml_at_load':"
        " No module named 'yaml'" in stack.output()
    )


def test_the_sibling_that_declares_it_in_its_requirements_answers(stack: StackProcess) -> None:
    response = _get(stack, "/declared")

    assert response.status_code == 200, response.text
    assert response.text == "yaml: 6.0.4\n"


def test_an_import_error_inside_the_handler_is_logged_as_aws_logs_it(stack: StackProcess) -> None:
    response = _get(stack, "/paths?import=yaml")

    assert response.status_code == 502
    assert response.json() == INTERNAL_ERROR
    assert re.search(
        r"InsideFunction\s*\| \[ERROR\] ModuleNotFoundError: No module named 'yaml'",
        stack.output(),
    )


def test_the_interpreter_sees_the_function_the_runtime_and_no_development_package(
    stack: StackProcess,
) -> None:
    development = Path(sys.prefix)

    seen = _get(stack, "/paths").json()
    boto3 = _get(stack, "/paths?import=boto3")
    ddtrace = _get(stack, "/paths?import=ddtrace")

    assert Path(seen["path"][0]) == FUNCTIONS / "bare"
    assert seen["user_site"] == 1
    leaks = [entry for entry in seen["path"] if Path(entry).is_relative_to(development)]
    assert leaks == []
    assert not Path(seen["executable"]).is_relative_to(development)
    # The runtime's SDK is there; the development virtualenv's ddtrace is not (no layer here).
    assert boto3.status_code == 200
    assert ddtrace.status_code == 502


def test_a_function_past_its_memory_size_is_killed_as_lambda_kills_it(stack: StackProcess) -> None:
    within = _get(stack, "/hog?mb=10")
    beyond = _get(stack, "/hog?mb=200")

    assert within.status_code == 200
    assert beyond.status_code == 502
    assert beyond.json() == INTERNAL_ERROR
    output = stack.output()
    assert "Error: Runtime exited with error: signal: killed" in output
    assert re.search(
        r"HogFunction\s*\| REPORT RequestId: \S+\t.*\tMemory Size: 128 MB\tMax Memory Used: 128 MB"
        r".*\tStatus: error\tError Type: Runtime.OutOfMemory",
        output,
    )


def test_a_traced_timeout_leaves_an_impending_timeout_error_in_the_trace(
    stack: StackProcess,
) -> None:
    # The inferred API Gateway span's service is the API's domain, here the local gateway's.
    api, apm = stack.info.api, stack.info.apm
    assert apm is not None
    gateway = "127.0.0.1:" + api.rstrip("/").rpartition(":")[2]

    response, trace_id = traced_get(api + "/slow")
    spans = wait_for_trace(
        apm, trace_id, has(gateway, "aws.apigateway", error__type="Impending Timeout")
    )

    assert response.status_code == 502
    # ddtrace marks the trace's local root (the inferred span), and finishes aws.lambda under it.
    (root,) = find(spans, gateway, "aws.apigateway")
    (function,) = find(spans, "environments-timeout", "aws.lambda")
    assert root["error"] == 1
    assert root["meta"]["error.message"] == "Datadog detected an Impending Timeout"
    assert function["parent_id"] == root["span_id"]
    assert "Task timed out after 2.00 seconds" in stack.output()
