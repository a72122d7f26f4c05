"""The functions' log lines through the whole local stack, after the seed request.

``make up`` on free ports; one seed request; then the store, the ``logs`` command and a real
headless Chromium must all show both functions' Lambda lines and the microservice's line for the
unknown subject ``foo_bar``, tied to the seed's trace (the line by the trace and span ids
datadog-lambda wrote into it, START and REPORT by their request ids).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.seed_trace import SEED_PATH
from thinker_local.harness.stack import NO_DELAYS, REPO, StackProcess, local_stack
from thinker_local.store import TraceStore

FUNCTIONS = ("ThinkerApiFunction", "MicroserviceFunction")
FOO_BAR_LINE = "unknown subject 'foo_bar'"


def _complete(lines: list[dict[str, Any]]) -> bool:
    """Both functions' REPORT and the foo_bar line are there."""
    reports = {line["function"] for line in lines if line["message"].startswith("REPORT ")}
    return reports >= set(FUNCTIONS) and any(FOO_BAR_LINE in line["message"] for line in lines)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StackProcess, str]]:
    """The stack after the seed request, once its trace and log lines are stored; the trace id."""
    with local_stack(tmp_path_factory.mktemp("logs"), parameter_overrides=NO_DELAYS) as stack:
        apm = stack.info.apm
        assert apm is not None
        response = requests.get(stack.info.api + SEED_PATH, timeout=60)
        assert response.status_code == 200
        deadline = time.monotonic() + 60
        while True:
            found = requests.get(
                f"{apm}/api/traces", params={"tag": "subject:foo_bar"}, timeout=10
            ).json()["traces"]
            if found:
                trace_id = found[0]["trace_id"]
                lines = requests.get(f"{apm}/api/traces/{trace_id}/logs", timeout=10).json()
                if _complete(lines["logs"]):
                    yield stack, trace_id
                    return
            assert time.monotonic() < deadline, "the seed's log lines never reached the store"
            time.sleep(0.2)


def store_path(stack: StackProcess) -> Path:
    return stack.state_dir / "traces.sqlite3"


def foo_bar_span(store: TraceStore, trace_id: str) -> str:
    (span,) = [
        s for s in store.trace(trace_id) if s.name == "think" and s.meta["subject"] == "foo_bar"
    ]
    assert span.error
    return span.span_id


def test_the_store_holds_both_functions_lines_tied_to_the_seed_trace(
    seeded: tuple[StackProcess, str],
) -> None:
    stack, trace_id = seeded
    with TraceStore(store_path(stack)) as store:
        lines = store.logs.of_trace(trace_id)
        handlers = {
            s.meta["request_id"]: s.span_id for s in store.trace(trace_id) if s.name == "aws.lambda"
        }
        think = foo_bar_span(store, trace_id)
    for function in FUNCTIONS:
        own = [line for line in lines if line["function"] == function]
        kinds = [line["message"].split(" ")[0] for line in own if line["level"] == "INFO"]
        assert kinds[0] == "START", (function, kinds)
        assert "REPORT" in kinds, (function, kinds)
        # Each invocation's lines are the invocation of one of the trace's handler spans.
        assert {line["request_id"] for line in own} <= set(handlers)
    (foo_bar,) = [line for line in lines if FOO_BAR_LINE in line["message"]]
    assert foo_bar["function"] == "MicroserviceFunction"
    assert foo_bar["level"] == "WARNING"
    # datadog-lambda wrote the trace and the think span into the line itself.
    assert (foo_bar["trace_id"], foo_bar["span_id"]) == (trace_id, think)
    assert [line["time"] for line in lines] == sorted(line["time"] for line in lines)
    # No line of the stack's own (its messages, the gateways' access lines) is a function's.
    assert {line["function"] for line in lines} == set(FUNCTIONS)


