"""What the store's answers look like: JSON shapes, and the names a person reads.

The APM's JSON API (docs/apm-api.md) and the terminal's ``trace`` command show these shapes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from ..stats import RequestStats
from . import tree
from .issues import fingerprint
from .spans import Span

# Tags every span carries, or that describe an error: not what the code chose to record.
_COMMON_TAGS = frozenset({"env", "version", "language", "runtime-id", "service"})


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
