"""The tag index: which spans carry a tag's value, so a search starts from the few that do.

Each distinct ``(key, value)`` of the spans' meta is stored once in ``tag_values`` under a small
integer; ``tag_spans`` pairs that integer with the span's own integer id. A row is two small
integers (about 10 bytes), where one holding the key, the value and both span ids as text took
ten times that, twice (the table and its index by span).

The index only finds candidates: the search checks every term on the span's meta itself
(store/query.py), so the index may hold more than a term matches, never less for the keys it
indexes (:func:`indexed`). There is no index by span: a span's rows are found again from its
meta (the same pairs), when it is sent again or deleted.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

SCHEMA = """
CREATE TABLE IF NOT EXISTS tag_values (
    id    INTEGER PRIMARY KEY,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (key, value)
);
CREATE TABLE IF NOT EXISTS tag_spans (
    tag  INTEGER NOT NULL,
    span INTEGER NOT NULL,
    PRIMARY KEY (tag, span)
) WITHOUT ROWID;
"""
# ddtrace's own bookkeeping (``_dd.p.tid``, ``_dd.p.dm``, ...) and stack traces (a kilobyte
# each, every one different) are not indexed: a search on them reads the spans' meta.
_UNINDEXED_PREFIX = "_"
_UNINDEXED = frozenset({"error.stack"})
# The same rule in SQL, over a json_each() row aliased ``j``.
INDEXED_SQL = "j.key NOT GLOB '_*' AND j.key != 'error.stack'"
# How many (key, value) ids a writer remembers before it starts over.
CACHE_SIZE = 100_000


def indexed(key: str) -> bool:
    """Whether the tag index holds ``key``'s values (a search may start from it)."""
    return not key.startswith(_UNINDEXED_PREFIX) and key not in _UNINDEXED


class TagWriter:
    """Writes the tag rows of spans, remembering the ids of the values it has seen.

    The ids are checked against the file's other writers: when another connection has
    committed since this one last wrote (``PRAGMA data_version``), what is remembered is
    forgotten, since it may have deleted values (retention in another process).
    """

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], int] = {}
        self._version: int | None = None

    def add(self, db: sqlite3.Connection, spans: Sequence[tuple[int, str]]) -> None:
        """Index ``(span id, meta JSON)`` pairs of spans just written (within ``db``'s
        transaction)."""
        version = db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version or len(self._ids) > CACHE_SIZE:
            self._ids.clear()
            self._version = version
        ids = self._ids
        rows = [
            (ids.get(pair) or self._id(db, pair), span)
            for span, meta in spans
            for pair in json.loads(meta).items()
            if indexed(pair[0])
        ]
        # In the index's order: each row goes next to the one before.
        rows.sort()
        db.executemany("INSERT OR IGNORE INTO tag_spans VALUES (?, ?)", rows)

    def remove(self, db: sqlite3.Connection, spans: Sequence[tuple[int, str]]) -> None:
        """Delete the tag rows of ``(span id, meta JSON)`` pairs (spans replaced or deleted);
        the values no span carries any more go too."""
        if not spans:
            return
        rows = db.execute(
            "SELECT v.id, s.value ->> 0 FROM json_each(?) s, json_each(s.value ->> 1) j"  # noqa: S608 (a fixed clause)
            " JOIN tag_values v ON v.key = j.key AND v.value = CAST(j.value AS TEXT)"
            f" WHERE {INDEXED_SQL}",
            (json.dumps([[span, meta] for span, meta in spans]),),
        ).fetchall()
        db.executemany("DELETE FROM tag_spans WHERE tag = ? AND span = ?", rows)
        unused = db.executemany(
            "DELETE FROM tag_values WHERE id = ?"
            " AND NOT EXISTS (SELECT 1 FROM tag_spans WHERE tag = tag_values.id)",
            [(tag,) for tag in {tag for tag, _ in rows}],
        )
        if unused.rowcount:
            self._ids.clear()

    def _id(self, db: sqlite3.Connection, pair: tuple[str, str]) -> int:
        """The id of a ``(key, value)`` not remembered: stored now if it is new."""
        row = db.execute(
            "INSERT INTO tag_values (key, value) VALUES (?, ?)"
            " ON CONFLICT DO UPDATE SET key = key RETURNING id",
            pair,
        ).fetchone()
        found = self._ids[pair] = int(row[0])
        return found


# A store whose spans have no tag rows yet (written before this index) gets them once, a range
# of span ids per transaction.
FILL_VALUES = f"""
INSERT OR IGNORE INTO tag_values (key, value)
SELECT j.key, CAST(j.value AS TEXT) FROM spans s, json_each(s.meta) j
WHERE s.id > ? AND s.id <= ? AND {INDEXED_SQL}
"""  # noqa: S608 (a fixed clause)
FILL_SPANS = f"""
INSERT OR IGNORE INTO tag_spans
SELECT v.id, s.id FROM spans s, json_each(s.meta) j
JOIN tag_values v ON v.key = j.key AND v.value = CAST(j.value AS TEXT)
WHERE s.id > ? AND s.id <= ? AND {INDEXED_SQL}
"""  # noqa: S608 (a fixed clause)
