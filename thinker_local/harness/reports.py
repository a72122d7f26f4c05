"""Lambda's ``REPORT`` lines, as the local stack prints them for each invocation."""

from __future__ import annotations

from dataclasses import dataclass

from ..lambdafn import reports


@dataclass(frozen=True)
class Report:
    """One Lambda REPORT line of the stack's output: which function wrote it, and its figures."""

    function: str
    figures: reports.Report

    @property
    def duration_ms(self) -> float:
        return self.figures.duration_ms

    @property
    def init_ms(self) -> float | None:
        """The Init Duration, on a cold start."""
        return self.figures.init_ms


def parse_reports(text: str) -> list[Report]:
    """Every REPORT line in the stack's output ("<FunctionLogicalId> | REPORT RequestId: ...")."""
    found = []
    for line in text.splitlines():
        source, bar, rest = line.partition("|")
        figures = reports.parse_report(rest) if bar else None
        # An INIT_REPORT (a failed init) has no request id: it reports no invocation.
        if figures is not None and figures.request_id is not None:
            found.append(Report(function=source.strip(), figures=figures))
    return found
