"""The tag index holds exactly the indexed ``(key, value)`` pairs of the spans stored: across
its blocks of span ids, as payloads add to rows written before, as spans are sent again with
other tags, and as traces are deleted; a store with the previous index gets the new one."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.seed_chunks import Chunks, technology_only, trace_copy
from thinker_local.store import TraceStore, database, tags
from thinker_local.store.query import parse
from thinker_local.store.retention import Retention, prune

# Every (tag, span id) pair the index holds, and every one the spans' meta says it must hold.
HELD = f"SELECT p.tag, {tags.SPAN_ID_SQL} FROM tag_postings p, json_each(p.spans) o"
CARRIED = (
    "SELECT v.id, s.id FROM spans s, json_each(s.meta) j"
    " JOIN tag_values v ON v.key = j.key AND v.value = CAST(j.value AS TEXT)"
    f" WHERE {tags.INDEXED_SQL}"
)


def pairs(store: TraceStore, sql: str) -> list[tuple[int, int]]:
    return sorted(tuple(row) for row in store._db.query(sql))  # type: ignore[misc]


def assert_exact(store: TraceStore) -> None:
    held, carried = pairs(store, HELD), pairs(store, CARRIED)
    assert held == carried
    # No value is kept that no span carries.
    assert {tag for tag, _ in carried} == {
        row["id"] for row in store._db.query("SELECT id FROM tag_values")
    }


def found(store: TraceStore, text: str) -> list[str]:
    return [trace["trace_id"] for trace in store.traces(query=parse(text), limit=500)]


def test_the_index_holds_every_pair_as_spans_come_go_and_come_again(
    tmp_path: Path, seed: Chunks
) -> None:
    now = time.time_ns()
    # Warm requests' traces (no cold-start import spans): many traces to a block.
    seed = [[s for s in chunk if not str(s["name"]).startswith("aws.lambda.")] for chunk in seed]
    spans_per_trace = sum(len(chunk) for chunk in seed)
    with TraceStore(tmp_path / "traces.sqlite3") as store:
        # Payloads of a few traces: they straddle blocks, and add to rows written before.
        number = 0
        while store.span_count() < 3 * tags.BLOCK:
            payload = []
            for _ in range(3):
                payload += trace_copy(seed, number, start_ns=now - 10**12 + number * 10**9)
                number += 1
            store.add_chunks(payload)
        blocks = store._db.query("SELECT COUNT(DISTINCT block) AS n FROM tag_postings")
        assert blocks[0]["n"] >= 3
        # Fewer rows than pairs: a row holds a value's spans of a block.
        rows = store._db.query("SELECT COUNT(*) AS n FROM tag_postings")[0]["n"]
        assert rows * 2 < len(pairs(store, CARRIED))
        assert_exact(store)

        # Trace 1 sent again, its subject now technology: it no longer carries foo_bar.
        store.add_chunks(trace_copy(seed, 1, start_ns=now, mutate=technology_only))
        assert_exact(store)
        assert len(found(store, "@subject:foo_bar")) == number - 1

        # The oldest traces deleted: their pairs go, and values only they carried.
        with store._db.transaction() as db:
            db.execute(
                "UPDATE traces SET received = 0"
                " WHERE trace_id IN (SELECT trace_id FROM traces ORDER BY start LIMIT 11)"
            )
        deleted = prune(store._db, Retention(max_age_s=60))
        assert deleted == 11
        assert_exact(store)
        assert store.span_count() == (number - deleted) * spans_per_trace


def test_a_store_with_the_previous_index_gets_the_new_one_once(
    tmp_path: Path, seed: Chunks
) -> None:
    path = tmp_path / "traces.sqlite3"
    now = time.time_ns()
    with TraceStore(path) as store:
        for number in range(40):
            mutate = technology_only if number % 2 else None
            store.add_chunks(trace_copy(seed, number, start_ns=now + number, mutate=mutate))
        expected = pairs(store, CARRIED)
        failed = found(store, "@subject:foo_bar")
    # As the previous version left it: a row a span and a tag, and no posting rows.
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE tag_spans (tag INTEGER NOT NULL, span INTEGER NOT NULL,"
            " PRIMARY KEY (tag, span)) WITHOUT ROWID;"
            f" INSERT INTO tag_spans {HELD};"
            " DROP TABLE tag_postings;"
            " DELETE FROM upgrades WHERE name = 'tag_postings';"
            " INSERT OR IGNORE INTO upgrades VALUES ('tag_spans');"
        )
    said: list[str] = []
    with TraceStore(path, say=said.append) as store:
        assert said == [
            f"upgraded the trace store {path}: the tag index of its spans was rebuilt"
            " in a smaller form (once)"
        ]
        assert pairs(store, HELD) == expected
        assert found(store, "@subject:foo_bar") == failed
        assert len(failed) == 20
        tables = {row["name"] for row in store._db.query("SELECT name FROM sqlite_schema")}
        assert "tag_spans" not in tables
    with TraceStore(path, say=said.append):
        assert len(said) == 1


def test_a_write_rolled_back_leaves_no_remembered_id_behind(
    tmp_path: Path, seed: Chunks, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.time_ns()

    def ethics(span: dict[str, Any]) -> None:
        if "subject" in span["meta"]:
            span["meta"]["subject"] = "ethics"

    def fail(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    with TraceStore(tmp_path / "traces.sqlite3") as store:
        store.add_chunks(trace_copy(seed, 0, start_ns=now))
        # The write stores its new value (subject ethics), then fails: all rolled back.
        with monkeypatch.context() as patch:
            patch.setattr(database, "_summarise", fail)
            with pytest.raises(sqlite3.OperationalError):
                store.add_chunks(trace_copy(seed, 1, start_ns=now, mutate=ethics))
        assert found(store, "@subject:ethics") == []
        # Sent again: its value is stored anew, not taken for the id of the rolled-back one.
        store.add_chunks(trace_copy(seed, 1, start_ns=now, mutate=ethics))
        assert_exact(store)
        assert len(found(store, "@subject:ethics")) == 1
