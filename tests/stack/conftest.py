"""Fixtures of the local stack's tests (helpers: :mod:`tests.support.stacks`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stacks import FAULTS_TEMPLATE, running_stack
from thinker_local.harness.ports import free_port
from thinker_local.harness.stack import StackProcess, up_command


@pytest.fixture(scope="module")
def faults_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[StackProcess, str, Path]]:
    """The throwaway functions of faults/template.yaml behind a gateway on a free port.

    Yields the stack, its base URL, and the path of the file that breaks BrokenInitFunction's
    init: it exists from the start (so even the warm environment fails), until a test removes it.
    """
    tmp = tmp_path_factory.mktemp("faults")
    port = free_port()
    flag = tmp / "init-fails"
    flag.touch()
    args = up_command(
        "--template",
        str(FAULTS_TEMPLATE),
        "--state-dir",
        str(tmp / "state"),
        "--port",
        str(port),
        "--dynamodb-port",
        str(free_port()),
        "--lambda-port",
        str(free_port()),
        "--no-apm",
        "--no-reload",
        "--max-environments",
        "4",
        "--parameter-overrides",
        f"InitFailsIfExists={flag}",
    )
    with running_stack(args, tmp / "stack.log") as stack:
        yield stack, f"http://127.0.0.1:{port}", flag
