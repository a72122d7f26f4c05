"""Fixtures shared by every test: a seeded DynamoDB, a Datadog test agent, the seed trace, trace
stores, a running agent + APM fed by the real functions, and a headless Chromium."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from ddtrace.trace import tracer
from hypothesis import settings
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.apm_stack import Stack
from tests.support.expected import create_thoughts_table
from tests.support.functions import running_functions
from tests.support.processes import ddapm_test_agent_command, free_port, running
from tests.support.seed_chunks import Chunks, seed_chunks, trace_copy
from thinker_local.agent.intake import create_agent_app
from thinker_local.apm import create_apm_app
from thinker_local.harness.servers import serve
from thinker_local.store import TraceStore

# Nothing in the tests may reach AWS: fake credentials, one region.
os.environ.update(
    AWS_ACCESS_KEY_ID="AKIDLOCALTESTS",
    AWS_SECRET_ACCESS_KEY="local-tests-secret",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
    SAM_CLI_TELEMETRY="0",
)
os.environ.pop("AWS_SESSION_TOKEN", None)
os.environ.pop("AWS_PROFILE", None)

# Properties are about behaviour, not speed: no per-example deadline, which a busy CI machine
# would turn into flaky failures.
settings.register_profile("thinker", deadline=None)
settings.load_profile("thinker")

# Spans made inside the test process go nowhere: the traced tests run the functions in real
# processes, each with its own agent.
tracer.enabled = False


@pytest.fixture(scope="session")
def dynamodb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's DynamoDB server on loopback, with the seeded thoughts table.

    In its own process: in-process ``mock_aws`` tests reset moto's backends, which a threaded
    server in this process would share.
    """
    port = free_port()
    args = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with running(args, port=port, log=log):
        url = f"http://127.0.0.1:{port}"
        create_thoughts_table(url)
        yield url


@pytest.fixture
def test_agent(tmp_path: Path) -> Iterator[str]:
    """Datadog's own test agent (ddapm-test-agent), in its own process."""
    port = free_port()
    args = ddapm_test_agent_command("127.0.0.1", port)
    env = {"SNAPSHOT_DIR": str(tmp_path / "snapshots"), "LOG_LEVEL": "WARNING"}
    with running(args, port=port, env=env, log=tmp_path / "test-agent.log"):
        yield f"http://127.0.0.1:{port}"


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
