"""The local stack as a user runs it, through the harness (:mod:`thinker_local.harness.stack`).

Stacks here run without the quick-start's delays, which would only slow the tests down.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from thinker_local.harness import stack as harness
from thinker_local.harness.ports import free_port
from thinker_local.harness.stack import StackProcess, up_command

FAULTS_TEMPLATE = Path(__file__).parent / "faults" / "template.yaml"
NO_DELAYS = {"THINKER_SUBJECT_DELAY": "0", "THINKER_THINK_DELAY": "0"}

__all__ = ["FAULTS_TEMPLATE", "StackProcess", "running_stack", "up_command"]


@contextlib.contextmanager
def running_stack(
    args: Sequence[str], log_path: Path, env: dict[str, str] | None = None
) -> Iterator[StackProcess]:
    """:func:`thinker_local.harness.stack.running_stack`, without the quick-start's delays."""
    with harness.running_stack(args, log_path, {**NO_DELAYS, **(env or {})}) as stack:
        yield stack


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
