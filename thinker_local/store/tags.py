"""The tag index: which spans carry a tag's value, so a search starts from the few that do.

Each distinct ``(key, value)`` of the spans' meta is stored once in ``tag_values`` under a small
integer. ``tag_postings`` holds, for that integer and a block of :data:`BLOCK` span ids (the
spans' own integer ids), the ids in the block of the spans carrying it: one row of small
numbers (a JSON array of each id's offset in its block) where there was a row a span. A payload
of spans written together has consecutive ids, so one row a tag holds what took one row a span
and a tag; a row grows as later payloads in its block carry the same value. The rows are kept
by block first, so a payload's rows sit on one or two pages (its commit writes those, not a
page per tag value), and found by tag through ``tag_postings_by_tag``.

The index only finds candidates: the search checks every term on the span's meta itself
(store/query.py), so the index may hold more than a term matches, never less for the keys it
indexes (:func:`indexed`). There is no index by span: a span's rows are found again from its
meta (the same pairs) and its id's block, when it is sent again or deleted.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

# Span ids per posting row: offsets in a block are 0..255, at most 4 bytes each in the JSON
# array, so a row (at most about 1 KB) never spills out of its 8 KiB page.
BLOCK_BITS = 8
BLOCK = 1 << BLOCK_BITS
SCHEMA = """
CREATE TABLE IF NOT EXISTS tag_values (
    id    INTEGER PRIMARY KEY,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (key, value)
);
CREATE TABLE IF NOT EXISTS tag_postings (
    block INTEGER NOT NULL,
    tag   INTEGER NOT NULL,
    spans TEXT    NOT NULL,
    PRIMARY KEY (block, tag)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tag_postings_by_tag ON tag_postings (tag);
"""
# The span ids of a posting row aliased ``p``, expanded by ``json_each(p.spans)`` aliased ``o``.
SPAN_ID_SQL = f"(p.block << {BLOCK_BITS}) + o.value"
# A posting row written where one is already: the new offsets are added to its array.
_APPEND = (
    " ON CONFLICT (block, tag) DO UPDATE"
    " SET spans = substr(spans, 1, length(spans) - 1) || ',' || substr(excluded.spans, 2)"
)
_INSERT = f"INSERT INTO tag_postings (block, tag, spans) VALUES (?, ?, ?){_APPEND}"  # noqa: S608 (a fixed clause)
# ddtrace's own bookkeeping (``_dd.p.tid``, ``_dd.p.dm``, ...) and stack traces (a kilobyte
# each, every one different) are not indexed: a search on them reads the spans' meta.
_UNINDEXED_PREFIX = "_"
_UNINDEXED_KEY = "error.stack"
# The same rule in SQL, over a json_each() row aliased ``j``.
INDEXED_SQL = "j.key NOT GLOB '_*' AND j.key != 'error.stack'"
# How many (key, value) ids, and how many metas' tags, a writer remembers before it starts
# over.
CACHE_SIZE = 100_000
METAS = 20_000


def indexed(key: str) -> bool:
    """Whether the tag index holds ``key``'s values (a search may start from it)."""
    return not key.startswith(_UNINDEXED_PREFIX) and key != _UNINDEXED_KEY


def _place(span: int) -> tuple[int, int]:
    """A span id's block and its offset in the block."""
    return span >> BLOCK_BITS, span & (BLOCK - 1)


# Each offset's text, made once: a posting row is written for every tag of every payload.
_OFFSETS = [str(offset) for offset in range(BLOCK)]


def _array(offsets: Iterable[int]) -> str:
    """A posting row's ``spans``: the offsets as a JSON array, in order."""
    return f"[{','.join(map(_OFFSETS.__getitem__, sorted(offsets)))}]"


class TagWriter:
    """Writes the tag rows of spans, remembering the ids of the values it has seen, and the
    ids of the tags of each meta it has seen (spans of one operation mostly carry the same
    meta: theirs are then looked up once, not a value at a time).

    The ids are checked against the file's other writers: when another connection has
    committed since this one last wrote (``PRAGMA data_version``), what is remembered is
    forgotten, since it may have deleted values (retention in another process).
    """

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], int] = {}
        # A meta's JSON (as stored) -> the ids of its indexed values.
        self._tags: dict[str, tuple[int, ...]] = {}
        self._version: int | None = None

    def add(
        self, db: sqlite3.Connection, spans: Iterable[tuple[int, str, Mapping[str, str]]]
    ) -> None:
        """Index ``(span id, meta JSON, meta)`` of spans just written (within ``db``'s
        transaction)."""
        version = db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version or len(self._ids) > CACHE_SIZE or len(self._tags) > METAS:
            self._forget()
            self._version = version
        # By block, then by meta: a payload's spans fill one or two blocks, and the spans of
        # one operation share a meta. A span is added once, so a list holds each offset once.
        blocks: dict[int, dict[str, list[int]]] = {}
        metas: dict[str, Mapping[str, str]] = {}
        for span, key, meta in spans:
            block, offset = _place(span)
            groups = blocks.get(block)
            if groups is None:
                groups = blocks[block] = {}
            group = groups.get(key)
            if group is None:
                groups[key] = [offset]
                metas[key] = meta
            else:
                group.append(offset)
        rows = []
        for block, groups in sorted(blocks.items()):
            offsets: defaultdict[int, list[int]] = defaultdict(list)
            for key, group in groups.items():
                tags = self._tags.get(key)
                if tags is None:
                    tags = self._tags[key] = self._tags_of(db, metas[key])
                for tag in tags:
                    offsets[tag] += group
            # In the table's order: each row goes next to the one before.
            rows += [(block, tag, _array(offsets[tag])) for tag in sorted(offsets)]
        db.executemany(_INSERT, rows)

    @contextmanager
    def forgetting_on_error(self) -> Iterator[None]:
        """Forget what is remembered if the block raises: the transaction it wrote in was
        rolled back, and with it the values it stored (their ids could be given again)."""
        try:
            yield
        except BaseException:
            self._forget()
            raise

    def _forget(self) -> None:
        """Forget every id remembered (values may have been deleted, or never committed)."""
        self._ids.clear()
        self._tags.clear()

    def _tags_of(self, db: sqlite3.Connection, meta: Mapping[str, str]) -> tuple[int, ...]:
        """The ids of a meta's indexed values, storing those that are new."""
        ids = self._ids
        tags = []
        for pair in meta.items():
            tag = ids.get(pair)
            if tag is None:
                if not indexed(pair[0]):
                    continue
                self._learn(db, meta)
                tag = ids[pair]
            tags.append(tag)
        return tuple(tags)

    def remove(self, db: sqlite3.Connection, spans: Sequence[tuple[int, str]]) -> None:
        """Take ``(span id, meta JSON)`` pairs of spans (replaced or deleted) out of the index;
        the values no span carries any more go too."""
        if not spans:
            return
        pairs = db.execute(
            "SELECT v.id, s.value ->> 0 FROM json_each(?) s, json_each(s.value ->> 1) j"  # noqa: S608 (a fixed clause)
            " JOIN tag_values v ON v.key = j.key AND v.value = CAST(j.value AS TEXT)"
            f" WHERE {INDEXED_SQL}",
            (json.dumps([[span, meta] for span, meta in spans]),),
        ).fetchall()
        gone: dict[tuple[int, int], set[int]] = defaultdict(set)
        for tag, span in pairs:
            block, offset = _place(span)
            gone[block, tag].add(offset)
        emptied = []
        for (block, tag), offsets in sorted(gone.items()):
            row = db.execute(
                "SELECT spans FROM tag_postings WHERE tag = ? AND block = ?", (tag, block)
            ).fetchone()
            if row is None:
                continue
            left = set(json.loads(row[0])) - offsets
            if left:
                db.execute(
                    "UPDATE tag_postings SET spans = ? WHERE tag = ? AND block = ?",
                    (_array(left), tag, block),
                )
            else:
                db.execute("DELETE FROM tag_postings WHERE tag = ? AND block = ?", (tag, block))
                emptied.append((tag,))
        unused = db.executemany(
            "DELETE FROM tag_values WHERE id = ?"
            " AND NOT EXISTS (SELECT 1 FROM tag_postings WHERE tag = tag_values.id)",
            sorted(set(emptied)),
        )
        if unused.rowcount:
            self._forget()

    def _learn(self, db: sqlite3.Connection, meta: Mapping[str, str]) -> None:
        """Remember the ids of a span's indexed values, storing those that are new: in the
        order its stored JSON lists them (keys sorted), so new values get the same ids
        whichever order the meta came in."""
        for pair in sorted(meta.items()):
            if indexed(pair[0]) and pair not in self._ids:
                self._id(db, pair)

    def _id(self, db: sqlite3.Connection, pair: tuple[str, str]) -> int:
        """The id of a ``(key, value)`` not remembered: stored now if it is new."""
        row = db.execute(
            "INSERT INTO tag_values (key, value) VALUES (?, ?)"
            " ON CONFLICT DO UPDATE SET key = key RETURNING id",
            pair,
        ).fetchone()
        found = self._ids[pair] = int(row[0])
        return found


# A store whose spans have no posting rows yet (written before this index) gets them once, a
# range of span ids per transaction.
FILL_VALUES = f"""
INSERT OR IGNORE INTO tag_values (key, value)
SELECT j.key, CAST(j.value AS TEXT) FROM spans s, json_each(s.meta) j
WHERE s.id > ? AND s.id <= ? AND {INDEXED_SQL}
"""  # noqa: S608 (a fixed clause)
FILL_POSTINGS = f"""
INSERT INTO tag_postings (block, tag, spans)
SELECT block, tag, json_group_array(offset) FROM (
    SELECT s.id >> {BLOCK_BITS} AS block, v.id AS tag, s.id & {BLOCK - 1} AS offset
    FROM spans s, json_each(s.meta) j
    JOIN tag_values v ON v.key = j.key AND v.value = CAST(j.value AS TEXT)
    WHERE s.id > ? AND s.id <= ? AND {INDEXED_SQL}
    ORDER BY 1, 2, 3
) WHERE true GROUP BY block, tag{_APPEND}
"""  # noqa: S608 (a fixed clause)
