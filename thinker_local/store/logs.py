"""The functions' log lines in the trace store's file, and the queries the Logs views ask.

One table, ``logs``: a row per line, in the order written (``id``, the cursor of a live tail).
A line carries its trace when datadog-lambda wrote ``dd.trace_id`` into it; otherwise it is tied
to its trace at query time by its request id, through the ``request_id`` tag of the invocation's
``aws.lambda`` span (which also names the function when the line did not: ``sam local``).

Retention: the newest :data:`MAX_LINES` lines, none older than :data:`MAX_AGE_S`; older lines
are deleted as new ones are written.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..lambdafn.log_lines import LEVELS, LogRecord, message_text
from .database import Database

MAX_LINES = 200_000
MAX_AGE_S = 7 * 86400
MAX_PAGE = 1000
# Retention is checked once this many lines have been written since the last check.
PRUNE_EVERY = 1000

SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    time       INTEGER NOT NULL,
    function   TEXT,
    request_id TEXT,
    level      TEXT    NOT NULL,
    trace_id   TEXT,
    trace_low  TEXT,
    span_id    TEXT,
    message    TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_by_time ON logs (time);
CREATE INDEX IF NOT EXISTS logs_by_request ON logs (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS logs_by_trace ON logs (trace_low) WHERE trace_low IS NOT NULL;
CREATE INDEX IF NOT EXISTS logs_by_function ON logs (function, id);
CREATE INDEX IF NOT EXISTS logs_by_level ON logs (level, id);
CREATE INDEX IF NOT EXISTS spans_by_request_id ON spans (json_extract(meta, '$.request_id'))
    WHERE name = 'aws.lambda';
"""
# The invocations' handler spans, by the request id they carry (the index above).
_HANDLER_SPANS = "FROM spans WHERE name = 'aws.lambda' AND json_extract(meta, '$.request_id')"


@dataclass(frozen=True)
class LogQuery:
    """What the Logs page and ``logs`` command filter on; every field optional."""

    text: str | None = None
    function: str | None = None
    # This level and those above it (WARNING: warnings and errors).
    level: str | None = None
    request_id: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    # Lines written after this one (a live tail's cursor: the last id it has).
    after_id: int | None = None
    # Lines written before this one (the next page of a search, newest first).
    before_id: int | None = None
    limit: int = 200


@dataclass(frozen=True)
class _Handler:
    trace_id: str
    span_id: str
    function: str | None


