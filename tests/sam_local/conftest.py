"""Opt-in: the real `sam build` and `sam local start-api`, in Docker, with a stand-in base image.

Deselected unless the run selects the marker: ``make test-sam-local``, i.e.
``.venv/bin/python -m pytest -m sam_local tests/sam_local``. Needs root on Debian or Ubuntu (it
installs docker.io, debootstrap and curl when they are missing, and starts dockerd when no
engine runs). See docs/sam-local.md.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from tests.sam_local.engine import bridge_gateway, docker_engine, install_missing_tools
from tests.sam_local.stack import serve
from tests.support.expected import create_thoughts_table
from tests.support.processes import REPO, ddapm_test_agent_command

logger = logging.getLogger(__name__)

# The host ports template.yaml's local mode and env.json name (host.docker.internal:<port>).
DYNAMODB_PORT = 5005
AGENT_PORT = 8126
GATEWAY_PORT = 5000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "sam_local" in (config.getoption("markexpr") or ""):
        return
    opt_in = [item for item in items if item.get_closest_marker("sam_local")]
    if opt_in:
        config.hook.pytest_deselected(items=opt_in)
        items[:] = [item for item in items if not item.get_closest_marker("sam_local")]


@pytest.fixture(scope="session")
def docker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running Docker engine; yields the host's address on its bridge."""
    install_missing_tools()
    with docker_engine(tmp_path_factory.mktemp("docker") / "dockerd.log"):
        yield bridge_gateway()


@pytest.fixture(scope="session")
def lambda_base_image(docker: str) -> None:
    """The stand-in for public.ecr.aws/lambda/python:3.12-x86_64 (built once, then cached)."""
    started = time.monotonic()
    subprocess.run([str(REPO / "sam_local" / "build-image")], check=True, cwd=REPO)
    logger.info("stand-in base image ready in %.1f s", time.monotonic() - started)


@pytest.fixture(scope="session")
def dynamodb_on_bridge(docker: str) -> Iterator[str]:
    """moto's DynamoDB where the containers look for it, with the seeded thoughts table."""
    server = ThreadedMotoServer(ip_address=docker, port=DYNAMODB_PORT, verbose=False)
    server.start()
    url = f"http://{docker}:{DYNAMODB_PORT}"
    try:
        create_thoughts_table(url)
        yield url
    finally:
        server.stop()


@pytest.fixture
def agent_on_bridge(docker: str, tmp_path: Path) -> Iterator[str]:
    """Datadog's test agent where the containers' ddtrace sends (host.docker.internal:8126)."""
    args = ddapm_test_agent_command(docker, AGENT_PORT)
    environment = {"SNAPSHOT_DIR": str(tmp_path / "snapshots"), "LOG_LEVEL": "WARNING"}
    with serve(args, host=docker, port=AGENT_PORT, env=environment, log=tmp_path / "agent.log"):
        yield f"http://{docker}:{AGENT_PORT}"
