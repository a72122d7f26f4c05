"""The SQLite file behind the trace store: its schema, one shared connection, and a lock.

Durable: WAL journal, so the agent (writer) and the APM pages (readers) work at the same time,
from one process or several, and traces survive a restart.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
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
CREATE INDEX IF NOT EXISTS spans_by_duration ON spans (duration);
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
# Every span's tags, one row each, so that a search on a tag reads only the spans carrying it
# (store/query.py): json_extract over every span's meta is a scan of the whole store.
# ``upgrades`` names the one-off fills done on a store written by an older version.
TAGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS span_tags (
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    trace_id TEXT NOT NULL,
    span_id  TEXT NOT NULL,
    PRIMARY KEY (key, value, trace_id, span_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS span_tags_by_span ON span_tags (trace_id, span_id);
CREATE TABLE IF NOT EXISTS upgrades (name TEXT PRIMARY KEY);
"""
# A store written before span_tags existed gets its spans' tags once, a batch of spans per
# transaction, so that another process on the file (the agent) never waits long for it.
_BACKFILL_TAGS = """
INSERT OR IGNORE INTO span_tags
SELECT tag.key, CAST(tag.value AS TEXT), spans.trace_id, spans.span_id
FROM spans, json_each(spans.meta) AS tag
WHERE spans.rowid > ? AND spans.rowid <= ?
"""
_BACKFILL_BATCH = 10_000


class Database:
    """The store's SQLite file; thread-safe, and safe with other processes on the same file."""

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the agent's and the pages' threads, serialised by a lock;
        # other processes on the same file are handled by SQLite's own locking (busy_timeout).
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA + TAGS_SCHEMA)
        self._fill_tags()

    def _fill_tags(self) -> None:
        """Tag rows for the spans stored before span_tags existed (once per store)."""
        if self.query("SELECT 1 FROM upgrades WHERE name = 'span_tags'"):
            return
        last = self.query("SELECT MAX(rowid) AS last FROM spans")[0]["last"] or 0
        # Spans stored meanwhile come with their tags; replaced ones may move past ``last``.
        for low in range(0, last, _BACKFILL_BATCH):
            with self.transaction() as db:
                db.execute(_BACKFILL_TAGS, (low, low + _BACKFILL_BATCH))
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO upgrades VALUES ('span_tags')")

    def create(self, schema: str) -> None:
        """The tables and indexes ``schema`` declares (``IF NOT EXISTS``), in one transaction."""
        with self.transaction() as connection:
            for statement in schema.split(";"):
                if statement.strip():
                    connection.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one write transaction, rolled back if the block raises."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Every row ``sql`` selects, addressable by column name."""
        with self._lock:
            cursor = self._db.execute(sql, params)
            cursor.row_factory = sqlite3.Row
            return cursor.fetchall()

    def insert_spans(
        self,
        rows: Sequence[tuple[Any, ...]],
        received: int,
        also: Callable[[sqlite3.Connection, Sequence[tuple[Any, ...]]], None] | None = None,
    ) -> None:
        """Store span rows (replacing any sent before) and refresh their traces' summaries;
        ``also`` writes what else the rows make (error rows) in the same transaction."""
        with self.transaction() as db:
            if also is not None:
                also(db, rows)
            db.executemany(
                "INSERT OR REPLACE INTO spans VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows
            )
            # A span sent again replaces its tags too.
            db.executemany(
                "DELETE FROM span_tags WHERE trace_id = ? AND span_id = ?",
                [(row[0], row[1]) for row in rows],
            )
            db.executemany(
                "INSERT OR IGNORE INTO span_tags VALUES (?,?,?,?)",
                [
                    (key, str(value), row[0], row[1])
                    for row in rows
                    for key, value in json.loads(row[13]).items()
                ],
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
