"""The stack serves the Datadog agent and the APM each from a child process of its own."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import requests

from tests.support.processes import store_servers
from thinker_local.harness.stack import local_stack


def test_the_agent_and_the_apm_run_apart_and_the_stack_ends_if_one_dies(tmp_path: Path) -> None:
    with local_stack(tmp_path) as stack:
        assert stack.process is not None
        servers = store_servers(stack.process.pid)
        assert set(servers) == {"agent", "apm"}
        assert stack.process.pid not in servers.values()
        info = stack.info
        assert requests.get(f"{info.agent}/info", timeout=30).json()["endpoints"]
        assert requests.get(f"{info.apm}/api/services", timeout=30).status_code == 200

        os.kill(servers["apm"], signal.SIGKILL)

        assert stack.process.wait(timeout=60) != 0
        assert f"the APM exited with {-signal.SIGKILL}" in stack.output()
        assert not stack.leftovers()
