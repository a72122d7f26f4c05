"""Function log lines: read (level, request, trace and span ids), stored, tied to their traces."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.support.report_lines import API, report, with_request_ids
from tests.support.seed_chunks import Chunks, trace_copy
from thinker_local.agent.log_recorder import LogRecorder
from thinker_local.apm import create_apm_app
from thinker_local.harness.servers import serve
from thinker_local.lambdafn.log_lines import ERROR, INFO, WARNING, LineReader, LogRecord, trace_ids
from thinker_local.output import Output, printed
from thinker_local.store import TraceStore
from thinker_local.store.logs import LogQuery

REQUEST = "266110d5-f8fd-411b-9b88-8bd85d67188d"
TRACE = "6b0f8b0a000000003014be6e32f074db"
# As the microservice prints it under make up (datadog-lambda's format).
WARNING_LINE = (
    f"[WARNING]\t2026-12-02T03:05:46.850Z\t{REQUEST}\t"
    f"[dd.trace_id={TRACE} dd.span_id=9820513285699009487]\tunknown subject 'foo_bar'"
)


def read(text: str, request_id: str | None = None, reader: LineReader | None = None) -> LogRecord:
    return (reader or LineReader()).read(text, function="F", time_ns=1, request_id=request_id)


def test_lambda_logging_lines_give_level_request_and_the_injected_trace_and_span() -> None:
    record = read(WARNING_LINE)
    assert (record.level, record.request_id) == (WARNING, REQUEST)
    assert (record.trace_id, record.trace_low, record.span_id) == (
        TRACE,
        TRACE[16:],
        "9820513285699009487",
    )


@pytest.mark.parametrize(
    ("line", "level", "request_id"),
    [
        (f"START RequestId: {REQUEST} Version: $LATEST", INFO, REQUEST),
        (f"END RequestId: {REQUEST}", INFO, REQUEST),
        (report(REQUEST), INFO, REQUEST),
        (report(REQUEST, extra="\tStatus: timeout"), ERROR, REQUEST),
        # sam local prints a prefix before the container's lines.
        (f"2026-12-02 03:05:46 REPORT RequestId: {REQUEST}\tDuration: 1 ms", INFO, REQUEST),
        ("INIT_REPORT Init Duration: 250.00 ms\tPhase: init\tStatus: error", ERROR, None),
        (f"2026-12-02T03:05:46.850Z {REQUEST} Task timed out after 3.00 seconds", ERROR, REQUEST),
        (f"RequestId: {REQUEST} Error: Runtime exited with error: signal: killed", ERROR, REQUEST),
        ("[ERROR] Runtime.ImportModuleError: Unable to import module 'app'", ERROR, None),
        ("[INFO]\t2026-12-02T03:05:46.850Z\t\tloaded", INFO, None),
        (f"[CRITICAL]\t2026-12-02T03:05:46.850Z\t{REQUEST}\tdown", ERROR, REQUEST),
        ("printed by the handler", INFO, None),
    ],
)
def test_the_level_and_request_of_each_kind_of_line(
    line: str, level: str, request_id: str | None
) -> None:
    record = read(line)
    assert (record.level, record.request_id) == (level, request_id)


def test_a_line_without_a_request_id_belongs_to_the_invocation_it_was_printed_in() -> None:
    assert read("printed", request_id=REQUEST).request_id == REQUEST


def test_without_a_caller_the_invocation_is_the_one_between_start_and_end() -> None:
    reader = LineReader()
    read(f"START RequestId: {REQUEST} Version: $LATEST", reader=reader)
    assert read("printed inside", reader=reader).request_id == REQUEST
    read(f"END RequestId: {REQUEST}", reader=reader)
    assert read("printed after", reader=reader).request_id is None


def test_a_traceback_is_error_to_its_last_line_and_through_chained_exceptions() -> None:
    reader = LineReader()
    lines = [
        f"[ERROR]\t2026-12-02T03:05:46.850Z\t{REQUEST}\tthe thoughts store is unavailable",
        "Traceback (most recent call last):",
        '  File "views.py", line 3, in handle',
        "    raise KeyError(subject)",
        "KeyError: 'foo_bar'",
        "",
        "During handling of the above exception, another exception occurred:",
        "",
        "Traceback (most recent call last):",
        '  File "views.py", line 9, in handle',
        "RuntimeError: unavailable",
    ]
    assert [read(line, reader=reader).level for line in lines] == [ERROR] * len(lines)
    assert read("an ordinary print", reader=reader).level == INFO


def test_the_runtimes_error_lines_joined_by_carriage_returns_read_as_one_message() -> None:
    record = read("[ERROR] Runtime.ImportModuleError: x\rTraceback (most recent call last):")
    assert record.message.splitlines() == [
        "[ERROR] Runtime.ImportModuleError: x",
        "Traceback (most recent call last):",
    ]
    # The traceback was all in that one line: the next line is not part of it.
    assert read("next", reader=LineReader()).level == INFO


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"dd.trace_id={TRACE} dd.span_id=12", (TRACE, TRACE[16:], "12")),
        ("dd.trace_id=255 dd.span_id=12", (None, "00000000000000ff", "12")),
        ("dd.trace_id=0 dd.span_id=0", (None, None, None)),
        ("no ids here", (None, None, None)),
    ],
)
def test_trace_ids_in_both_of_ddtraces_forms(
    text: str, expected: tuple[str | None, str | None, str | None]
) -> None:
    assert trace_ids(text) == expected


@pytest.fixture
def traced(store: TraceStore, seed: Chunks) -> tuple[str, dict[str, str]]:
    """The seed trace with a request id on each function's handler span: its id, the ids."""
    ids = {"thinker-api": "req-api-0001", "thinker-microservice": REQUEST}
    start = time.time_ns() - 2_000_000_000
    store.add_chunks(trace_copy(seed, 2, start_ns=start, mutate=with_request_ids(ids)))
    return store.traces(limit=1)[0]["trace_id"], ids


