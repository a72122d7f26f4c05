"""Lambda's ``REPORT`` lines, as the local stack prints them for each invocation."""

from __future__ import annotations

import re
from dataclasses import dataclass

# "<FunctionLogicalId> | REPORT RequestId: ...\tDuration: 12.03 ms\t...[\tInit Duration: 590.12 ms]"
_REPORT = re.compile(
    r"^(?P<function>\S+)\s*\|\s*REPORT RequestId: \S+\tDuration: (?P<duration>[\d.]+) ms"
    r"(?:.*\tInit Duration: (?P<init>[\d.]+) ms)?"
)


@dataclass(frozen=True)
class Report:
    """One Lambda REPORT line: which function, its Duration, and its Init Duration if cold."""

    function: str
    duration_ms: float
    init_ms: float | None


def parse_reports(text: str) -> list[Report]:
    """Every REPORT line in the stack's output."""
    reports = []
    for line in text.splitlines():
        match = _REPORT.match(line)
        if match:
            init = match.group("init")
            reports.append(
                Report(
                    function=match.group("function"),
                    duration_ms=float(match.group("duration")),
                    init_ms=float(init) if init else None,
                )
            )
    return reports
