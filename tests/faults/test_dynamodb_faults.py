"""DynamoDB failing under thinker-microservice, through the real local stack.

The stack's own DynamoDB (moto's server, a child process of the stack) is stopped, then a
stand-in that throttles every call takes its port: the functions still call that port, as
Lambda would still call DynamoDB's endpoint. The microservice retries a bounded number of
times, then answers 503; thinker-api passes that on as a 502.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from tests.support.stacks import (
    Stack,
    assert_clean_json_error,
    find,
    has,
    start_stack,
    traced_get,
)
from tests.support.stand_ins import serving, throttling_dynamodb
from thinker_local.aws.account import LOCAL_ACCOUNT
from thinker_local.aws.iam import CREDENTIALS_FILE, PROFILE
from thinker_local.harness.processes import children_of
from thinker_local.harness.traces import wait_for_trace

THINK = "/think/?subject=technology"
# microservice.db: botocore's standard retry mode, 3 attempts in all.
ATTEMPTS = 3
UNAVAILABLE = {"error": "thoughts are unavailable, try again later"}


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _stop_dynamodb(stack: Stack) -> None:
    """Stop the stack's DynamoDB process (by its PID) and wait until its port is closed."""
    assert stack.process.process is not None
    port = str(stack.dynamodb_port)
    for pid in children_of(stack.process.process.pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"thinker_local.aws.moto_server" in command and port.encode() in command:
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while _listening(stack.dynamodb_port):
        assert time.monotonic() < deadline, "the stack's DynamoDB did not stop"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    for stack in start_stack(tmp_path_factory.mktemp("dynamodb-faults")):
        _stop_dynamodb(stack)
        yield stack


def _signed_get(stack: Stack, url: str) -> requests.Response:
    """A signed call to the microservice's API (SigV4), with the developer's keys."""
    session = botocore.session.Session(profile=PROFILE)
    session.set_config_variable("credentials_file", str(stack.process.state_dir / CREDENTIALS_FILE))
    request = AWSRequest(method="GET", url=url, headers={"Host": url.split("/")[2]})
    SigV4Auth(session.get_credentials(), "execute-api", LOCAL_ACCOUNT.region).add_auth(request)
    return requests.get(url, headers=dict(request.headers.items()), timeout=60)


def _microservice_error_trace(stack: Stack, trace_id: str) -> list[dict[str, object]]:
    wait_for_trace(stack.apm, trace_id, has("thinker-microservice", "think", subject="technology"))
    return wait_for_trace(
        stack.apm, trace_id, has("thinker-api", "aws.lambda", http__status_code="502")
    )


def test_dynamodb_unavailable_is_503_from_the_microservice(stack: Stack) -> None:
    assert not _listening(stack.dynamodb_port)

    response = _signed_get(stack, f"{stack.microservice}?subject=technology")

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE


def test_dynamodb_unavailable_is_502_and_the_trace_holds_the_error(stack: Stack) -> None:
    assert not _listening(stack.dynamodb_port)

    response, trace_id = traced_get(stack.api + THINK)

    assert_clean_json_error(response, 502, "thinker-microservice answered HTTP 503")
    spans = _microservice_error_trace(stack, trace_id)
    (think,) = find(spans, "thinker-microservice", "think")
    (handler,) = find(spans, "thinker-microservice", "aiohttp.request")
    assert think["error"] == 1
    assert think["meta"]["error.type"] == "microservice.thoughts.ThoughtsUnavailable"
    assert handler["meta"]["http.status_code"] == "503"
    assert handler["error"] == 1


def test_dynamodb_throttling_is_retried_a_bounded_number_of_times_then_502(
    stack: Stack,
) -> None:
    throttling = throttling_dynamodb(stack.dynamodb_port)
    with serving(throttling):
        response, trace_id = traced_get(stack.api + THINK)
        spans = _microservice_error_trace(stack, trace_id)

    assert_clean_json_error(response, 502, "thinker-microservice answered HTTP 503")
    get_items = [r.body for r in throttling.requests if b'"technology"' in r.body]
    assert len(get_items) == ATTEMPTS
    (think,) = find(spans, "thinker-microservice", "think")
    assert think["error"] == 1
    assert "ThrottlingException" in think["meta"]["error.message"]
    assert f"reached max retries: {ATTEMPTS - 1}" in think["meta"]["error.message"]
