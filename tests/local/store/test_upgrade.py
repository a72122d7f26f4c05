"""A store written by the version before spans had integer ids (its tag rows keyed by the
spans' text ids, or no tag rows at all) is rebuilt when opened, losing nothing: every span,
searchable by its tags, in Error Tracking, and new traces stored beside them."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from tests.support.seed_chunks import Chunks, technology_only, trace_copy
from thinker_local.store import TraceStore, database, ingest
from thinker_local.store.query import parse

# The previous version's tables, as it created them.
PREVIOUS = """
CREATE TABLE spans (
    trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_id TEXT, service TEXT NOT NULL,
    name TEXT NOT NULL, resource TEXT NOT NULL, type TEXT NOT NULL, start INTEGER NOT NULL,
    duration INTEGER NOT NULL, error INTEGER NOT NULL, top_level INTEGER NOT NULL,
    measured INTEGER NOT NULL, peer TEXT, meta TEXT NOT NULL, metrics TEXT NOT NULL,
    PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX spans_by_service ON spans (service, start);
CREATE INDEX spans_by_start ON spans (start);
CREATE INDEX spans_by_duration ON spans (duration);
CREATE TABLE traces (
    trace_id TEXT PRIMARY KEY, start INTEGER NOT NULL, finish INTEGER NOT NULL,
    span_count INTEGER NOT NULL, errors INTEGER NOT NULL, received INTEGER NOT NULL
);
CREATE TABLE upgrades (name TEXT PRIMARY KEY);
"""
PREVIOUS_TAGS = """
CREATE TABLE span_tags (
    key TEXT NOT NULL, value TEXT NOT NULL, trace_id TEXT NOT NULL, span_id TEXT NOT NULL,
    PRIMARY KEY (key, value, trace_id, span_id)
) WITHOUT ROWID;
CREATE INDEX span_tags_by_span ON span_tags (trace_id, span_id);
INSERT INTO upgrades VALUES ('span_tags');
"""


def previous_store(path: Path, seed: Chunks, *, tag_table: bool) -> list[tuple[object, ...]]:
    """A file as the previous version left it, holding the seed trace and a technology-only
    one; their span rows, in the order stored."""
    now = time.time_ns()
    rows = ingest.rows(trace_copy(seed, 0, start_ns=now - 2 * 10**9)) + ingest.rows(
        trace_copy(seed, 1, start_ns=now - 10**9, mutate=technology_only)
    )
    with sqlite3.connect(path) as db:
        db.executescript(PREVIOUS + (PREVIOUS_TAGS if tag_table else ""))
        db.executemany(f"INSERT INTO spans VALUES ({','.join('?' * 15)})", rows)
        if tag_table:
            db.executemany(
                "INSERT INTO span_tags VALUES (?,?,?,?)",
                [(k, v, row[0], row[1]) for row in rows for k, v in json.loads(row[13]).items()],
            )
        db.execute(
            "INSERT INTO traces SELECT trace_id, MIN(start), MAX(start + duration), COUNT(*),"
            " SUM(error), ? FROM spans GROUP BY trace_id",
            (now,),
        )
    return rows


def found(store: TraceStore, text: str) -> list[str]:
    return [trace["trace_id"] for trace in store.traces(query=parse(text))]


@pytest.mark.parametrize("tag_table", [True, False], ids=["text-keyed tags", "no tag table"])
def test_an_older_store_is_rebuilt_with_every_span_and_searchable(
    tmp_path: Path, seed: Chunks, monkeypatch: pytest.MonkeyPatch, tag_table: bool
) -> None:
    path = tmp_path / "traces.sqlite3"
    rows = previous_store(path, seed, tag_table=tag_table)
    failed, fine = rows[0][0], rows[-1][0]
    # Small batches, so that filling the tag index takes several.
    monkeypatch.setattr(database, "_BACKFILL_BATCH", len(rows) // 5)
    said: list[str] = []

    with TraceStore(path, say=said.append) as store:
        assert said == [
            f"upgraded the trace store {path}: its {len(rows)} spans are indexed by tag anew (once)"
        ]
        # Every span, in the order stored, each with its own id.
        kept = store._db.query(f"SELECT id, {database.COLUMNS} FROM spans ORDER BY id")
        assert [tuple(row)[1:] for row in kept] == [tuple(row) for row in rows]
        assert [row["id"] for row in kept] == list(range(1, len(rows) + 1))
        assert found(store, "@subject:foo_bar") == [failed]
        assert found(store, "@subject:technology") == [fine, failed]
        assert found(store, "service:thinker-microservice @subject:foo_bar status:error") == [
            failed
        ]
        assert [issue["type"] for issue in store.issues.issues(3600)] == ["builtins.KeyError"]
        tables = {row["name"] for row in store._db.query("SELECT name FROM sqlite_schema")}
        assert "span_tags" not in tables
        assert "spans_before_ids" not in tables
        assert {"spans_by_service", "spans_by_start", "spans_by_peer"} <= tables
        # New traces go beside the old ones.
        store.add_chunks(trace_copy(seed, 2, start_ns=time.time_ns()))
        newest = store.latest_trace_id()
        assert found(store, "@subject:foo_bar") == [newest, failed]

    with TraceStore(path, say=said.append) as reopened:
        assert len(said) == 1  # once
        assert reopened.span_count() == len(rows) + len(rows) // 2
