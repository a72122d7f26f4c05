"""Trace retention: traces kept by age and by size, pruned in the background.

The defaults are ones a developer would not notice in a day of work: traces received in the
last :data:`DEFAULT_MAX_AGE_S` (7 days), and about :data:`DEFAULT_MAX_BYTES` (1 GB) of data. A
pass deletes whole traces, the oldest received first, a batch of :data:`BATCH` per transaction,
so the agent's intake waits at most one batch and never a whole pass.

Size is the store's pages in use. Deleting the oldest traces frees few whole pages (their rows
share pages, in every index, with newer ones), so a pass deletes as many traces as the excess
holds at the store's mean size per trace, rather than until the pages in use fall under the
limit (which would empty the store). SQLite reuses the room in those pages for new traces: the
file stops growing rather than shrinking.

The service map's minutes (:mod:`.rollups`) go by age alone: those of the traces deleted for
size stay, as Datadog keeps the metrics of all traffic longer than its traces.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import rollups
from .database import Database

DEFAULT_MAX_AGE_S = 7 * 24 * 3600.0
DEFAULT_MAX_BYTES = 1 << 30
BATCH = 200
INTERVAL_S = 60.0


@dataclass(frozen=True)
class Retention:
    """How long traces are kept, and how much of the file they may fill."""

    max_age_s: float = DEFAULT_MAX_AGE_S
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self) -> None:
        if self.max_age_s <= 0 or self.max_bytes <= 0:
            raise ValueError("trace retention needs a positive age and size")


def used_bytes(database: Database) -> int:
    """Bytes of the file's pages that hold data (the freed ones excluded)."""
    (row,) = database.query(
        "SELECT (SELECT page_count FROM pragma_page_count)"
        " - (SELECT freelist_count FROM pragma_freelist_count) AS pages,"
        " (SELECT page_size FROM pragma_page_size) AS size"
    )
    return int(row["pages"]) * int(row["size"])


def prune(database: Database, retention: Retention, *, now_ns: int | None = None) -> int:
    """One pass: delete traces received before the age limit (and the service map's minutes
    before it), then the oldest while the file holds more than the size limit; how many traces
    were deleted."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    cutoff = now_ns - int(retention.max_age_s * 1e9)
    deleted = 0
    while batch := _oldest(database, received_before=cutoff):
        deleted += _delete(database, batch)
    rollups.forget(database, before_ns=cutoff)
    excess = _over_size(database, retention.max_bytes)
    while excess > 0 and (batch := _oldest(database, limit=min(excess, BATCH))):
        excess -= _delete(database, batch)
        deleted += len(batch)
    return deleted


def _over_size(database: Database, max_bytes: int) -> int:
    """How many of the oldest traces hold the bytes over ``max_bytes`` (at the mean size)."""
    used = used_bytes(database)
    if used <= max_bytes:
        return 0
    traces = int(database.query("SELECT COUNT(*) AS n FROM traces")[0]["n"])
    return min(traces, math.ceil((used - max_bytes) * traces / used))


def _oldest(database: Database, received_before: int = 2**63 - 1, limit: int = BATCH) -> list[str]:
    rows = database.query(
        "SELECT trace_id FROM traces WHERE received < ? ORDER BY received LIMIT ?",
        (received_before, limit),
    )
    return [row["trace_id"] for row in rows]


# Every table that holds a trace's rows, each indexed by trace id (Error Tracking's span_errors
# exists once a TraceStore has opened the file).
_TRACE_TABLES = ("span_errors", "spans", "traces")


def _delete(database: Database, trace_ids: list[str]) -> int:
    batch = json.dumps(trace_ids)
    with database.transaction() as db:
        # The spans' tag rows first, found from their meta (the tag index has no index by span).
        database.tags.remove(
            db,
            db.execute(
                "SELECT id, meta FROM spans WHERE trace_id IN (SELECT value FROM json_each(?))",
                (batch,),
            ).fetchall(),
        )
        for (table,) in db.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN (?, ?, ?)",
            _TRACE_TABLES,
        ).fetchall():
            db.execute(
                f"DELETE FROM {table} WHERE trace_id IN (SELECT value FROM json_each(?))",  # noqa: S608 (names from _TRACE_TABLES)
                (batch,),
            )
    return len(trace_ids)


class Pruner:
    """Applies a :class:`Retention` at start and every :data:`INTERVAL_S` seconds, in a thread
    of its own; ``report`` hears of each pass that deleted something."""

    def __init__(
        self,
        database: Database,
        retention: Retention,
        report: Callable[[int], None] = lambda deleted: None,
        interval_s: float = INTERVAL_S,
    ) -> None:
        self._database = database
        self.retention = retention
        self._report = report
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="trace-retention", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                deleted = prune(self._database, self.retention)
            except sqlite3.Error:
                # A damaged file was set aside (the store said so), or the disk is full: the
                # next pass prunes what is there then.
                deleted = 0
            if deleted:
                self._report(deleted)
            self._stop.wait(self._interval_s)
