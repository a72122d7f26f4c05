"""A damaged store file found, set aside under a name that says so, and the disk found full.

A crash, a bad copy or a failing disk can leave ``traces.sqlite3`` with some pages overwritten;
SQLite then answers "database disk image is malformed" to whatever reads them. The store checks
the file when it opens it (:func:`check`: SQLite's ``quick_check``, which reads every page once
but skips the index-to-table cross-checks: about 0.5 s for a 130 MB store), and whenever SQLite
reports damage (:func:`is_damage`) the file and its WAL are moved aside as
``<name>.damaged-<UTC time>`` (:func:`set_aside`) and a fresh store takes their place.
A full disk (:func:`is_full`) is not damage: the file stays, and writes work again once there is
space.
"""

from __future__ import annotations

import sqlite3
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# SQLite's primary result codes (the low byte of an extended code).
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_NOTADB = 26
# What is written again to a fresh file: the writes of the last minute, up to a bound that
# keeps memory small under load.
RECENT_S = 60.0
RECENT_WRITES = 500
# The files SQLite keeps beside a database in WAL mode, moved with it.
_COMPANIONS = ("-wal", "-shm")


class Damaged(sqlite3.DatabaseError):
    """SQLite's own check found the file damaged."""


class StoreFull(Exception):
    """Spans could not be written: the disk (or the file's size limit) is full."""


def _code(error: sqlite3.Error) -> int:
    return int(getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF


def is_damage(error: sqlite3.Error) -> bool:
    """Whether ``error`` says the file is damaged or not a database at all."""
    return isinstance(error, Damaged) or _code(error) in (SQLITE_CORRUPT, SQLITE_NOTADB)


def is_full(error: sqlite3.Error) -> bool:
    """Whether ``error`` says the disk (or the file's size limit) is full."""
    return _code(error) == SQLITE_FULL


def check(connection: sqlite3.Connection) -> None:
    """:class:`Damaged` unless SQLite's ``quick_check`` finds the file sound."""
    found = [str(row[0]) for row in connection.execute("PRAGMA quick_check(2)")]
    if found != ["ok"]:
        # Its findings span lines ("*** in database main ***" first): one line, to say in one.
        findings = " ".join(" ".join(found).replace("*** in database main ***", "").split())
        raise Damaged(f"database disk image is malformed: {findings}")


def set_aside(path: Path) -> Path:
    """Move ``path`` (and its WAL) to ``<name>.damaged-<UTC time>``; where it went."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    moved = path.with_name(f"{path.name}.damaged-{stamp}")
    count = 1
    while moved.exists():
        count += 1
        moved = path.with_name(f"{path.name}.damaged-{stamp}-{count}")
    if path.exists():
        path.rename(moved)
    for suffix in _COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(moved.with_name(moved.name + suffix))
    return moved


class Recent:
    """The span rows written in the last :data:`RECENT_S` seconds (at most
    :data:`RECENT_WRITES` writes), to write again on a fresh file: damage is found when a page
    is read, which may be after spans were written to the damaged file."""

    def __init__(self) -> None:
        self._writes: deque[tuple[float, Sequence[tuple[Any, ...]]]] = deque()

    def add(self, rows: Sequence[tuple[Any, ...]]) -> None:
        now = time.monotonic()
        self._writes.append((now, rows))
        while self._writes and (
            self._writes[0][0] < now - RECENT_S or len(self._writes) > RECENT_WRITES
        ):
            self._writes.popleft()

    def rows(self) -> list[Sequence[tuple[Any, ...]]]:
        """Each write's rows, oldest first."""
        return [rows for _, rows in list(self._writes)]
