"""A small run of the load test in the default suite: no 5xx, every trace whole and its own.

``make load-test`` is the full run (5,000 requests at concurrency 16, docs/load-test.md);
this one is 200 at concurrency 8 on a stack of its own. No timing is asserted.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loadtest.run import run_against
from tests.support.stacks import Stack, start_stack

REQUESTS = 200
CONCURRENCY = 8


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from start_stack(tmp_path_factory.mktemp("load"), "--max-environments", "4")


def test_a_bounded_load_gives_no_5xx_and_every_trace_complete(stack: Stack) -> None:
    figures = run_against(
        f"{stack.api}/think/", stack.apm, REQUESTS, CONCURRENCY, seed=6, settle_s=60
    )

    assert figures.requests == REQUESTS
    assert figures.statuses == {"200": REQUESTS}
    assert figures.server_errors == 0
    assert figures.integrity == {"complete": REQUESTS, "incomplete": 0, "lost": 0, "merged": 0}
    assert figures.problems == ()
