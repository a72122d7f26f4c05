"""`make sam-local` (``python -m thinker_local sam``) as a user runs it, in Docker.

These tests need a Docker engine (started here as root when it is installed and none runs, and
stopped at the end), and the base image: AWS's if it is here, else the stand-in the command
builds (debootstrap). ``make test`` obtains both first (scripts/test-prerequisites).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests

from tests.support.seed_trace import SEED_PATH
from thinker_local.harness.stack import NO_DELAYS, StackProcess, local_sam_stack
from thinker_local.sam.engine import bridge_address, docker_engine

logger = logging.getLogger(__name__)
# The quick-start's delays only slow the tests down; the answers are the same.


@pytest.fixture(scope="session")
def docker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running Docker engine; yields the host's address on its bridge."""
    with docker_engine(tmp_path_factory.mktemp("docker") / "dockerd.log"):
        yield bridge_address()


@pytest.fixture(scope="session")
def sam_stack(docker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """One `make sam-local` for the tests that share it, on free ports, its functions
    initialised (start-api's: start-lambda makes its containers at their first invocation).

    `sam local`'s emulator initialises a function (its imports: the Datadog library, the app)
    on the first invocation and within it, so the first request pays both functions' inits
    inside thinker-api's 15 s; on a busy machine that can run out (504, "did not answer in
    time"; docs/sam-local.md). One request first, unchecked, so the tests see warm containers.
    """
    with local_sam_stack(tmp_path_factory.mktemp("sam"), NO_DELAYS) as stack:
        first = requests.get(stack.info.api + SEED_PATH, timeout=120)
        logger.info("first request after start: %s in %.1f s", first.status_code,
                    first.elapsed.total_seconds())  # fmt: skip
        yield stack