def think_span(store: TraceStore, trace_id: str, subject: str) -> str:
    (span,) = [
        s for s in store.trace(trace_id) if s.name == "think" and s.meta["subject"] == subject
    ]
    return span.span_id


def test_a_traces_lines_are_its_own_and_its_invocations_in_order(
    store: TraceStore, traced: tuple[str, dict[str, str]]
) -> None:
    trace_id, ids = traced
    span_id = think_span(store, trace_id, "foo_bar")
    recorder = LogRecorder(store, [API])
    now = time.time()
    recorder.record(printed(f"START RequestId: {ids['thinker-api']} Version: $LATEST", at=now))
    recorder.record(printed(f"START RequestId: {REQUEST} Version: $LATEST", at=now + 0.1))
    recorder.record(
        printed(
            WARNING_LINE.replace(TRACE, trace_id).replace("9820513285699009487", span_id),
            source="MicroserviceFunction",
            at=now + 0.2,
        )
    )
    recorder.record(printed("printed by the handler", request_id=REQUEST, at=now + 0.3))
    recorder.record(printed(report(REQUEST), at=now + 0.4))
    recorder.record(printed(report(ids["thinker-api"]), source="ThinkerApiFunction", at=now + 0.5))
    recorder.record(
        printed(report("another-invocation"), source="ThinkerApiFunction", at=now + 0.6)
    )
    recorder.close()

    lines = store.logs.of_trace(trace_id)
    assert [line["message"].split("\t")[0][:22] for line in lines] == [
        f"START RequestId: {ids['thinker-api']}"[:22],
        f"START RequestId: {REQUEST}"[:22],
        "[WARNING]",
        "printed by the handler",
        f"REPORT RequestId: {REQUEST}"[:22],
        f"REPORT RequestId: {ids['thinker-api']}"[:22],
    ]
    assert {line["trace_id"] for line in lines} == {trace_id}
    warning = lines[2]
    assert (warning["span_id"], warning["level"]) == (span_id, WARNING)
    # What the function said, without the prefix whose parts are the other fields.
    assert warning["text"] == "unknown subject 'foo_bar'"
    assert lines[3]["text"] == lines[3]["message"] == "printed by the handler"
    # The lines whose source is not a function of the template are named by their
    # invocation's handler span.
    assert [line["function"] for line in lines] == [
        "thinker-api",
        "thinker-microservice",
        "thinker-microservice",
        "thinker-microservice",
        "thinker-microservice",
        "ThinkerApiFunction",
    ]
    handlers = {s.span_id for s in store.trace(trace_id) if s.name == "aws.lambda"}
    assert {line["handler_span_id"] for line in lines} == handlers


