"""Lambda invocations in the trace store's file: the template's functions and their REPORT figures.

Two tables beside the spans: ``functions`` (what the template configures: memory, timeout,
architecture, the API in front) and ``invocations`` (one row per REPORT line, or per failed init).
An invocation is tied to its trace by the ``request_id`` tag of its ``aws.lambda`` span, which
also names the function when the line that reported it did not (``sam local`` prints no
function name), and says whether the handler failed (the REPORT does not).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from typing import Any

from ..lambdafn.reports import Report
from .database import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS functions (
    name         TEXT PRIMARY KEY,
    logical_id   TEXT NOT NULL,
    memory_mb    INTEGER NOT NULL,
    timeout_s    REAL NOT NULL,
    architecture TEXT NOT NULL,
    runtime      TEXT NOT NULL,
    api          TEXT,
    service      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS invocations (
    request_id         TEXT PRIMARY KEY,
    function           TEXT,
    start              INTEGER NOT NULL,
    duration_ms        REAL NOT NULL,
    billed_ms          INTEGER NOT NULL,
    memory_size_mb     INTEGER,
    max_memory_used_mb INTEGER,
    init_ms            REAL,
    status             TEXT NOT NULL,
    error_type         TEXT
);
CREATE INDEX IF NOT EXISTS invocations_by_start ON invocations (start);
"""
# A function's aws.lambda span may start a little before the REPORT's start (its clock is the
# handler's, the REPORT's the environment's): look that far back for it.
SPAN_SLACK_NS = 60_000_000_000


@dataclass(frozen=True)
class FunctionInfo:
    """A function of the template, as the serverless view needs it: a row of ``functions``,
    whose columns are these fields, in this order."""

    name: str
    logical_id: str
    memory_mb: int
    timeout_s: float
    architecture: str
    runtime: str
    # The kind of API Gateway API in front of it ("REST", "HTTP"), or None.
    api: str | None
    # The service its spans belong to (DD_SERVICE), for a link to its service page.
    service: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "logical_id": self.logical_id,
            "memory_mb": self.memory_mb,
            "timeout_s": self.timeout_s,
            "architecture": self.architecture,
            "runtime": self.runtime,
            "api": self.api,
            "service": self.service,
        }


@dataclass(frozen=True)
class Invocation:
    """One invocation: its REPORT figures, and the trace its ``aws.lambda`` span belongs to."""

    request_id: str
    function: str
    start: int  # ns since the epoch
    duration_ms: float
    billed_ms: int
    memory_size_mb: int
    max_memory_used_mb: int | None
    init_ms: float | None
    status: str
    error_type: str | None = None
    trace_id: str | None = None
    span_error: bool = False

    @property
    def cold(self) -> bool:
        return self.init_ms is not None

    @property
    def failed(self) -> bool:
        """``Status: error`` or ``timeout`` in the REPORT, or an error on the handler's span."""
        return self.status != "success" or self.span_error

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "function": self.function,
            "start": self.start,
            "duration_ms": self.duration_ms,
            "billed_ms": self.billed_ms,
            "memory_size_mb": self.memory_size_mb,
            "max_memory_used_mb": self.max_memory_used_mb,
            "init_ms": self.init_ms,
            "cold": self.cold,
            "status": self.status,
            "error_type": self.error_type,
            "error": self.failed,
            "trace_id": self.trace_id,
        }


@dataclass(frozen=True)
class _Span:
    trace_id: str
    function: str | None
    error: bool


class Invocations:
    """The ``functions`` and ``invocations`` tables of a store's database."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(SCHEMA)
        self._functions: list[tuple[Any, ...]] = []
        # A damaged file replaced by a fresh one: the serverless view still knows the functions.
        db.on_fresh(lambda: self._write_functions(self._functions))

    def set_functions(self, functions: Iterable[FunctionInfo]) -> None:
        """The template's functions, replacing those of an earlier run."""
        self._functions = [astuple(f) for f in functions]
        self._write_functions(self._functions)

    def _write_functions(self, rows: list[tuple[Any, ...]]) -> None:
        with self._db.transaction() as connection:
            connection.execute("DELETE FROM functions")
            connection.executemany("INSERT INTO functions VALUES (?,?,?,?,?,?,?,?)", rows)

    def functions(self) -> list[FunctionInfo]:
        """The template's functions, by name."""
        return [
            FunctionInfo(**row) for row in self._db.query("SELECT * FROM functions ORDER BY name")
        ]

    def add_all(self, reports: Sequence[tuple[Report, str | None, float]]) -> list[str]:
        """Store REPORTs' figures, in one transaction: ``(report, function, end)``, ``end``
        being when the line was written (epoch seconds). Their request ids (one is made up for a
        failed init, which has none)."""
        rows = []
        for report, function, end in reports:
            request_id = report.request_id or f"init-{uuid.uuid4()}"
            # The invocation began Duration before its REPORT (a cold start's init came earlier).
            start = int(end * 1e9) - int(report.duration_ms * 1e6)
            rows.append(
                (
                    request_id,
                    function,
                    start,
                    report.duration_ms,
                    report.billed_ms,
                    report.memory_size_mb,
                    report.max_memory_used_mb,
                    report.init_ms,
                    report.status,
                    report.error_type,
                )
            )
        with self._db.transaction() as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO invocations VALUES (?,?,?,?,?,?,?,?,?,?)", rows
            )
        return [row[0] for row in rows]

    def window(self, since: int, *, function: str | None = None) -> list[Invocation]:
        """Invocations started at or after ``since`` (ns), newest first; of one function or all.

        Each is joined with its ``aws.lambda`` span, for its trace, its error and, when the
        REPORT did not say, its function.
        """
        rows = self._db.query(
            "SELECT * FROM invocations WHERE start >= ? ORDER BY start DESC", (since,)
        )
        spans = self._handler_spans(since - SPAN_SLACK_NS)
        memory = {f.name: f.memory_mb for f in self.functions()}
        result = []
        for row in rows:
            span = spans.get(row["request_id"])
            name = row["function"] or (span.function if span else None) or "unknown"
            if function is not None and name != function:
                continue
            result.append(
                Invocation(
                    request_id=row["request_id"],
                    function=name,
                    start=row["start"],
                    duration_ms=row["duration_ms"],
                    billed_ms=row["billed_ms"],
                    memory_size_mb=row["memory_size_mb"] or memory.get(name, 0),
                    max_memory_used_mb=row["max_memory_used_mb"],
                    init_ms=row["init_ms"],
                    status=row["status"],
                    error_type=row["error_type"],
                    trace_id=span.trace_id if span else None,
                    span_error=span.error if span else False,
                )
            )
        return result

    def _handler_spans(self, since: int) -> dict[str, _Span]:
        """The ``aws.lambda`` spans since ``since``, by the request id they carry."""
        found: dict[str, _Span] = {}
        for row in self._db.query(
            "SELECT trace_id, error, meta FROM spans WHERE name = 'aws.lambda' AND start >= ?",
            (since,),
        ):
            meta = json.loads(row["meta"])
            request_id = meta.get("request_id")
            if request_id:
                found[request_id] = _Span(
                    trace_id=row["trace_id"],
                    function=meta.get("functionname"),
                    error=bool(row["error"]),
                )
        return found


def by_function(invocations: Sequence[Invocation]) -> dict[str, list[Invocation]]:
    """Invocations grouped by function name, in the order given."""
    groups: dict[str, list[Invocation]] = {}
    for invocation in invocations:
        groups.setdefault(invocation.function, []).append(invocation)
    return groups
