"""Every line the functions print into the trace store's ``logs`` table, written in batches.

``make up`` subscribes a :class:`LogRecorder` to the stack's
:class:`~thinker_local.output.Output`, beside the REPORT recorder: each line an execution
environment writes is queued, and a thread of its own reads the queued lines
(:mod:`thinker_local.lambdafn.log_lines`) and writes them in one transaction every
:data:`~.batches.FLUSH_S` seconds (:class:`~.batches.Batches`): the thread that prints only
appends to a list, and a chatty function never waits on SQLite. The stack's own lines (its
messages, the gateways' access lines, builds) are not a function's and are not kept. Anything
else that sees a function's lines hands each to :meth:`LogRecorder.record`; of lines recorded
without a source, those outside any invocation (between an END and the next START) are not kept
unless they are errors.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import replace

from ..lambdafn.log_lines import ERROR, LineReader, LogRecord
from ..output import LogLine
from ..store import TraceStore
from ..store.invocations import FunctionInfo
from .batches import Batches
from .report_recorder import function_names


class LogRecorder:
    """Reads the lines it is given and writes them to a store from a thread of its own."""

    def __init__(
        self,
        store: TraceStore,
        functions: Sequence[FunctionInfo],
        *,
        unnamed_sources: Collection[str] = (),
    ) -> None:
        """``unnamed_sources``: output sources whose lines mix functions' lines, naming none,
        with their own (``sam local start-api``'s): recorded as lines without a source."""
        self._unnamed = frozenset(unnamed_sources)
        self._logs = store.logs
        # Retention is applied as lines are written; lines of an earlier run may be too old now.
        self._logs.prune()
        self._names = function_names(functions)
        self._readers: dict[str, LineReader] = {}
        # Lines are read in the order printed, one batch at a time.
        self._batches = Batches(self._write, name="log-recorder")

    def listener(self, line: LogLine) -> None:
        """An :meth:`Output.subscribe <thinker_local.output.Output.subscribe>` listener: the
        lines of the functions and of ``unnamed_sources``."""
        if line.source in self._names:
            self.record(line)
        elif line.source in self._unnamed:
            self.record(replace(line, source=""))

    def record(self, line: LogLine) -> None:
        """Queue one line; its ``source`` names its function (logical id or name) when known,
        its ``request_id`` the invocation it was printed in."""
        self._batches.put(line)

    def flush(self) -> None:
        """Read and write what is queued now (on the writing thread, or after it stopped)."""
        self._batches.flush()

    def _write(self, batch: list[LogLine]) -> None:
        records = [record for line in batch if (record := self._read(line)) is not None]
        # A store that cannot be written loses these lines; they were printed all the same.
        with contextlib.suppress(sqlite3.Error):
            self._logs.add(records)

    def _read(self, line: LogLine) -> LogRecord | None:
        """The line read; ``None`` for a line of unknown source outside any invocation (what
        ``sam local`` prints of its own between the containers' lines)."""
        # One reader per writer: a traceback's lines follow each other in one writer's output.
        reader = self._readers.setdefault(line.source, LineReader())
        record = reader.read(
            line.text,
            function=self._names.get(line.source),
            time_ns=int(line.time * 1e9),
            request_id=line.request_id,
        )
        if line.source or record.request_id or record.level == ERROR:
            return record
        return None

    def close(self) -> None:
        """Write what is queued and stop the writing thread."""
        self._batches.close()
