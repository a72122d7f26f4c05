"""The local trace store: spans in one SQLite file, and the queries the APM views ask.

- :mod:`.database`: the SQLite file (schema, WAL, one shared connection); an older file
  migrated (:mod:`.migration`), a damaged one set aside (:mod:`.damage`).
- :mod:`.ingest`: how ddtrace's chunks become rows (128-bit trace ids, top-level spans, peers).
- :mod:`.trace_store`: :class:`TraceStore`, writing and the APM's queries.
- :mod:`.presentation`: the JSON shapes and the names a person reads.
- :mod:`.tree`: a trace's spans as a tree, and the time each service spent.

Percentiles and request statistics come from :mod:`thinker_local.stats`.
"""

from .damage import StoreFull
from .spans import Span
from .trace_store import TraceStore

__all__ = ["Span", "StoreFull", "TraceStore"]
