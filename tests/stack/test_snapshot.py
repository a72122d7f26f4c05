"""The seed request's trace, compared by Datadog's own test agent with a committed snapshot.

ddapm-test-agent receives the traces instead of the local agent (``--trace-agent-url``); its
snapshot check compares the whole tree (names, services, resources, parents, tags) with
``snapshots/``, ignoring what changes from run to run (ids, times, ports, request ids).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.processes import ddapm_test_agent_command, free_port, running
from tests.support.stacks import running_stack
from thinker_local.harness.stack import up_command

SNAPSHOTS = Path(__file__).parent / "snapshots"
TOKEN = "local_stack_seed_request"
# Volatile from run to run: ids, clocks, ports (in URLs), process-specific values.
IGNORED = [
    # The stack's file paths depend on where the project is checked out; tests/stack/test_up.py
    # checks the stack's content.
    "meta.error.stack",
    "meta.http.url",
    "meta.endpoint",
    "meta.request_id",
    "meta.runtime-id",
    "meta._dd.p.tid",
    "meta._dd.p.dm",
    "meta.peer.service",
    "meta.http.useragent",
    "meta.out.host",
    "meta.server.address",
    "meta.network.destination.name",
    "meta.network.destination.port",
    "metrics.process_id",
    "metrics._dd.tracer_kr",
    "metrics.network.destination.port",
    "meta.aws.requestid",
    "meta.aws_request_id",
    "meta.function_trigger.event_source_arn",
    "meta.http.client_ip",
    "meta.network.client.ip",
]


@pytest.fixture(scope="module")
def test_agent_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("test-agent")
    port = free_port()
    args = ddapm_test_agent_command(
        "127.0.0.1",
        port,
        "--snapshot-dir",
        str(SNAPSHOTS),
        "--snapshot-ci-mode",
        "1" if any(SNAPSHOTS.glob("*.json")) else "0",
    )
    with running(args, port=port, env={"LOG_LEVEL": "WARNING"}, log=tmp / "test-agent.log"):
        yield f"http://127.0.0.1:{port}"


def _spans(agent: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{agent}/test/session/traces", params={"test_session_token": TOKEN}, timeout=10
    )
    response.raise_for_status()
    return [span for trace in response.json() for span in trace]


def test_the_seed_trace_matches_the_snapshot(
    test_agent_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("snapshot-stack")
    port = free_port()
    args = up_command(
        "--state-dir",
        str(tmp / "state"),
        "--port",
        str(port),
        "--other-ports",
        str(free_port()),
        "--dynamodb-port",
        str(free_port()),
        "--lambda-port",
        str(free_port()),
        "--no-apm",
        "--no-reload",
        "--trace-agent-url",
        test_agent_url,
    )
    with running_stack(args, tmp / "stack.log"):
        url = f"http://127.0.0.1:{port}/think/?subject=technology&subject=foo_bar"
        # The first request is a cold start (hundreds of import spans): keep it out.
        assert requests.get(url, timeout=60).status_code == 200
        time.sleep(1)
        requests.get(
            f"{test_agent_url}/test/session/start",
            params={"test_session_token": TOKEN},
            timeout=10,
        ).raise_for_status()

        assert requests.get(url, timeout=60).status_code == 200
        deadline = time.monotonic() + 30
        while len(_spans(test_agent_url)) < 10 and time.monotonic() < deadline:
            time.sleep(0.2)

        snapshot = requests.get(
            f"{test_agent_url}/test/session/snapshot",
            params={"test_session_token": TOKEN, "ignores": ",".join(IGNORED)},
            timeout=30,
        )

    assert snapshot.status_code == 200, snapshot.text
