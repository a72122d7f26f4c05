"""The trace store: durable, 128-bit ids, and statistics computed right on known data."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.seed_chunks import Chunks, trace_copy
from thinker_local.store import TraceStore
from thinker_local.store.query import parse

MS = 1_000_000


def _lambda_duration(duration_ns: int, *, error: bool = False) -> Any:
    def mutate(span: dict[str, Any]) -> None:
        if span["service"] == "thinker-api" and span["name"] == "aws.lambda":
            span["duration"] = duration_ns
            span["error"] = int(error)

    return mutate


def test_service_and_resource_stats_on_known_durations(store: TraceStore, seed: Chunks) -> None:
    now = time.time_ns()
    for k in range(1, 11):  # thinker-api's handler takes 10, 20, ... 100 ms; two fail
        store.add_chunks(
            trace_copy(
                seed,
                k,
                start_ns=now - (20 - k) * 1_000_000_000,
                mutate=_lambda_duration(k * 10 * MS, error=k in (3, 7)),
            )
        )
    services = {s["service"]: s for s in store.services(3600)}
    api = services["thinker-api"]
    assert (api["requests"], api["errors"]) == (10, 2)
    assert api["error_rate"] == pytest.approx(0.2)
    assert api["p50"] == pytest.approx(55 * MS)
    assert api["p95"] == pytest.approx(95.5 * MS)
    assert api["p99"] == pytest.approx(99.1 * MS)

    (handler,) = [r for r in store.resources("thinker-api", 3600) if r["name"] == "aws.lambda"]
    assert handler["resource"] == "thinker-api"
    assert handler["requests"] == 10
    assert handler["total_time"] == sum(k * 10 * MS for k in range(1, 11))
    assert handler["p99"] == pytest.approx(99.1 * MS)


def test_services_include_the_inferred_ones_with_readable_names(
    seeded_store: TraceStore,
) -> None:
    services = {s["service"]: s for s in seeded_store.services(3600)}
    assert services["thinker-api"]["kind"] == "Lambda"
    assert services["thinker-microservice"]["kind"] == "Lambda"
    assert services["thinker-api-gateway"]["kind"] == "API Gateway"
    assert services["thinker-microservice-gateway"]["kind"] == "API Gateway"
    dynamodb = services["dynamodb.us-east-1.amazonaws.com"]
    assert dynamodb["inferred"] is True
    assert (dynamodb["kind"], dynamodb["label"]) == ("DynamoDB", "DynamoDB (us-east-1)")
    assert dynamodb["requests"] == 2  # one GetItem per subject
    assert not services["thinker-api"]["inferred"]
    assert all(s["requests"] == 1 for n, s in services.items() if n.startswith("thinker"))


def test_window_leaves_out_older_spans(store: TraceStore, seed: Chunks) -> None:
    now = time.time_ns()
    store.add_chunks(trace_copy(seed, 1, start_ns=now - 7200 * 10**9))
    store.add_chunks(trace_copy(seed, 2, start_ns=now - 60 * 10**9))
    requests = {s["service"]: s["requests"] for s in store.services(3600)}
    assert requests["thinker-api"] == 1
    assert {s["service"]: s["requests"] for s in store.services(86400)}["thinker-api"] == 2


def test_trace_ids_keep_all_128_bits_and_decimal_low_bits_find_them(
    seeded_store: TraceStore, seed: Chunks
) -> None:
    (summary,) = seeded_store.traces()
    # ddtrace sent the low 64 bits as trace_id and the high 64 in _dd.p.tid.
    assert summary["trace_id"] == "6924a0c000000000" + "1111222233334444"
    spans = seeded_store.trace(summary["trace_id"])
    assert len(spans) == sum(map(len, seed))
    assert seeded_store.find_trace(str(0x1111_2222_3333_4444)) == summary["trace_id"]
    assert seeded_store.find_trace("6924A0C0000000001111222233334444") == summary["trace_id"]
    assert seeded_store.find_trace("123") is None


def test_traces_survive_a_restart(tmp_path: Path, seed: Chunks) -> None:
    path = tmp_path / "traces.sqlite3"
    with TraceStore(path) as first:
        first.add_chunks(trace_copy(seed, 0, start_ns=time.time_ns()))
        before = first.trace(first.latest_trace_id() or "")
    with TraceStore(path) as reopened:
        assert reopened.trace(reopened.latest_trace_id() or "") == before
        assert reopened.services(3600)


def test_a_payload_sent_twice_is_stored_once(store: TraceStore, seed: Chunks) -> None:
    chunks = trace_copy(seed, 0, start_ns=time.time_ns())
    store.add_chunks(chunks)
    store.add_chunks(chunks)
    assert store.span_count() == sum(map(len, seed))


def test_trace_list_filters_by_error_and_by_tag(store: TraceStore, seed: Chunks) -> None:
    now = time.time_ns()
    store.add_chunks(trace_copy(seed, 1, start_ns=now - 3 * 10**9))

    def technology_only(span: dict[str, Any]) -> None:
        if span["name"] == "think" and span["meta"]["subject"] == "foo_bar":
            span["error"] = 0
            span["meta"]["subject"] = "technology"

    store.add_chunks(trace_copy(seed, 2, start_ns=now - 2 * 10**9, mutate=technology_only))
    newest, oldest = store.traces()
    assert newest["start"] > oldest["start"]
    assert [t["trace_id"] for t in store.traces(error=True)] == [oldest["trace_id"]]
    assert [t["trace_id"] for t in store.traces(error=False)] == [newest["trace_id"]]
    foo_bar = store.traces(tag=("subject", "foo_bar"))
    assert [t["trace_id"] for t in foo_bar] == [oldest["trace_id"]]
    assert store.traces(tag=("subject", "nothing")) == []


def test_trace_list_for_a_resource_describes_its_span(seeded_store: TraceStore) -> None:
    (entry,) = seeded_store.traces(service="thinker-api", resource="thinker-api")
    (span,) = [
        s
        for s in seeded_store.trace(entry["trace_id"])
        if (s.service, s.name) == ("thinker-api", "aws.lambda")
    ]
    assert (entry["name"], entry["start"], entry["duration"]) == (
        "aws.lambda",
        span.start,
        span.duration,
    )
    assert entry["status"] == "200"
    assert entry["error"] is True  # the trace holds the foo_bar error
    assert entry["span_error"] is False


def test_timeseries_counts_requests_and_errors_per_bucket(store: TraceStore, seed: Chunks) -> None:
    now = time.time()
    for k in range(6):  # one request every 10 minutes, the last three failing
        start = int((now - 3600 + 300 + k * 600) * 1e9)
        store.add_chunks(
            trace_copy(seed, k, start_ns=start, mutate=_lambda_duration(10 * MS, error=k >= 3))
        )
    series = store.timeseries(3600, service="thinker-api", buckets=6, now=now)
    assert series["interval"] == 600
    assert [p["requests"] for p in series["points"]] == [1] * 6
    assert [p["errors"] for p in series["points"]] == [0, 0, 0, 1, 1, 1]
    assert all(p["p50"] == 10 * MS for p in series["points"])


def test_a_stack_trace_is_stored_compressed_and_read_back_whole(
    store: TraceStore, seed: Chunks
) -> None:
    store.add_chunks(trace_copy(seed, 0, start_ns=time.time_ns() - 60 * 10**9))
    sent = next(s for chunk in seed for s in chunk if "error.stack" in s["meta"])
    stack = sent["meta"]["error.stack"]
    [stored] = store._db.query("SELECT meta, stack FROM spans WHERE stack IS NOT NULL")
    assert "error.stack" not in stored["meta"]
    assert len(stored["stack"]) < len(stack) / 2

    trace_id = store.latest_trace_id() or ""
    [read] = [span for span in store.trace(trace_id) if span.error]
    assert read.meta == {key: str(value) for key, value in sent["meta"].items()}
    assert list(read.meta) == sorted(read.meta)
    # Searched, and shown by Error Tracking, as sent.
    assert store.traces(query=parse("@error.stack:*to_thread*"))
    assert not store.traces(query=parse("@error.stack:*no-such-frame*"))
    [issue] = store.issues.issues(3600)
    assert (store.issues.issue(issue["id"], 3600) or {})["stack"] == stack


def test_a_traces_summary_adds_up_its_spans_whatever_the_payloads(
    store: TraceStore, seed: Chunks
) -> None:
    chunks = trace_copy(seed, 0, start_ns=time.time_ns() - 60 * 10**9)
    # Each function's spans on their own, the last chunk first, then one sent again.
    for chunk in [*reversed(chunks), chunks[1]]:
        store.add_chunks([chunk])
    [summary] = store._db.query("SELECT * FROM traces")
    spans = [span for chunk in chunks for span in chunk]
    assert summary["span_count"] == len(spans)
    assert summary["errors"] == sum(bool(span["error"]) for span in spans)
    assert summary["start"] == min(span["start"] for span in spans)
    assert summary["finish"] == max(span["start"] + span["duration"] for span in spans)


def test_any_text_in_a_meta_is_read_back_and_searched_as_sent(
    store: TraceStore, seed: Chunks
) -> None:
    value = "café ☕ 思考"

    def carrying(span: dict[str, Any]) -> None:
        if "subject" in span["meta"]:
            span["meta"]["subject"] = value

    store.add_chunks(trace_copy(seed, 0, start_ns=time.time_ns(), mutate=carrying))
    trace_id = store.latest_trace_id() or ""
    read = [span.meta["subject"] for span in store.trace(trace_id) if "subject" in span.meta]
    assert read
    assert set(read) == {value}
    assert [t["trace_id"] for t in store.traces(query=parse(f'@subject:"{value}"'))] == [trace_id]
