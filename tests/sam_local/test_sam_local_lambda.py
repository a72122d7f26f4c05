"""SAM's other two commands with `make sam-local`'s services: boto3's ``invoke`` through the
``sam local start-lambda`` the command starts beside start-api, and ``sam local invoke`` run as
the banner prints it. Both run thinker-api on the sample event of events/, which calls the
microservice through start-api: each answers the quick-start's JSON, and its trace, read back
from the same APM, holds both functions as the seed request's does. The project's own
``invoke`` says to use SAM's on a ``make sam-local``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import subprocess
import sys

import pytest

from tests.support.expected import SEED_RESPONSE
from tests.support.seed_trace import assert_seed_trace, entering_trace_ids, the_new_trace
from thinker_local.harness.stack import REPO, StackProcess
from thinker_local.lambda_service.client import lambda_client

pytestmark = pytest.mark.sam_local

FUNCTION = "ThinkerApiFunction"
EVENT = "events/think.json"


def assert_seed_answer(result: dict[str, object]) -> None:
    """thinker-api's API Gateway proxy answer to the sample event: the quick-start's JSON."""
    assert result["statusCode"] == 200, result
    assert isinstance(result["body"], str)
    assert json.loads(result["body"]) == SEED_RESPONSE


def test_boto3_invoke_through_sam_local_start_lambda(sam_stack: StackProcess) -> None:
    info = sam_stack.info
    assert info.lambda_api is not None
    assert info.apm is not None
    assert info.lambda_api in sam_stack.output()
    known = entering_trace_ids(info.apm)
    mark = sam_stack.mark()
    # The developer's keys, which the run wrote to its state directory (SAM checks none).
    client = lambda_client(info.lambda_api, sam_stack.state_dir)

    answer = client.invoke(FunctionName=FUNCTION, Payload=(REPO / EVENT).read_bytes())

    assert answer["StatusCode"] == 200
    assert "FunctionError" not in answer, answer
    assert_seed_answer(json.loads(answer["Payload"].read()))
    assert_seed_trace(the_new_trace(info.apm, known))
    # Its container's lines were followed, under the function's logical id, as start-api's are.
    assert FUNCTION in {report.function for report in sam_stack.reports_since(mark)}


def test_sam_local_invoke_as_the_banner_prints_it(sam_stack: StackProcess) -> None:
    apm = sam_stack.info.apm
    assert apm is not None
    (line,) = [
        line.split("| ", 1)[1].strip()
        for line in sam_stack.output().splitlines()
        if " local invoke " in line
    ]
    words = shlex.split(line)
    # The shell's VAR=value words before the command.
    assignments = list(itertools.takewhile(re.compile(r"[A-Z_]+=").match, words))
    env = dict(word.split("=", 1) for word in assignments)
    assert set(env) == {"AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE"}
    command = words[len(assignments) :]
    assert command[1:3] == ["local", "invoke"]
    assert command[-3:] == [FUNCTION, "-e", EVENT]
    known = entering_trace_ids(apm)

    completed = subprocess.run(
        command,
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert_seed_answer(json.loads(completed.stdout.strip().splitlines()[-1]))
    assert "REPORT RequestId: " in completed.stderr
    assert_seed_trace(the_new_trace(apm, known))


def test_thinker_local_invoke_points_to_sam_local_invoke(sam_stack: StackProcess) -> None:
    """``python -m thinker_local invoke`` would go through start-lambda, which refuses its
    ``LogType=Tail``: it says what to run instead."""
    completed = subprocess.run(
        [sys.executable, "-m", "thinker_local", "invoke", FUNCTION, "-e", EVENT,
         "--state-dir", str(sam_stack.state_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert completed.returncode == 2
    assert "`make sam-local` runs on" in completed.stderr
    assert "`sam local invoke`" in completed.stderr
    assert completed.stdout == ""
