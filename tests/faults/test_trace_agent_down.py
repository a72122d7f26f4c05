"""The trace agent down: the functions send their traces to a closed port; the API still answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.support.expected import SEED_RESPONSE
from tests.support.processes import free_port
from tests.support.seed_trace import SEED_PATH
from tests.support.stacks import Stack, start_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    closed = free_port()
    yield from start_stack(
        tmp_path_factory.mktemp("agent-down"), "--trace-agent-url", f"http://127.0.0.1:{closed}"
    )


def test_requests_are_answered_while_no_agent_takes_the_traces(stack: Stack) -> None:
    answers = [requests.get(stack.api + SEED_PATH, timeout=60) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert all(answer.json() == SEED_RESPONSE for answer in answers)
    # The traces really went nowhere: the stack's own agent received none.
    stored = requests.get(f"{stack.apm}/api/traces", timeout=10).json()["traces"]
    assert stored == []
