"""Benchmark results with known figures, for the report's and the targets' tests."""

from __future__ import annotations

from benchmarks.artifacts import Artifact
from benchmarks.results import Results, Throughput
from benchmarks.targets import MB
from thinker_local.stats import Summary


def summary(p50: float) -> Summary:
    return Summary.of([p50 * 0.9, p50, p50 * 1.1])


def known_results() -> Results:
    results = Results(
        date="2026-01-01 00:00 UTC", machine="test", cores=2, load_before=(0, 0, 0), quick=True
    )
    results.seed["local stack, tracing on"] = summary(9.0)
    results.in_process["thinker-api", "traced"] = summary(1.5)
    results.in_process["thinker-api", "untraced"] = summary(1.0)
    results.in_process["thinker-microservice", "traced"] = summary(7.0)
    results.in_process["thinker-microservice", "untraced"] = summary(5.0)
    results.init["thinker-api", "traced"] = summary(240.0)
    results.subjects[1] = summary(700.0)
    results.subjects[10] = summary(910.0)
    results.throughput.append(Throughput(8, 100, 0, 150.0, summary(50.0)))
    results.artifacts.append(Artifact("thinker-api", 3 * MB, int(4.5 * MB)))
    return results
