"""Benchmark results with known figures, for the report's and the targets' tests."""

from __future__ import annotations

from benchmarks import cpu
from benchmarks.artifacts import Artifact
from benchmarks.reload import Edits
from benchmarks.results import Results, Throughput
from benchmarks.sam_local import SideBySide
from benchmarks.store import CALLS, StoreFigures
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


def cpu_use(requests: int = 100, **ms: float) -> cpu.CpuUse:
    """A load of ``requests`` over 2 s: ``up``'s, moto's, both functions' environments' and the
    client's CPU in ms, each overridable by its group's keyword (``up=``, ``client=``)."""
    spent = {"up": 300.0, "moto": 100.0, "api": 150.0, "microservice": 250.0, "client": 200.0}
    spent.update(ms)
    groups = {
        "up": cpu.UP,
        "moto": cpu.MOTO,
        "api": cpu.environments("thinker-api"),
        "microservice": cpu.environments("thinker-microservice"),
        "client": cpu.CLIENT,
    }
    return cpu.CpuUse(
        requests,
        2.0,
        {groups[key]: value for key, value in spent.items()},
        dict.fromkeys(groups.values(), 1),
        {},
    )


def side_by_side(up_per_s: float, sam_per_s: float) -> list[SideBySide]:
    """Section 7's two stacks with these throughputs at every concurrency."""
    return [
        SideBySide(
            name,
            start_s=10.0,
            first_ms=20.0,
            seed=summary(15.0),
            throughput=[Throughput(c, 100, 0, per_s, summary(15.0)) for c in (1, 4, 8)],
        )
        for name, per_s in (("make up", up_per_s), ("sam local start-api", sam_per_s))
    ]


def edits(*seconds: float, started: list[int] | None = None) -> Edits:
    return Edits(Summary.of(seconds), started or [1] * len(seconds))


def store_figures(p95_ms: float = 50.0, stored: int = 1_000_000) -> StoreFigures:
    """Every APM call at ``p95_ms``; 25,000 spans/s alone, 21,000 while read; 900 bytes a span."""
    call = Summary(
        count=20, p50=p95_ms / 2, p95=p95_ms, p99=p95_ms, mean=p95_ms / 2, minimum=1.0,
        maximum=p95_ms,
    )  # fmt: skip
    calls = dict.fromkeys(CALLS, call)
    return StoreFigures(stored, 25_000.0, 21_000.0, calls, 900.0)
