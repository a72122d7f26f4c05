"""``make up`` is safe to leave running: through the command, every server but the emulated API
Gateways answers loopback names and ``--allow-host`` names only, and no web page; a trace store
found damaged at the start is set aside, said in one line, and a fresh one keeps new traces.

The stack runs the IAM tests' throwaway template (iam/template.yaml) on free ports, its state
directory holding a damaged ``traces.sqlite3`` before it starts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.processes import free_port
from tests.support.stacks import running_stack
from tests.support.tracer import one_span_payload, send
from thinker_local.harness.stack import StackProcess, up_command
from thinker_local.waiting import until

IAM_TEMPLATE = Path(__file__).parent / "iam" / "template.yaml"
ALLOWED = "devbox.test"
REBINDING = "rebind.example"
PAGE = 4096


def damaged_store(path: Path) -> None:
    """A store-sized SQLite file with a few pages overwritten, as a crash or bad copy leaves it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE spans (trace_id TEXT, meta TEXT)")
        db.executemany(
            "INSERT INTO spans VALUES (?, ?)", [(str(i), "x" * 400) for i in range(3000)]
        )
    with path.open("r+b") as file:
        for page in (5, 50, 120):
            file.seek(page * PAGE + 64)
            file.write(b"\xff" * (PAGE - 128))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    tmp = tmp_path_factory.mktemp("local-servers")
    state = tmp / "state"
    damaged_store(state / "traces.sqlite3")
    args = up_command(
        "--template", str(IAM_TEMPLATE),
        "--state-dir", str(state),
        "--port", str(free_port()),
        "--other-ports", str(free_port()),
        "--dynamodb-port", str(free_port()),
        "--agent-port", str(free_port()),
        "--apm-port", str(free_port()),
        "--allow-host", ALLOWED,
        "--no-reload",
        "--max-environments", "1",
    )  # fmt: skip
    with running_stack(args, tmp / "stack.log") as process:
        yield process


def servers(stack: StackProcess) -> dict[str, str]:
    info = stack.info
    assert info.agent is not None
    assert info.apm is not None
    assert info.dynamodb is not None
    return {"agent": info.agent + "/info", "apm": info.apm + "/api/traces",
            "moto": info.dynamodb + "/moto-api/data.json"}  # fmt: skip


def get(url: str, host: str | None = None, **headers: str) -> requests.Response:
    if host is not None:
        headers["Host"] = f"{host}:{url.split('/')[2].rsplit(':', 1)[1]}"
    return requests.get(url, headers=headers, timeout=30)


def test_a_rebinding_host_is_refused_by_every_server_but_the_gateways(stack: StackProcess) -> None:
    for name, url in servers(stack).items():
        refused = get(url, REBINDING)
        assert refused.status_code == 403, name
        assert refused.text.startswith(f"Host '{REBINDING}' is not allowed"), name
    # An API Gateway answers whatever Host it is given (its custom domains), and so does its twin.
    gateway = stack.info.apis["OpenApi"]
    assert get(f"{gateway}/call/allowed", REBINDING).status_code == 200


def test_loopback_names_and_the_allowed_host_are_answered(stack: StackProcess) -> None:
    for name, url in servers(stack).items():
        for host in ("localhost", "127.0.0.1", ALLOWED):
            assert get(url, host).status_code == 200, (name, host)


def test_no_server_answers_a_web_page(stack: StackProcess) -> None:
    for name, url in servers(stack).items():
        response = get(url, Origin=f"http://{REBINDING}")
        assert "Access-Control-Allow-Origin" not in response.headers, name
        if name != "apm":  # the APM's GETs change nothing and grant a page no access
            assert response.status_code == 403, name
    agent = stack.info.agent
    assert agent is not None
    injected = send(agent, one_span_payload("injected", 99), Origin=f"http://{REBINDING}")
    assert injected.status_code == 403
    services = requests.get(f"{stack.info.apm}/api/services", timeout=30).json()
    assert "injected" not in str(services)


def test_a_damaged_store_is_set_aside_at_the_start_in_one_line(stack: StackProcess) -> None:
    said = [line for line in stack.output().splitlines() if "was damaged" in line]
    assert len(said) == 1, said
    moved = [
        path for path in stack.state_dir.glob("traces.sqlite3.damaged-*") if "-wal" not in path.name
    ]
    assert len(moved) == 1
    assert str(moved[0]) in said[0]

    agent = stack.info.agent
    assert agent is not None
    assert send(agent, one_span_payload("after-the-damage", 4242)).status_code == 200

    def found() -> requests.Response | None:
        answer = requests.get(f"{stack.info.apm}/api/traces/4242", timeout=30)
        return answer if answer.status_code == 200 else None

    # Written right after the agent's answer (thinker_local.agent.writer).
    trace = until(found, 30)
    assert trace is not None, "no trace 4242 in the store"
    assert {span["service"] for span in trace.json()["spans"]} == {"after-the-damage"}
