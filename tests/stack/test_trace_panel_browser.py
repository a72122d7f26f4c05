"""The trace panel and trace search in a real headless Chromium, after the seed request made
through the real functions: the flame graph, the span list, the address that keeps both, and
the search box with its errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.apm_stack import Stack

QUICK_START = "service:thinker-microservice @subject:foo_bar status:error"


@pytest.fixture(scope="module")
def seed_document(stack: Stack, seed_trace: tuple[requests.Response, str]) -> dict[str, Any]:
    """The seed trace as the API gives it to the page."""
    _, trace_id = seed_trace
    document: dict[str, Any] = requests.get(
        f"{stack.apm_url}/api/traces/{trace_id}", timeout=10
    ).json()
    return document


def think(document: dict[str, Any], subject: str) -> str:
    (span,) = [s for s in document["spans"] if s["meta"].get("subject") == subject]
    return str(span["span_id"])


def test_the_flame_graph_draws_every_span_and_marks_the_error(
    page: Page, stack: Stack, seed_document: dict[str, Any]
) -> None:
    trace_id = seed_document["trace_id"]
    page.goto(f"{stack.apm_url}/traces/{trace_id}")
    expect(page.locator("#trace-tabs .active")).to_have_text("Flame graph")
    bars = page.locator("#flame-rows .fl-span")
    expect(bars).to_have_count(len(seed_document["spans"]))
    failed, fine = think(seed_document, "foo_bar"), think(seed_document, "technology")
    expect(page.locator(".fl-span.err")).to_have_count(1)
    expect(page.locator(f".fl-span[data-span='{failed}']")).to_have_class(re.compile(r"\berr\b"))
    expect(page.locator(f".fl-span[data-span='{fine}']")).not_to_have_class(re.compile(r"\berr\b"))

    page.locator(f".fl-span[data-span='{fine}']").hover()
    tip = page.locator("#flame-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("think")
    expect(tip).to_contain_text("ms")

    page.locator(f".fl-span[data-span='{fine}']").click()
    expect(page.locator("#span-error")).to_have_count(0)
    expect(page.locator("#span-tags")).to_contain_text("technology")
    page.locator(f".fl-span[data-span='{failed}']").click()
    error = page.locator("#span-error")
    expect(error).to_contain_text("builtins.KeyError")
    expect(error.locator("pre")).to_contain_text("Traceback")
    expect(page).to_have_url(re.compile(rf"view=flame&span={failed}"))


def test_zooming_into_a_span_and_back(
    page: Page, stack: Stack, seed_document: dict[str, Any]
) -> None:
    page.goto(f"{stack.apm_url}/traces/{seed_document['trace_id']}")
    bars = page.locator("#flame-rows .fl-span")
    expect(bars).to_have_count(len(seed_document["spans"]))
    expect(page.locator("#flame-reset")).to_be_disabled()
    page.locator(f".fl-span[data-span='{think(seed_document, 'technology')}']").dblclick()
    expect(page.locator("#flame-reset")).to_be_enabled()
    # Zoomed into one think(): the other services' cold starts are off the axis.
    assert 0 < bars.count() < len(seed_document["spans"])
    width = page.locator(f".fl-span[data-span='{think(seed_document, 'technology')}']")
    assert (width.bounding_box() or {})["width"] > 0.95 * (
        page.locator("#flame-rows").bounding_box() or {}
    )["width"]
    page.locator("#flame-reset").click()
    expect(bars).to_have_count(len(seed_document["spans"]))


def test_the_span_list_adds_up_to_the_trace_and_keeps_the_selection(
    page: Page, stack: Stack, seed_document: dict[str, Any]
) -> None:
    spans = seed_document["spans"]
    failed = think(seed_document, "foo_bar")
    page.goto(f"{stack.apm_url}/traces/{seed_document['trace_id']}")
    page.locator(f".fl-span[data-span='{failed}']").click()
    page.evaluate("window.notReloaded = true")

    page.locator("#trace-tabs [data-panel=spans]").click()
    expect(page).to_have_url(re.compile(rf"view=spans&span={failed}"))
    assert page.evaluate("window.notReloaded") is True
    totals = page.locator("#span-totals")
    expect(totals.locator("[data-field=count]")).to_have_text(str(len(spans)))
    expect(totals.locator("[data-field=errors]")).to_have_text(str(sum(s["error"] for s in spans)))
    assert totals.locator("[data-field=total]").get_attribute("data-ns") == str(
        sum(s["duration"] for s in spans)
    )
    assert totals.locator("[data-field=self]").get_attribute("data-ns") == str(
        sum(s["self_time"] for s in spans)
    )
    selected = page.locator("#span-list tbody tr.selected")
    expect(selected).to_have_count(1)
    expect(selected.locator("[data-field=name]")).to_have_text("think")
    expect(selected.locator("[data-field=count]")).to_have_text("2")
    expect(selected.locator("[data-field=errors]")).to_have_text("1")
    expect(page.locator("#span-error")).to_contain_text("'foo_bar'")

    # Sorting by a column, then the other way round.
    page.locator("#span-list th[data-sort=count]").click()
    counts = [int(c) for c in page.locator("#span-list tbody [data-field=count]").all_inner_texts()]
    assert counts == sorted(counts, reverse=True)
    page.locator("#span-list th[data-sort=count]").click()
    counts = [int(c) for c in page.locator("#span-list tbody [data-field=count]").all_inner_texts()]
    assert counts == sorted(counts)

    # Back to the waterfall: the same span is still the selected one.
    page.locator("#trace-tabs [data-panel=waterfall]").click()
    expect(page.locator(f"#rows .wf-row.selected[data-span='{failed}']")).to_have_count(1)
    assert page.evaluate("window.notReloaded") is True


def test_a_link_opens_the_view_and_span_that_were_on_the_screen(
    page: Page, stack: Stack, seed_document: dict[str, Any]
) -> None:
    fine = think(seed_document, "technology")
    page.goto(f"{stack.apm_url}/traces/{seed_document['trace_id']}?view=spans&span={fine}")
    expect(page.locator("#trace-tabs .active")).to_have_text("Span list")
    expect(page.locator("#span-list tbody tr.selected [data-field=name]")).to_have_text("think")
    expect(page.locator("#span-tags")).to_contain_text("technology")
    expect(page.locator("#span-error")).to_have_count(0)


def test_the_search_finds_the_failed_trace_and_not_a_technology_only_one(
    page: Page, stack: Stack, seed_trace: tuple[requests.Response, str]
) -> None:
    _, failed = seed_trace
    _, fine = stack.request("/think/?subject=technology")
    page.goto(f"{stack.apm_url}/traces")
    expect(page.locator(f"#traces tr[data-trace='{fine}']")).to_have_count(1)
    page.locator("#query").fill(QUICK_START)
    page.locator("#search button").click()
    expect(page.locator(f"#traces tr[data-trace='{failed}']")).to_have_count(1)
    expect(page.locator(f"#traces tr[data-trace='{fine}']")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"query=service%3Athinker-microservice"))

    page.reload()
    expect(page.locator("#query")).to_have_value(QUICK_START)
    expect(page.locator(f"#traces tr[data-trace='{failed}']")).to_have_count(1)
    expect(page.locator(f"#traces tr[data-trace='{fine}']")).to_have_count(0)


def test_a_malformed_query_shows_its_error_in_the_page(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.apm_url}/traces")
    page.locator("#query").fill("service:thinker-api status:broken")
    page.locator("#search button").click()
    problem = page.locator("#query-error")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("status is error or ok")
    expect(problem.locator("pre")).to_have_text(
        "service:thinker-api status:broken\n" + " " * 27 + "^"
    )
    expect(page.locator("#traces tbody tr")).to_have_count(0)

    page.locator("#query").fill("status:error")
    page.locator("#search button").click()
    expect(problem).to_be_hidden()
