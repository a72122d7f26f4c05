"""The SQLite file behind the trace store: its schema, one shared connection, and a lock.

Durable: WAL journal, so the agent (writer) and the APM pages (readers) work at the same time,
from one process or several, and traces survive a restart. An older version's file is brought
up to this schema (:mod:`.migration`); a damaged one, found when opened or while in use, is set
aside and replaced by a fresh file (:mod:`.damage`), and the spans being written go there.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import damage, ingest, stacks, tags
from .migration import add_missing_columns, give_spans_ids

logger = logging.getLogger(__name__)

# The spans table's own columns, in the order ingest.rows() builds them; ``id`` is the key
# the tag index (:mod:`.tags`) refers to spans by, ``stack`` the compressed stack trace
# (:mod:`.stacks`). SPAN_ROWS reads them back as ingest.rows() built them.
COLUMNS = (
    "trace_id, span_id, parent_id, service, name, resource, type, start, duration, error,"
    " top_level, measured, peer, meta, metrics"
)
SPAN_ROWS = COLUMNS.replace(" meta,", f" {stacks.meta_of('spans')} AS meta,")
SPANS_TABLE = """
CREATE TABLE IF NOT EXISTS spans (
    id        INTEGER PRIMARY KEY,
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
    stack     BLOB,
    UNIQUE (trace_id, span_id)
)"""
SCHEMA = (
    SPANS_TABLE
    + """;
