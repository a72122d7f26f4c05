"""Trace search through the store and the JSON API: the quick-start's query finds the seed trace
and not a trace that only asked for ``technology``; a malformed query is a 400 saying where."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.seed_chunks import Chunks, technology_only, trace_copy
from thinker_local.apm import create_apm_app
from thinker_local.harness.servers import serve
from thinker_local.store import TraceStore, trace_store
from thinker_local.store.query import Term, parse

QUICK_START = "service:thinker-microservice @subject:foo_bar status:error"


@pytest.fixture(scope="module")
def two_traces(
    tmp_path_factory: pytest.TempPathFactory, seed: Chunks
) -> Iterator[tuple[TraceStore, str, str]]:
    """A store with the seed trace and a technology-only one: (store, seed id, other id)."""
    with TraceStore(tmp_path_factory.mktemp("search") / "traces.sqlite3") as store:
        now = time.time_ns()
        store.add_chunks(trace_copy(seed, 0, start_ns=now - 2_000_000_000))
        failed = store.latest_trace_id()
        store.add_chunks(trace_copy(seed, 1, start_ns=now - 1_000_000_000, mutate=technology_only))
        fine = store.latest_trace_id()
        assert failed
        assert fine not in (None, failed)
        yield store, failed, fine


@pytest.fixture(scope="module")
def apm(two_traces: tuple[TraceStore, str, str]) -> Iterator[str]:
    with serve(create_apm_app(two_traces[0])) as url:
        yield url


def found(store: TraceStore, query: str, **filters: Any) -> list[str]:
    return [t["trace_id"] for t in store.traces(query=parse(query), **filters)]


def test_the_quick_start_query_finds_the_failed_trace_only(
    two_traces: tuple[TraceStore, str, str],
) -> None:
    store, failed, fine = two_traces
    assert found(store, QUICK_START) == [failed]
    assert found(store, "@subject:technology") == [fine, failed]
    assert found(store, "operation_name:think -@subject:foo_bar status:ok") == [fine, failed]
    assert found(store, "@subject:foo_bar -status:error") == []
    # With the listing's own filters: the entry span of thinker-api, errors only.
    assert found(store, "@subject:foo*", service="thinker-api", error=True) == [failed]
    assert found(store, "@subject:foo*", service="thinker-api", error=False) == []


def test_or_groups_and_free_text_find_the_failed_trace_only(
    two_traces: tuple[TraceStore, str, str],
) -> None:
    store, failed, fine = two_traces
    either = "(service:thinker-api OR service:thinker-microservice) status:error"
    assert found(store, either) == [failed]
    assert found(store, "foo_bar") == [failed]
    assert found(store, "keyerror @subject:foo_bar") == [failed]
    assert found(store, "foo_bar OR @subject:technology") == [fine, failed]
    # Each branch read from the tag index: a trace either branch finds is listed.
    assert found(store, "@subject:foo_bar OR @subject:technology") == [fine, failed]
    assert found(store, "@subject:foo_bar OR (@subject:tech* status:ok)") == [fine, failed]
    # AND binds tighter: the error term belongs with technology, which never failed.
    assert found(store, "@subject:technology status:error OR nothing_like_it") == []


def test_the_api_searches_with_query(two_traces: tuple[TraceStore, str, str], apm: str) -> None:
    _, failed, _ = two_traces
    response = requests.get(f"{apm}/api/traces", params={"query": QUICK_START}, timeout=10)
    assert response.status_code == 200
    assert [t["trace_id"] for t in response.json()["traces"]] == [failed]
    everything = requests.get(f"{apm}/api/traces", params={"query": "  "}, timeout=10).json()
    assert len(everything["traces"]) == 2


def test_a_malformed_query_is_a_400_with_the_error_and_its_position(apm: str) -> None:
    response = requests.get(
        f"{apm}/api/traces", params={"query": "service:thinker-api status:broken"}, timeout=10
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"error": "status is error or ok", "position": 27}


@settings(max_examples=150, deadline=None)
@given(query=st.text(max_size=60))
def test_the_api_never_fails_whatever_the_query(apm: str, query: str) -> None:
    response = requests.get(f"{apm}/api/traces", params={"query": query}, timeout=10)
    assert response.status_code in (200, 400), response.text
    body = response.json()
    assert "traces" in body if response.status_code == 200 else set(body) == {"error", "position"}


def test_a_span_sent_again_is_searched_by_its_new_tags(tmp_path: Path, seed: Chunks) -> None:
    with TraceStore(tmp_path / "traces.sqlite3") as store:
        store.add_chunks(trace_copy(seed, 0, start_ns=time.time_ns()))
        store.add_chunks(trace_copy(seed, 0, start_ns=time.time_ns(), mutate=technology_only))
        assert found(store, "@subject:foo_bar") == []
        assert found(store, "@subject:technology") == [store.latest_trace_id()]


@pytest.mark.parametrize(
    ("index", "query", "count"),
    [
        # Few spans in this store past a duration floor: from the duration index.
        ("FEW_LONG_SPANS", "@duration:>=1ms", 2),
        ("FEW_LONG_SPANS", "operation_name:think @duration:>1ns", 2),
        ("FEW_LONG_SPANS", "status:error @duration:>0ns -@subject:technology", 1),
        ("FEW_LONG_SPANS", "@duration:>1h", 0),
        # Few spans in this store carrying a tag: from the tag index.
        ("FEW_TAGGED_SPANS", "@subject:foo_bar", 1),
        ("FEW_TAGGED_SPANS", "@subject:tech*", 2),
        ("FEW_TAGGED_SPANS", "service:thinker-microservice @subject:foo_bar status:error", 1),
        ("FEW_TAGGED_SPANS", "@subject:foo_bar OR @subject:nothing-like-it", 1),
        ("FEW_TAGGED_SPANS", "env:dev -@subject:foo_bar @subject:*", 2),
        ("FEW_TAGGED_SPANS", "@subject:nothing-like-it", 0),
    ],
)
def test_a_search_finds_the_same_traces_from_an_index_or_the_newest_traces(
    two_traces: tuple[TraceStore, str, str],
    monkeypatch: pytest.MonkeyPatch,
    index: str,
    query: str,
    count: int,
) -> None:
    store = two_traces[0]
    from_index = found(store, query)
    assert len(from_index) == count
    monkeypatch.setattr(trace_store, index, 0)  # never few: trace by trace
    assert found(store, query) == from_index


def test_of_two_tags_the_search_starts_from_the_rarer(
    two_traces: tuple[TraceStore, str, str],
) -> None:
    store, failed, _ = two_traces
    counted: list[str] = []

    def tagged(term: Term) -> int:
        counted.append(term.key)
        return {"env": 1000, "subject": 3}.get(term.key, 0)

    clause, params = parse("env:dev @subject:foo_bar").traces_clause(
        "t.trace_id", tagged=tagged, few=2000
    )
    assert sorted(counted) == ["env", "subject"]
    # The index is read for the subject only: one lookup, then every term on the span.
    assert clause.count("tag_values") == 1
    assert params[:2] == ["subject", "foo_bar"]
    rows = store._db.query(f"SELECT trace_id FROM traces t WHERE {clause}", params)
    assert [row["trace_id"] for row in rows] == [failed]
