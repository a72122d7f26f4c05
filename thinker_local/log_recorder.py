"""Every line the functions print into the trace store's ``logs`` table, written in batches.

``make up`` subscribes a :class:`LogRecorder` to the stack's
:class:`~thinker_local.output.Output`, beside the REPORT recorder: each line an execution
environment writes is read (:mod:`thinker_local.logs`) and queued; a thread of its own writes the
queue in one transaction every :data:`FLUSH_S` seconds (sooner once :data:`MAX_BATCH` lines
wait), so a chatty function never waits on SQLite. The stack's own lines (its messages, the
gateways' access lines, builds) are not a function's and are not kept. Anything else that sees a
function's lines (``sam local start-api``'s output) hands each to :meth:`LogRecorder.feed`.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Sequence

from .invocation_log import function_names
from .logs import LineReader, LogRecord
from .output import LogLine
from .store import TraceStore
from .store.invocations import FunctionInfo

FLUSH_S = 0.2
MAX_BATCH = 500


class LogRecorder:
    """Reads the lines it is given and writes them to a store from a thread of its own."""

    def __init__(self, store: TraceStore, functions: Sequence[FunctionInfo]) -> None:
        self._logs = store.logs
        self._names = function_names(functions)
        # One reader per writer: a traceback's lines follow each other in one writer's output.
        self._readers: dict[str | None, LineReader] = {}
        self._pending: list[LogRecord] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-recorder", daemon=True)
        self._thread.start()

    def listener(self, line: LogLine) -> None:
        """An :meth:`Output.subscribe <thinker_local.output.Output.subscribe>` listener."""
        if line.source in self._names:
            self.feed(line.text, source=line.source, request_id=line.request_id, at=line.time)

    def feed(
        self,
        text: str,
        *,
        source: str | None = None,
        request_id: str | None = None,
        at: float | None = None,
    ) -> LogRecord:
        """Queue one line; ``source`` names its function (logical id or name) when known,
        ``request_id`` the invocation it was printed in, ``at`` when (epoch seconds, default now).
        """
        written = time.time() if at is None else at
        with self._lock:
            reader = self._readers.setdefault(source, LineReader())
            record = reader.read(
                text,
                function=self._names.get(source or ""),
                time_ns=int(written * 1e9),
                request_id=request_id,
            )
            self._pending.append(record)
            if len(self._pending) >= MAX_BATCH:
                self._wake.set()
        return record

    def flush(self) -> None:
        """Write what is queued now."""
        with self._lock:
            batch, self._pending = self._pending, []
        # A store that cannot be written loses these lines; they were printed all the same.
        with contextlib.suppress(sqlite3.Error):
            self._logs.add(batch)

    def close(self) -> None:
        """Write what is queued and stop the writing thread."""
        self._closed.set()
        self._wake.set()
        self._thread.join()
        self.flush()

    def _run(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(FLUSH_S)
            self._wake.clear()
            self.flush()
