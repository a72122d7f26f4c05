"""Fixtures shared by every test: sample events, a seeded DynamoDB, a Datadog test agent."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ddtrace.trace import tracer
from hypothesis import settings

from tests.support.expected import create_thoughts_table
from tests.support.processes import ddapm_test_agent_command, free_port, running

# Nothing in the tests may reach AWS: fake credentials, one region.
os.environ.update(
    AWS_ACCESS_KEY_ID="AKIDLOCALTESTS",
    AWS_SECRET_ACCESS_KEY="local-tests-secret",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    SAM_CLI_TELEMETRY="0",
)
os.environ.pop("AWS_SESSION_TOKEN", None)
os.environ.pop("AWS_PROFILE", None)

# Properties are about behaviour, not speed: no per-example deadline, which a busy CI machine
# would turn into flaky failures.
settings.register_profile("thinker", deadline=None)
settings.load_profile("thinker")

# Spans made inside the test process go nowhere: the traced tests run the functions in real
# processes, each with its own agent.
tracer.enabled = False


@pytest.fixture(scope="session")
def dynamodb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's DynamoDB server on loopback, with the seeded thoughts table.

    In its own process: in-process ``mock_aws`` tests reset moto's backends, which a threaded
    server in this process would share.
    """
    port = free_port()
    args = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with running(args, port=port, log=log):
        url = f"http://127.0.0.1:{port}"
        create_thoughts_table(url)
        yield url


@pytest.fixture
def test_agent(tmp_path: Path) -> Iterator[str]:
    """Datadog's own test agent (ddapm-test-agent), in its own process."""
    port = free_port()
    args = ddapm_test_agent_command("127.0.0.1", port)
    env = {"SNAPSHOT_DIR": str(tmp_path / "snapshots"), "LOG_LEVEL": "WARNING"}
    with running(args, port=port, env=env, log=tmp_path / "test-agent.log"):
        yield f"http://127.0.0.1:{port}"
