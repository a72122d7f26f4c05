"""The service map's figures a minute at a time, written with the spans, so that a day's services
and calls read a few thousand rows rather than every span of the day.

Two tables of the same shape, a row per minute (of the spans' start) and group, each row holding
its spans' durations, packed (int64, ascending within the row), so that percentiles over any run
of whole minutes are exact:

- ``service_minutes``: a service's requests (its top-level spans, ``role`` 'own'), and the calls
  to an inferred service (the client spans naming it by ``peer.service``, ``role`` 'called'), by
  kind (:func:`.presentation.service_kind`, :func:`.presentation.inferred_kind`); ``first``, the
  earliest start, decides which kind a service is listed with.
- ``call_minutes``: calls from one service to another: a span whose parent is in another service
  (``via`` 'child', the child's figures; not cold-start spans), and a client span to a peer
  (``via`` 'peer'), as :meth:`.TraceStore.calls` counts them.

A row holds at most :data:`PART` durations, more go to the next ``part``, so that a write rewrites
a few KB whatever the traffic.

The parent and the child of a call usually arrive in different payloads (each Lambda function's
process flushes its own spans), in either order: :func:`record` compares each trace's stored
spans before and after a write, so a call is counted by the write that completes it, and a span
sent again replaces what it counted rather than adding to it. (A changed span that was its
group's earliest leaves ``first`` where it was.)

A store written before these tables gets them filled from its spans at open, a batch of spans a
transaction (:class:`Rollups`); meanwhile they hold the spans up to ``rollup_fill.last`` (by
rowid) and :func:`record` counts only what those make, so a writer in another process counts
nothing twice.

Retention deletes the minutes older than its age limit (:func:`forget`); the traces it deletes to
keep the file's size leave their minutes, as Datadog keeps the metrics of all traffic longer than
the traces themselves.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .database import Database
from .presentation import inferred_kind, service_kind

MINUTE_NS = 60 * 10**9
# Durations a row holds at most (4 KB).
PART = 512
# Spans an older store's fill reads per transaction.
FILL_BATCH = 10_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS service_minutes (
    minute    INTEGER NOT NULL,
    service   TEXT    NOT NULL,
    role      TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    part      INTEGER NOT NULL,
    errors    INTEGER NOT NULL,
    first     INTEGER NOT NULL,
    durations BLOB    NOT NULL,
    PRIMARY KEY (minute, service, role, kind, part)
);
CREATE TABLE IF NOT EXISTS call_minutes (
    minute    INTEGER NOT NULL,
    caller    TEXT    NOT NULL,
    callee    TEXT    NOT NULL,
    via       TEXT    NOT NULL,
    part      INTEGER NOT NULL,
    errors    INTEGER NOT NULL,
    first     INTEGER NOT NULL,
    durations BLOB    NOT NULL,
    PRIMARY KEY (minute, caller, callee, via, part)
);
CREATE TABLE IF NOT EXISTS rollup_fill (last INTEGER NOT NULL);
"""
# Each table's three key columns after ``minute``.
_KEYS = {
    "service_minutes": ("service", "role", "kind"),
    "call_minutes": ("caller", "callee", "via"),
}

# The columns of a ``spans`` row (store/database.py) the rollups are made from.
_TRACE_ID, _SPAN_ID, _PARENT_ID, _SERVICE, _NAME, _TYPE = 0, 1, 2, 3, 4, 6
_START, _DURATION, _ERROR, _TOP_LEVEL, _PEER, _META = 7, 8, 9, 10, 12, 13
# A stored span in that shape (what the rollups need of it; meta only for a peer's kind), with
# its rowid last.
_STORED_COLUMNS = (
    "{t}.trace_id, {t}.span_id, {t}.parent_id, {t}.service, {t}.name, '', {t}.type, {t}.start,"
    " {t}.duration, {t}.error, {t}.top_level, 0, {t}.peer,"
    " CASE WHEN {t}.peer IS NULL THEN '' ELSE {t}.meta END, '', {t}.rowid"
)
_ROWID = 15

# What one span adds to one row: (table, minute, key, start, duration, error).
Item = tuple[str, int, tuple[str, str, str], int, int, int]


