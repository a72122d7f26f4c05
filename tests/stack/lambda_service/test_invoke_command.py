"""``python -m thinker_local invoke``: through a running stack, and in a stack of its own."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.lambda_stack import TEMPLATE
from thinker_local.harness.stack import REPO, StackProcess, local_stack
from thinker_local.run.lifecycle import INFO_FILE, LOCK_FILE

NO_DELAYS = {"THINKER_SUBJECT_DELAY": "0", "THINKER_THINK_DELAY": "0"}
# The function each sample event of events/ is for.
SAMPLES = {"think.json": "ThinkerApiFunction", "microservice.json": "MicroserviceFunction"}


def _invoke(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thinker_local", "invoke", *args],
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """The project's template, as ``make up`` runs it."""
    with local_stack(tmp_path_factory.mktemp("invoke"), env=NO_DELAYS) as running:
        yield running


def test_every_sample_event_is_for_a_function_of_the_template() -> None:
    assert {path.name for path in (REPO / "events").glob("*.json")} == set(SAMPLES)


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_invoke_runs_each_sample_event_through_the_running_stack(
    stack: StackProcess, sample: str
) -> None:
    completed = _invoke(
        SAMPLES[sample], "-e", f"events/{sample}", "--state-dir", str(stack.state_dir)
    )

    assert completed.returncode == 0, completed.stderr
    answer = json.loads(completed.stdout)
    assert answer["statusCode"] == 200
    assert "START RequestId: " in completed.stderr
    assert "REPORT RequestId: " in completed.stderr
    # The invocation ran in the stack's environments: its lines are in the stack's output.
    request_id = completed.stderr.split("START RequestId: ", 1)[1].split()[0]
    assert f"REPORT RequestId: {request_id}" in stack.output()


@pytest.mark.parametrize("function", sorted(SAMPLES.values()))
def test_invoke_takes_sam_local_generate_events_output_as_given(
    stack: StackProcess, function: str
) -> None:
    generated = subprocess.run(
        [
            str(Path(sys.executable).parent / "sam"),
            "local",
            "generate-event",
            "apigateway",
            "aws-proxy",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    completed = _invoke(
        function, "-e", "-", "--state-dir", str(stack.state_dir), stdin=generated.stdout
    )

    assert completed.returncode == 0, completed.stderr
    # The function answered the generated POST /path/to/resource with a proxy response.
    assert isinstance(json.loads(completed.stdout)["statusCode"], int)


def test_a_function_only_the_seed_used_can_still_be_invoked(stack: StackProcess) -> None:
    # A Delete for the seed's custom resource, whose response URL nothing listens on.
    event = {
        "RequestType": "Delete",
        "ResponseURL": "http://127.0.0.1:9/response",
        "StackId": "stack",
        "RequestId": "request",
        "LogicalResourceId": "ThoughtsSeed",
        "ResourceProperties": {},
    }

    completed = _invoke(
        "SeedThoughtsFunction", "-e", "-", "--state-dir", str(stack.state_dir),
        stdin=json.dumps(event),
    )  # fmt: skip

    assert completed.returncode == 1
    assert json.loads(completed.stdout)["errorType"] == "URLError"
    assert "REPORT RequestId: " in completed.stderr


def test_invoke_refuses_env_vars_while_a_stack_runs(stack: StackProcess, tmp_path: Path) -> None:
    env_vars = tmp_path / "env.json"
    env_vars.write_text('{"Parameters": {"THINKER_THINK_DELAY": "1"}}')

    completed = _invoke(
        "MicroserviceFunction",
        "--state-dir", str(stack.state_dir),
        "--env-vars", str(env_vars),
    )  # fmt: skip

    assert completed.returncode == 2
    assert "--env-vars" in completed.stderr


def test_without_a_stack_invoke_runs_its_own_and_stops_it(tmp_path: Path) -> None:
    state = tmp_path / "state"
    succeeded = _invoke("CalleeFunction", "--template", str(TEMPLATE), "--state-dir", str(state))
    failed = _invoke(
        "CalleeFunction",
        "--template", str(TEMPLATE),
        "--state-dir", str(state),
        "-e", "-",
        stdin='{"marker": "from-stdin", "fail": true}',
    )  # fmt: skip

    assert succeeded.returncode == 0, succeeded.stderr
    assert json.loads(succeeded.stdout)["event"] == {}
    assert failed.returncode == 1
    error = json.loads(failed.stdout)
    assert error["errorType"] == "RuntimeError"
    assert error["errorMessage"] == "told to fail: from-stdin"
    assert "callee got from-stdin" in failed.stderr
    assert "REPORT RequestId: " in failed.stderr
    # Stopped: no up.json left, the lock free, the trace store kept for the next stack.
    assert not (state / INFO_FILE).exists()
    with (state / LOCK_FILE).open() as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert (state / "traces.sqlite3").stat().st_size > 0
