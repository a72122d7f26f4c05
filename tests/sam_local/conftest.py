"""`make sam-local` (``python -m thinker_local sam``) as a user runs it, in Docker.

These tests need a Docker engine (started here as root when it is installed and none runs, and
stopped at the end), and the base image: AWS's if it is here, else the stand-in the command
builds (debootstrap). ``make test`` obtains both first (scripts/test-prerequisites).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from thinker_local.harness.stack import StackProcess, local_sam_stack
from thinker_local.sam.engine import bridge_address, docker_engine

# The quick-start's delays only slow the tests down; the answers are the same.
NO_DELAYS = {"SubjectDelaySeconds": "0", "ThinkDelaySeconds": "0"}


@pytest.fixture(scope="session")
def docker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running Docker engine; yields the host's address on its bridge."""
    with docker_engine(tmp_path_factory.mktemp("docker") / "dockerd.log"):
        yield bridge_address()


@pytest.fixture(scope="module")
def sam_stack(docker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """One `make sam-local` for the module, on free ports."""
    with local_sam_stack(tmp_path_factory.mktemp("sam"), NO_DELAYS) as stack:
        yield stack