CREATE INDEX IF NOT EXISTS spans_by_service ON spans (service, start);
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
-- The one-off fills done on a store written by an older version, by name.
CREATE TABLE IF NOT EXISTS upgrades (name TEXT PRIMARY KEY);
"""
    + tags.SCHEMA
)
# Spans per transaction when an older store's spans get their tag rows.
_BACKFILL_BATCH = 10_000


class Database:
    """The store's SQLite file; thread-safe, and safe with other processes on the same file."""

    def __init__(self, path: str | Path, *, say: Callable[[str], object] | None = None) -> None:
        """``say`` tells the user, in one line, what happened to the file (set aside as
        damaged, or its disk full); by default a warning in the log."""
        self._path = Path(path) if str(path) != ":memory:" else None
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        self._say = say or logger.warning
        self._lock = threading.Lock()
        # The schemas given to create(), and what to redo, on a fresh file.
        self._schemas = [SCHEMA]
        self.tags = tags.TagWriter()
        self._on_fresh: list[Callable[[], object]] = []
        # Counts the files replaced, so that threads failing on the same one replace it once.
        self._generation = 0
        self._full = False
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError as error:
            if self._path is None or not damage.is_damage(error):
                raise
            self._set_aside(error)
            self._db = self._connect()
        self._fill_tags()

    def _connect(self) -> sqlite3.Connection:
        """The file opened, checked, and brought up to this version's tables."""
        # One connection shared by the agent's and the pages' threads, serialised by a lock;
        # other processes on the same file are handled by SQLite's own locking (busy_timeout).
        target = str(self._path) if self._path is not None else ":memory:"
        db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA page_size=8192")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=5000")
            stacks.register(db)
            damage.check(db)
            upgraded = give_spans_ids(db, SPANS_TABLE)
            if upgraded:
                self._say(
                    f"upgraded the trace store {self._path}: its {upgraded:,} spans are indexed"
                    " by tag anew (once)"
                )
            for schema in self._schemas:
                add_missing_columns(db, schema)
                db.executescript(schema)
        except BaseException:
            db.close()
            raise
        return db

    def _set_aside(self, error: sqlite3.Error) -> None:
        assert self._path is not None
        moved = damage.set_aside(self._path)
        self._say(
            f"the trace store {self._path} was damaged ({error}): moved it to {moved};"
            " a fresh store keeps the traces from now on"
        )

    def recovering[T](self, operation: Callable[[], T]) -> T:
        """``operation()``; if it finds the file damaged, once more on a fresh file."""
        generation = self._generation
        try:
            return operation()
        except sqlite3.DatabaseError as error:
            if self._path is None or not damage.is_damage(error):
                raise
            self._replace(generation, error)
        return operation()

    def on_fresh(self, redo: Callable[[], object]) -> None:
        """Call ``redo`` after a damaged file is replaced (what a fresh file must hold)."""
        self._on_fresh.append(redo)

    def _replace(self, generation: int, error: sqlite3.Error) -> None:
        with self._lock:
            if generation != self._generation:
                return  # another thread replaced it meanwhile
            self._db.close()
            self._set_aside(error)
            self._db = self._connect()
            self._generation += 1
        self._fill_tags()
        for redo in self._on_fresh:
            redo()

    def _fill_tags(self) -> None:
        """Posting rows for the spans stored before this tag index existed (once per store):
        those of a store without one, or with the previous index (a row a span and a tag)."""
        if self.query("SELECT 1 FROM upgrades WHERE name = 'tag_postings'"):
            return
        with self.transaction() as db:
            previous = db.execute("SELECT 1 FROM sqlite_schema WHERE name = 'tag_spans'").fetchone()
            last = db.execute("SELECT IFNULL(MAX(id), 0) FROM spans").fetchone()[0]
            # What an interrupted fill left is written again from the spans.
            db.execute("DELETE FROM tag_postings WHERE block <= ?", (last >> tags.BLOCK_BITS,))
            db.execute("DROP TABLE IF EXISTS tag_spans")
        # Spans stored meanwhile come with their tags.
        for low in range(0, last, _BACKFILL_BATCH):
            with self.transaction() as db:
                for fill in (tags.FILL_VALUES, tags.FILL_POSTINGS):
                    db.execute(fill, (low, min(low + _BACKFILL_BATCH, last)))
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO upgrades VALUES ('tag_postings')")
        if previous is not None and last:
            self._say(
                f"upgraded the trace store {self._path}: the tag index of its spans was rebuilt"
                " in a smaller form (once)"
            )

    def create(self, schema: str) -> None:
        """The tables and indexes ``schema`` declares (``IF NOT EXISTS``), in one transaction;
        an older store's tables get the columns they lack."""
        self._schemas.append(schema)
        with self.transaction() as connection:
            add_missing_columns(connection, schema)
            for statement in schema.split(";"):
                if statement.strip():
                    connection.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one write transaction, rolled back if the block raises; a
        damaged file found meanwhile is replaced by a fresh one (the error is raised)."""
        generation = self._generation
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    # SQLite may have rolled back already (a full disk, a damaged page).
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
        except sqlite3.DatabaseError as error:
            if self._path is not None and damage.is_damage(error):
                self._replace(generation, error)
            raise

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Every row ``sql`` selects, addressable by column name."""
        return self.recovering(lambda: self._query(sql, params))

    def _query(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
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
        """Store span rows (replacing any sent before) and refresh their traces' summaries
        (``also`` writes what else the rows make, error rows, in the same transaction); on a
        fresh file if this one is found damaged. :class:`~.damage.StoreFull` while the
        disk is full: said once, and once more when spans are stored again."""
        try:
            self.recovering(lambda: self._insert_spans(rows, received, also))
        except sqlite3.OperationalError as error:
            if not damage.is_full(error):
                raise
            if not self._full:
                self._full = True
                self._say(
                    f"the disk holding the trace store {self._path} is full: the agent refuses"
                    " traces (429, as the Datadog Agent does when it cannot keep up) until there"
                    " is space again"
                )
            raise damage.StoreFull(str(error)) from error
        if self._full:
            self._full = False
            self._say(f"the trace store {self._path} has space again: traces are kept again")

    def _insert_spans(
        self,
        rows: Sequence[tuple[Any, ...]],
        received: int,
        also: Callable[[sqlite3.Connection, Sequence[tuple[Any, ...]]], None] | None,
    ) -> None:
        # The rows' meta as dicts, parsed once for the tag index, the stacks, the error rows.
        metas = ingest.take_metas(rows)
        # A span sent twice in one payload: the last one, as if sent one after the other.
        latest = {(row[0], row[1]): index for index, row in enumerate(rows)}
        if len(latest) < len(rows):
            rows = [rows[index] for index in latest.values()]
            metas = [metas[index] for index in latest.values()]
        rows = ingest.Rows(rows, metas)
        with self.tags.forgetting_on_error(), self.transaction() as db:
            if also is not None:
                also(db, rows)
            ids, stored = _span_ids(db, rows)
            replaced = list(stored.values())
            # A span sent again keeps its id; its old tags go, its new ones come.
            self.tags.remove(db, replaced)
            db.executemany("DELETE FROM spans WHERE id = ?", [(span,) for span, _ in replaced])
            # A plain INSERT: SQLite appends rows with growing ids at the end of the table,
            # where INSERT OR REPLACE costs three times as much.
            values = []
            for span, row, meta in zip(ids, rows, metas, strict=True):
                if stacks.KEY in meta:
                    kept, stack = stacks.split(row[13], meta)
                    values.append((span, *row[:13], kept, row[14], stack))
                else:
                    values.append((span, *row[:15], None))
            db.executemany(
                f"INSERT INTO spans (id, {COLUMNS}, stack)"  # noqa: S608 (fixed columns)
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                values,
            )
            self.tags.add(db, zip(ids, (row[ingest.META] for row in rows), metas, strict=True))
            _summarise(db, rows, {trace for trace, _ in stored}, received)


def _summarise(
    db: sqlite3.Connection, rows: Sequence[tuple[Any, ...]], resent: set[str], received: int
) -> None:
    """Bring the traces' summaries up to the spans just written: new spans add to them; a
    trace with a span sent again is summed anew from its stored spans."""
    added: dict[str, list[int]] = {}
    for row in rows:
        if row[0] in resent:
            continue
        start, finish = row[7], row[7] + row[8]
        summary = added.get(row[0])
        if summary is None:
            added[row[0]] = [start, finish, 1, row[9]]
        else:
            summary[0], summary[1] = min(summary[0], start), max(summary[1], finish)
            summary[2] += 1
            summary[3] += row[9]
    db.executemany(
        "INSERT INTO traces VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (trace_id) DO UPDATE SET"
        " start = MIN(start, excluded.start), finish = MAX(finish, excluded.finish),"
        " span_count = span_count + excluded.span_count, errors = errors + excluded.errors,"
        " received = excluded.received",
        [(trace, *summary, received) for trace, summary in added.items()],
    )
    for trace_id in resent:
        db.execute(
            "INSERT OR REPLACE INTO traces"
            " SELECT trace_id, MIN(start), MAX(start + duration), COUNT(*), SUM(error), ?"
            " FROM spans WHERE trace_id = ? GROUP BY trace_id",
            (received, trace_id),
        )


def _span_ids(
    db: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]
) -> tuple[list[int], dict[tuple[str, str], tuple[int, str]]]:
    """The id of each row's span (its own if stored before, else a new one), and the spans
    stored before, by (trace id, span id), as ``(id, old meta)``."""
    stored = {
        (trace_id, span_id): (span, meta)
        for span, trace_id, span_id, meta in db.execute(
            "SELECT s.id, s.trace_id, s.span_id, s.meta FROM json_each(?) k"
            " JOIN spans s ON s.trace_id = k.value ->> 0 AND s.span_id = k.value ->> 1",
            (json.dumps([row[:2] for row in rows]),),
        )
    }
    after = db.execute("SELECT IFNULL(MAX(id), 0) FROM spans").fetchone()[0]
    ids = []
    for row in rows:
        known = stored.get((row[0], row[1]))
        if known is None:
            after += 1
        ids.append(after if known is None else known[0])
    return ids, stored
