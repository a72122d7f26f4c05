"""A person's walk through the APM in a real headless Chromium, after the seed request.

Services → thinker-api → its handler resource → the seed's trace: the two ``think`` spans, their
``subject`` tags, the ``foo_bar`` error with its message; then the Live view picks up a new trace
without a reload.
"""

from __future__ import annotations

import re

import requests
from playwright.sync_api import Page, expect

from tests.support.apm_stack import Stack


def test_walk_from_services_to_the_seed_trace(
    page: Page, stack: Stack, seed_trace: tuple[requests.Response, str]
) -> None:
    _, trace_id = seed_trace
    page.goto(f"{stack.apm_url}/services")

    services = page.locator("table tbody tr")
    expect(services.filter(has_text="thinker-microservice").first).to_be_visible()
    expect(services.filter(has_text="DynamoDB")).to_have_count(1)
    api_row = services.filter(has=page.get_by_role("link", name="thinker-api", exact=True))
    expect(api_row).to_contain_text("Lambda")

    api_row.get_by_role("link", name="thinker-api", exact=True).click()
    expect(page.locator("h1")).to_contain_text("thinker-api")
    expect(page.locator("#chart-requests svg rect").first).to_be_visible()
    expect(page.locator("#chart-latency svg path").first).to_be_attached()
    resources = page.locator("table tbody tr")
    expect(resources.filter(has_text="requests.request")).to_have_count(1)

    resources.filter(has_text="aws.lambda").get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("thinker-api")
    expect(page).to_have_url(re.compile(r"/resource\?"))
    traces = page.locator("#traces tbody tr")
    expect(traces.first).to_contain_text("200")

    page.locator("#search input[name=query]").fill("@subject:foo_bar")
    page.locator("#search button").click()
    expect(page.locator("#trace-count")).to_contain_text("newest first")
    page.locator(f"#traces tr[data-trace='{trace_id}']").click()

    expect(page).to_have_url(re.compile(trace_id))
    page.locator("#trace-tabs [data-panel=waterfall]").click()
    waterfall = page.locator("#rows")
    expect(waterfall).to_contain_text("think")
    thinks = waterfall.locator(".wf-row", has=page.locator(".op", has_text=re.compile("^think$")))
    expect(thinks).to_have_count(2)
    expect(waterfall).to_contain_text("subject:technology")
    expect(waterfall).to_contain_text("subject:foo_bar")
    expect(page.locator("#service-share")).to_contain_text("thinker-microservice")
    expect(page.locator(".trace-head")).to_contain_text("200")

    # The failing think is selected first, as the first error of the trace.
    error = page.locator("#span-error")
    expect(error).to_contain_text("builtins.KeyError")
    expect(error).to_contain_text("'foo_bar'")
    expect(error).to_contain_text("Traceback")
    expect(page.locator("#span-tags")).to_contain_text("subject")

    thinks.filter(has_text="subject:technology").click()
    expect(page.locator("#span-error")).to_have_count(0)
    expect(page.locator("#span-tags")).to_contain_text("technology")

    waterfall.locator(".wf-row", has=page.locator(".op", has_text="requests.request")).click()
    tags = page.locator("#span-tags")
    expect(tags).to_contain_text("http.method")
    expect(tags).to_contain_text("http.url")
    expect(tags).to_contain_text("http.status_code")


def test_live_view_shows_a_new_trace_without_reloading(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.apm_url}/live")
    expect(page.locator("h1")).to_contain_text("Live")
    page.evaluate("window.notReloaded = true")

    _, trace_id = stack.request("/think/?subject=simplicity&subject=free_lunch")

    expect(page.locator(f"#live-rows tr[data-trace='{trace_id}']")).to_be_visible(timeout=15_000)
    assert page.evaluate("window.notReloaded") is True
