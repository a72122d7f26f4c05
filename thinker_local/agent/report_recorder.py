"""Lambda's REPORT lines into the trace store, from the local stack's output or ``sam local``'s.

``make up`` and ``make sam-local`` subscribe a :class:`ReportRecorder` to the stack's
:class:`~thinker_local.output.Output`: every REPORT an execution environment (or a container of
``sam local start-api``) writes becomes a row of the store's ``invocations`` table, named by the
function that wrote it. Anything else that sees REPORT lines hands each line to
:meth:`ReportRecorder.record` (:func:`~thinker_local.output.printed` makes one); without a
function name, the invocation is named later by its ``aws.lambda`` span's ``functionname``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from ..lambdafn.reports import parse_report
from ..output import LogLine
from ..store import TraceStore
from ..store.invocations import FunctionInfo


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

    def listener(self, line: LogLine) -> None:
        """An :meth:`Output.subscribe <thinker_local.output.Output.subscribe>` listener."""
        self.record(line)

    def record(self, line: LogLine) -> bool:
        """Record ``line`` if it is a REPORT or INIT_REPORT line; whether it was one.

        Its ``source`` names the function (logical id or name) when known; its ``request_id``
        is the invocation's, for an INIT_REPORT (which carries none); its ``time`` is its end.
        """
        report = parse_report(line.text)
        if report is None:
            return False
        if report.request_id is None and line.request_id:
            report = replace(report, request_id=line.request_id)
        try:
            self._invocations.add(report, function=self._names.get(line.source), end=line.time)
        except sqlite3.Error:
            # An output listener must not raise: a store that cannot be written loses the row,
            # the line itself is still printed.
            return False
        return True
