"""Lambda's REPORT lines into the trace store, from the local stack's output or ``sam local``'s.

``make up`` and ``make sam-local`` subscribe a :class:`ReportRecorder` to the stack's
:class:`~thinker_local.output.Output`: every REPORT an execution environment (or a container of
``sam local start-api``) writes becomes a row of the store's ``invocations`` table, named by the
function that wrote it, written with the others of the last moment in one transaction from a
thread of the recorder's (:class:`~.batches.Batches`). Anything else that sees REPORT lines
hands each line to :meth:`ReportRecorder.record` (:func:`~thinker_local.output.printed` makes
one); without a function name, the invocation is named later by its ``aws.lambda`` span's
``functionname``.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from ..lambdafn.reports import Report, parse_report
from ..output import LogLine
from ..store import TraceStore
from ..store.invocations import FunctionInfo
from .batches import Batches


def function_names(functions: Sequence[FunctionInfo]) -> dict[str, str]:
    """Function names by what names them in the output: a logical id (the stack's prefix) or
    the name itself."""
    return {f.logical_id: f.name for f in functions} | {f.name: f.name for f in functions}


class ReportRecorder:
    """Writes the REPORT lines it is given into a store, with the functions they belong to."""

    def __init__(self, store: TraceStore, functions: Sequence[FunctionInfo]) -> None:
        self._invocations = store.invocations
        self._names = function_names(functions)
        self._invocations.set_functions(functions)
        self._batches = Batches(self._write, name="report-recorder")

    def listener(self, line: LogLine) -> None:
        """An :meth:`Output.subscribe <thinker_local.output.Output.subscribe>` listener: a
        REPORT line is queued, and written within :data:`~.batches.FLUSH_S` seconds."""
        if "REPORT" in line.text:
            self._batches.put(line)

    def record(self, line: LogLine) -> bool:
        """Record ``line`` now if it is a REPORT or INIT_REPORT line; whether it was one.

        Its ``source`` names the function (logical id or name) when known; its ``request_id``
        is the invocation's, for an INIT_REPORT (which carries none); its ``time`` is its end.
        """
        found = self._read(line)
        if found is None:
            return False
        try:
            self._invocations.add_all([found])
        except sqlite3.Error:
            # A store that cannot be written loses the row; the line itself is still printed.
            return False
        return True

    def close(self) -> None:
        """Write what is queued and stop the writing thread."""
        self._batches.close()

    def _read(self, line: LogLine) -> tuple[Report, str | None, float] | None:
        report = parse_report(line.text)
        if report is None:
            return None
        if report.request_id is None and line.request_id:
            report = replace(report, request_id=line.request_id)
        return report, self._names.get(line.source), line.time

    def _write(self, lines: list[LogLine]) -> None:
        reports = [found for line in lines if (found := self._read(line)) is not None]
        if reports:
            # A store that cannot be written loses these rows; the lines were printed.
            with contextlib.suppress(sqlite3.Error):
                self._invocations.add_all(reports)
