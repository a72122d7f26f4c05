"""The APM's test stack: the agent and the APM over one store, fed by the two real functions."""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests

from tests.support.seed_trace import SEED_PATH
from thinker_local.store import TraceStore


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
        response = requests.get(
            self.api_url.rstrip("/") + "/" + path.lstrip("/"),
            headers={"Connection": "close"},
            timeout=30,
        )
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
