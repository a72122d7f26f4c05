"""The rules that turn what ddtrace sends into stored rows, as the Datadog Agent reads spans.

- Trace ids: the full 128-bit id as 32 lowercase hex digits (ddtrace sends the low 64 bits as
  ``trace_id`` and the high 64 in meta ``_dd.p.tid``); span and parent ids as decimal strings.
- Top-level spans: a root, or a span whose parent belongs to another service (another chunk); a
  service's requests are its top-level spans, a resource's its top-level and *measured* ones.
- Peer services: a client span's ``peer.service`` names the service it calls (DynamoDB, ...).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from .spans import Span

Chunk = Sequence[Mapping[str, Any]]
# Meta and metrics are stored as JSON without spaces (about 40 bytes a span), keys sorted.
to_json = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def full_trace_id(low: int, high: str) -> str:
    """The 128-bit trace id as 32 hex digits, from ddtrace's low 64 bits and ``_dd.p.tid``."""
    try:
        high_bits = int(high, 16) if high else 0
    except ValueError:
        high_bits = 0
    return f"{high_bits:016x}{low & 0xFFFF_FFFF_FFFF_FFFF:016x}"


def normalise_trace_id(text: str) -> str | None:
    """A trace id as stored (32 hex digits), from 32 or fewer hex digits; ``None`` if not an id.

    Decimal ids (the ``x-datadog-trace-id`` form) are matched by ``TraceStore.find_trace``.
    """
    candidate = text.strip().lower()
    if not candidate or len(candidate) > 32 or any(c not in "0123456789abcdef" for c in candidate):
        return None
    return candidate.rjust(32, "0")


def peer_service(meta: Mapping[str, str]) -> str | None:
    """The inferred service a client span calls (its ``peer.service``), as Datadog infers it."""
    if meta.get("span.kind") in ("client", "producer") and meta.get("peer.service"):
        return meta["peer.service"]
    return None


def rows(chunks: Iterable[Chunk]) -> list[tuple[Any, ...]]:
    """The ``spans`` rows of trace chunks as decoded from a v0.4/v0.5 payload.

    A chunk is the spans one process sends for one trace; a span whose parent is not in its
    chunk came from another process (another service), so it is top-level.
    """
    result: list[tuple[Any, ...]] = []
    for chunk in chunks:
        services = {int(span.get("span_id") or 0): str(span.get("service") or "") for span in chunk}
        # ddtrace puts the high 64 bits of the trace id on the chunk's first span only.
        high = next(
            (
                str(span["meta"]["_dd.p.tid"])
                for span in chunk
                if "_dd.p.tid" in (span.get("meta") or {})
            ),
            "",
        )
        result.extend(_row(span, services, high) for span in chunk)
    return result


def chunks(spans: Iterable[Span]) -> list[list[dict[str, Any]]]:
    """Spans in the store's form back into ddtrace's chunks (one per trace), for :func:`rows`."""
    by_trace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        high = span.trace_id[:16]
        meta = dict(span.meta)
        if int(high, 16):
            meta["_dd.p.tid"] = high
        by_trace[span.trace_id].append(
            {
                **asdict(span),
                "trace_id": int(span.trace_id, 16) & 0xFFFF_FFFF_FFFF_FFFF,
                "span_id": int(span.span_id),
                "parent_id": int(span.parent_id or 0),
                "error": int(span.error),
                "meta": meta,
            }
        )
    return list(by_trace.values())


def _row(span: Mapping[str, Any], services: Mapping[int, str], high: str) -> tuple[Any, ...]:
    meta = {str(k): str(v) for k, v in (span.get("meta") or {}).items()}
    metrics = {str(k): float(v) for k, v in (span.get("metrics") or {}).items()}
    span_id = int(span.get("span_id") or 0)
    parent = int(span.get("parent_id") or 0)
    service = str(span.get("service") or "")
    # ddtrace marks many cold-start import spans top-level; a cold start counts once, by its
    # aws.lambda.load span, or the cold-start "service" would show one request per module.
    top_level = span.get("name") != "aws.lambda.import" and (
        metrics.get("_dd.top_level") == 1
        or metrics.get("_top_level") == 1
        or parent == 0
        or services.get(parent, service) != service
        or parent not in services
    )
    return (
        full_trace_id(int(span.get("trace_id") or 0), high),
        str(span_id),
        str(parent) if parent else None,
        service,
        str(span.get("name") or ""),
        str(span.get("resource") or span.get("name") or ""),
        str(span.get("type") or ""),
        int(span.get("start") or 0),
        int(span.get("duration") or 0),
        1 if span.get("error") else 0,
        int(top_level),
        int(metrics.get("_dd.measured") == 1),
        peer_service(meta),
        to_json(meta),
        to_json(metrics),
    )
