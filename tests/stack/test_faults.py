"""What API Gateway and Lambda answer when a function misbehaves, through the real local stack.

The functions are throwaway ones (faults/template.yaml): each misbehaves in one way on request.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from thinker_local.harness.stack import StackProcess

Faults = tuple[StackProcess, str, Path]
INTERNAL_ERROR = {"message": "Internal server error"}


def _get(base: str, path: str) -> requests.Response:
    return requests.get(base + path, timeout=60)


def _echo(base: str, path: str) -> dict[str, Any]:
    response = _get(base, path)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_trailing_slash_reaches_the_resource_and_the_event_keeps_the_path(
    faults_stack: Faults,
) -> None:
    _, base, _ = faults_stack

    event = _echo(base, "/echo/?subject=a%20b&subject=caf%C3%A9")["event"]

    assert event["resource"] == "/echo"
    assert event["path"] == "/echo/"
    assert event["requestContext"]["resourcePath"] == "/echo"
    assert event["requestContext"]["path"] == "/test/echo/"
    assert event["requestContext"]["stage"] == "test"
    assert event["multiValueQueryStringParameters"] == {"subject": ["a b", "café"]}
    assert event["queryStringParameters"] == {"subject": "café"}


def test_path_parameters_and_greedy_proxy(faults_stack: Faults) -> None:
    _, base, _ = faults_stack

    item = _echo(base, "/items/42")["event"]
    files = _echo(base, "/files/a/b/c.txt")["event"]

    assert (item["resource"], item["pathParameters"]) == ("/items/{id}", {"id": "42"})
    assert (files["resource"], files["pathParameters"]) == (
        "/files/{proxy+}",
        {"proxy": "a/b/c.txt"},
    )


def test_a_post_body_and_headers_reach_the_function(faults_stack: Faults) -> None:
    _, base, _ = faults_stack

    response = requests.post(
        f"{base}/echo", data=b'{"a": 1}', headers={"X-Custom": "yes"}, timeout=60
    )
    event = response.json()["event"]

    assert event["httpMethod"] == "POST"
    assert event["body"] == '{"a": 1}'
    assert event["isBase64Encoded"] is False
    assert event["headers"]["X-Custom"] == "yes"
    assert event["multiValueHeaders"]["X-Custom"] == ["yes"]


def test_the_proxy_response_headers_are_mapped(faults_stack: Faults) -> None:
    _, base, _ = faults_stack

    response = _get(base, "/echo")

    assert response.headers["X-Single"] == "one"
    assert response.headers["X-Multi"] == "a, b"
    assert (
        response.headers["x-amzn-RequestId"]
        == response.json()["event"]["requestContext"]["requestId"]
    )


def test_the_function_runs_with_the_template_and_lambda_environment(faults_stack: Faults) -> None:
    _, base, _ = faults_stack

    body = _echo(base, "/echo")
    environ = body["environ"]

    assert environ["GREETING"] == "hello from us-east-1"
    assert environ["AWS_LAMBDA_FUNCTION_NAME"] == "BehaviourFunction"
    assert environ["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert environ["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/BehaviourFunction"
    assert re.fullmatch(
        r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", environ["AWS_LAMBDA_LOG_STREAM_NAME"]
    )
    assert environ["_HANDLER"] == "behaviour.handler"
    assert environ["LAMBDA_TASK_ROOT"].endswith("faults/functions")
    assert environ["AWS_REGION"] == "us-east-1"
    assert "_X_AMZN_TRACE_ID" in environ
    assert 0 < body["remaining_ms"] <= 5000


def test_an_unknown_route_is_missing_authentication_token(faults_stack: Faults) -> None:
    _, base, _ = faults_stack

    response = _get(base, "/nope")

    assert response.status_code == 403
    assert response.text == '{"message":"Missing Authentication Token"}'


def test_an_unhandled_exception_is_502(faults_stack: Faults) -> None:
    stack, base, _ = faults_stack

    response = _get(base, "/echo?raise=1")

    assert response.status_code == 502
    assert response.json() == INTERNAL_ERROR
    assert "raised on purpose" in stack.output()


@pytest.mark.parametrize("kind", ["text", "keys", "status"])
def test_a_malformed_proxy_response_is_502(faults_stack: Faults, kind: str) -> None:
    stack, base, _ = faults_stack

    response = _get(base, f"/echo?malformed={kind}")

    assert response.status_code == 502
    assert response.json() == INTERNAL_ERROR
    assert "Malformed Lambda proxy response" in stack.output()


def test_a_crash_is_502_and_the_next_call_gets_a_new_environment(faults_stack: Faults) -> None:
    stack, base, _ = faults_stack
    before = _echo(base, "/echo")["pid"]

    crashed = _get(base, "/echo?crash=1")
    after = _echo(base, "/echo")["pid"]

    assert crashed.status_code == 502
    assert crashed.json() == INTERNAL_ERROR
    assert "Runtime exited with error: exit status 3" in stack.output()
    assert after != before


def test_the_function_timeout_kills_the_environment_and_is_502(faults_stack: Faults) -> None:
    stack, base, _ = faults_stack

    response = _get(base, "/short-timeout?sleep=5")

    assert response.status_code == 502
    assert response.json() == INTERNAL_ERROR
    assert "Task timed out after 1.00 seconds" in stack.output()
    assert re.search(
        r"REPORT RequestId: \S+\tDuration: [\d.]+ ms.*\tStatus: timeout", stack.output()
    )
    assert _get(base, "/short-timeout").status_code == 200


def test_the_integration_timeout_is_504(faults_stack: Faults) -> None:
    _, base, _ = faults_stack

    response = _get(base, "/impatient?sleep=2")

    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}


def test_an_init_error_is_502_and_a_fixed_init_recovers(faults_stack: Faults) -> None:
    stack, base, flag = faults_stack
    assert flag.exists()

    broken = _get(base, "/broken-init")
    flag.unlink()
    fixed = _get(base, "/broken-init")

    assert broken.status_code == 502
    assert broken.json() == INTERNAL_ERROR
    assert "init fails on purpose" in stack.output()
    assert fixed.status_code == 200
    assert fixed.json() == {"init": "ok"}


def test_concurrent_requests_grow_the_pool_up_to_its_limit_and_reuse_warm_environments(
    faults_stack: Faults,
) -> None:
    _, base, _ = faults_stack
    with concurrent.futures.ThreadPoolExecutor(5) as executor:
        calls = executor.map(lambda _: _echo(base, "/pool?sleep=1")["pid"], range(5))
        concurrent_pids = set(calls)

    sequential_pids = {_echo(base, "/pool")["pid"] for _ in range(6)}

    # The fixture allows 4 environments per function: the fifth call waits for a free one.
    assert len(concurrent_pids) == 4
    assert sequential_pids <= concurrent_pids


def test_each_invocation_is_reported_lambda_style(faults_stack: Faults) -> None:
    stack, base, _ = faults_stack
    _echo(base, "/items/7")

    lines = [line for line in stack.output().splitlines() if line.startswith("BehaviourFunction")]
    starts = [line for line in lines if "START RequestId:" in line and "Version: $LATEST" in line]
    reports = [line for line in lines if "REPORT RequestId:" in line]

    assert starts
    assert len(reports) >= len(starts) - 1
    assert re.search(
        r"Duration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB"
        r"\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms",
        "\n".join(reports),
    )


def test_the_event_has_the_keys_of_sam_generate_event(faults_stack: Faults) -> None:
    _, base, _ = faults_stack
    generated = json.loads(
        subprocess.run(
            [str(Path(".venv/bin/sam")), "local", "generate-event", "apigateway", "aws-proxy"],
            capture_output=True,
            check=True,
            timeout=120,
            env={"SAM_CLI_TELEMETRY": "0", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        ).stdout
    )

    event = _echo(base, "/echo?x=1")["event"]

    assert set(event) == set(generated)
    # API Gateway also sends these; sam's sample predates them.
    newer = {"domainName", "domainPrefix", "extendedRequestId"}
    assert set(event["requestContext"]) == set(generated["requestContext"]) | newer
    assert set(event["requestContext"]["identity"]) >= set(generated["requestContext"]["identity"])
