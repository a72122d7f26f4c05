"""REPORT lines into the store, tied to their traces; the calls the service map is drawn from."""

from __future__ import annotations

import io
import time

import pytest

from tests.support.processes import REPO
from tests.support.report_lines import API, report, with_request_ids
from tests.support.seed_chunks import Chunks, trace_copy
from thinker_local.agent.report_recorder import ReportRecorder
from thinker_local.apm.serverless import overview
from thinker_local.output import Output, printed
from thinker_local.run.services import function_infos
from thinker_local.store import TraceStore
from thinker_local.template import LocalSettings, load_template
from thinker_local.waiting import until


def test_the_stack_output_feeds_reports_with_the_function_that_wrote_them(
    store: TraceStore,
) -> None:
    output = Output(stream=io.StringIO())
    recorder = ReportRecorder(store, [API])
    output.subscribe(recorder.listener)
    output.line("ThinkerApiFunction", "START RequestId: r1 Version: $LATEST", request_id="r1")
    output.line("ThinkerApiFunction", report("r1", extra="\tInit Duration: 600.00 ms"))
    output.line("ThinkerApiFunction", "[INFO] an ordinary line", request_id="r2")
    output.line("ThinkerApiFunction", report("r2", extra="\tStatus: timeout"), request_id="r2")
    # Written by the recorder's thread, both in one transaction, or at its close at the latest.
    recorder.close()
    found = store.invocations.window(0)
    assert [(i.request_id, i.function, i.cold, i.status) for i in found] == [
        ("r2", "ThinkerApiFunction", False, "timeout"),
        ("r1", "ThinkerApiFunction", True, "success"),
    ]
    assert store.invocations.functions() == [API]


def test_queued_reports_are_written_by_the_recorders_own_thread(
    store: TraceStore,
) -> None:
    recorder = ReportRecorder(store, [API])
    try:
        for number in range(3):
            recorder.listener(printed(report(f"q{number}"), source="ThinkerApiFunction"))
        # Written within the recorder's flush interval, with no flush or close asked for.
        written = until(lambda: len(store.invocations.window(0)) == 3, timeout=10)
        assert written, "the recorder's thread did not write the queued REPORT lines"
        assert {i.request_id for i in store.invocations.window(0)} == {"q0", "q1", "q2"}
    finally:
        recorder.close()


def test_an_invocation_is_tied_to_its_trace_by_the_request_id_of_its_handler_span(
    store: TraceStore, seed: Chunks
) -> None:
    recorder = ReportRecorder(store, [API])
    now = time.time()
    ids = {"thinker-api": "req-api", "thinker-microservice": "req-ms"}
    chunks = trace_copy(
        seed, 1, start_ns=int((now - 2) * 1e9), mutate=with_request_ids(ids, "thinker-api")
    )
    store.add_chunks(chunks)
    recorder.record(printed(report("req-api"), source="ThinkerApiFunction", at=now))
    # As from sam local: no function named; the span names it (its functionname tag).
    assert recorder.record(printed(report("req-ms"), at=now))
    assert not recorder.record(printed("END RequestId: req-ms"))
    found = {i.request_id: i for i in store.invocations.window(0)}
    trace_id = store.traces(limit=1)[0]["trace_id"]
    assert found["req-api"].trace_id == trace_id
    assert found["req-api"].failed  # its handler's span is an error; its REPORT says nothing
    assert found["req-ms"].function == "thinker-microservice"
    assert not found["req-ms"].failed
    # An invocation starts Duration before its REPORT.
    assert found["req-api"].start == pytest.approx((now - 0.0125) * 1e9, abs=1e3)


def test_a_failed_init_is_stored_under_the_request_it_failed() -> None:
    with TraceStore(":memory:") as store:
        recorder = ReportRecorder(store, [API])
        recorder.record(
            printed(
                "INIT_REPORT Init Duration: 250.00 ms\tPhase: init\tStatus: error",
                source="ThinkerApiFunction",
                request_id="r9",
            )
        )
        (failed,) = store.invocations.window(0)
        assert (failed.request_id, failed.status, failed.cold, failed.billed_ms) == (
            "r9",
            "error",
            True,
            250,
        )
        # The Memory Size the INIT_REPORT lacks is the function's.
        assert failed.memory_size_mb == 512


def test_the_overview_lists_template_functions_even_without_invocations(
    store: TraceStore,
) -> None:
    recorder = ReportRecorder(store, [API])
    recorder.record(printed(report("x1"), source="SomeOtherFunction"))
    names = [row["name"] for row in overview(store, 3600)["functions"]]
    # A reporting function missing from the template still gets its row.
    assert names == ["ThinkerApiFunction", "unknown"]


def test_the_templates_functions_carry_memory_architecture_and_their_api() -> None:
    template = load_template(REPO / "template.yaml", LocalSettings())
    functions = {f.logical_id: f for f in function_infos(template)}
    api = functions["ThinkerApiFunction"]
    assert (api.memory_mb, api.timeout_s, api.architecture, api.api) == (
        512,
        15.0,
        "x86_64",
        "REST",
    )
    assert api.service == "thinker-api"
    assert functions["SeedThoughtsFunction"].api is None


def test_calls_cross_services_and_reach_inferred_ones(seeded_store: TraceStore) -> None:
    edges = {(c.caller, c.callee) for c in seeded_store.calls(3600)}
    assert edges == {
        ("thinker-api-gateway", "thinker-api"),
        ("thinker-api", "thinker-microservice-gateway"),
        ("thinker-microservice-gateway", "thinker-microservice"),
        ("thinker-microservice", "dynamodb.us-east-1.amazonaws.com"),
    }
    (dynamodb,) = [c for c in seeded_store.calls(3600) if c.callee.startswith("dynamodb")]
    assert dynamodb.count == 2


def test_traces_can_be_listed_by_the_call_they_hold(store: TraceStore, seed: Chunks) -> None:
    now = time.time_ns()
    store.add_chunks(trace_copy(seed, 1, start_ns=now - 3_000_000_000))
    no_reads = trace_copy(seed, 2, start_ns=now - 2_000_000_000)
    # The second trace without its DynamoDB calls.
    store.add_chunks([[s for s in chunk if s["name"] != "dynamodb.command"] for chunk in no_reads])
    assert len(store.traces(call=("thinker-api", "thinker-microservice-gateway"))) == 2
    through = store.traces(call=("thinker-microservice", "dynamodb.us-east-1.amazonaws.com"))
    assert len(through) == 1
    assert store.traces(call=("thinker-microservice", "thinker-api")) == []
