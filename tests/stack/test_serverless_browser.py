"""The Serverless view, the service map and Live, in a real headless Chromium over ``make up``.

The whole local stack runs (gateways, execution environments, DynamoDB, agent, APM) on free
ports; the seed request is sent a few times, the first one meeting each function's fresh
environment (a cold start). The pages must then show what the stack's own output says: the REPORT
lines give the invocations, cold starts, memory and, at the prices docs/serverless.md lists, the
cost; the map must draw the seed's chain with as many calls as requests were sent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, Request, expect

from tests.support.processes import REPO
from tests.support.seed_trace import SEED_PATH
from thinker_local.harness.reports import Report
from thinker_local.harness.stack import NO_DELAYS, StackProcess, local_stack

REQUESTS = 3
FUNCTIONS = ("ThinkerApiFunction", "MicroserviceFunction")
# The quick-start's delays would only slow the test down.
CHAIN = [
    ("thinker-api-gateway", "thinker-api", REQUESTS),
    ("thinker-api", "thinker-microservice-gateway", REQUESTS),
    ("thinker-microservice-gateway", "thinker-microservice", REQUESTS),
    # think() reads the thought of each of the two subjects.
    ("thinker-microservice", "dynamodb.us-east-1.amazonaws.com", 2 * REQUESTS),
]


def documented_prices() -> dict[str, float]:
    """The price table of docs/serverless.md, by item (USD per unit of its row)."""
    text = (REPO / "docs" / "serverless.md").read_text()
    section = text.split("## Prices", 1)[1].split("\n## ", 1)[0]
    prices = {}
    for item, _unit, price in re.findall(
        r"^\| ([^|]+?) \| ([^|]+?) \| ([\d.]+) \|$", section, re.M
    ):
        prices[item] = float(price)
    return prices


def expected_cost(reports: list[Report]) -> float:
    """What the invocations the REPORT lines describe cost, recomputed from the documentation."""
    prices = documented_prices()
    requests_cost = len(reports) * prices["Lambda requests"] / 1e6
    gb_seconds = sum(
        r.figures.billed_ms / 1000 * (r.figures.memory_size_mb or 0) / 1024 for r in reports
    )
    gateway = len(reports) * prices["API Gateway REST API"] / 1e6
    return requests_cost + gb_seconds * prices["Lambda duration, x86_64"] + gateway


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """The stack after REQUESTS seed requests, once their traces and REPORTs are all stored."""
    with local_stack(tmp_path_factory.mktemp("serverless"), parameter_overrides=NO_DELAYS) as stack:
        info = stack.info
        assert info.apm is not None
        for _ in range(REQUESTS):
            response = requests.get(info.api + SEED_PATH, timeout=60)
            assert response.status_code == 200
        _wait_until_stored(info.apm)
        yield stack


def _wait_until_stored(apm: str, timeout: float = 60.0) -> None:
    """Until every request's invocations are linked to complete traces."""
    deadline = time.monotonic() + timeout
    while True:
        rows = requests.get(f"{apm}/api/serverless", timeout=10).json()["functions"]
        counts = {row["name"]: row["invocations"] for row in rows}
        linked = all(
            len(
                [
                    i
                    for i in requests.get(
                        f"{apm}/api/serverless/{name}/invocations", timeout=10
                    ).json()["invocations"]
                    if i["trace_id"]
                ]
            )
            == REQUESTS
            for name in FUNCTIONS
        )
        if all(counts.get(name) == REQUESTS for name in FUNCTIONS) and linked:
            return
        assert time.monotonic() < deadline, f"invocations never all stored: {counts}"
        time.sleep(0.2)


def _reports(stack: StackProcess, function: str) -> list[Report]:
    return [r for r in stack.reports_since(0) if r.function == function]


def test_the_serverless_page_lists_each_function_with_its_invocations_and_cost(
    page: Page,
    seeded: StackProcess,
) -> None:
    stack = seeded
    page.goto(f"{stack.info.apm}/serverless")
    expect(page.locator("h1")).to_have_text("Serverless")
    for function in FUNCTIONS:
        reports = _reports(stack, function)
        assert len(reports) == REQUESTS
        # One cold start each: the first request met each function's fresh environment.
        assert [r.init_ms is not None for r in reports] == [True] + [False] * (REQUESTS - 1)
        # Each REPORT gives the process's own peak: the runtime and the Datadog library loaded
        # take more than an empty interpreter's 10 MB.
        assert all((r.figures.max_memory_used_mb or 0) > 20 for r in reports), reports
        row = page.locator(f"#functions tr[data-function='{function}']")
        expect(row.locator("[data-field=invocations]")).to_have_text(str(REQUESTS))
        expect(row.locator("[data-field=cold_starts]")).to_contain_text("1 (33%)")
        used = max(r.figures.max_memory_used_mb or 0 for r in reports)
        expect(row.locator("[data-field=memory]")).to_contain_text(f"{used} / 512 MB")
        shown = float(row.locator("[data-field=cost]").get_attribute("data-usd") or "nan")
        assert shown == pytest.approx(expected_cost(reports), rel=1e-9)
        per_million = float(row.locator("[data-field=per_million]").get_attribute("data-usd") or "")
        assert per_million == pytest.approx(expected_cost(reports) / REQUESTS * 1e6, rel=1e-9)
    expect(page.locator("#prices")).to_contain_text("us-east-1")


