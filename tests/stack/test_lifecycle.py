"""The stack's life: code changes reload, and stopping it leaves no process behind."""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
import requests

from tests.support.stacks import FAULTS_TEMPLATE, running_stack
from thinker_local.harness.ports import free_port
from thinker_local.harness.processes import alive
from thinker_local.harness.stack import up_command


def _busy_stack(tmp_path: Path) -> tuple[list[str], str]:
    port = free_port()
    args = up_command(
        "--template",
        str(FAULTS_TEMPLATE),
        "--state-dir",
        str(tmp_path / "state"),
        "--port",
        str(port),
        "--dynamodb-port",
        str(free_port()),
        "--lambda-port",
        str(free_port()),
        "--no-apm",
    )
    return args, f"http://127.0.0.1:{port}"


def _start_environments(base: str) -> None:
    """Several environments of one function, one of them still busy."""
    with concurrent.futures.ThreadPoolExecutor(3) as executor:
        list(executor.map(lambda _: requests.get(f"{base}/pool?sleep=0.5", timeout=60), range(3)))
    with pytest.raises(requests.Timeout):
        requests.get(f"{base}/echo?sleep=30", timeout=0.5)


def _wait_gone(pids: set[int], timeout: float = 30.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_ends_every_process_the_stack_started(
    tmp_path: Path, signum: signal.Signals
) -> None:
    args, base = _busy_stack(tmp_path)
    with running_stack(args, tmp_path / "stack.log") as stack:
        _start_environments(base)
        started = stack.remember()
        assert stack.process is not None
        # A few environments, each an awslambdaric process.
        assert len(started) >= 4

        os.kill(stack.process.pid, signum)
        code = stack.process.wait(timeout=60)

        assert code == 0
        assert alive(started) == set()
        assert "stopped" in stack.output()


def test_a_killed_stack_takes_its_environments_with_it(tmp_path: Path) -> None:
    args, base = _busy_stack(tmp_path)
    with running_stack(args, tmp_path / "stack.log") as stack:
        _start_environments(base)
        started: set[int] = stack.remember()
        assert stack.process is not None

        os.kill(stack.process.pid, signal.SIGKILL)
        stack.process.wait(timeout=30)

        assert _wait_gone(started) == set()


def test_a_code_change_gives_the_function_fresh_environments(tmp_path: Path) -> None:
    functions = tmp_path / "faults"
    shutil.copytree(FAULTS_TEMPLATE.parent, functions)
    port = free_port()
    args = up_command(
        "--template",
        str(functions / "template.yaml"),
        "--state-dir",
        str(tmp_path / "state"),
        "--port",
        str(port),
        "--dynamodb-port",
        str(free_port()),
        "--lambda-port",
        str(free_port()),
        "--no-apm",
    )
    broken_init = functions / "functions" / "broken_init.py"
    with running_stack(args, tmp_path / "stack.log") as stack:
        url = f"http://127.0.0.1:{port}/broken-init"
        assert requests.get(url, timeout=60).json() == {"init": "ok"}

        broken_init.write_text(broken_init.read_text().replace('"ok"', '"reloaded"'))
        deadline = time.monotonic() + 30
        while requests.get(url, timeout=60).json() != {"init": "reloaded"}:
            assert time.monotonic() < deadline, stack.output()
            time.sleep(0.2)

        assert "code changed: new environments for" in stack.output()
