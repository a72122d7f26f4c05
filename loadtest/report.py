"""The load test's figures, on the terminal and as docs/load-test.md."""

from __future__ import annotations

import os
import platform
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from thinker_local.stats import percentile

from .integrity import Verdict
from .traffic import Outcome

STATES = ("complete", "incomplete", "lost", "merged")
SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class Figures:
    """One run, summed up."""

    requests: int
    concurrency: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    statuses: dict[str, int]
    integrity: dict[str, int]
    problems: tuple[str, ...]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_errors(self) -> int:
        """Answers in 5xx, and requests that got no answer at all."""
        return sum(n for status, n in self.statuses.items() if not status.startswith(("2", "4")))

    @property
    def intact(self) -> bool:
        return self.integrity["complete"] == self.requests

    @property
    def passed(self) -> bool:
        return self.server_errors == 0 and self.intact


def figures(
    outcomes: Sequence[Outcome], verdicts: Sequence[Verdict], seconds: float, concurrency: int
) -> Figures:
    latencies = sorted(outcome.seconds * 1000 for outcome in outcomes)
    statuses = Counter(str(outcome.status or "no answer") for outcome in outcomes)
    states = Counter(verdict.state for verdict in verdicts)
    problems = tuple(
        f"{v.state}: trace {v.outcome.planned.trace_id} ({v.outcome.status}): {v.problem}"
        for v in verdicts
        if v.state != "complete"
    )
    return Figures(
        requests=len(outcomes),
        concurrency=concurrency,
        seconds=seconds,
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        statuses=dict(sorted(statuses.items())),
        integrity={state: states[state] for state in STATES},
        problems=problems[:SHOWN_PROBLEMS],
    )


def summary(f: Figures) -> str:
    """A few lines for the terminal."""
    statuses = ", ".join(f"{status}: {n}" for status, n in f.statuses.items())
    integrity = ", ".join(f"{state} {n}" for state, n in f.integrity.items())
    lines = [
        f"{f.requests} requests at concurrency {f.concurrency} in {f.seconds:.1f} s"
        f" ({f.throughput:.1f} requests/s)",
        f"latency: p50 {f.p50_ms:.1f} ms, p95 {f.p95_ms:.1f} ms, p99 {f.p99_ms:.1f} ms",
        f"status: {statuses}; 5xx or no answer: {f.server_errors}",
        f"traces: {integrity}",
        *f.problems,
        "PASS" if f.passed else "FAIL",
    ]
    return "\n".join(lines) + "\n"


def markdown(f: Figures, command: str, target: str) -> str:
    """docs/load-test.md: how the run was made, then its figures."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    busy = " / ".join(f"{load:.1f}" for load in os.getloadavg())
    machine = (
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()},"
        f" load average {busy} (1 / 5 / 15 min) at the end"
    )
    rows = [
        ("Requests", f"{f.requests}"),
        ("Concurrency", f"{f.concurrency}"),
        ("Duration", f"{f.seconds:.1f} s"),
        ("Throughput", f"{f.throughput:.1f} requests/s"),
        ("Latency p50", f"{f.p50_ms:.1f} ms"),
        ("Latency p95", f"{f.p95_ms:.1f} ms"),
        ("Latency p99", f"{f.p99_ms:.1f} ms"),
        ("Statuses", ", ".join(f"{status}: {n}" for status, n in f.statuses.items())),
        ("5xx (or no answer)", f"{f.server_errors}"),
        *((f"Traces {state}", f"{n}") for state, n in f.integrity.items()),
        ("Result", "pass" if f.passed else "FAIL"),
    ]
    problems = [f"- {problem}" for problem in f.problems] or ["None."]
    return "\n".join(
        [
            "# Load test",
            "",
            "Written by `make load-test` (`python -m loadtest`); see loadtest/__init__.py.",
            "",
            f"- Command: `{command}`",
            f"- Target: {target}",
            f"- Run: {when}, Python {platform.python_version()}, {machine}",
            "",
            "## Method",
            "",
            "Seed-like `GET /think/` requests (one to three subjects, about a third unknown,"
            " from a seeded generator) go to thinker-api on loopback, a fixed number at once."
            " Latency is measured by the client, from sending to the end of the answer. Each"
            " request carries its own W3C `traceparent` (a fresh 128-bit trace id), as a traced"
            " caller would; afterwards its trace is read from the local APM by that id and must"
            " hold, once each and each the child of the one before, thinker-api's API Gateway"
            " span (child of the caller's span), its `aws.lambda`, its `requests.request`, the"
            " microservice's API Gateway span, its `aws.lambda` and `aiohttp.request`, then one"
            " `think` span per subject asked for, tagged with it. *Lost*: no trace; *incomplete*:"
            " a span missing or under the wrong parent; *merged*: a span kind present twice, or"
            " more `think` spans than subjects (another request's spans in this trace).",
            "",
            "## Figures",
            "",
            "| Measure | Value |",
            "|---|--:|",
            *(f"| {name} | {value} |" for name, value in rows),
            "",
            "## Traces not complete",
            "",
            *problems,
            "",
        ]
    )