def test_search_by_text_function_level_request_and_time(store: TraceStore) -> None:
    now = time.time()
    recorder = LogRecorder(store, [API])
    recorder.record(
        printed("printed one", source="ThinkerApiFunction", request_id="r-1", at=now - 60)
    )
    recorder.record(printed(WARNING_LINE, source="Other", at=now - 30))
    recorder.record(printed("Printed Two", source="ThinkerApiFunction", request_id="r-2", at=now))
    recorder.close()

    def messages(**filters: object) -> list[str]:
        return [line["message"][:11] for line in store.logs.search(LogQuery(**filters))]  # type: ignore[arg-type]

    assert messages() == ["Printed Two", "[WARNING]\t2", "printed one"]
    assert messages(text="PRINTED") == ["Printed Two", "printed one"]
    assert messages(function="ThinkerApiFunction") == ["Printed Two", "printed one"]
    assert messages(level="warning") == ["[WARNING]\t2"]
    assert messages(request_id="r-1") == ["printed one"]
    assert messages(since_ns=int((now - 45) * 1e9), until_ns=int((now - 1) * 1e9)) == [
        "[WARNING]\t2"
    ]
    # A live tail reads forward from its cursor; a search pages backwards.
    first = store.logs.search(LogQuery(limit=1))[0]["id"]
    assert messages(after_id=first - 2) == ["[WARNING]\t2", "Printed Two"]
    assert messages(before_id=first, limit=1) == ["[WARNING]\t2"]
    # The line with a trace id the store does not hold links to it by its id.
    assert store.logs.search(LogQuery(level="WARNING"))[0]["trace_id"] == TRACE


def test_retention_keeps_the_newest_lines_and_none_too_old(store: TraceStore) -> None:
    now = time.time()
    records = [
        LogRecord(function="F", time_ns=int((now - 8 * 86400 + i) * 1e9), level=INFO, message="old")
        for i in range(3)
    ] + [
        LogRecord(function="F", time_ns=int((now + i) * 1e9), level=INFO, message=f"new {i}")
        for i in range(5)
    ]
    store.logs.add(records)
    store.logs.prune(max_lines=4, now=now)
    assert [line["message"] for line in store.logs.search(LogQuery())] == [
        "new 4",
        "new 3",
        "new 2",
        "new 1",
    ]
    store.logs.prune(now=now)
    assert store.logs.count() == 4


def test_the_stack_keeps_its_functions_lines_and_not_its_own(store: TraceStore) -> None:
    output = Output(stream=io.StringIO())
    recorder = LogRecorder(store, [API])
    output.subscribe(recorder.listener)
    output.info("the stack's own message")
    output.line("ThinkerApi", "GET /think/ 200 3.1 ms (RequestId: x)")
    output.line("ThinkerApiFunction", "a function's line", request_id="r-1")
    recorder.close()
    (line,) = store.logs.search(LogQuery())
    assert (line["function"], line["request_id"], line["message"]) == (
        "ThinkerApiFunction",
        "r-1",
        "a function's line",
    )


