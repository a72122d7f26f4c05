"""Regenerate ``fixtures/seed_trace.json``: the chunks ddtrace sends for the seed request.

    .venv/bin/python tests/support/capture_seed_trace.py

Runs both functions (:mod:`tests.support.functions`) against a recording agent, then normalises
what changes from run to run: ids, times (rebased to :data:`EPOCH_NS`), request and runtime ids,
ports, and file paths in stacks.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO), str(REPO / "microservice_lambda")]

from moto.server import ThreadedMotoServer  # noqa: E402

from tests.support.expected import create_thoughts_table  # noqa: E402
from tests.support.functions import running_functions  # noqa: E402
from tests.support.processes import free_port  # noqa: E402
from tests.support.seed_trace import SEED_PATH  # noqa: E402
from thinker_local.agent.intake import create_agent_app  # noqa: E402
from thinker_local.harness.servers import serve  # noqa: E402
from thinker_local.store import TraceStore  # noqa: E402

FIXTURE = HERE / "fixtures" / "seed_trace.json"
EPOCH_NS = 1_764_072_000_000_000_000  # 2025-11-25 12:00:00 UTC
_VOLATILE_META = ("runtime-id", "request_id", "aws.requestid", "_dd.tags.process")


class RecordingStore(TraceStore):
    """A store that also keeps every chunk it is given, as decoded."""

    def __init__(self) -> None:
        super().__init__(":memory:")
        self.chunks: list[list[dict[str, Any]]] = []
        self._chunks_lock = threading.Lock()

    def add_chunks(self, chunks: Any) -> int:
        chunks = [list(chunk) for chunk in chunks]
        with self._chunks_lock:
            self.chunks.extend(chunks)
        return super().add_chunks(chunks)


def _lambda_spans(store: TraceStore) -> list[Any]:
    trace_id = store.latest_trace_id()
    return [s for s in store.trace(trace_id) if s.name == "aws.lambda"] if trace_id else []


def normalise(chunks: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """Stable ids, times from :data:`EPOCH_NS`, no volatile or machine-specific values."""
    spans = [span for chunk in chunks for span in chunk]
    first = min(span["start"] for span in spans)
    ids = {span["span_id"]: index for index, span in enumerate(spans, start=1)}
    root = str(HERE.parents[1])
    for span in spans:
        span["trace_id"] = 0x1111_2222_3333_4444
        span["span_id"] = ids[span["span_id"]]
        span["parent_id"] = ids.get(span.get("parent_id") or 0, 0)
        span["start"] = EPOCH_NS + span["start"] - first
        meta = span.get("meta", {})
        for key in _VOLATILE_META:
            meta.pop(key, None)
        if "_dd.p.tid" in meta:
            meta["_dd.p.tid"] = "6924a0c000000000"
        for key, value in meta.items():
            value = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:8000", value)
            value = value.replace(root + "/", "")
            value = re.sub(r'[^\s"]*/site-packages/', "site-packages/", value)
            meta[key] = re.sub(r'[^\s"]*/lib/python3\.\d+/', "python3/", value)
        span.get("metrics", {}).pop("process_id", None)
    return chunks


def main() -> None:
    store = RecordingStore()
    dynamodb = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    dynamodb.start()
    host, port = dynamodb.get_host_and_port()
    try:
        create_thoughts_table(f"http://{host}:{port}")
        with (
            tempfile.TemporaryDirectory() as logs,
            serve(create_agent_app(store)) as agent_url,
            running_functions(agent_url, f"http://{host}:{port}", Path(logs)) as api_url,
        ):
            requests.get(api_url.rstrip("/") + SEED_PATH, timeout=30).raise_for_status()
            deadline = time.monotonic() + 30
            while {s.service for s in _lambda_spans(store)} != {
                "thinker-api",
                "thinker-microservice",
            }:
                assert time.monotonic() < deadline, "the functions' spans never arrived"
                time.sleep(0.1)
    finally:
        dynamodb.stop()
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps(normalise(store.chunks), indent=1, sort_keys=True) + "\n")
    print(f"{sum(map(len, store.chunks))} spans in {len(store.chunks)} chunks -> {FIXTURE}")


if __name__ == "__main__":
    main()
