"""Error Tracking and the full search syntax in a real headless Chromium, after the seed request
(``foo_bar``) twice and a baseline of ``technology`` requests made through the real functions:
one KeyError issue with its count and sample traces, reached from the service page and from the
trace panel's error, growing live; and the trace search's OR, parentheses and free text."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.apm_stack import Stack

TECHNOLOGY = "think/?subject=technology"


@pytest.fixture(scope="module")
def failed(stack: Stack, seed_trace: tuple[requests.Response, str]) -> list[str]:
    """The ids of the two seed traces, newest first, after a baseline of technology requests."""
    for _ in range(3):
        stack.request(TECHNOLOGY)
    _, second = stack.request()
    return [second, seed_trace[1]]


def test_the_keyerror_is_one_issue_with_its_count_and_sample_traces(
    page: Page, stack: Stack, failed: list[str]
) -> None:
    page.goto(f"{stack.apm_url}/errors")
    expect(page.locator("h1")).to_have_text("Error Tracking")
    row = page.locator("#issue-list tbody tr", has_text="builtins.KeyError")
    expect(row).to_have_count(1)
    count = int(row.locator(".issue-count").inner_text())
    # Other tests of the session may ask for unknown subjects too: the same issue.
    assert count >= 2
    expect(row).to_contain_text("thinker-microservice")
    expect(row).to_contain_text("microservice/views.py in think")
    expect(row.locator("svg.spark rect").first).to_be_attached()

    row.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/errors/[0-9a-f]{16}"))
    expect(page.locator("#issue-count")).to_have_text(str(count))
    expect(page.locator("#issue-stack")).to_contain_text("raise KeyError(subject)")
    for trace_id in failed:
        expect(page.locator(f"#issue-samples tr[data-trace='{trace_id}']")).to_have_count(1)

    page.locator(f"#issue-samples tr[data-trace='{failed[0]}']").click()
    expect(page).to_have_url(re.compile(failed[0]))
    expect(page.locator("#span-error")).to_contain_text("'foo_bar'")


def test_the_service_page_and_the_trace_panels_error_lead_to_the_issue(
    page: Page, stack: Stack, failed: list[str]
) -> None:
    page.goto(f"{stack.apm_url}/services/thinker-microservice")
    page.locator("#service-errors").click()
    expect(page).to_have_url(re.compile(r"/errors\?.*service=thinker-microservice"))
    expect(page.locator("#issue-list tbody tr", has_text="builtins.KeyError")).to_have_count(1)

    page.goto(f"{stack.apm_url}/services/thinker-api")
    page.locator("#service-errors").click()
    expect(page).to_have_url(re.compile(r"/errors\?.*service=thinker-api"))
    # thinker-api never raised the KeyError: the microservice did.
    expect(page.locator("#issues")).not_to_contain_text("Loading")
    expect(page.locator("#issues")).not_to_contain_text("builtins.KeyError")

    page.goto(f"{stack.apm_url}/traces/{failed[1]}")
    page.locator("#span-issue").click()
    expect(page).to_have_url(re.compile(r"/errors/[0-9a-f]{16}"))
    expect(page.locator("#issue-title")).to_contain_text("builtins.KeyError")


def test_a_new_occurrence_shows_without_reloading(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.apm_url}/errors")
    row = page.locator("#issue-list tbody tr", has_text="builtins.KeyError")
    before = int(row.locator(".issue-count").inner_text())
    page.evaluate("window.notReloaded = true")

    stack.request("think/?subject=free_lunch")

    expect(row.locator(".issue-count")).to_have_text(str(before + 1), timeout=15_000)
    expect(row).to_have_class(re.compile("fresh"))
    assert page.evaluate("window.notReloaded") is True


@pytest.mark.parametrize(
    "query", ["(service:thinker-api OR service:thinker-microservice) status:error", "foo_bar"]
)
def test_or_groups_and_free_text_find_the_seed_traces(
    page: Page, stack: Stack, failed: list[str], query: str
) -> None:
    page.goto(f"{stack.apm_url}/traces")
    page.locator("#search input[name=query]").fill(query)
    page.locator("#search button").click()
    for trace_id in failed:
        expect(page.locator(f"#traces tr[data-trace='{trace_id}']")).to_have_count(1)
    # The baseline's traces hold no error: none of them is listed.
    assert any(not t["error"] for t in stack.store.traces(limit=500))
    expect(page.locator("#traces tbody tr .badge.ok")).to_have_count(0)


def test_a_facets_value_adds_its_term_to_the_search(
    page: Page, stack: Stack, failed: list[str]
) -> None:
    page.goto(f"{stack.apm_url}/traces")
    facets = page.locator("#facets")
    expect(facets.locator("[data-facet=service]")).to_contain_text("thinker-microservice")
    expect(facets.locator("[data-facet=status]")).to_contain_text("error")
    subject = facets.locator("[data-facet=subject] [data-term='@subject:foo_bar']")
    subject.click()
    expect(page.locator("#query")).to_have_value("@subject:foo_bar")
    expect(page).to_have_url(re.compile(r"query=%40subject%3Afoo_bar"))
    for trace_id in failed:
        expect(page.locator(f"#traces tr[data-trace='{trace_id}']")).to_have_count(1)
    expect(page.locator("#traces tbody tr .badge.ok")).to_have_count(0)
    # The facets now count the matching spans only: the subject facet has one value.
    expect(facets.locator("[data-facet=subject] .facet-value")).to_have_count(1)

    facets.locator("[data-facet=status] [data-term='status:error']").click()
    expect(page.locator("#query")).to_have_value("@subject:foo_bar status:error")
    expect(facets.locator("[data-facet=status] .facet-value")).to_have_count(1)
