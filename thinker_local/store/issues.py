"""Error Tracking: error spans grouped into issues, and the queries the Error Tracking views ask.

An **issue** is every error span with the same fingerprint: the error's type, its message
normalised (quoted text, numbers, hexadecimal and UUIDs replaced by placeholders, so
``KeyError: 'foo_bar'`` and ``KeyError: 'baz'`` are one issue), and the innermost
:data:`FRAMES` frames of the project's own code in its stack (file and function, without line
numbers, so that an edit elsewhere in the file keeps the issue). A frame is the project's own
when its file is outside ``site-packages``, ``dist-packages`` and the Python installation.

An error span is a span with the error flag and an ``error.type`` or ``error.message`` tag (what
ddtrace records for an exception, and for a Lambda's impending timeout); a span flagged only by
its HTTP status is not an issue, as in Datadog.

One table, ``span_errors``, a row per error span, indexed by time and by issue, so that the
issues of a window read only that window's errors.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import ingest, stacks
from .database import SPAN_ROWS, Database

# The innermost frames of the project's own code a fingerprint takes.
FRAMES = 3
MAX_ISSUES = 100
MAX_SAMPLES = 20
MAX_BUCKETS = 60

SCHEMA = """
CREATE TABLE IF NOT EXISTS span_errors (
    trace_id    TEXT    NOT NULL,
    span_id     TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    start       INTEGER NOT NULL,
    service     TEXT    NOT NULL,
    resource    TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX IF NOT EXISTS span_errors_by_start ON span_errors (start);
CREATE INDEX IF NOT EXISTS span_errors_by_service ON span_errors (service, start);
CREATE INDEX IF NOT EXISTS span_errors_by_issue ON span_errors (fingerprint, start);
"""
# The columns of a ``spans`` row (store/database.py) a span_errors row is made from.
_TRACE_ID, _SPAN_ID, _SERVICE, _RESOURCE, _START, _ERROR, _META = 0, 1, 3, 5, 7, 9, 13

# Normalising a message: the most specific shapes first, so a UUID is not read as numbers.
_PLACEHOLDERS = (
    (re.compile(r"'[^']*'"), "'<text>'"),
    (re.compile(r'"[^"]*"'), '"<text>"'),
    (re.compile(r"\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b", re.IGNORECASE), "<uuid>"),
    (
        re.compile(r"\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.I),
        "<hex>",
    ),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
)
# The fingerprints of the errors last seen, by type, message and stack (a few MB at most).
_REMEMBERED = 1000
_FINGERPRINTS: dict[tuple[str, str, str], tuple[Fingerprint, str]] = {}
_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+, in (.+)$', re.MULTILINE)
# Libraries, the interpreter, Lambda's runtime, and frames with no file.
_NOT_OWN = re.compile(r"site-packages|dist-packages|(?:^|/)python\d[\d.]*/|^/var/runtime/|^<")


@dataclass(frozen=True)
class Fingerprint:
    """What groups error spans into one issue, and its id (16 hex digits)."""

    type: str
    pattern: str
    frames: tuple[str, ...]

    @property
    def id(self) -> str:
        text = "\n".join((self.type, self.pattern, *self.frames))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def normalise_message(message: str) -> str:
    """The message with what varies between occurrences replaced by placeholders."""
    for pattern, placeholder in _PLACEHOLDERS:
        message = pattern.sub(placeholder, message)
    return " ".join(message.split())[:500]


def own_frames(stack: str) -> tuple[str, ...]:
    """The innermost :data:`FRAMES` frames of the project's own code in a Python traceback,
    innermost first, as ``package/module.py in function``."""
    frames = [
        f"{'/'.join(path.split('/')[-2:])} in {function.strip()}"
        for path, function in _FRAME.findall(stack)
        if not _NOT_OWN.search(path)
    ]
    return tuple(reversed(frames[-FRAMES:]))


def fingerprint(meta: Mapping[str, str]) -> Fingerprint | None:
    """An error span's fingerprint from its tags; ``None`` if they describe no error."""
    error_type, message = meta.get("error.type", ""), meta.get("error.message", "")
    if not error_type and not message:
        return None
    return Fingerprint(
        error_type, normalise_message(message), own_frames(meta.get("error.stack", ""))
    )


def _known(meta: Mapping[str, str]) -> tuple[Fingerprint, str] | None:
    """An error span's fingerprint and its id, remembered by the tags it is made of: an error
    mostly recurs with the same message and stack, which the regular expressions need not read
    again."""
    key = (meta.get("error.type", ""), meta.get("error.message", ""), meta.get("error.stack", ""))
    known = _FINGERPRINTS.get(key)
    if known is None:
        found = fingerprint(meta)
        if found is None:
            return None
        if len(_FINGERPRINTS) >= _REMEMBERED:
            _FINGERPRINTS.clear()
        known = _FINGERPRINTS[key] = (found, found.id)
    return known


def record(db: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Keep the error spans among ``spans`` rows (as store/ingest.py makes them), inside the
    transaction that writes them; a span sent again replaces its error, or drops it."""
    errors = []
    for index, row in enumerate(rows):
        if not row[_ERROR]:
            continue
        meta = ingest.meta_of(rows, index)
        known = _known(meta)
        if known is not None:
            found, issue = known
            errors.append(
                (
                    row[_TRACE_ID],
                    row[_SPAN_ID],
                    issue,
                    row[_START],
                    row[_SERVICE],
                    row[_RESOURCE],
                    found.type,
                    meta.get("error.message", ""),
                )
            )
    sent = {(row[_TRACE_ID], row[_SPAN_ID]) for row in rows}
    failing = {(error[0], error[1]) for error in errors}
    # The errors kept of the rows' traces, in one query.
    kept = db.execute(
        "SELECT e.trace_id, e.span_id FROM json_each(?) k JOIN span_errors e"
        " ON e.trace_id = k.value",
        (json.dumps(list({row[_TRACE_ID]: None for row in rows})),),
    )
    stale = [key for key in kept.fetchall() if key in sent and key not in failing]
    db.executemany("DELETE FROM span_errors WHERE trace_id = ? AND span_id = ?", stale)
    db.executemany("INSERT OR REPLACE INTO span_errors VALUES (?,?,?,?,?,?,?,?)", errors)


class Issues:
    """The ``span_errors`` table of a store's database."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(SCHEMA)
        self._fill()

    def _fill(self) -> None:
        """Error rows for the spans stored before span_errors existed (once per store)."""
        if self._db.query("SELECT 1 FROM upgrades WHERE name = 'span_errors'"):
            return
        rows = [
            tuple(row)
            for row in self._db.query(f"SELECT {SPAN_ROWS} FROM spans WHERE error = 1")  # noqa: S608 (fixed columns)
        ]
        with self._db.transaction() as db:
            record(db, rows)
            db.execute("INSERT OR IGNORE INTO upgrades VALUES ('span_errors')")

    def issues(
        self,
        window_s: float,
        *,
        service: str | None = None,
        buckets: int = 30,
        now: float | None = None,
    ) -> list[dict[str, Any]]:
        """The issues with errors in the window, the latest seen first (at most
        :data:`MAX_ISSUES`); with ``service``, those with errors in that service."""
        since, until = _bounds(window_s, now)
        where = "start >= ? AND start <= ?"
        params: tuple[object, ...] = (since, until)
        if service is not None:
            where, params = f"service = ? AND {where}", (service, since, until)
        rows = self._db.query(
            f"SELECT fingerprint FROM span_errors WHERE {where}"  # noqa: S608 (fixed clauses; values are bound)
            " GROUP BY fingerprint ORDER BY MAX(start) DESC LIMIT ?",
            (*params, MAX_ISSUES),
        )
        result = []
        for row in rows:
            newest = self._newest(row["fingerprint"])
            if newest is not None:
                result.append(self._summary(row["fingerprint"], newest, since, until, buckets))
        return result

    def issue(
        self, issue_id: str, window_s: float, *, buckets: int = 30, now: float | None = None
    ) -> dict[str, Any] | None:
        """One issue over the window: its summary, its newest samples (at most
        :data:`MAX_SAMPLES`) and its newest stack; ``None`` if no error has this fingerprint."""
        newest = self._newest(issue_id)
        if newest is None:
            return None
        since, until = _bounds(window_s, now)
        samples = self._db.query(
            "SELECT trace_id, span_id, start, service, resource, message FROM span_errors"
            " WHERE fingerprint = ? AND start >= ? AND start <= ? ORDER BY start DESC LIMIT ?",
            (issue_id, since, until, MAX_SAMPLES),
        )
        return {
            **self._summary(issue_id, newest, since, until, buckets),
            "stack": newest["stack"],
            "samples": [dict(row) for row in samples],
        }

    def _newest(self, issue_id: str) -> dict[str, Any] | None:
        """The newest error of an issue: its type, message, stack, pattern and frames."""
        rows = self._db.query(
            f"SELECT {stacks.meta_of('s')} AS meta FROM span_errors e JOIN spans s"  # noqa: S608 (a fixed expression)
            " ON s.trace_id = e.trace_id AND s.span_id = e.span_id"
            " WHERE e.fingerprint = ? ORDER BY e.start DESC LIMIT 1",
            (issue_id,),
        )
        if not rows:
            return None
        meta = json.loads(rows[0]["meta"])
        found = fingerprint(meta)
        if found is None:
            return None
        return {
            "type": found.type,
            "message": meta.get("error.message", ""),
            "pattern": found.pattern,
            "frames": list(found.frames),
            "stack": meta.get("error.stack", ""),
        }

    def _summary(
        self, issue_id: str, newest: dict[str, Any], since: int, until: int, buckets: int
    ) -> dict[str, Any]:
        """Count, first and last seen, where it happened and a sparkline over the window."""
        count = max(1, min(buckets, MAX_BUCKETS))
        interval = max(1, (until - since) // count)
        first = self._db.query(
            "SELECT MIN(start) AS first FROM span_errors WHERE fingerprint = ?", (issue_id,)
        )[0]["first"]
        places = self._db.query(
            "SELECT service, resource, COUNT(*) AS count, MAX(start) AS last FROM span_errors"
            " WHERE fingerprint = ? AND start >= ? AND start <= ?"
            " GROUP BY service, resource ORDER BY count DESC, service, resource",
            (issue_id, since, until),
        )
        sparkline = [0] * count
        for row in self._db.query(
            "SELECT (start - ?) / ? AS bucket, COUNT(*) AS count FROM span_errors"
            " WHERE fingerprint = ? AND start >= ? AND start <= ? GROUP BY bucket",
            (since, interval, issue_id, since, until),
        ):
            sparkline[min(count - 1, int(row["bucket"]))] += row["count"]
        return {
            "id": issue_id,
            "type": newest["type"],
            "message": newest["message"],
            "pattern": newest["pattern"],
            "frames": newest["frames"],
            "count": sum(row["count"] for row in places),
            "first_seen": first,
            "last_seen": max((row["last"] for row in places), default=None),
            "services": sorted({row["service"] for row in places}),
            "resources": [
                {"service": row["service"], "resource": row["resource"], "count": row["count"]}
                for row in places
            ],
            "sparkline": {"start": since, "interval": interval, "counts": sparkline},
        }


def _bounds(window_s: float, now: float | None) -> tuple[int, int]:
    """The window ending now (or at ``now``, seconds), in ns."""
    end = time.time() if now is None else now
    return int((end - window_s) * 1e9), int(end * 1e9)
