"""The local trace store: spans in one SQLite file, and the queries the APM views ask.

- Durable: WAL journal, so the agent (writer) and the APM pages (readers) work at the same time,
  from one process or several, and traces survive a restart.
- Ids: the full 128-bit trace id as 32 lowercase hex digits (ddtrace sends the low 64 bits as
  ``trace_id`` and the high 64 in meta ``_dd.p.tid``); span and parent ids as decimal strings,
  because 64-bit integers do not survive JavaScript's ``JSON.parse``. A root's parent is ``None``.
- Statistics follow the Datadog Agent: a service's requests, errors and latency are those of its
  *top-level* spans (a root, or a span whose parent belongs to another service); a resource's are
  those of its top-level and *measured* (``_dd.measured``) spans.
- Percentiles use linear interpolation between closest ranks (the "type 7" definition of
  Hyndman & Fan, as numpy's default and ``statistics.quantiles(method="inclusive")``).
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PERCENTILES = (0.50, 0.95, 0.99)
MAX_TRACES = 500
# How many points a time series has at most, whatever the window: enough for a readable chart.
MAX_BUCKETS = 120

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
    trace_id  TEXT    NOT NULL,
    span_id   TEXT    NOT NULL,
    parent_id TEXT,
    service   TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    resource  TEXT    NOT NULL,
    type      TEXT    NOT NULL,
    start     INTEGER NOT NULL,
    duration  INTEGER NOT NULL,
    error     INTEGER NOT NULL,
    top_level INTEGER NOT NULL,
    measured  INTEGER NOT NULL,
    peer      TEXT,
    meta      TEXT    NOT NULL,
    metrics   TEXT    NOT NULL,
    PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX IF NOT EXISTS spans_by_service ON spans (service, start);
CREATE INDEX IF NOT EXISTS spans_by_resource ON spans (service, resource, start);
CREATE INDEX IF NOT EXISTS spans_by_start ON spans (start);
CREATE INDEX IF NOT EXISTS spans_by_peer ON spans (peer, start) WHERE peer IS NOT NULL;
CREATE TABLE IF NOT EXISTS traces (
    trace_id   TEXT    PRIMARY KEY,
    start      INTEGER NOT NULL,
    finish     INTEGER NOT NULL,
    span_count INTEGER NOT NULL,
    errors     INTEGER NOT NULL,
    received   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_by_start ON traces (start);
CREATE INDEX IF NOT EXISTS traces_by_received ON traces (received);
"""


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ascending values, by linear interpolation; 0.0 when empty.

    >>> percentile([10, 20, 30, 40], 0.5)
    25.0
    """
    if not sorted_values:
        return 0.0
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"a quantile is between 0 and 1, got {q}")
    rank = (len(sorted_values) - 1) * q
    low = math.floor(rank)
    high = math.ceil(rank)
    fraction = rank - low
    return float(sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction)


@dataclass(frozen=True)
class Span:
    """One stored span; ``start`` and ``duration`` in nanoseconds."""

    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    name: str
    resource: str
    type: str
    start: int
    duration: int
    error: bool
    meta: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The span as the JSON API returns it."""
        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "service": self.service,
            "name": self.name,
            "resource": self.resource,
            "type": self.type,
            "start": self.start,
            "duration": self.duration,
            "error": int(self.error),
            "meta": self.meta,
            "metrics": self.metrics,
        }


@dataclass(frozen=True)
class Stats:
    """Requests, errors and latency (nanoseconds) of a set of spans."""

    requests: int
    errors: int
    p50: float
    p95: float
    p99: float
    total: int

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @classmethod
    def of(cls, durations: Sequence[int], errors: int) -> Stats:
        ordered = sorted(durations)
        p50, p95, p99 = (percentile(ordered, q) for q in PERCENTILES)
        return cls(len(ordered), errors, p50, p95, p99, sum(ordered))

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "error_rate": self.error_rate,
            "p50": self.p50,
            "p95": self.p95,
            "p99": self.p99,
            "total_time": self.total,
        }


def full_trace_id(low: int, high: str) -> str:
    """The 128-bit trace id as 32 hex digits, from ddtrace's low 64 bits and ``_dd.p.tid``."""
    try:
        high_bits = int(high, 16) if high else 0
    except ValueError:
        high_bits = 0
    return f"{high_bits:016x}{low & 0xFFFF_FFFF_FFFF_FFFF:016x}"


