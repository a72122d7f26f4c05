"""Facets beside the trace list: the values of service, resource, status, env and the common
tags among the spans a search matches in the window, with their counts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.seed_chunks import Chunks, technology_only, trace_copy
from thinker_local.apm import create_apm_app
from thinker_local.harness.servers import serve
from thinker_local.store import TraceStore
from thinker_local.store.query import parse


@pytest.fixture(scope="module")
def faceted(tmp_path_factory: pytest.TempPathFactory, seed: Chunks) -> Iterator[TraceStore]:
    """The seed trace (a cold start each time) twice, and one asking for technology only."""
    with TraceStore(tmp_path_factory.mktemp("facets") / "traces.sqlite3") as store:
        now = time.time_ns()
        for number, mutate in enumerate([None, technology_only, None]):
            start = now - (3 - number) * 10_000_000_000
            store.add_chunks(trace_copy(seed, number, start_ns=start, mutate=mutate))
        yield store


def values(found: dict[str, Any], key: str) -> dict[str, int]:
    (facet,) = [f for f in found["facets"] if f["key"] == key]
    return {v["value"]: v["count"] for v in facet["values"]}


def test_each_facet_counts_the_matching_spans_of_the_window(faceted: TraceStore) -> None:
    found = faceted.facets(3600)
    # Twelve spans per trace, the cold start's import spans left out.
    assert found["spans"] == 36
    assert found["complete"] is True
    assert values(found, "service")["thinker-microservice"] == 18
    assert values(found, "status") == {"ok": 34, "error": 2}
    assert values(found, "env") == {"dev": 36}
    assert values(found, "resource")["think"] == 6
    # The tag the function's own code set comes first among the tags.
    tags = [f["key"] for f in found["facets"][4:]]
    assert tags[0] == "subject"
    assert values(found, "subject") == {"technology": 4, "foo_bar": 2}
    assert not {"runtime-id", "_dd.p.tid", "error.message"} & set(tags)


def test_facets_follow_the_query_and_the_window(faceted: TraceStore) -> None:
    failed = faceted.facets(3600, query=parse("status:error"))
    assert failed["spans"] == 2
    assert values(failed, "service") == {"thinker-microservice": 2}
    assert values(failed, "subject") == {"foo_bar": 2}
    either = faceted.facets(3600, query=parse("@subject:technology OR foo_bar"))
    assert values(either, "subject") == {"technology": 4, "foo_bar": 2}
    # Fifteen seconds back: the newest trace only.
    assert faceted.facets(15)["spans"] == 12


def test_the_api_answers_facets_and_refuses_a_malformed_query(faceted: TraceStore) -> None:
    with serve(create_apm_app(faceted)) as apm:
        answer = requests.get(
            f"{apm}/api/facets", params={"query": "status:error", "window": "1h"}, timeout=10
        )
        broken = requests.get(f"{apm}/api/facets", params={"query": "(status:error"}, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["window"] == 3600.0
    assert values(answer.json(), "status") == {"error": 2}
    assert broken.status_code == 400
    assert broken.json() == {"error": "this '(' is never closed", "position": 0}
