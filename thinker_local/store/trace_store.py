"""The trace store: spans written as the agent receives them, and the queries the APM views ask.

Statistics follow the Datadog Agent: a service's requests, errors and latency are those of its
top-level spans; a resource's those of its top-level and measured spans; an inferred service's
(DynamoDB, ...) those of the client spans calling it (see :mod:`.ingest`).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..stats import RequestStats
from . import ingest, issues, rollups
from .damage import Recent
from .database import SPAN_ROWS, Database
from .invocations import Invocations
from .issues import Issues
from .logs import Logs
from .presentation import (
    facets_json,
    inferred_kind,
    point_json,
    service_kind,
    service_label,
    stats_json,
    trace_summary_json,
)
from .query import Query, Term, json_path
from .retention import Pruner, Retention
from .rollups import MINUTE_NS, Rollups
from .spans import Calls, Span

MAX_TRACES = 500
# Below this many spans past a search's @duration floor, the search starts from them (index on
# duration); above, from the newest traces, which then match soon.
FEW_LONG_SPANS = 2000
# Below this many spans carrying a searched tag, the search starts from them (the tag index);
# above, from the newest traces, which then match soon.
FEW_TAGGED_SPANS = 2000
# How many of the newest matching spans the facets count at most.
FACET_SPANS = 2000
# How many points a time series has at most, whatever the window: enough for a readable chart.
MAX_BUCKETS = 120

# A WHERE clause over a table alias, with the values it binds.
Clause = tuple[str, list[Any]]


@dataclass
class _Group:
    """Durations and errors gathered for one service or resource."""

    kind: str = ""
    durations: list[int] = field(default_factory=list)
    errors: int = 0

    def add(self, duration: int, error: int, kind: str = "") -> None:
        self.kind = self.kind or kind
        self.durations.append(duration)
        self.errors += error

    def extend(self, durations: Iterable[int], errors: int, kind: str) -> None:
        self.kind = self.kind or kind
        self.durations.extend(durations)
        self.errors += errors

    def stats(self) -> RequestStats:
        return RequestStats.of(self.durations, self.errors)


class TraceStore:
    """Spans in a SQLite file; thread-safe, and safe with other processes on the same file."""

    def __init__(self, path: str | Path, *, say: Callable[[str], object] | None = None) -> None:
        """``say``: how to tell the user that the file was set aside as damaged, or that the
        disk is full (one line each; by default, the log)."""
        self.path = Path(path)
        self._db = Database(path, say=say)
        # A damaged file found while in use: the spans of the last minute go to the fresh one.
        self._recent = Recent()
        self._db.on_fresh(self._write_recent)
        self.invocations = Invocations(self._db)
        self.logs = Logs(self._db)
        self.issues = Issues(self._db)
        self._rollups = Rollups(self._db)
        self._stored: list[Callable[[], object]] = []

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> TraceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def add_chunks(self, chunks: Iterable[ingest.Chunk]) -> int:
        """Store trace chunks as decoded from a v0.4/v0.5 payload; returns how many spans."""
        rows = ingest.rows(chunks)
        if rows:
            self._db.insert_spans(rows, received=time.time_ns(), also=_derived)
            self._recent.add(rows)
            for listener in list(self._stored):
                listener()
        return len(rows)

    def _write_recent(self) -> None:
        for rows in self._recent.rows():
            self._db.insert_spans(rows, received=time.time_ns(), also=_derived)

    def on_stored(self, listener: Callable[[], object]) -> Callable[[], None]:
        """Call ``listener`` (from the writing thread) after each write of spans through this
        store; returns how to stop. Writers in other processes are not seen: poll for those.
        """
        self._stored.append(listener)
        return lambda: self._stored.remove(listener)

    def keep(self, retention: Retention, report: Callable[[int], None]) -> Pruner:
        """Prune this store by ``retention`` in the background from now on (``report`` hears
        how many traces each pass deleted); close the pruner to stop."""
        pruner = Pruner(self._db, retention, report)
        pruner.start()
        return pruner

    def add_spans(self, spans: Iterable[Span]) -> int:
        """Store spans already in this store's form (tests, imports)."""
        return self.add_chunks(ingest.chunks(spans))

    # -- which spans describe what ---------------------------------------------------------

    def _is_inferred(self, service: str) -> bool:
        """Whether ``service`` sends no spans: it is known by the client spans calling it."""
        return not self._db.query("SELECT 1 FROM spans WHERE service = ? LIMIT 1", (service,))

    def _service_spans(self, service: str, table: str = "spans") -> Clause:
        """The spans whose stats are a service's: its top-level ones, or the calls to it."""
        if self._is_inferred(service):
            return f"{table}.peer = ?", [service]
        return f"{table}.top_level = 1 AND {table}.service = ?", [service]

    def _resource_spans(self, service: str, resource: str | None, table: str = "spans") -> Clause:
        """The spans whose stats are a service's resources' (all, or the one named)."""
        if self._is_inferred(service):
            where, params = f"{table}.peer = ?", [service]
        else:
            where, params = (
                f"({table}.top_level OR {table}.measured) AND {table}.service = ?",
                [service],
            )
        if resource is None:
            return where, params
        return f"{where} AND {table}.resource = ?", [*params, resource]

    def _selector(self, service: str | None, resource: str | None, table: str = "spans") -> Clause:
        """The spans whose stats describe a service or a resource.

        With neither, the root spans: the requests that entered the system.
        """
        if service is None:
            return f"{table}.parent_id IS NULL", []
        if resource is None:
            return self._service_spans(service, table)
        return self._resource_spans(service, resource, table)

    # -- reading ---------------------------------------------------------------------------

    def services(self, window_s: float, *, now: float | None = None) -> list[dict[str, Any]]:
        """Every service seen in the window, with the stats of its top-level spans.

        Inferred services (what client spans call, by ``peer.service``: DynamoDB, ...) are
        listed too, with the stats of those client spans.
        """
        since = _since(window_s, now)
        minute = rollups.first_minute(since)
        own: dict[str, _Group] = defaultdict(_Group)
        called: dict[str, _Group] = defaultdict(_Group)
        # The window's first, partial minute from its spans, the whole ones from the rollups;
        # a service's kind is that of its earliest span.
        for row in self._db.query(
            """
            SELECT service, name, type, duration, error, top_level, peer, meta FROM spans
            WHERE start >= ? AND start < ? AND (top_level OR peer IS NOT NULL) ORDER BY start
            """,
            (since, minute * MINUTE_NS),
        ):
            if row["top_level"]:
                own[row["service"]].add(
                    row["duration"], row["error"], service_kind(row["name"], row["type"])
                )
            if row["peer"]:
                called[row["peer"]].add(
                    row["duration"], row["error"], inferred_kind(json.loads(row["meta"]))
                )
        minutes = rollups.read(self._db, "service_minutes", minute)
        for (service, role, kind), figures in sorted(
            minutes.items(), key=lambda item: (item[1].first, item[0][2])
        ):
            groups = own if role == "own" else called
            groups[service].extend(figures.durations, figures.errors, kind)
        # A called service that sends its own traces is described by them, not by its callers.
        inferred = {
            peer: group
            for peer, group in called.items()
            if peer not in own and not self._has_own_spans(peer, since)
        }
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
        return [
            {
                "service": service,
                "label": service_label(service, group.kind),
                "kind": group.kind,
                "inferred": service in inferred,
                **stats_json(group.stats()),
            }
            for service, group in ordered
        ]

    def _has_own_spans(self, service: str, since: int) -> bool:
        return bool(
            self._db.query(
                "SELECT 1 FROM spans WHERE service = ? AND start >= ? LIMIT 1", (service, since)
            )
        )

    def resources(
        self, service: str, window_s: float, *, now: float | None = None
    ) -> list[dict[str, Any]]:
        """A service's resources (its top-level and measured spans), busiest first."""
        where, params = self._resource_spans(service, None)
        groups: dict[tuple[str, str], _Group] = defaultdict(_Group)
        for row in self._db.query(
            f"SELECT name, resource, duration, error FROM spans WHERE {where} AND start >= ?",  # noqa: S608 (fixed clauses)
            (*params, _since(window_s, now)),
        ):
            groups[row["name"], row["resource"]].add(row["duration"], row["error"])
        result = [
            {"name": name, "resource": resource, **stats_json(group.stats())}
            for (name, resource), group in groups.items()
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
        per_bucket = [_Group() for _ in range(count)]
        for row in self._db.query(
            f"SELECT start, duration, error FROM spans WHERE {where} AND start >= ?",  # noqa: S608 (fixed clauses)
            (*params, int(start * 1e9)),
        ):
            index = min(count - 1, int((row["start"] / 1e9 - start) // interval))
            per_bucket[index].add(row["duration"], row["error"])
        points = [
            point_json(start + index * interval, group.stats())
            for index, group in enumerate(per_bucket)
        ]
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
        call: tuple[str, str] | None = None,
        query: Query | None = None,
    ) -> list[dict[str, Any]]:
        """Trace summaries, newest first.

        With ``service`` (and ``resource``), only traces with such an entry span, and the summary
        describes that span (its start, duration, status); otherwise it describes the root.
        ``error`` filters on whether the trace holds an error span; ``tag`` on a span of the
        trace carrying that meta value; ``since_received`` on traces stored after that time (ns);
        ``call`` (caller, callee) on traces in which one service calls the other (see
        :meth:`calls`); ``query`` on a span of the trace matching every term of a search
        (see :mod:`.query`).
        """
        limit = max(1, min(limit, MAX_TRACES))
        where, params = self._selector(service, resource, table="s")
        clauses = [where]
        if error is not None:
            clauses.append("t.errors > 0" if error else "t.errors = 0")
        if tag is not None:
            clauses.append(
                "EXISTS (SELECT 1 FROM spans x WHERE x.trace_id = t.trace_id"
                " AND json_extract(x.meta, ?) = ?)"
            )
            params += [json_path(tag[0]), tag[1]]
        if since_received is not None:
            clauses.append("t.received > ?")
            params.append(since_received)
        if call is not None:
            clauses.append(
                "(EXISTS (SELECT 1 FROM spans c JOIN spans p"
                " ON p.trace_id = c.trace_id AND p.span_id = c.parent_id"
                " WHERE c.trace_id = t.trace_id AND p.service = ? AND c.service = ?)"
                " OR EXISTS (SELECT 1 FROM spans x WHERE x.trace_id = t.trace_id"
                " AND x.service = ? AND x.peer = ?))"
            )
            params += [*call, *call]
        if query is not None and query.terms:
            matched, bound = query.traces_clause(
                "t.trace_id",
                tagged=self._tagged,
                few=FEW_TAGGED_SPANS,
                few_long_spans=self._few_spans_over(query.duration_floor),
            )
            clauses.append(matched)
            params += bound
        rows = self._db.query(
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
        # A trace with several matching entry spans is listed once, by its latest.
        seen: set[str] = set()
        result = []
        for row in rows:
            if row["trace_id"] in seen:
                continue
            seen.add(row["trace_id"])
            result.append(trace_summary_json(row))
            if len(result) == limit:
                break
        return result

    def facets(
        self, window_s: float, *, query: Query | None = None, now: float | None = None
    ) -> dict[str, Any]:
        """The values of service, resource, status, env and the most common tags among the
        window's spans that match ``query``, with how many spans carry each.

        Counted over the newest :data:`FACET_SPANS` matching spans (``complete`` says whether
        that was all of them), so the answer stays quick on a large store; a cold start's
        ``aws.lambda.import`` spans (one per module) are left out, as from the services' counts.
        """
        since = _since(window_s, now)
        where, params = query.where("q") if query is not None else ("1", [])
        matched = (
            "SELECT q.trace_id, q.span_id, q.service, q.resource, q.error,"  # noqa: S608 (compiled clauses; values are bound)
            # Opened by the function's own code (presentation.own_tags): its tags come first.
            " q.name NOT GLOB 'aws.*' AND json_type(q.meta, '$.component') IS NULL"
            " AS own, q.meta FROM spans q INDEXED BY spans_by_start"
            f" WHERE q.start >= ? AND q.name != 'aws.lambda.import' AND {where}"
            " ORDER BY q.start DESC LIMIT ?"
        )
        rows = self._db.query(
            f"WITH m AS ({matched})"  # noqa: S608 (compiled clauses; values are bound)
            " SELECT 'field' AS kind, 'service' AS key, service AS value, COUNT(*) AS n, 0 AS own"
            " FROM m GROUP BY 3"
            " UNION ALL SELECT 'field', 'resource', resource, COUNT(*), 0 FROM m GROUP BY 3"
            " UNION ALL SELECT 'field', 'status', CASE WHEN error THEN 'error' ELSE 'ok' END,"
            " COUNT(*), 0 FROM m GROUP BY 3"
            # The matched spans' own tags, read from their meta.
            " UNION ALL SELECT 'tag', t.key, CAST(t.value AS TEXT), COUNT(*), MAX(m.own)"
            " FROM m, json_each(m.meta) t"
            " WHERE t.key NOT GLOB '_*' AND t.key NOT GLOB 'error.*' GROUP BY 2, 3",
            (since, *params, FACET_SPANS),
        )
        return facets_json(rows, FACET_SPANS)

    def _tagged(self, term: Term) -> int:
        """How many spans the tag index holds for ``term``, counted up to FEW_TAGGED_SPANS."""
        select, params = term.tagged()
        counted = self._db.query(
            f"SELECT COUNT(*) AS n FROM ({select} LIMIT ?)",  # noqa: S608 (compiled clauses; values are bound)
            (*params, FEW_TAGGED_SPANS),
        )
        return int(counted[0]["n"])

    def _few_spans_over(self, floor: int | None) -> bool:
        """Whether few spans last ``floor`` ns or more: then a search for them starts there."""
        if floor is None:
            return False
        counted = self._db.query(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM spans WHERE duration >= ? LIMIT ?)",
            (floor, FEW_LONG_SPANS),
        )
        return int(counted[0]["n"]) < FEW_LONG_SPANS

    def calls(self, window_s: float, *, now: float | None = None) -> list[Calls]:
        """Every call from one service to another in the window, for the service map: one
        :class:`~.spans.Calls` a caller and callee, in their order.

        A span whose parent belongs to another service is a call from that service (the callee's
        side: its duration and error); a client span calling an inferred service (one that sends
        no spans of its own, as DynamoDB) is a call to it. Cold-start spans are not calls.
        """
        since = _since(window_s, now)
        minute = rollups.first_minute(since)
        found: dict[tuple[str, str], Calls] = {}
        inferred: dict[str, bool] = {}

        def add(caller: str, callee: str, durations: Iterable[int], errors: int) -> None:
            calls = found.get((caller, callee))
            if calls is None:
                calls = found[caller, callee] = Calls(caller, callee)
            calls.durations.extend(durations)
            calls.errors += errors

        def to_inferred(peer: str) -> bool:
            if peer not in inferred:
                inferred[peer] = not self._has_own_spans(peer, since)
            return inferred[peer]

        # The window's first, partial minute from its spans, the whole ones from the rollups.
        edge = (since, minute * MINUTE_NS)
        for row in self._db.query(
            """
            SELECT p.service AS caller, c.service AS callee, c.duration, c.error
            FROM spans c JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_id
            WHERE c.start >= ? AND c.start < ? AND p.service != c.service
            AND c.name NOT LIKE 'aws.lambda.%'
            """,
            edge,
        ):
            add(row["caller"], row["callee"], [row["duration"]], row["error"])
        for row in self._db.query(
            "SELECT service, peer, duration, error FROM spans"
            " WHERE peer IS NOT NULL AND start >= ? AND start < ?",
            edge,
        ):
            if to_inferred(row["peer"]):
                add(row["service"], row["peer"], [row["duration"]], row["error"])
        for (caller, callee, via), figures in rollups.read(
            self._db, "call_minutes", minute
        ).items():
            if via == "child" or to_inferred(callee):
                add(caller, callee, figures.durations, figures.errors)
        return [found[pair] for pair in sorted(found)]

    def trace(self, trace_id: str) -> list[Span]:
        """Every span of a trace (stored id form), in start order; empty if unknown."""
        rows = self._db.query(
            f"SELECT {SPAN_ROWS} FROM spans WHERE trace_id = ? ORDER BY start, span_id",  # noqa: S608 (fixed columns)
            (trace_id,),
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
            rows = self._db.query(
                "SELECT trace_id FROM traces WHERE substr(trace_id, 17) = ? LIMIT 1",
                (f"{int(text):016x}",),
            )
            if rows:
                return str(rows[0]["trace_id"])
        trace_id = ingest.normalise_trace_id(text)
        if trace_id is None:
            return None
        rows = self._db.query("SELECT trace_id FROM traces WHERE trace_id = ?", (trace_id,))
        return str(rows[0]["trace_id"]) if rows else None

    def latest_trace_id(self) -> str | None:
        """The trace most recently started, if any."""
        rows = self._db.query("SELECT trace_id FROM traces ORDER BY start DESC LIMIT 1")
        return str(rows[0]["trace_id"]) if rows else None

    def span_count(self) -> int:
        return int(self._db.query("SELECT COUNT(*) AS n FROM spans")[0]["n"])


def _since(window_s: float, now: float | None) -> int:
    end = time.time() if now is None else now
    return int((end - window_s) * 1e9)


def _derived(db: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """What a write of spans makes besides, in its transaction: error rows, the rollups."""
    issues.record(db, rows)
    rollups.record(db, rows)