def normalise_trace_id(text: str) -> str | None:
    """A trace id as stored (32 hex digits), from 32 or fewer hex digits; ``None`` if not an id.

    Decimal ids (the ``x-datadog-trace-id`` form) are matched by :meth:`TraceStore.find_trace`.
    """
    candidate = text.strip().lower()
    if not candidate or len(candidate) > 32 or any(c not in "0123456789abcdef" for c in candidate):
        return None
    return candidate.rjust(32, "0")


@dataclass
class _Group:
    """Durations and errors gathered for one service or resource."""

    kind: str = ""
    durations: list[int] = field(default_factory=list)
    errors: int = 0

    def add(self, row: sqlite3.Row, kind: str) -> None:
        self.kind = self.kind or kind
        self.durations.append(row["duration"])
        self.errors += row["error"]


class TraceStore:
    """Spans in a SQLite file; thread-safe, and safe with other processes on the same file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the agent's and the pages' threads, serialised by a lock;
        # other processes on the same file are handled by SQLite's own locking (busy_timeout).
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> TraceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cursor = self._db.execute(sql, params)
            cursor.row_factory = sqlite3.Row
            return cursor.fetchall()

    # -- writing ---------------------------------------------------------------------------

    def add_chunks(self, chunks: Iterable[Sequence[Mapping[str, Any]]]) -> int:
        """Store trace chunks as decoded from a v0.4/v0.5 payload; returns how many spans.

        A chunk is the spans one process sends for one trace; a span whose parent is not in its
        chunk came from another process (another service), so it is top-level.
        """
        rows: list[tuple[Any, ...]] = []
        for chunk in chunks:
            services = {
                int(span.get("span_id") or 0): str(span.get("service") or "") for span in chunk
            }
            # ddtrace puts the high 64 bits of the trace id on the chunk's first span only.
            high = next(
                (
                    str(span["meta"]["_dd.p.tid"])
                    for span in chunk
                    if "_dd.p.tid" in (span.get("meta") or {})
                ),
                "",
            )
            rows.extend(_span_row(span, services, high) for span in chunk)
        if not rows:
            return 0
        received = time.time_ns()
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO spans VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows
            )
            for trace_id in {row[0] for row in rows}:
                db.execute(
                    """
                    INSERT OR REPLACE INTO traces
                    SELECT trace_id, MIN(start), MAX(start + duration), COUNT(*), SUM(error), ?
                    FROM spans WHERE trace_id = ? GROUP BY trace_id
                    """,
                    (received, trace_id),
                )
        return len(rows)

    def add_spans(self, spans: Iterable[Span]) -> int:
        """Store spans already in this store's form (tests, imports)."""
        chunks: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for span in spans:
            low = int(span.trace_id, 16) & 0xFFFF_FFFF_FFFF_FFFF
            high = span.trace_id[:16]
            meta = dict(span.meta)
            if int(high, 16):
                meta["_dd.p.tid"] = high
            chunks[span.trace_id].append(
                {
                    **span.to_json(),
                    "trace_id": low,
                    "span_id": int(span.span_id),
                    "parent_id": int(span.parent_id or 0),
                    "meta": meta,
                }
            )
        return self.add_chunks(chunks.values())

    # -- reading ---------------------------------------------------------------------------

    def services(self, window_s: float, *, now: float | None = None) -> list[dict[str, Any]]:
        """Every service seen in the window, with the stats of its top-level spans.

        Inferred services (what client spans call, by ``peer.service``: DynamoDB, ...) are
        listed too, with the stats of those client spans.
        """
        since = _since(window_s, now)
        own: dict[str, _Group] = defaultdict(_Group)
        called: dict[str, _Group] = defaultdict(_Group)
        for row in self._query(
            """
            SELECT service, name, type, duration, error, top_level, peer, meta FROM spans
            WHERE start >= ? AND (top_level OR peer IS NOT NULL)
            """,
            (since,),
        ):
            if row["top_level"]:
                own[row["service"]].add(row, service_kind(row["name"], row["type"]))
            if row["peer"]:
                called[row["peer"]].add(row, inferred_kind(json.loads(row["meta"])))
        # A called service that sends its own traces is described by them, not by its callers.
        inferred = {
            peer: group
            for peer, group in called.items()
            if peer not in own and not self._has_own_spans(peer, since)
        }
        result = []
        # As Datadog lists them: busiest first, inferred services after, cold starts last.
        ordered = sorted(
            {**own, **inferred}.items(),
            key=lambda item: (
                item[1].kind == "Lambda cold start",
                item[0] in inferred,
                -len(item[1].durations),
                item[0],
            ),
        )
        for service, group in ordered:
            result.append(
                {
                    "service": service,
                    "label": service_label(service, group.kind),
                    "kind": group.kind,
                    "inferred": service in inferred,
                    **Stats.of(group.durations, group.errors).to_json(),
                }
            )
        return result

    def _has_own_spans(self, service: str, since: int) -> bool:
        return bool(
            self._query(
                "SELECT 1 FROM spans WHERE service = ? AND start >= ? LIMIT 1", (service, since)
            )
        )

    def _selector(
        self, service: str | None, resource: str | None, table: str = "spans"
    ) -> tuple[str, list[Any]]:
        """The WHERE clause picking the spans whose stats describe a service or a resource.

        With neither, the root spans: the requests that entered the system.
        """
        if service is None:
            return f"{table}.parent_id IS NULL", []
        if not self._query("SELECT 1 FROM spans WHERE service = ? LIMIT 1", (service,)):
            # An inferred service: described by the client spans calling it.
            if resource is None:
                return f"{table}.peer = ?", [service]
            return f"{table}.peer = ? AND {table}.resource = ?", [service, resource]
        if resource is None:
            return f"{table}.top_level = 1 AND {table}.service = ?", [service]
        return (
            f"({table}.top_level OR {table}.measured) AND {table}.service = ?"
            f" AND {table}.resource = ?",
            [service, resource],
        )

    def resources(
        self, service: str, window_s: float, *, now: float | None = None
    ) -> list[dict[str, Any]]:
        """A service's resources (its top-level and measured spans), busiest first."""
        since = _since(window_s, now)
        where, params = self._selector(service, None)
        # Resources are the top-level spans' and the measured spans' (e.g. outgoing calls).
        where = where.replace("spans.top_level = 1", "(spans.top_level OR spans.measured)")
        durations: dict[tuple[str, str], list[int]] = defaultdict(list)
        errors: dict[tuple[str, str], int] = defaultdict(int)
        for row in self._query(
            f"SELECT name, resource, duration, error FROM spans WHERE {where} AND start >= ?",  # noqa: S608 (fixed clauses)
            (*params, since),
        ):
            key = (row["name"], row["resource"])
            durations[key].append(row["duration"])
            errors[key] += row["error"]
        result = [
            {
                "name": name,
                "resource": resource,
                **Stats.of(values, errors[name, resource]).to_json(),
            }
            for (name, resource), values in durations.items()
        ]
        return sorted(result, key=lambda r: (-r["requests"], r["name"], r["resource"]))

    def timeseries(
        self,
        window_s: float,
        *,
        service: str | None = None,
        resource: str | None = None,
        buckets: int = 60,
        now: float | None = None,
    ) -> dict[str, Any]:
        """Requests, errors and latency percentiles per time bucket over the window.

        Without a service, the root spans; with one, the spans its stats count; with a resource
        too, that resource's.
        """
        end = time.time() if now is None else now
        count = max(1, min(buckets, MAX_BUCKETS))
        interval = window_s / count
        start = end - interval * count
        where, params = self._selector(service, resource)
        rows = self._query(
            f"SELECT start, duration, error FROM spans WHERE {where} AND start >= ?",  # noqa: S608 (fixed clauses)
            (*params, int(start * 1e9)),
        )
        per_bucket: list[list[int]] = [[] for _ in range(count)]
        errors = [0] * count
        for row in rows:
            index = min(count - 1, int((row["start"] / 1e9 - start) // interval))
            per_bucket[index].append(row["duration"])
            errors[index] += row["error"]
        points = []
        for index, values in enumerate(per_bucket):
            stats = Stats.of(values, errors[index])
            points.append(
                {
                    "time": start + index * interval,
                    "requests": stats.requests,
                    "errors": stats.errors,
                    "p50": stats.p50,
                    "p95": stats.p95,
                    "p99": stats.p99,
                }
            )
        return {"start": start, "interval": interval, "points": points}

    def traces(
        self,
        *,
        service: str | None = None,
        resource: str | None = None,
        error: bool | None = None,
        tag: tuple[str, str] | None = None,
        limit: int = 50,
        since_received: int | None = None,
    ) -> list[dict[str, Any]]:
        """Trace summaries, newest first.

        With ``service`` (and ``resource``), only traces with such an entry span, and the summary
        describes that span (its start, duration, status); otherwise it describes the root.
        ``error`` filters on whether the trace holds an error span; ``tag`` on a span of the
        trace carrying that meta value; ``since_received`` on traces stored after that time (ns).
        """
        limit = max(1, min(limit, MAX_TRACES))
        clauses: list[str] = []
        params: list[Any] = []
        if service is not None or resource is not None:
            where, span_params = self._selector(service, resource, table="s")
            clauses.append(where)
            params += span_params
        else:
            clauses.append("s.parent_id IS NULL")
        if error is not None:
            clauses.append("t.errors > 0" if error else "t.errors = 0")
        if tag is not None:
            clauses.append(
                "EXISTS (SELECT 1 FROM spans x WHERE x.trace_id = t.trace_id"
                " AND json_extract(x.meta, ?) = ?)"
            )
            params += [_json_path(tag[0]), tag[1]]
        if since_received is not None:
            clauses.append("t.received > ?")
            params.append(since_received)
        rows = self._query(
            f"""
            SELECT s.trace_id, s.service, s.name, s.resource, s.start, s.duration, s.error,
                   json_extract(s.meta, '$."http.status_code"') AS status,
                   t.start AS trace_start, t.finish, t.span_count, t.errors, t.received
            FROM spans s JOIN traces t ON t.trace_id = s.trace_id
            WHERE {" AND ".join(clauses)}
            ORDER BY s.start DESC
            LIMIT ?
            """,  # noqa: S608 (the clauses are fixed strings; values are bound)
            (*params, limit * 4),
        )
        seen: set[str] = set()
        result = []
        for row in rows:
            if row["trace_id"] in seen:
                continue
            seen.add(row["trace_id"])
            result.append(
                {
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
            )
            if len(result) == limit:
                break
        return result

    def trace(self, trace_id: str) -> list[Span]:
        """Every span of a trace (stored id form), in start order; empty if unknown."""
        rows = self._query(
            "SELECT * FROM spans WHERE trace_id = ? ORDER BY start, span_id", (trace_id,)
        )
        return [
            Span(
                trace_id=row["trace_id"],
                span_id=row["span_id"],
                parent_id=row["parent_id"],
                service=row["service"],
                name=row["name"],
                resource=row["resource"],
                type=row["type"],
                start=row["start"],
                duration=row["duration"],
                error=bool(row["error"]),
                meta=json.loads(row["meta"]),
                metrics=json.loads(row["metrics"]),
            )
            for row in rows
        ]

    def find_trace(self, text: str) -> str | None:
        """The stored id of a trace given as 32 hex digits, or as the decimal low 64 bits."""
        text = text.strip()
        if text.isdigit() and len(text) <= 20 and int(text) <= 0xFFFF_FFFF_FFFF_FFFF:
            rows = self._query(
                "SELECT trace_id FROM traces WHERE substr(trace_id, 17) = ? LIMIT 1",
                (f"{int(text):016x}",),
            )
            if rows:
                return str(rows[0]["trace_id"])
        trace_id = normalise_trace_id(text)
        if trace_id is None:
            return None
        rows = self._query("SELECT trace_id FROM traces WHERE trace_id = ?", (trace_id,))
        return str(rows[0]["trace_id"]) if rows else None

    def latest_trace_id(self) -> str | None:
        """The trace most recently started, if any."""
        rows = self._query("SELECT trace_id FROM traces ORDER BY start DESC LIMIT 1")
        return str(rows[0]["trace_id"]) if rows else None

    def span_count(self) -> int:
        return int(self._query("SELECT COUNT(*) AS n FROM spans")[0]["n"])


def _since(window_s: float, now: float | None) -> int:
    end = time.time() if now is None else now
    return int((end - window_s) * 1e9)


def _peer_service(meta: Mapping[str, str]) -> str | None:
    """The inferred service a client span calls (its ``peer.service``), as Datadog infers it."""
    if meta.get("span.kind") in ("client", "producer") and meta.get("peer.service"):
        return meta["peer.service"]
    return None


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


def _json_path(key: str) -> str:
    return '$."' + key.replace('"', "") + '"'


def _span_row(span: Mapping[str, Any], services: Mapping[int, str], high: str) -> tuple[Any, ...]:
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
        _peer_service(meta),
        json.dumps(meta, sort_keys=True),
        json.dumps(metrics, sort_keys=True),
    )
