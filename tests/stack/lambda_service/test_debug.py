"""``invoke --debug-function F --debug-port N``: the function waits under debugpy for a debugger,
past its timeout, then runs once a client has attached (a minimal Debug Adapter Protocol
client, as VS Code's attach is)."""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError

from tests.support.lambda_stack import TEMPLATE
from thinker_local.harness.ports import free_port
from thinker_local.harness.processes import stop
from thinker_local.harness.stack import REPO, local_stack
from thinker_local.lambda_service.client import lambda_client

# Longer than CalleeFunction's Timeout (10 s) and Lambda's init limit (10 s).
PAST_THE_TIMEOUTS_S = 11.0


def _listening(port: int) -> bool:
    """Whether something listens on the port (tried by binding it: a connection would be a
    debugger's)."""
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))
    except OSError:
        return True
    return False


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the command ended before debugpy listened"
        if _listening(port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"debugpy did not listen on {port} within {timeout} s")


class DapClient:
    """Requests and their answers over one Debug Adapter Protocol connection."""

    def __init__(self, port: int) -> None:
        self._socket = socket.create_connection(("127.0.0.1", port), timeout=60)
        self._reader: IO[bytes] = self._socket.makefile("rb")
        self._seq = itertools.count(1)

    def request(self, command: str, **arguments: Any) -> int:
        seq = next(self._seq)
        body = json.dumps(
            {"seq": seq, "type": "request", "command": command, "arguments": arguments}
        ).encode()
        self._socket.sendall(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        return seq

    def wait_for(self, kind: str, name: str) -> dict[str, Any]:
        """The next message of ``kind`` (event or response) for ``name``."""
        while True:
            length = 0
            while (line := self._reader.readline().strip()) != b"":
                header, _, value = line.partition(b":")
                if header.lower() == b"content-length":
                    length = int(value)
            message: dict[str, Any] = json.loads(self._reader.read(length))
            if message["type"] == kind and name in (message.get("event"), message.get("command")):
                return message

    def close(self) -> None:
        self._reader.close()
        self._socket.close()


def test_the_debugged_function_waits_for_a_debugger_then_runs(tmp_path: Path) -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "thinker_local", "invoke", "CalleeFunction",
        "--template", str(TEMPLATE),
        "--state-dir", str(tmp_path / "state"),
        "--debug-function", "CalleeFunction",
        "--debug-port", str(port),
    ]  # fmt: skip
    invoke = subprocess.Popen(
        command,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "stderr").open("wb"),
        start_new_session=True,
    )
    try:
        _wait_until_listening(port, invoke, timeout=180)
        time.sleep(PAST_THE_TIMEOUTS_S)
        assert invoke.poll() is None, (tmp_path / "stderr").read_text()

        client = DapClient(port)
        try:
            client.request("initialize", adapterID="python", clientID="tests")
            client.request("attach", justMyCode=True)
            client.wait_for("event", "initialized")
            client.request("configurationDone")
            client.wait_for("response", "configurationDone")
            stdout, _ = invoke.communicate(timeout=120)
        finally:
            client.close()
    finally:
        stop(invoke)

    assert invoke.returncode == 0, (tmp_path / "stderr").read_text()
    assert json.loads(stdout)["event"] == {}
    assert "Task timed out" not in (tmp_path / "stderr").read_text()


def test_ctrl_c_stops_up_while_the_debugged_function_waits_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    port = free_port()
    with local_stack(
        tmp_path,
        "--template", str(TEMPLATE),
        "--debug-function", "CalleeFunction",
        "--debug-port", str(port),
    ) as stack:  # fmt: skip
        assert f"CalleeFunction waits for a debugger (debugpy) on 127.0.0.1:{port}" in (
            stack.output()
        )
        assert stack.info.lambda_api is not None
        client = lambda_client(stack.info.lambda_api, tmp_path / "state")

        def invoke() -> None:
            # Its answer is the stop's (ServiceException, or the connection closed).
            with contextlib.suppress(BotoCoreError, ClientError):
                client.invoke(FunctionName="CalleeFunction", Payload=b"{}")

        waiting = threading.Thread(target=invoke, daemon=True)
        waiting.start()
        assert stack.process is not None
        _wait_until_listening(port, stack.process, timeout=60)

        assert stack.interrupt(timeout=30) == 0
        assert stack.leftovers() == set()
    # debugpy's adapter, which leaves the environment's session, is gone too.
    assert not _listening(port)
    assert "ServiceException 500" in stack.output()