def first_minute(since: int) -> int:
    """The first whole minute from ``since`` (ns): the minute starting at or after it."""
    return -(-since // MINUTE_NS)


def _items(span: Sequence[Any], parent_service: str | None) -> Iterator[Item]:
    """What a span adds to the rollups; ``parent_service``, that of its parent if stored."""
    minute = span[_START] // MINUTE_NS
    figures = (span[_START], span[_DURATION], span[_ERROR])
    service, peer = span[_SERVICE], span[_PEER]
    if span[_TOP_LEVEL]:
        kind = service_kind(span[_NAME], span[_TYPE])
        yield ("service_minutes", minute, (service, "own", kind), *figures)
    if peer:
        kind = inferred_kind(json.loads(span[_META]))
        yield ("service_minutes", minute, (peer, "called", kind), *figures)
    if peer is not None:
        yield ("call_minutes", minute, (service, peer, "peer"), *figures)
    # As SQL's NOT LIKE 'aws.lambda.%' (ASCII case ignored): cold-start spans are no calls.
    if (
        parent_service is not None
        and parent_service != service
        and span[_NAME][:11].lower() != "aws.lambda."
    ):
        yield ("call_minutes", minute, (parent_service, service, "child"), *figures)


def record(db: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Count ``spans`` rows (as store/ingest.py makes them) in the rollups, inside the
    transaction that writes them and before it does: what each trace's spans made before the
    write is taken back, what they make after it is added (mostly, just what is new)."""
    last = _filled(db)
    sent: dict[str, dict[str, Sequence[Any]]] = defaultdict(dict)
    for row in rows:
        sent[row[_TRACE_ID]][row[_SPAN_ID]] = row  # sent twice in one write: the last one
    stored: dict[str, dict[str, Sequence[Any]]] = defaultdict(dict)
    for row in db.execute(
        f"SELECT {_STORED_COLUMNS.format(t='spans')} FROM spans"  # noqa: S608 (fixed columns)
        " WHERE trace_id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(sent)),),
    ):
        stored[row[_TRACE_ID]][row[_SPAN_ID]] = row

    def counted(span: Sequence[Any]) -> bool:
        return last is None or span[_ROWID] <= last

    # Gathered in lists and counted once: a Counter.update a span costs more than its items.
    before: list[Item] = []
    after: list[Item] = []
    for trace_id, new_spans in sent.items():
        old = stored.get(trace_id, {})
        new = {**old, **new_spans}
        # What may change: the spans sent, and the stored children of those (their parent).
        changed = set(new_spans) | {
            key for key, span in old.items() if span[_PARENT_ID] in new_spans
        }
        for key in changed:
            if key in old and counted(old[key]):
                before.extend(_items(old[key], _service(old, old[key])))
            # A span sent again keeps its id: counted if the fill has passed it. A new span's id
            # is past the fill's, which counts it (counted here once the store is filled).
            counts = counted(old[key]) if key in old else last is None
            if counts:
                after.extend(_items(new[key], _service(new, new[key])))
    taken, added = Counter(before), Counter(after)
    _apply(db, added - taken, taken - added)


def _service(spans: dict[str, Sequence[Any]], span: Sequence[Any]) -> str | None:
    parent = spans.get(span[_PARENT_ID])
    return None if parent is None else str(parent[_SERVICE])


def _filled(db: sqlite3.Connection) -> int | None:
    """``None`` once the rollups hold every stored span; before, the rowid of spans up to which
    they do (written spans get higher ones)."""
    if db.execute("SELECT 1 FROM upgrades WHERE name = 'rollups'").fetchone():
        return None
    # Deleted spans may have had the highest rowids: the next ones written would reuse them.
    db.execute("UPDATE rollup_fill SET last = MIN(last, (SELECT IFNULL(MAX(rowid), 0) FROM spans))")
    row = db.execute("SELECT last FROM rollup_fill").fetchone()
    return int(row[0]) if row else 0


def _apply(db: sqlite3.Connection, added: Counter[Item], taken: Counter[Item]) -> None:
    """Add items to their rows, and take items back out of theirs."""
    for (table, minute, key), items in sorted(_by_row(taken.elements()).items()):
        _take(db, table, minute, key, items)
    for (table, minute, key), items in sorted(_by_row(added.elements()).items()):
        _add(db, table, minute, key, items)


def _by_row(items: Iterable[Item]) -> dict[tuple[str, int, tuple[str, str, str]], list[Item]]:
    rows: dict[tuple[str, int, tuple[str, str, str]], list[Item]] = defaultdict(list)
    for item in items:
        rows[item[0], item[1], item[2]].append(item)
    return rows


def _where(table: str) -> str:
    a, b, c = _KEYS[table]
    return f"minute = ? AND {a} = ? AND {b} = ? AND {c} = ?"


def _add(
    db: sqlite3.Connection, table: str, minute: int, key: tuple[str, str, str], items: list[Item]
) -> None:
    durations = [item[4] for item in items]
    errors = sum(item[5] for item in items)
    first = min(item[3] for item in items)
    last = db.execute(
        f"SELECT part, durations FROM {table} WHERE {_where(table)}"  # noqa: S608 (fixed names)
        " ORDER BY part DESC LIMIT 1",
        (minute, *key),
    ).fetchone()
    if last is not None and len(last[1]) // 8 + len(durations) <= PART:
        db.execute(
            f"UPDATE {table} SET errors = errors + ?, first = MIN(first, ?), durations = ?"  # noqa: S608 (fixed names)
            f" WHERE {_where(table)} AND part = ?",
            (errors, first, _pack(sorted([*_unpack(last[1]), *durations])), minute, *key, last[0]),
        )
    else:
        part = 0 if last is None else last[0] + 1
        db.execute(
            f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 (fixed names)
            (minute, *key, part, errors, first, _pack(sorted(durations))),
        )


def _take(
    db: sqlite3.Connection, table: str, minute: int, key: tuple[str, str, str], items: list[Item]
) -> None:
    """Take items back out of a row's parts: rare (a span sent again, changed), so the parts are
    written anew."""
    parts = db.execute(
        f"SELECT errors, first, durations FROM {table} WHERE {_where(table)}",  # noqa: S608 (fixed names)
        (minute, *key),
    ).fetchall()
    if not parts:
        return
    durations = sorted(value for part in parts for value in _unpack(part[2]))
    errors = sum(part[0] for part in parts)
    for item in items:
        with contextlib.suppress(ValueError):  # never counted: nothing to take back
            durations.remove(item[4])
            errors -= item[5]
    first = min(part[1] for part in parts)
    db.execute(f"DELETE FROM {table} WHERE {_where(table)}", (minute, *key))  # noqa: S608 (fixed names)
    for part, low in enumerate(range(0, len(durations), PART)):
        db.execute(
            f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 (fixed names)
            (
                minute,
                *key,
                part,
                errors if part == 0 else 0,
                first,
                _pack(durations[low : low + PART]),
            ),
        )


def _pack(durations: Sequence[int]) -> bytes:
    values = array("q", durations)
    if sys.byteorder == "big":
        values.byteswap()
    return values.tobytes()


def _unpack(blob: bytes) -> array[int]:
    values = array("q")
    values.frombytes(blob)
    if sys.byteorder == "big":
        values.byteswap()
    return values


@dataclass
class Minutes:
    """A group's figures over a run of minutes: durations (ns, in no order), errors, and the
    earliest start."""

    first: int
    durations: list[int]
    errors: int


def read(db: Database, table: str, minute: int) -> dict[tuple[str, str, str], Minutes]:
    """Each group's figures in ``table`` from ``minute`` on, by its three key columns."""
    packed: dict[tuple[str, str, str], list[bytes]] = defaultdict(list)
    first: dict[tuple[str, str, str], int] = {}
    errors: Counter[tuple[str, str, str]] = Counter()
    for a, b, c, row_first, row_errors, durations in db.query(
        f"SELECT {', '.join(_KEYS[table])}, first, errors, durations FROM {table}"  # noqa: S608 (names from _KEYS)
        " WHERE minute >= ?",
        (minute,),
    ):
        key = (a, b, c)
        packed[key].append(durations)
        first[key] = min(first.get(key, row_first), row_first)
        errors[key] += row_errors
    # One array a group: joined bytes unpack far quicker than row by row.
    return {
        key: Minutes(first[key], _unpack(b"".join(blobs)).tolist(), errors[key])
        for key, blobs in packed.items()
    }


def forget(database: Database, before_ns: int) -> None:
    """Delete the minutes wholly before ``before_ns`` (if a TraceStore made the tables)."""
    with database.transaction() as db:
        for (table,) in db.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN (?, ?)", tuple(_KEYS)
        ).fetchall():
            db.execute(f"DELETE FROM {table} WHERE minute < ?", (before_ns // MINUTE_NS,))  # noqa: S608 (names from _KEYS)


class Rollups:
    """The rollup tables of a store's database, filled from its spans if it had none."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(SCHEMA)
        # A fresh file, in place of a damaged one, holds the spans written again (store/damage.py).
        db.on_fresh(self._fill)
        self._fill()

    def _fill(self) -> None:
        """Count the spans stored before the rollups existed (once per store)."""
        while True:
            with self._db.transaction() as db:
                last = _filled(db)
                if last is None:
                    return
                top = int(db.execute("SELECT IFNULL(MAX(rowid), 0) FROM spans").fetchone()[0])
                high = min(top, last + FILL_BATCH)
                added: Counter[Item] = Counter()
                for row in db.execute(
                    f"SELECT {_STORED_COLUMNS.format(t='c')}, p.service FROM spans c"  # noqa: S608 (fixed columns)
                    " LEFT JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_id"
                    " WHERE c.rowid > ? AND c.rowid <= ?",
                    (last, high),
                ):
                    added.update(_items(row, row[_ROWID + 1]))
                _apply(db, added, Counter())
                db.execute("DELETE FROM rollup_fill")
                if high >= top:
                    db.execute("INSERT OR IGNORE INTO upgrades VALUES ('rollups')")
                    return
                db.execute("INSERT INTO rollup_fill VALUES (?)", (high,))
