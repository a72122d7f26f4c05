"""The seed request's trace as ddtrace sent it (from capture_seed_trace.py), and copies of it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).parent / "fixtures" / "seed_trace.json"

Chunks = list[list[dict[str, Any]]]


def seed_chunks() -> Chunks:
    """The decoded chunks, ids and times normalised."""
    chunks: Chunks = json.loads(FIXTURE.read_text())
    return chunks


def trace_copy(
    chunks: Chunks,
    number: int,
    *,
    start_ns: int,
    mutate: Callable[[dict[str, Any]], None] | None = None,
) -> Chunks:
    """The seed trace as a new trace: its own ids (from ``number``), moved to ``start_ns``."""
    result = copy.deepcopy(chunks)
    first = min(span["start"] for chunk in result for span in chunk)
    for chunk in result:
        for span in chunk:
            span["trace_id"] += number
            span["span_id"] += number * 100_000
            if span["parent_id"]:
                span["parent_id"] += number * 100_000
            span["start"] += start_ns - first
            if mutate is not None:
                mutate(span)
    return result


def technology_only(span: dict[str, Any]) -> None:
    """A ``trace_copy`` mutation: the seed's spans as if the request had asked for
    ``technology`` twice, so no span fails."""
    if span["meta"].get("subject") == "foo_bar":
        span["meta"] = {k: v for k, v in span["meta"].items() if not k.startswith("error.")}
        span["meta"]["subject"] = "technology"
        span["error"] = 0
