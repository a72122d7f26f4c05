"""What the store's answers look like: JSON shapes, and the names a person reads.

The APM's JSON API (docs/apm-api.md) and the terminal's ``trace`` command show these shapes.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from ..stats import RequestStats
from . import tree
from .issues import fingerprint
from .spans import Span

# Tags every span carries, or that describe an error: not what the code chose to record.
_COMMON_TAGS = frozenset({"env", "version", "language", "runtime-id", "service"})
# Facets: how many tags are offered, how many values each shows, and the most distinct values a
# tag may have among the counted spans (more, and it is an id: a request's, a trace's, a URL's).
FACET_TAGS = 12
FACET_VALUES = 10
FACET_MAX_DISTINCT = 25
# Tags that name the process, never what a search narrows.
_PROCESS_TAGS = ("runtime-id", "language")
_FIELD_FACETS = ("service", "resource", "status")


def own_tags(span: Span) -> dict[str, str]:
    """The tags the application's own code set, on a span it opened itself.

    Spans of integrations carry ``component``; datadog-lambda's and the inferred ones are named
    ``aws.*``. What is left was opened by the function's code (``tracer.trace(...)``), and its
    tags, less those every span or every error has, are what that code chose to record.
    """
    if "component" in span.meta or span.name.startswith("aws."):
        return {}
    return {
        key: value
        for key, value in span.meta.items()
        if key not in _COMMON_TAGS and not key.startswith(("_dd.", "error."))
    }


def span_json(span: Span) -> dict[str, Any]:
    """A span as the JSON API returns it; an error span names its Error Tracking issue."""
    found = fingerprint(span.meta) if span.error else None
    return {
        **asdict(span),
        "error": int(span.error),
        "own_tags": own_tags(span),
        "issue": found.id if found else None,
    }


def stats_json(stats: RequestStats) -> dict[str, Any]:
    """Requests, errors and latency (ns) as the service and resource lists show them."""
    return {
        "requests": stats.requests,
        "errors": stats.errors,
        "error_rate": stats.error_rate,
        "p50": stats.p50,
        "p95": stats.p95,
        "p99": stats.p99,
        "total_time": stats.total,
    }


def point_json(time: float, stats: RequestStats) -> dict[str, Any]:
    """One bucket of a time series: requests, errors and latency percentiles."""
    shown = stats_json(stats)
    del shown["error_rate"], shown["total_time"]
    return {"time": time, **shown}


def trace_summary_json(row: sqlite3.Row) -> dict[str, Any]:
    """A trace in a list: its entry span (start, duration, status) and the whole trace's counts."""
    return {
        "trace_id": row["trace_id"],
        "service": row["service"],
        "name": row["name"],
        "resource": row["resource"],
        "start": row["start"],
        "duration": row["duration"],
        "status": row["status"],
        "span_error": bool(row["error"]),
        "error": row["errors"] > 0,
        "errors": row["errors"],
        "span_count": row["span_count"],
        "trace_start": row["trace_start"],
        "trace_duration": row["finish"] - row["trace_start"],
        "received": row["received"],
    }


def facets_json(rows: Sequence[sqlite3.Row], limit: int) -> dict[str, Any]:
    """Facets as the API returns them: each a name, its values (most spans first) and counts.

    ``rows`` hold (kind, key, value, n, own): kind ``field`` for service, resource and status,
    ``tag`` for every tag of the same spans, ``own`` when the function's own code set it (see
    :func:`own_tags`). ``env`` is a facet of its own; of the other tags, :data:`FACET_TAGS`:
    the code's own first, then those with several values, then those carried by most spans,
    leaving out those with more than :data:`FACET_MAX_DISTINCT` values.
    """
    values: dict[str, list[tuple[str, int]]] = defaultdict(list)
    own = set()
    for row in rows:
        key = row["key"]
        # A tag that repeats a span's own field, or names the process, is no facet.
        if row["kind"] == "tag" and key in (*_FIELD_FACETS, *_PROCESS_TAGS):
            continue
        values[key].append((str(row["value"]), int(row["n"])))
        if row["own"]:
            own.add(key)
    spans = sum(n for _, n in values.get("status", []))

    def facet(name: str, key: str) -> dict[str, Any]:
        ordered = sorted(values.get(key, []), key=lambda item: (-item[1], item[0]))
        shown = ordered[:FACET_VALUES]
        return {
            "facet": name,
            "key": key,
            "values": [{"value": value, "count": n} for value, n in shown],
            "more": len(ordered) - len(shown),
        }

    common = sorted(
        (
            key
            for key, found in values.items()
            if key not in (*_FIELD_FACETS, "env") and len(found) <= FACET_MAX_DISTINCT
        ),
        # The code's own tags first; then a tag with two values or more, which narrows a
        # search, before one with a single value, which does not.
        key=lambda key: (
            key not in own,
            len(values[key]) < 2,
            -sum(n for _, n in values[key]),
            key,
        ),
    )[:FACET_TAGS]
    return {
        "spans": spans,
        "complete": spans < limit,
        "facets": [
            facet("Service", "service"),
            facet("Resource", "resource"),
            facet("Status", "status"),
            facet("Env", "env"),
            *(facet(f"@{key}", key) for key in common),
        ],
    }


def trace_document(trace_id: str, spans: Sequence[Span]) -> dict[str, Any]:
    """A trace as the API returns it: spans in tree order with depth, and time per service."""
    nodes = tree.walk(spans)
    own = tree.self_times(spans)
    start, duration = tree.bounds(spans)
    return {
        "trace_id": trace_id,
        "start": start,
        "duration": duration,
        "services": tree.service_times(spans),
        "spans": [
            {
                **span_json(node.span),
                "depth": node.depth,
                "descendants": node.descendants,
                "self_time": own[node.span.span_id],
            }
            for node in nodes
        ],
    }


def service_kind(name: str, span_type: str) -> str:
    """What a service is, from its top-level spans' operation name and type."""
    if name in ("aws.apigateway", "aws.httpapi", "aws.apigateway.rest", "aws.apigateway.http"):
        return "API Gateway"
    if name.startswith("aws.lambda."):
        return "Lambda cold start"
    if name == "aws.lambda" or span_type == "serverless":
        return "Lambda"
    return {"web": "Web", "http": "HTTP client", "sql": "Database", "db": "Database"}.get(
        span_type, span_type or "Custom"
    )


def inferred_kind(meta: Mapping[str, str]) -> str:
    """What an inferred service is, from the tags of a span calling it."""
    aws_service = meta.get("aws_service") or meta.get("aws.service") or ""
    known = {"dynamodb": "DynamoDB", "s3": "S3", "sqs": "SQS", "sns": "SNS", "lambda": "Lambda"}
    if aws_service:
        return known.get(aws_service.lower(), f"AWS {aws_service}")
    return meta.get("db.system") or "HTTP"


def service_label(service: str, kind: str) -> str:
    """A name a person reads: API Gateway's and AWS's domain names say what they are."""
    if ".execute-api." in service:
        return f"API Gateway {service.split('.', 1)[0]}"
    if service.endswith(".amazonaws.com"):
        return f"{kind} ({service.split('.')[1]})" if service.count(".") > 2 else kind
    if kind == "Lambda cold start":
        return "Lambda cold start"
    return service
