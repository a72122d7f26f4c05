"""A build step as a child process whose output is the build's progress, line by line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..output import Output
from .cache import BuildError

# How many of a failed step's last lines the error repeats.
_TAIL = 30


def build_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The stack's environment, with this interpreter's directory first on PATH.

    `sam build` looks for ``python3.12`` (and a Makefile's ``python3``) on PATH; the project's
    virtualenv has one, with pip.
    """
    bin_dir = str(Path(sys.executable).parent)
    path = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "SAM_CLI_TELEMETRY": "0", **(extra or {})}


def run_step(
    command: Sequence[str],
    *,
    label: str,
    output: Output,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> None:
    """Run ``command``, showing each line it prints under ``label``; BuildError if it fails."""
    tail: deque[str] = deque(maxlen=_TAIL)
    with subprocess.Popen(  # noqa: S603 (our interpreter and tools, our arguments)
        list(command),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(env) if env is not None else build_environment(),
        cwd=cwd,
    ) as process:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                tail.append(line)
                output.line(label, line)
        code = process.wait()
    if code != 0:
        lines = "\n".join(tail)
        raise BuildError(f"{label}: {command[0]} … exited with {code}:\n{lines}")