def test_the_logs_api_searches_tails_from_its_cursor_and_rejects_bad_filters(
    store: TraceStore,
) -> None:
    recorder = LogRecorder(store, [API])
    recorder.record(printed("first line", source="ThinkerApiFunction"))
    recorder.close()
    with serve(create_apm_app(store)) as apm:
        body = requests.get(f"{apm}/api/logs", params={"q": "first"}, timeout=10).json()
        assert [line["message"] for line in body["logs"]] == ["first line"]
        assert body["cursor"] == body["logs"][0]["id"]
        tail = {"after": str(body["cursor"])}
        assert requests.get(f"{apm}/api/logs", params=tail, timeout=10).json() == {
            "logs": [],
            "cursor": body["cursor"],
        }
        store.logs.add([LogRecord(function="F", time_ns=time.time_ns(), level=ERROR, message="x")])
        fresh = requests.get(f"{apm}/api/logs", params=tail, timeout=10).json()
        assert [line["message"] for line in fresh["logs"]] == ["x"]
        assert fresh["cursor"] == body["cursor"] + 1
        for params in ({"level": "loud"}, {"from": "yesterday"}, {"after": "-1"}):
            response = requests.get(f"{apm}/api/logs", params=params, timeout=10)
            assert response.status_code == 400, params
        functions = requests.get(f"{apm}/api/logs/functions", timeout=10).json()
        assert functions == {"functions": ["F", "ThinkerApiFunction"]}
        missing = requests.get(f"{apm}/api/traces/{'0' * 32}/logs", timeout=10)
        assert missing.status_code == 404


def test_search_text_is_literal_and_a_function_finds_lines_named_by_their_span(
    store: TraceStore, traced: tuple[str, dict[str, str]]
) -> None:
    _, ids = traced
    recorder = LogRecorder(store, [API])
    # As from sam local: no function named; the microservice's handler span names it.
    recorder.record(printed(f"START RequestId: {REQUEST} Version: $LATEST"))
    recorder.record(printed("100% done_ok", request_id=REQUEST))
    recorder.record(
        printed("100 percent done", source="ThinkerApiFunction", request_id=ids["thinker-api"])
    )
    recorder.close()
    found = store.logs.search(LogQuery(text="100% DONE_"))
    assert [line["message"] for line in found] == ["100% done_ok"]
    microservice = store.logs.search(LogQuery(function="thinker-microservice"))
    assert [line["message"] for line in microservice] == [
        "100% done_ok",
        f"START RequestId: {REQUEST} Version: $LATEST",
    ]
    assert [line["message"] for line in store.logs.search(LogQuery(function=API.name))] == [
        "100 percent done"
    ]


def test_lines_that_name_no_function_are_kept_inside_invocations_and_errors_outside(
    store: TraceStore,
) -> None:
    output = Output(stream=io.StringIO())
    recorder = LogRecorder(store, [API], unnamed_sources=["sam"])
    output.subscribe(recorder.listener)
    # sam local start-api's output: its own lines around the containers'.
    for line in (
        "Mounting ThinkerApiFunction at http://127.0.0.1:3000/think [GET]",
        f"START RequestId: {REQUEST} Version: $LATEST",
        "printed by the handler",
        f"END RequestId: {REQUEST}",
        '127.0.0.1 - - [02/Dec/2026 03:05:46] "GET /think/ HTTP/1.1" 200 -',
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'app'",
    ):
        output.line("sam", line)
    output.info("the stack's own line")
    recorder.close()
    kept = [(line["request_id"], line["message"][:12]) for line in store.logs.search(LogQuery())]
    assert kept[::-1] == [
        (REQUEST, "START Reques"),
        (REQUEST, "printed by t"),
        (REQUEST, "END RequestI"),
        (None, "[ERROR] Runt"),
    ]


def test_the_logs_command_follows_new_lines_until_interrupted(store: TraceStore) -> None:
    store.logs.add([LogRecord(function="F", time_ns=time.time_ns(), level=INFO, message="old")])
    command = [sys.executable, "-m", "thinker_local", "logs", "-f", "--store", str(store.path)]
    follower = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert follower.stdout is not None
        assert follower.stdout.readline().rstrip().endswith("  F  INFO     -  old")
        # Written by another process, as the stack would.
        with TraceStore(store.path) as writer:
            writer.logs.add(
                [LogRecord(function="G", time_ns=time.time_ns(), level=ERROR, message="new")]
            )
        assert follower.stdout.readline().rstrip().endswith("  G  ERROR    -  new")
        follower.send_signal(signal.SIGINT)
        assert follower.wait(timeout=10) == 0
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
