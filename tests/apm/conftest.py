"""Fixtures: the captured seed trace, stores, and a running agent + APM fed by the real functions."""

from __future__ import annotations

import copy
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import functions  # noqa: E402
from servers import serve  # noqa: E402

from thinker_local.agent import create_agent_app  # noqa: E402
from thinker_local.apm import create_apm_app  # noqa: E402
from thinker_local.store import TraceStore  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "seed_trace.json"
SEED_QUERY = "subject=technology&subject=foo_bar"

Chunks = list[list[dict[str, Any]]]


@pytest.fixture(scope="session")
def seed_chunks() -> Chunks:
    """What ddtrace sent for the seed request (captured by capture.py, ids normalised)."""
    chunks: Chunks = json.loads(FIXTURE.read_text())
    return chunks


def trace_copy(
    chunks: Chunks,
    number: int,
    *,
    start_ns: int,
    mutate: Callable[[dict[str, Any]], None] | None = None,
) -> Chunks:
    """The seed trace as a new trace: its own ids (from ``number``), moved to ``start_ns``."""
    result = copy.deepcopy(chunks)
    first = min(span["start"] for chunk in result for span in chunk)
    for chunk in result:
        for span in chunk:
            span["trace_id"] += number
            span["span_id"] += number * 100_000
            if span["parent_id"]:
                span["parent_id"] += number * 100_000
            span["start"] += start_ns - first
            if mutate is not None:
                mutate(span)
    return result


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TraceStore]:
    with TraceStore(tmp_path / "traces.sqlite3") as opened:
        yield opened


@pytest.fixture
def seeded_store(store: TraceStore, seed_chunks: Chunks) -> TraceStore:
    """A store holding the seed trace, as if it had just happened."""
    store.add_chunks(trace_copy(seed_chunks, 0, start_ns=time.time_ns() - 5_000_000_000))
    return store


@dataclass
class Stack:
    """The agent and the APM on loopback ports over one SQLite file, and the two functions."""

    agent_url: str
    apm_url: str
    store: TraceStore
    microservice_url: str

    def request(self, query: str = SEED_QUERY) -> tuple[dict[str, Any], str]:
        """Call thinker-api once; its response and the id of the trace it made."""
        before = set(t["trace_id"] for t in self.store.traces(limit=500))
        (response,) = functions.call_api(self.agent_url, self.microservice_url, [query])
        deadline = time.monotonic() + 20
        while True:
            new = [t for t in self.store.traces(limit=500) if t["trace_id"] not in before]
            # Each function flushes on its own schedule: wait for both functions' spans.
            if new and _has_both_functions(self.store, new[0]["trace_id"]):
                return response, new[0]["trace_id"]
            assert time.monotonic() < deadline, "the request's trace never reached the store"
            time.sleep(0.05)


def _has_both_functions(store: TraceStore, trace_id: str) -> bool:
    handlers = {s.service for s in store.trace(trace_id) if s.name == "aws.lambda"}
    return handlers == {"thinker-api", "thinker-microservice"}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A running agent and APM (separate connections to one file, as in two processes)."""
    path = tmp_path_factory.mktemp("stack") / "traces.sqlite3"
    with (
        TraceStore(path) as agent_store,
        TraceStore(path) as apm_store,
        serve(create_agent_app(agent_store)) as agent_url,
        serve(create_apm_app(apm_store)) as apm_url,
        functions.dynamodb() as dynamodb,
        functions.microservice(agent_url, dynamodb) as microservice_url,
    ):
        yield Stack(agent_url, apm_url, apm_store, microservice_url)


@pytest.fixture(scope="session")
def seed_trace(stack: Stack) -> tuple[dict[str, Any], str]:
    """The seed request, made once through the real functions: response and trace id."""
    return stack.request()
