"""Trace retention: whole traces deleted by age, then the oldest while the store is too full,
by a background pass that the agent's intake never waits on for long."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import REPO
from tests.support.seed_chunks import Chunks, trace_copy
from thinker_local.store import TraceStore, ingest, tags
from thinker_local.store.database import Database
from thinker_local.store.retention import Pruner, Retention, prune, used_bytes

DAY_NS = 86_400 * 10**9
NOW_NS = 1_800_000_000 * 10**9


def store_traces(
    database: Database, seed: Chunks, received_ns: list[int], first: int = 1
) -> list[str]:
    """One copy of the seed trace per time, received then (numbered from ``first``, a tag
    ``copy`` saying which on each span); their trace ids, in that order."""
    ids = []
    for number, received in enumerate(received_ns, start=first):

        def numbered(span: dict[str, Any], number: int = number) -> None:
            span["meta"]["copy"] = str(number)

        rows = ingest.rows(trace_copy(seed, number, start_ns=received, mutate=numbered))
        database.insert_spans(rows, received=received)
        ids.append(rows[0][0])
    return ids


def count(database: Database, table: str, trace_ids: list[str]) -> int:
    marks = ",".join("?" * len(trace_ids))
    sql = f"SELECT COUNT(*) AS n FROM {table} WHERE trace_id IN ({marks})"
    return int(database.query(sql, trace_ids)[0]["n"])


def test_traces_older_than_the_age_limit_go_with_their_spans_and_tags(
    tmp_path: Path, seed: Chunks
) -> None:
    database = Database(tmp_path / "traces.sqlite3")
    old = store_traces(database, seed, [NOW_NS - 9 * DAY_NS, NOW_NS - 8 * DAY_NS])
    recent = store_traces(database, seed, [NOW_NS - DAY_NS], first=3)
    old_tags, recent_tags = (tag_rows(database, ids) for ids in (old, recent))
    assert old_tags
    assert recent_tags
    values = database.query("SELECT COUNT(*) AS n FROM tag_values")[0]["n"]

    deleted = prune(database, Retention(max_age_s=7 * 86_400), now_ns=NOW_NS)

    assert deleted == 2
    for table in ("traces", "spans"):
        assert count(database, table, old) == 0, table
        assert count(database, table, recent) > 0, table
    left = {(row["tag"], row["span"]) for row in database.query(TAG_ROWS)}
    assert left == recent_tags
    # The values only the old traces carried went with them.
    copies = database.query("SELECT value FROM tag_values WHERE key = 'copy'")
    assert [row["value"] for row in copies] == ["3"]
    assert database.query("SELECT COUNT(*) AS n FROM tag_values")[0]["n"] == values - 2


# Every (tag, span id) pair the tag index holds.
TAG_ROWS = f"SELECT p.tag, {tags.SPAN_ID_SQL} AS span FROM tag_postings p, json_each(p.spans) o"


def tag_rows(database: Database, trace_ids: list[str]) -> set[tuple[int, int]]:
    marks = ",".join("?" * len(trace_ids))
    sql = (
        f"SELECT t.tag, t.span FROM ({TAG_ROWS}) t JOIN spans s ON s.id = t.span"
        f" WHERE s.trace_id IN ({marks})"
    )
    return {(row["tag"], row["span"]) for row in database.query(sql, trace_ids)}


def test_over_the_size_limit_the_oldest_traces_holding_the_excess_go_first(
    tmp_path: Path, seed: Chunks
) -> None:
    database = Database(tmp_path / "traces.sqlite3")
    # Warm requests' traces (no cold-start import spans): small, so many fit in a quick test.
    warm = [[s for s in chunk if not str(s["name"]).startswith("aws.lambda.")] for chunk in seed]
    ids = store_traces(database, warm, [NOW_NS - 10**12 + n * 10**9 for n in range(400)])
    full = used_bytes(database)

    deleted = prune(database, Retention(max_bytes=full // 4), now_ns=NOW_NS)

    # Three quarters of the bytes are over the limit: three quarters of the traces, the oldest.
    assert deleted == 300
    kept = [row["trace_id"] for row in database.query("SELECT trace_id FROM traces")]
    assert sorted(kept) == sorted(ids[deleted:])
    # New traces fill the room the deleted ones left: the store does not grow past its peak.
    store_traces(database, warm, [NOW_NS + n * 10**9 for n in range(300)], first=1000)
    assert used_bytes(database) <= full * 1.1


def test_nothing_within_the_limits_is_deleted(tmp_path: Path, seed: Chunks) -> None:
    database = Database(tmp_path / "traces.sqlite3")
    store_traces(database, seed, [NOW_NS - 6 * DAY_NS, NOW_NS])
    assert prune(database, Retention(), now_ns=NOW_NS) == 0
    assert len(database.query("SELECT trace_id FROM traces")) == 2


def test_the_pruner_runs_in_its_own_thread_and_says_what_it_deleted(
    tmp_path: Path, seed: Chunks
) -> None:
    with TraceStore(tmp_path / "traces.sqlite3") as store:
        # Traces "received" a year and a day before now.
        store.add_chunks(trace_copy(seed, 1, start_ns=NOW_NS))
        database = Database(tmp_path / "traces.sqlite3")
        with database.transaction() as db:
            db.execute("UPDATE traces SET received = received - ?", (366 * DAY_NS,))
        reported: list[int] = []
        done = threading.Event()

        def report(deleted: int) -> None:
            reported.append(deleted)
            done.set()

        assert count(database, "span_errors", [trace_id := store.latest_trace_id() or ""]) == 1
        pruner = store.keep(Retention(max_age_s=365 * 86_400), report)
        try:
            assert done.wait(10)
            assert isinstance(pruner, Pruner)
        finally:
            pruner.close()
        assert reported == [1]
        assert store.latest_trace_id() is None
        # Error Tracking's rows of the trace went with it.
        assert count(database, "span_errors", [trace_id]) == 0


def test_a_retention_that_keeps_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        Retention(max_age_s=0)
    result = subprocess.run(
        [sys.executable, "-m", "thinker_local", "up", "--trace-retention-mb", "0"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "trace retention needs a positive age and size" in result.stderr
