"""The targets of issue 7 on a 2-core machine, checked against one run's results."""

from __future__ import annotations

import math
from dataclasses import dataclass

from thinker_local.stats import ratio

from .results import FUNCTION_NAMES, Results

MB = 1024 * 1024

# Init Duration targets on this kind of machine, on Lambda-shaped environments: thinker-api's
# Chalice and requests, thinker-microservice's aiohttp cost what they cost on top of the
# Datadog library (about 210 ms p50 on AWS for Python 3.12 with the layer, per Datadog).
INIT_TARGETS_MS = {"thinker-api": 300, "thinker-microservice": 400}


@dataclass(frozen=True)
class Check:
    what: str
    target: str
    measured: str
    met: bool | None  # None: not measured in this run


def _check(
    what: str, target: str, value: float | None, limit: float, fmt: str, *, at_least: bool = False
) -> Check:
    if value is None or math.isnan(value):
        return Check(what, target, "not measured", None)
    met = value >= limit if at_least else value <= limit
    return Check(what, target, fmt.format(value), met)


def checks(results: Results) -> list[Check]:
    found = []
    seed = results.seed.get("local stack, tracing on")
    found.append(
        _check(
            "Seed request p50, local stack, delays 0, tracing on",
            "≤ 10 ms",
            seed.p50 if seed else None,
            10,
            "{:.1f} ms",
        )
    )
    for name in FUNCTION_NAMES:
        traced = results.in_process.get((name, "traced"))
        untraced = results.in_process.get((name, "untraced"))
        overhead = (traced.p50 - untraced.p50) * 1000 if traced and untraced else None
        found.append(
            _check(
                f"Tracing overhead per warm invocation, {name} (p50, in process)",
                "≤ 1000 µs",
                overhead,
                1000,
                "{:.0f} µs",
            )
        )
    for name in FUNCTION_NAMES:
        init = results.init.get((name, "traced"))
        limit = INIT_TARGETS_MS[name]
        found.append(
            _check(
                f"Init Duration, {name}, with the Datadog library (p50)",
                f"≤ {limit} ms",
                init.p50 if init else None,
                limit,
                "{:.0f} ms",
            )
        )
    one, ten = results.subjects.get(1), results.subjects.get(10)
    found.append(
        _check(
            "10 subjects / 1 subject (p50, seed delays)",
            "≤ 1.2 x",
            ratio(ten.p50, one.p50) if one and ten else None,
            1.2,
            "{:.2f} x",
        )
    )
    at_eight = next((t for t in results.throughput if t.concurrency == 8), None)
    found.append(
        _check(
            "Throughput at concurrency 8, tracing on",
            "≥ 200 requests/s",
            at_eight.requests_per_s if at_eight else None,
            200,
            "{:.0f} requests/s",
            at_least=True,
        )
    )
    sizes = {artifact.function: artifact for artifact in results.artifacts}
    for name in FUNCTION_NAMES:
        artifact = sizes.get(name)
        found.append(
            _check(
                f"Artifact, {name}, zipped",
                "≤ 5 MB",
                artifact.zipped_bytes / MB if artifact else None,
                5,
                "{:.2f} MB",
            )
        )
    return found
