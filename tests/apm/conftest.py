"""Fixtures: the seed trace, stores, a running agent + APM fed by the real functions, and a
headless Chromium."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from tests.apm.functions import Stack
from tests.apm.seed import Chunks, seed_chunks, trace_copy
from tests.support.functions import running_functions
from thinker_local.agent.intake import create_agent_app
from thinker_local.apm import create_apm_app
from thinker_local.harness.servers import serve
from thinker_local.store import TraceStore


@pytest.fixture(scope="session")
def seed() -> Chunks:
    """What ddtrace sent for the seed request (ids normalised)."""
    return seed_chunks()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TraceStore]:
    with TraceStore(tmp_path / "traces.sqlite3") as opened:
        yield opened


@pytest.fixture
def seeded_store(store: TraceStore, seed: Chunks) -> TraceStore:
    """A store holding the seed trace, as if it had happened five seconds ago."""
    store.add_chunks(trace_copy(seed, 0, start_ns=time.time_ns() - 5_000_000_000))
    return store


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, dynamodb_url: str) -> Iterator[Stack]:
    """A running agent and APM (separate connections to one file, as two processes would)."""
    directory = tmp_path_factory.mktemp("stack")
    path = directory / "traces.sqlite3"
    with (
        TraceStore(path) as agent_store,
        TraceStore(path) as apm_store,
        serve(create_agent_app(agent_store)) as agent_url,
        serve(create_apm_app(apm_store)) as apm_url,
        running_functions(agent_url, dynamodb_url, directory) as api_url,
    ):
        yield Stack(agent_url, apm_url, api_url, apm_store)


@pytest.fixture(scope="session")
def seed_trace(stack: Stack) -> tuple[requests.Response, str]:
    """The seed request, made once through the real functions: response and trace id."""
    return stack.request()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert errors == [], f"the page raised: {errors}"
