"""The agent and the APM served from processes of their own, on one store's file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

from tests.support.processes import store_servers
from tests.support.tracer import one_span_payload, send
from thinker_local.run.store_server import StoreServer, serving
from thinker_local.store import TraceStore
from thinker_local.waiting import until


def test_the_apm_in_its_process_reads_what_the_agent_in_its_own_stored(tmp_path: Path) -> None:
    path = tmp_path / "traces.sqlite3"
    TraceStore(path).close()
    with (
        serving(StoreServer("agent", path)) as agent,
        serving(StoreServer("apm", path)) as apm,
    ):
        servers = store_servers(os.getpid())
        assert set(servers) == {"agent", "apm"}  # each its own process, neither this one

        assert send(agent, one_span_payload("checkout", 4242)).status_code == 200

        def listed() -> list[str]:
            answer = requests.get(f"{apm}/api/traces?window=3600", timeout=30)
            return [trace["service"] for trace in answer.json()["traces"]]

        assert until(listed, 30) == ["checkout"]
        # Both keep answering only loopback names and no web page (thinker_local.hosts).
        assert requests.get(apm, headers={"Host": "evil.example"}, timeout=30).status_code == 403
        assert send(agent, b"[]", Origin="http://evil.example").status_code == 403
    assert not store_servers(os.getpid())  # stopped at the end


def test_a_bad_role_or_socket_is_refused_with_a_message(tmp_path: Path) -> None:
    module = "thinker_local.run.store_server"
    store = f"--store={tmp_path / 'traces.sqlite3'}"
    role = subprocess.run(
        [sys.executable, "-m", module, "intake", "--fd=3", store],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert role.returncode == 2
    assert "invalid choice: 'intake'" in role.stderr
    socket = subprocess.run(
        [sys.executable, "-m", module, "apm", "--fd=999", store],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert socket.returncode != 0
    assert "Bad file descriptor" in socket.stdout + socket.stderr
