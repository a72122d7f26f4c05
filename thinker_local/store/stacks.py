"""Stack traces kept compressed beside their span's meta.

An error span's ``error.stack`` is most of its bytes (a kilobyte for a few frames) and compresses
to about a third, while the rest of the meta must stay JSON that SQLite reads (searches, facets,
the pages' summaries). So the stack leaves the meta JSON when stored, zlib-compressed in the span's
``stack`` column, and :func:`meta_of` (the SQL function ``with_stack``) puts it back wherever the
whole meta is read. A store written before keeps its stacks inside the meta: both read the same.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Mapping

from .ingest import meta_json

KEY = "error.stack"
_MARK = f'"{KEY}":'


def split(meta: str, tags: Mapping[str, str] | None = None) -> tuple[str, bytes | None]:
    """A span's meta JSON without its stack, and the stack compressed (``None`` without);
    ``tags``, the same meta as a dict if at hand (then not parsed again)."""
    if tags is None:
        if _MARK not in meta:
            return meta, None
        tags = json.loads(meta)
    stack = tags.get(KEY)
    if not isinstance(stack, str):
        return meta, None
    return meta_json({key: value for key, value in tags.items() if key != KEY}), zlib.compress(
        stack.encode()
    )


def joined(meta: str, stack: bytes | None) -> str:
    """The meta JSON with its stack back in place."""
    if stack is None:
        return meta
    tags = json.loads(meta)
    tags[KEY] = zlib.decompress(stack).decode()
    return meta_json(tags)


def meta_of(table: str) -> str:
    """The whole meta JSON of a row of ``spans`` aliased ``table``, in SQL."""
    return f"with_stack({table}.meta, {table}.stack)"


def register(connection: sqlite3.Connection) -> None:
    """Make :func:`meta_of` readable on ``connection``."""
    connection.create_function("with_stack", 2, joined, deterministic=True)
