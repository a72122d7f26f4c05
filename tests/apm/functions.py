"""The two real functions, wrapped by the Datadog layer's library, sending to a given agent.

Each runs in its own process behind ``tests.support.lambda_server`` (one API Gateway event per
HTTP request), with the environment template.yaml gives it: the spans are the genuine article.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.expected import TABLE
from tests.support.processes import free_port, running
from tests.support.template import function_environment
from thinker_local.store import TraceStore

SEED_PATH = "think/?subject=technology&subject=foo_bar"


def _environment(
    logical_id: str, name: str, agent: str, code: str, **resolved: str
) -> dict[str, str]:
    return {
        **function_environment(logical_id, **resolved),
        # What Lambda sets, and what keeps the library quiet outside AWS (no Extension here).
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "DD_TRACE_AGENT_URL": agent,
        "DD_FLUSH_TO_LOG": "true",
        "DD_ENHANCED_METRICS": "false",
        "DD_API_KEY_SECRET_ARN": "",
        "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
        "DD_REMOTE_CONFIGURATION_ENABLED": "false",
        "PYTHONPATH": f"{code}:.",
    }


@contextmanager
def running_functions(agent: str, dynamodb_url: str, logs: Path) -> Iterator[str]:
    """thinker-microservice and thinker-api running; yields thinker-api's base URL."""
    microservice_port, api_port = free_port(), free_port()
    server = [sys.executable, "-m", "tests.support.lambda_server"]
    server += ["--handler", "datadog_lambda.handler.handler"]
    microservice_env = _environment(
        "MicroserviceFunction",
        "thinker-microservice",
        agent,
        "microservice_lambda",
        THOUGHTS_TABLE=TABLE,
        AWS_ENDPOINT_URL_DYNAMODB=dynamodb_url,
        # Shorter than the quick-start's 0.2 s and 0.5 s, still long enough to see in a trace.
        THINKER_SUBJECT_DELAY="0.02",
        THINKER_THINK_DELAY="0.05",
    )
    api_env = _environment(
        "ThinkerApiFunction",
        "thinker-api",
        agent,
        "api_lambda",
        THINKER_MICROSERVICE_URL=f"http://127.0.0.1:{microservice_port}/",
    )
    with ExitStack() as stack:
        for port, env, event, resource, name in (
            (microservice_port, microservice_env, "microservice.json", "/", "microservice"),
            (api_port, api_env, "think.json", "/think", "api"),
        ):
            args = [*server, "--port", str(port), "--event", f"events/{event}"]
            args += ["--resource", resource]
            stack.enter_context(running(args, port=port, env=env, log=logs / f"{name}.log"))
        yield f"http://127.0.0.1:{api_port}/"


@dataclass
class Stack:
    """The agent and the APM on loopback ports over one SQLite file, and the two functions."""

    agent_url: str
    apm_url: str
    api_url: str
    store: TraceStore

    def request(self, path: str = SEED_PATH) -> tuple[requests.Response, str]:
        """Call thinker-api; its response and the id of the trace it made, once complete."""
        before = {t["trace_id"] for t in self.store.traces(limit=500)}
        # The function's server handles one connection at a time: never leave one idle.
        response = requests.get(self.api_url + path, headers={"Connection": "close"}, timeout=30)
        deadline = time.monotonic() + 30
        while True:
            new = [t for t in self.store.traces(limit=500) if t["trace_id"] not in before]
            # Each function flushes on its own schedule: wait for both functions' spans.
            if new and _has_both_functions(self.store, new[0]["trace_id"]):
                return response, new[0]["trace_id"]
            assert time.monotonic() < deadline, "the request's trace never reached the store"
            time.sleep(0.05)


def _has_both_functions(store: TraceStore, trace_id: str) -> bool:
    handlers = {s.service for s in store.trace(trace_id) if s.name == "aws.lambda"}
    return handlers == {"thinker-api", "thinker-microservice"}