class Logs:
    """The ``logs`` table of a store's database."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._written = 0
        db.create(SCHEMA)

    def add(self, records: Sequence[LogRecord], *, now: float | None = None) -> None:
        """Store lines (one transaction), then apply retention every :data:`PRUNE_EVERY`."""
        if not records:
            return
        rows = [
            (
                r.time_ns,
                r.function,
                r.request_id,
                r.level,
                r.trace_id,
                r.trace_low,
                r.span_id,
                r.message,
            )
            for r in records
        ]
        with self._db.transaction() as connection:
            connection.executemany(
                "INSERT INTO logs (time, function, request_id, level, trace_id, trace_low,"
                " span_id, message) VALUES (?,?,?,?,?,?,?,?)",
                rows,
            )
        self._written += len(rows)
        if self._written >= PRUNE_EVERY:
            self._written = 0
            self.prune(now=now)

    def prune(self, *, max_lines: int = MAX_LINES, now: float | None = None) -> None:
        """Delete all but the newest ``max_lines`` lines, and lines older than MAX_AGE_S."""
        oldest = int(((time.time() if now is None else now) - MAX_AGE_S) * 1e9)
        with self._db.transaction() as connection:
            connection.execute(
                "DELETE FROM logs WHERE id <= (SELECT MAX(id) FROM logs) - ?", (max_lines,)
            )
            connection.execute("DELETE FROM logs WHERE time < ?", (oldest,))

    def latest_id(self) -> int:
        """The id of the newest line (0 when there is none): where a live tail starts."""
        return int(self._db.query("SELECT COALESCE(MAX(id), 0) AS n FROM logs")[0]["n"])

    def functions(self) -> list[str]:
        """The functions that wrote the stored lines, and the template's, by name."""
        rows = self._db.query(
            "SELECT DISTINCT function FROM logs WHERE function IS NOT NULL"
            " UNION SELECT name FROM functions ORDER BY 1"
        )
        return [row[0] for row in rows]

    def count(self) -> int:
        return int(self._db.query("SELECT COUNT(*) AS n FROM logs")[0]["n"])

    def search(self, query: LogQuery) -> list[dict[str, Any]]:
        """Lines matching ``query``: newest first, or oldest first after a tail's cursor."""
        clauses, params = ["1"], list[Any]()
        if query.text:
            # LIKE, not lower(): SQLite's LIKE ignores (ASCII) case, at twice the speed.
            clauses.append("l.message LIKE ? ESCAPE '\\'")
            params.append("%" + re.sub(r"([\\%_])", r"\\\1", query.text) + "%")
        if query.level:
            clauses.append(f"l.level IN ({','.join('?' * len(_at_least(query.level)))})")
            params += _at_least(query.level)
        for clause, value in (
            ("l.request_id = ?", query.request_id),
            ("l.time >= ?", query.since_ns),
            ("l.time < ?", query.until_ns),
            ("l.id > ?", query.after_id),
            ("l.id < ?", query.before_id),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        # A tail reads forward from its cursor; a search shows the newest lines first.
        forward = query.after_id is not None
        limit = max(1, min(query.limit, MAX_PAGE))
        if not query.function:
            return self._with_traces(self._select(clauses, params, forward, limit))
        # Two queries rather than an OR, which would read every line of the function to sort
        # them: the lines that name it, and those that name none whose invocation's handler
        # span does (sam local).
        own = self._select([*clauses, "l.function = ?"], [*params, query.function], forward, limit)
        named_by_span = self._select(
            [
                *clauses,
                "l.function IS NULL",
                f"l.request_id IN (SELECT json_extract(meta, '$.request_id') {_HANDLER_SPANS}"
                " IS NOT NULL AND json_extract(meta, '$.functionname') = ?)",
            ],
            [*params, query.function],
            forward,
            limit,
        )
        rows = sorted([*own, *named_by_span], key=lambda row: row["id"], reverse=not forward)
        return self._with_traces(rows[:limit])

    def _select(
        self, clauses: list[str], params: list[Any], forward: bool, limit: int
    ) -> list[sqlite3.Row]:
        return self._db.query(
            f"SELECT l.* FROM logs l WHERE {' AND '.join(clauses)}"  # noqa: S608 (fixed clauses; values are bound)
            f" ORDER BY l.id {'ASC' if forward else 'DESC'} LIMIT ?",
            (*params, limit),
        )

    def of_trace(self, trace_id: str) -> list[dict[str, Any]]:
        """Every line of a trace (stored id form), both functions', in the order written.

        The lines that carry the trace's id, and those of the invocations whose ``aws.lambda``
        span belongs to the trace (START, END, REPORT, print output).
        """
        handlers = self._db.query(
            "SELECT json_extract(meta, '$.request_id') AS request_id FROM spans"
            " WHERE trace_id = ? AND name = 'aws.lambda'",
            (trace_id,),
        )
        request_ids = [row["request_id"] for row in handlers if row["request_id"]]
        marks = ",".join("?" * len(request_ids))
        rows = self._db.query(
            f"""
            SELECT * FROM logs WHERE trace_low = ?
            {f"UNION SELECT * FROM logs WHERE request_id IN ({marks})" if request_ids else ""}
            ORDER BY time, id
            """,  # noqa: S608 (placeholders only)
            (trace_id[16:], *request_ids),
        )
        return self._with_traces(rows)

    def _with_traces(self, rows: Sequence[Any]) -> list[dict[str, Any]]:
        """The lines' JSON, each with its trace: its own, or its invocation's."""
        handlers = self._handlers(sorted({r["request_id"] for r in rows if r["request_id"]}))
        result = []
        for row in rows:
            handler = handlers.get(row["request_id"])
            trace_id = row["trace_id"] or (handler.trace_id if handler else None)
            if trace_id is None and row["trace_low"]:
                # Only the low 64 bits are known: their decimal form finds the trace too.
                trace_id = str(int(row["trace_low"], 16))
            result.append(
                {
                    "id": row["id"],
                    "time": row["time"],
                    "function": row["function"] or (handler.function if handler else None),
                    "request_id": row["request_id"],
                    "level": row["level"],
                    "trace_id": trace_id,
                    "span_id": row["span_id"],
                    # The invocation's handler span: the line's span when it names none.
                    "handler_span_id": handler.span_id if handler else None,
                    "message": row["message"],
                    "text": message_text(row["message"]),
                }
            )
        return result

    def _handlers(self, request_ids: Sequence[str]) -> dict[str, _Handler]:
        """The ``aws.lambda`` spans of these invocations, by request id."""
        found: dict[str, _Handler] = {}
        for start in range(0, len(request_ids), 500):
            chunk = request_ids[start : start + 500]
            for row in self._db.query(
                "SELECT trace_id, span_id, meta, json_extract(meta, '$.request_id') AS request_id"
                f" {_HANDLER_SPANS} IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                meta = json.loads(row["meta"])
                found[row["request_id"]] = _Handler(
                    row["trace_id"], row["span_id"], meta.get("functionname")
                )
        return found


def _at_least(level: str) -> list[str]:
    """``level`` and the levels above it; all of them for an unknown name."""
    name = level.upper()
    return list(LEVELS[LEVELS.index(name) :]) if name in LEVELS else list(LEVELS)