def test_the_logs_command_prints_the_traces_lines(seeded: tuple[StackProcess, str]) -> None:
    stack, trace_id = seeded
    command = ["logs", "--trace", trace_id, "--store", str(store_path(stack))]
    printed = subprocess.run(
        [sys.executable, "-m", "thinker_local", *command],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    for function in FUNCTIONS:
        assert any(
            f"  {function}  INFO " in line and "REPORT RequestId:" in line for line in printed
        )
    (foo_bar,) = [line for line in printed if FOO_BAR_LINE in line]
    assert "  MicroserviceFunction  WARNING  " in foo_bar
    assert foo_bar.endswith(f"  {FOO_BAR_LINE}  [trace {trace_id}]")


def test_the_logs_tab_holds_both_reports_and_the_foo_bar_line(
    page: Page, seeded: tuple[StackProcess, str]
) -> None:
    stack, trace_id = seeded
    page.goto(f"{stack.info.apm}/traces/{trace_id}")
    page.locator("#trace-tabs [data-panel=logs]").click()
    expect(page).to_have_url(re.compile(r"view=logs"))
    rows = page.locator("#trace-logs tr")
    for function in FUNCTIONS:
        expect(rows.filter(has_text=function).filter(has_text="REPORT RequestId:")).to_have_count(1)
    expect(rows.filter(has_text=FOO_BAR_LINE)).to_have_count(1)


def test_one_click_from_the_failed_think_span_to_its_lines(
    page: Page, seeded: tuple[StackProcess, str]
) -> None:
    stack, trace_id = seeded
    page.goto(f"{stack.info.apm}/traces/{trace_id}")
    # The panel opens on the trace's error: the foo_bar think span.
    expect(page.locator("#span-tags")).to_contain_text("foo_bar")
    page.locator("#span-logs").click()
    marked = page.locator("#trace-logs tr.marked")
    expect(marked).to_have_count(1)
    expect(marked).to_contain_text(FOO_BAR_LINE)
    # A line of thinker-api's selects its invocation's span: its lines are marked instead.
    page.locator("#trace-logs tr", has_text="ThinkerApiFunction").first.click()
    expect(page.locator("#detail h2")).to_have_text("aws.lambda")
    expect(marked).to_have_count(3)
    for kind in ("START", "END", "REPORT"):
        expect(marked.filter(has_text=f"{kind} RequestId:")).to_have_count(1)
    expect(marked.filter(has_text="MicroserviceFunction")).to_have_count(0)


def test_the_logs_page_finds_a_line_by_text_and_opens_its_trace(
    page: Page, seeded: tuple[StackProcess, str]
) -> None:
    stack, trace_id = seeded
    page.goto(f"{stack.info.apm}/logs")
    expect(page.locator(".topbar nav a.active")).to_have_text("Logs")
    page.locator("#log-filters input[name=q]").fill(FOO_BAR_LINE)
    page.locator("#log-filters button").click()
    expect(page).to_have_url(re.compile(r"q=unknown\+subject\+%27foo_bar%27"))
    rows = page.locator("#log-rows tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(FOO_BAR_LINE)
    rows.locator("a.log-trace").click()
    expect(page).to_have_url(re.compile(rf"/traces/{trace_id}\?"))
    expect(page.locator("#trace-logs tr").filter(has_text=FOO_BAR_LINE)).to_have_count(1)


def test_the_logs_page_tails_new_lines_live(page: Page, seeded: tuple[StackProcess, str]) -> None:
    stack, _ = seeded
    page.goto(f"{stack.info.apm}/logs?live=1")
    rows = page.locator("#log-rows tr")
    expect(rows.filter(has_text=FOO_BAR_LINE)).to_have_count(1)
    response = requests.get(stack.info.api + "/think/?subject=tail_probe", timeout=60)
    assert response.status_code == 200
    fresh = rows.filter(has_text="unknown subject 'tail_probe'")
    expect(fresh).to_have_count(1, timeout=15_000)
    # Newest first: the new lines are above the seed's.
    ids = [int(row.get_attribute("data-id") or 0) for row in rows.all()]
    assert ids == sorted(ids, reverse=True)


def test_an_invocation_on_the_function_page_links_to_its_lines(
    page: Page, seeded: tuple[StackProcess, str]
) -> None:
    stack, trace_id = seeded
    with TraceStore(store_path(stack)) as store:
        (request_id,) = [
            s.meta["request_id"]
            for s in store.trace(trace_id)
            if s.name == "aws.lambda" and s.service == "thinker-microservice"
        ]
    page.goto(f"{stack.info.apm}/serverless/MicroserviceFunction")
    page.locator(f"tr[data-request='{request_id}'] a.invocation-logs").click()
    expect(page).to_have_url(re.compile(rf"/logs\?request_id={request_id}"))
    rows = page.locator("#log-rows tr")
    expect(rows.filter(has_text=FOO_BAR_LINE)).to_have_count(1)
    expect(rows.filter(has_text="REPORT RequestId:")).to_have_count(1)
    expect(rows.filter(has_text="ThinkerApiFunction")).to_have_count(0)