def test_a_function_page_lists_its_invocations_each_linked_to_its_trace(
    page: Page,
    seeded: StackProcess,
) -> None:
    stack = seeded
    page.goto(f"{stack.info.apm}/serverless")
    page.locator("#functions tr[data-function='ThinkerApiFunction'] a").click()
    expect(page).to_have_url(re.compile(r"/serverless/ThinkerApiFunction"))
    expect(page.locator("#chart-invocations svg rect").first).to_be_attached()
    expect(page.locator("#chart-duration svg path").first).to_be_attached()
    expect(page.locator("#chart-cold-starts svg rect").first).to_be_attached()
    rows = page.locator("#invocations tbody tr")
    expect(rows).to_have_count(REQUESTS)
    reports = {r.figures.request_id: r for r in _reports(stack, "ThinkerApiFunction")}
    for index in range(REQUESTS):
        row = rows.nth(index)
        request_id = row.get_attribute("data-request")
        assert request_id in reports
        expect(row).to_contain_text(f"{reports[request_id].figures.billed_ms} ms")
    cold = rows.filter(has_text="cold")
    expect(cold).to_have_count(1)
    cold.locator("td").last.locator("a").click()
    expect(page).to_have_url(re.compile(r"/traces/[0-9a-f]{32}"))
    page.locator("#trace-tabs [data-panel=waterfall]").click()
    expect(page.locator("#rows")).to_contain_text("aws.lambda")
    expect(page.locator("#rows")).to_contain_text("aws.lambda.load")


def _overlaps(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if (
                a["x"] < b["x"] + b["width"]
                and b["x"] < a["x"] + a["width"]
                and a["y"] < b["y"] + b["height"]
                and b["y"] < a["y"] + a["height"]
            ):
                found.append((a["name"], b["name"]))
    return found


def test_the_map_draws_the_seed_chain_with_a_call_per_request(
    page: Page,
    seeded: StackProcess,
) -> None:
    stack = seeded
    page.goto(f"{stack.info.apm}/map")
    svg = page.locator("#map svg")
    expect(svg).to_be_visible()
    for caller, callee, calls in CHAIN:
        edge = svg.locator(f"g.edge[data-caller='{caller}'][data-callee='{callee}']")
        expect(edge).to_have_count(1)
        expect(edge.locator("text").first).to_have_text(re.compile(rf"^{calls} req · "))
    expect(svg.locator("g.node")).to_have_count(5)
    expect(svg.locator("g.node.ok")).to_have_count(5)
    # What the browser drew: no text over another text or another box.
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('#map svg text')].map((t, i) => {
             const b = t.getBBox();
             const name = `${i}:${t.textContent}`;
             return {name, x: b.x, y: b.y, width: b.width, height: b.height};
           })"""
    )
    assert _overlaps(drawn) == []
    columns = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#map g.node')].map((g) =>
             [g.dataset.service, g.querySelector('rect').getBBox().x]))"""
    )
    order = [caller for caller, _, _ in CHAIN] + [CHAIN[-1][1]]
    assert sorted(order, key=columns.__getitem__) == order

    svg.locator("g.edge[data-callee='thinker-microservice-gateway']").click()
    expect(page).to_have_url(re.compile(r"/map/edge\?"))
    expect(page.locator("#edge-traces tbody tr")).to_have_count(REQUESTS)
    page.go_back()
    page.locator("#map g.node[data-service='thinker-api']").click()
    expect(page).to_have_url(re.compile(r"/services/thinker-api\?"))
    expect(page.locator("h1")).to_contain_text("thinker-api")


def test_live_receives_a_new_trace_pushed_by_the_server(
    page: Page,
    seeded: StackProcess,
) -> None:
    stack = seeded
    asked: list[str] = []
    page.on("request", lambda request: _note_api_call(request, asked))
    page.goto(f"{stack.info.apm}/live")
    expect(page.locator("#live-rows tr")).to_have_count(REQUESTS)
    page.evaluate("window.notReloaded = true")
    response = requests.get(
        stack.info.api + "/think/?subject=simplicity&subject=free_lunch", timeout=60
    )
    assert response.status_code == 200
    expect(page.locator("#live-rows tr")).to_have_count(REQUESTS + 1, timeout=20_000)
    expect(page.locator("#live-rows tr").first).to_have_class(re.compile("fresh"))
    assert page.evaluate("window.notReloaded") is True
    # One list when the page opened and one stream: the new trace was pushed, not polled for.
    assert asked == ["/api/traces", "/api/traces/stream"]


def _note_api_call(request: Request, asked: list[str]) -> None:
    path = request.url.split("?", 1)[0].split("//", 1)[1]
    path = "/" + path.split("/", 1)[1]
    if path.startswith("/api/"):
        asked.append(path)
