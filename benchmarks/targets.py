"""The targets of issues 7 and 20 on a 2-core machine, checked against one run's results."""

from __future__ import annotations

import math
from dataclasses import dataclass

from thinker_local.stats import ratio

from . import cpu, reload, store
from .results import FUNCTION_NAMES, Results
from .sam_local import MAKE_UP, SAM_LOCAL

MB = 1024 * 1024

# Init Duration targets on this kind of machine, on Lambda-shaped environments: thinker-api's
# Chalice and requests, thinker-microservice's aiohttp cost what they cost on top of the
# Datadog library (about 210 ms p50 on AWS for Python 3.12 with the layer, per Datadog).
INIT_TARGETS_MS = {"thinker-api": 300, "thinker-microservice": 400}
# CPU the stack may spend on one seed request: 200 requests/s on 2 cores leave it 10 ms.
CPU_TARGET_MS = 10


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
    floor = results.seed.get("handlers in process, tracing on")
    found.append(
        _check(
            "Seed request p50, local stack / handlers in process (the floor), tracing on",
            "≤ 1.3 x",
            ratio(seed.p50, floor.p50) if seed and floor else None,
            1.3,
            "{:.2f} x",
        )
    )
    found.append(
        _check(
            "CPU per seed request, all the stack's processes together (from /proc),"
            f" concurrency {cpu.CONCURRENCY}",
            f"≤ {CPU_TARGET_MS} ms",
            results.cpu.stack_per_request if results.cpu else None,
            CPU_TARGET_MS,
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
    found.append(_side_by_side(results))
    found += _at_scale(results)
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


def _side_by_side(results: Results) -> Check:
    """make up's throughput over sam local start-api's at concurrency 8, from section 7."""
    at_eight = {
        figures.name: t.requests_per_s
        for figures in results.side_by_side
        for t in figures.throughput
        if t.concurrency == 8
    }
    up, sam = at_eight.get(MAKE_UP), at_eight.get(SAM_LOCAL)
    return _check(
        f"Throughput at concurrency 8, {MAKE_UP} / {SAM_LOCAL} (section 7)",
        "≥ 5 x",
        ratio(up, sam) if up is not None and sam is not None else None,
        5,
        "{:.1f} x",
        at_least=True,
    )


def _at_scale(results: Results) -> list[Check]:
    """Editing a handler (section 9), and the store's figures with its spans (section 10)."""
    edits = results.edits
    edit = _check(
        "Edit of a handler → first answer with the new code (p50), no cold start seen by it",
        f"≤ {reload.TARGET_S:.0f} s, 1 environment started per edit",
        edits.seconds.p50 if edits else None,
        reload.TARGET_S,
        "{:.2f} s",
    )
    if edits and edit.met is not None:
        most = max(edits.started, default=0)
        environments = "environment" if most == 1 else "environments"
        measured = f"{edit.measured}; at most {most} {environments} started per edit"
        edit = Check(edit.what, edit.target, measured, edit.met and edits.no_cold_start)
    figures = results.store
    spans = f"{figures.stored if figures else store.SPANS:,} spans stored"
    found = [edit]
    for call in store.CALLS:
        summary = figures.calls.get(call) if figures else None
        found.append(
            _check(
                f"APM API p95, {call}, {spans}",
                f"≤ {store.TARGET_P95_MS:.0f} ms",
                summary.p95 if summary else None,
                store.TARGET_P95_MS,
                "{:.0f} ms",
            )
        )
    found.append(
        _check(
            f"Agent intake sustained while the APM is read, {spans}",
            f"≥ {store.TARGET_SPANS_S:,.0f} spans/s",
            figures.read if figures else None,
            store.TARGET_SPANS_S,
            "{:,.0f} spans/s",
            at_least=True,
        )
    )
    found.append(
        _check(
            f"Bytes stored per span, {spans}",
            f"≤ 1 KB ({store.TARGET_BYTES:,} bytes)",
            figures.bytes_per_span if figures else None,
            store.TARGET_BYTES,
            "{:,.0f} bytes",
        )
    )
    return found
