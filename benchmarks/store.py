"""The trace store at scale: the agent's intake and the APM API with a million spans stored.

``python -m benchmarks.store`` (about ten minutes for a million spans, ``--spans`` for fewer;
also step 10 of ``make bench``). A scratch store is filled through the agent's own intake:
``PUT /v0.4/traces`` with msgpack payloads, as ddtrace sends them, of copies of the seed trace
(warm requests, one in 50 a cold start with its import spans; the first subject over 100 names;
each span's duration spread from half to one and a half times the seed's).
The agent and the APM each run in a process of their own, as the stack serves them
(:mod:`thinker_local.run.store_server`). Measured while filling: spans/s sustained by the
intake (until the store holds them), alone and while a reader asks the APM in a loop, never
pausing. Then, on the full store, each APM call a page makes (services, a trace search, one
trace, the service map), over HTTP; and the bytes the file holds per span.
Alone, the figures go to their section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgpack
import requests

from tests.support.seed_chunks import Chunks, seed_chunks, trace_copy
from thinker_local.run.store_server import StoreServer, serving
from thinker_local.stats import Summary
from thinker_local.store import TraceStore

from . import sections

DOCS = Path(__file__).resolve().parents[1] / "docs"
SECTION = "store"
SPANS = 1_000_000
COLD_EVERY = 50
TRACES_PER_PAYLOAD = 50
ROUNDS = 30
TARGET_P95_MS = 200.0
TARGET_SPANS_S = 20_000.0
TARGET_BYTES = 1024
CALLS = {
    "services": "/api/services?window=86400",
    "traces search": "/api/traces?window=86400&query=%40subject%3Afoo_bar%20status%3Aerror",
    "a trace": "/api/traces/{trace_id}",
    "service map": "/api/service-map?window=86400",
}


# Called with what is being counted, how many are done, and how many there are.
OnCount = Callable[[str, int, int], None]


@dataclass(frozen=True)
class StoreFigures:
    """Spans stored; intake spans/s alone and while read; each call's latency (ms); file bytes
    per span."""

    stored: int
    alone: float
    read: float
    calls: dict[str, Summary]
    bytes_per_span: float


def payloads(spans: int) -> tuple[list[bytes], list[int]]:
    """msgpack v0.4 payloads holding about ``spans`` spans, and their span counts."""
    seed = seed_chunks()
    warm = [[s for s in chunk if not str(s["name"]).startswith("aws.lambda.")] for chunk in seed]
    start = time.time_ns() - 3_600 * 10**9
    made: list[bytes] = []
    counts: list[int] = []
    batch: Chunks = []
    total = number = 0
    while total < spans:
        source = seed if number % COLD_EVERY == 0 else warm

        def vary(span: dict[str, Any], number: int = number) -> None:
            if span["meta"].get("subject") == "technology":
                span["meta"]["subject"] = f"subject-{number % 100}"
            # Durations spread from half to one and a half times the seed's, as real requests'
            # are (the percentiles' sorting costs what it would).
            spread = (number * 7919 + span["span_id"]) % 1000
            span["duration"] = span["duration"] * (500 + spread) // 1000

        chunks = trace_copy(source, number + 1, start_ns=start + number * 10**6, mutate=vary)
        batch += chunks
        total += sum(map(len, chunks))
        number += 1
        if number % TRACES_PER_PAYLOAD == 0 or total >= spans:
            made.append(msgpack.packb(batch))
            counts.append(sum(map(len, batch)))
            batch = []
    return made, counts


def send(agent: str, payload: bytes, traces: int) -> None:
    answer = requests.put(
        f"{agent}/v0.4/traces",
        data=payload,
        headers={"Content-Type": "application/msgpack", "X-Datadog-Trace-Count": str(traces)},
        timeout=120,
    )
    answer.raise_for_status()


def intake(
    agent: str,
    made: list[bytes],
    counts: list[int],
    during: Callable[[], None],
    stored: Callable[[], int],
    on_sent: Callable[[int, int], None] | None = None,
) -> float:
    """Send the payloads one after another (as one tracer's writer does) while ``during`` runs
    in a thread of its own; spans/s from the first payload sent until the store holds them all
    (``stored``: how many spans it holds; the agent answers before it writes). ``on_sent``:
    payloads sent, of how many."""
    done = threading.Event()

    def loop() -> None:
        while not done.is_set():
            during()

    expected = stored() + sum(counts)
    reader = threading.Thread(target=loop, daemon=True)
    reader.start()
    began = time.perf_counter()
    for number, payload in enumerate(made, start=1):
        send(agent, payload, TRACES_PER_PAYLOAD)
        if on_sent is not None:
            on_sent(number, len(made))
    while stored() < expected:
        time.sleep(0.005)
    elapsed = time.perf_counter() - began
    done.set()
    reader.join()
    return sum(counts) / elapsed


def timed(url: str, rounds: int) -> Summary:
    requests.get(url, timeout=120).raise_for_status()
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        requests.get(url, timeout=120).raise_for_status()
        samples.append((time.perf_counter() - began) * 1000)
    return Summary.of(samples)


def run(
    spans: int, rounds: int, say: Callable[[str], None], count: OnCount | None = None
) -> StoreFigures:
    """Fill a scratch store with about ``spans`` spans and time each APM call ``rounds`` times;
    ``say`` tells what is under way, ``count`` how far the intake is."""

    def on_sent(label: str) -> Callable[[int, int], None] | None:
        return functools.partial(count, label) if count else None

    with tempfile.TemporaryDirectory(prefix="thinker-store-") as scratch:
        path = Path(scratch) / "traces.sqlite3"
        TraceStore(path).close()
        # As the stack serves them: each in a process of its own, on the same file.
        with (
            serving(StoreServer("agent", path)) as agent,
            serving(StoreServer("apm", path)) as apm,
            TraceStore(path) as apm_store,
        ):
            say(f"making the payloads of {spans:,} spans")
            made, counts = payloads(spans)
            half = len(made) // 2
            say(f"{sum(counts):,} spans in {len(made)} payloads; the first half alone")
            alone = intake(
                agent, made[:half], counts[:half], lambda: time.sleep(0.05),
                apm_store.span_count, on_sent("payloads sent, alone"),
            )  # fmt: skip
            say(f"intake alone: {alone:,.0f} spans/s; the second half while the APM is read")

            def read() -> None:
                requests.get(apm + CALLS["services"], timeout=120)
                requests.get(apm + CALLS["traces search"], timeout=120)

            read_meanwhile = intake(
                agent, made[half:], counts[half:], read, apm_store.span_count,
                on_sent("payloads sent, while read"),
            )  # fmt: skip
            say(f"intake while read: {read_meanwhile:,.0f} spans/s")
            stored = apm_store.span_count()
            trace_id = apm_store.latest_trace_id()
            calls = {
                name: timed(apm + call.format(trace_id=trace_id), rounds)
                for name, call in CALLS.items()
            }
            for name, summary in calls.items():
                say(f"{name}: p50 {summary.p50:.0f} ms, p95 {summary.p95:.0f} ms")
            file_bytes = sum(p.stat().st_size for p in Path(scratch).glob("traces.sqlite3*"))
        return StoreFigures(stored, alone, read_meanwhile, calls, file_bytes / max(stored, 1))


def section(figures: StoreFigures, heading: str = "## The store at scale") -> str:
    def verdict(met: bool) -> str:
        return "met" if met else "**missed**"

    rows = "\n".join(
        f"| `{name}` | {s.p50:.0f} | {s.p95:.0f} | {s.maximum:.0f} |"
        f" {verdict(s.p95 <= TARGET_P95_MS)} |"
        for name, s in figures.calls.items()
    )
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    per_span, alone, read = figures.bytes_per_span, figures.alone, figures.read
    rounds = next(iter(figures.calls.values())).count
    alone_met, read_met = verdict(alone >= TARGET_SPANS_S), verdict(read >= TARGET_SPANS_S)
    return f"""{heading}

`python -m benchmarks.store` (step 10 of `make bench`), {when}, {machine}: a scratch store
filled through the agent's intake (msgpack v0.4 over HTTP, {TRACES_PER_PAYLOAD} traces a payload,
one payload after another) with copies of the seed trace, their durations spread from half to
one and a half times the seed's; {figures.stored:,} spans stored. Then
each APM call {rounds} times over HTTP, over a one-day window that holds every span (the search:
`@subject:foo_bar status:error`), milliseconds (target: p95 ≤ {TARGET_P95_MS:.0f} ms).

| Call | p50 | p95 | max | p95 target |
| --- | --: | --: | --: | --: |
{rows}

| Intake | spans/s | target ≥ {TARGET_SPANS_S:,.0f} |
| --- | --: | --: |
| the first half of the spans, alone | {alone:,.0f} | {alone_met} |
| the second half, while the APM is read in a loop | {read:,.0f} | {read_met} |

Bytes the file holds per span (WAL included): {per_span:,.0f} (target ≤ {TARGET_BYTES:,}:
{verdict(per_span <= TARGET_BYTES)}). Where they go, and where the intake's time goes: the
findings' "The store at scale".
"""


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store", description=__doc__)
    parser.add_argument("--spans", type=int, default=SPANS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--output", type=Path, default=DOCS / "benchmarks.md")
    args = parser.parse_args()
    sections.put(args.output, SECTION, section(run(args.spans, args.rounds, print)))
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
