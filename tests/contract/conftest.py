"""One local stack (free ports, delays 0) for the contract tests of ``GET /think/``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.stacks import Stack, start_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from start_stack(tmp_path_factory.mktemp("contract"))
