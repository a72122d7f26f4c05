"""``python -m benchmarks`` (``make bench``): measure everything in one run, write the report.

Steps, each on the same machine, one after the other (nothing measured runs in parallel):

1. both handlers in process, traced and untraced (DynamoDB on moto, agent on loopback);
2. cold starts: Init Duration with and without the Datadog library, and import times;
3. the local stack, delays at 0, tracing on: the seed request's latency, each function's
   REPORT Duration, then throughput at concurrency 1, 4, 8 and 16, then the CPU time each of
   the stack's processes spends on a request (from /proc), at concurrency 8 once every
   environment has started;
4. the same stack with ``DD_TRACE_ENABLED=false``: the seed request's latency and Durations;
5. the local stack at the seed's delays (0.2 s / 0.5 s): 1, 2, 5 and 10 subjects;
6. ``sam build``: each function's artifact, unzipped and zipped;
7. ``make up`` and ``sam local start-api`` side by side on the seed request (needs Docker);
8. one ``lambda.invoke`` through ``make up``'s Lambda API and ``sam local start-lambda``
   (needs Docker);
9. editing a handler: from the save to the first answer with the new code
   (:mod:`benchmarks.reload`);
10. the trace store at scale: a million spans through the agent's intake, alone and while the
    APM is read, then the APM's calls and the bytes stored per span (:mod:`benchmarks.store`;
    several minutes, ``--store-spans`` for fewer).

``--quick`` runs small counts (a trial); the default counts are for a quiet machine. The report
goes to docs/benchmarks.md and docs/benchmarks.svg.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import os
import platform
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

from thinker_local.harness.stack import NO_DELAYS, StackProcess, local_stack
from thinker_local.stats import Summary, paired_sums

from . import artifacts, coldstart, cpu, handlers, lambda_env, reload, sam_local, store
from .agent import local_agent
from .http_load import load, throughput
from .plot import write_svg
from .progress import Progress
from .report import write_markdown
from .results import Results, StepRun

DOCS = lambda_env.REPO / "docs"
CONCURRENCY = (1, 4, 8, 16)
SUBJECT_COUNTS = (1, 2, 5, 10)
# Known subjects first, then unknown ones (an error span each), all distinct.
SUBJECTS = (
    "technology",
    "science",
    "simplicity",
    "debugging",
    "optimization",
    "programs",
    "foo_bar",
    "quux",
    "xyzzy",
    "plugh",
)
SEED_PATH = "/think/?subject=technology&subject=foo_bar"
# Each function's name in the report, by its logical id.
FUNCTION_NAMES = {logical_id: name for logical_id, (name, _) in lambda_env.FUNCTIONS.items()}
STEPS = 10
IN_PROCESS_ROUNDS = 4


@dataclass(frozen=True)
class Counts:
    """How much each step measures."""

    seed_requests: int
    invocations: int
    cold_starts: int
    import_runs: int
    throughput_requests: int
    subject_requests: int
    warmup: int
    edits: int
    store_spans: int
    store_rounds: int


FULL = Counts(
    seed_requests=500,
    invocations=1000,
    cold_starts=10,
    import_runs=5,
    throughput_requests=1000,
    subject_requests=10,
    warmup=50,
    edits=reload.ROUNDS,
    store_spans=store.SPANS,
    store_rounds=store.ROUNDS,
)
QUICK = Counts(
    seed_requests=100,
    invocations=200,
    cold_starts=3,
    import_runs=1,
    throughput_requests=150,
    subject_requests=3,
    warmup=10,
    edits=3,
    store_spans=20_000,
    store_rounds=5,
)


def subjects_path(count: int) -> str:
    return "/think/?" + urlencode([("subject", s) for s in SUBJECTS[:count]], quote_via=quote)


class Bench:
    def __init__(self, counts: Counts, results: Results, scratch: Path, progress: Progress):
        self.counts = counts
        self.results = results
        self.scratch = scratch
        self.progress = progress

    async def run(self, only: set[int] | None) -> None:
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("handlers in process, traced and untraced", self.in_process),
            ("cold starts and import times", self.cold_starts),
            ("local stack, delays 0, tracing on: latency and throughput", self.stack_traced),
            ("local stack, delays 0, DD_TRACE_ENABLED=false", self.stack_untraced),
            ("local stack at the seed's delays: 1, 2, 5, 10 subjects", self.subjects),
            ("sam build: artifact sizes", self.artifacts),
            ("make up and sam local start-api side by side", self.side_by_side),
            ("one lambda.invoke: make up's Lambda API and sam local start-lambda", self.invoke),
            ("editing a handler: save → first answer with the new code", self.edit_handler),
            ("the trace store at scale: intake, APM calls, bytes per span", self.store_at_scale),
        ]
        for number, (title, step) in enumerate(steps, start=1):
            self.progress.step(title)
            if only and number not in only:
                self.progress.note("skipped")
                continue
            try:
                await step()
            except Exception as error:  # one failed step must not lose the others' figures
                self.progress.note(f"FAILED: {type(error).__name__}: {error}")
                self.results.failures.append(f"step {number} ({title}): {error}")
                traceback.print_exc()

    async def in_process(self) -> None:
        counts, results = self.counts, self.results
        async with local_agent(self.scratch / "agent") as agent_url:
            samples: dict[tuple[str, str], list[float]] = {}
            per_round = counts.invocations // IN_PROCESS_ROUNDS
            for logical_id, (name, _) in lambda_env.FUNCTIONS.items():
                self.progress.note(
                    f"{name}: {IN_PROCESS_ROUNDS} rounds of {per_round} invocations,"
                    " traced and untraced by turns"
                )
                # Modes take turns, a fresh process each round, so a burst of load elsewhere
                # on the machine falls on both alike.
                for _ in range(IN_PROCESS_ROUNDS):
                    for mode in handlers.MODES:
                        durations_us = await handlers.measure(
                            logical_id,
                            mode,
                            agent_url=agent_url,
                            scratch=self.scratch / "handlers",
                            invocations=per_round,
                            warmup=counts.warmup,
                        )
                        samples.setdefault((name, mode), []).extend(
                            us / 1000 for us in durations_us
                        )
                for mode in handlers.MODES:
                    results.in_process[name, mode] = Summary.of(samples[name, mode])
        for mode in handlers.MODES:
            both = paired_sums(samples["thinker-api", mode], samples["thinker-microservice", mode])
            results.seed[f"handlers in process, {_tracing(mode)}"] = Summary.of(both)

    async def cold_starts(self) -> None:
        counts, results = self.counts, self.results
        async with local_agent(self.scratch / "agent-cold") as agent_url:
            for logical_id, (name, _) in lambda_env.FUNCTIONS.items():
                modes = ", ".join(coldstart.MODES)
                self.progress.note(f"{name}: {counts.cold_starts} cold starts each, {modes}")
                inits = await coldstart.init_durations(
                    logical_id, agent_url=agent_url, samples=counts.cold_starts
                )
                for mode, samples in inits.items():
                    results.init[name, mode] = Summary.of(samples)
        self.progress.note(f"python -X importtime, {counts.import_runs} run(s) per module")
        results.imports = await asyncio.to_thread(coldstart.import_profiles, counts.import_runs)

    async def stack_traced(self) -> None:
        counts, results = self.counts, self.results
        with local_stack(self.scratch / "stack-traced", parameter_overrides=NO_DELAYS) as stack:
            results.seed["local stack, tracing on"] = await self._seed(stack, "traced")
            for concurrency in CONCURRENCY:
                label = f"concurrency {concurrency}"
                measured = await throughput(
                    _url(stack),
                    requests=counts.throughput_requests,
                    concurrency=concurrency,
                    warmup=counts.warmup,
                    on_progress=functools.partial(self.progress.count, label),
                )
                results.throughput.append(measured)
                self.progress.note(
                    f"{label}: {measured.requests_per_s:.0f} requests/s, {measured.errors} errors"
                )
            results.cpu = await self._cpu(stack)

    async def _cpu(self, stack: StackProcess) -> cpu.CpuUse:
        """CPU by process over a load of its own, after the throughput loads: the environments
        it needs have started, so no start-up is counted as the requests'."""
        meter = cpu.Meter(stack.info.pid, FUNCTION_NAMES)
        label = f"CPU by process, concurrency {cpu.CONCURRENCY}"
        measured = await load(
            _url(stack),
            requests=self.counts.throughput_requests,
            concurrency=cpu.CONCURRENCY,
            warmup=self.counts.warmup,
            on_progress=functools.partial(self.progress.count, label),
            on_start=meter.start,
        )
        used = meter.stop(measured.requests)
        started = sum(used.started.values())
        self.progress.note(
            f"{used.stack_per_request:.1f} ms of CPU a request in the stack's processes,"
            f" {used.per_request(cpu.CLIENT):.1f} ms in the client;"
            f" {measured.errors} errors, {started} processes started meanwhile"
        )
        return used

    async def stack_untraced(self) -> None:
        with local_stack(
            self.scratch / "stack-untraced",
            parameter_overrides=NO_DELAYS,
            # The template declares DD_TRACE_ENABLED; the stack lets the shell's value win.
            env={"DD_TRACE_ENABLED": "false"},
        ) as stack:
            self.results.seed["local stack, tracing off"] = await self._seed(stack, "untraced")

    async def _seed(self, stack: StackProcess, mode: str) -> Summary:
        counts = self.counts
        mark = stack.mark()
        measured = await load(
            _url(stack),
            requests=counts.seed_requests,
            concurrency=1,
            warmup=counts.warmup,
            on_progress=lambda done, total: self.progress.count("seed requests", done, total),
        )
        if measured.errors:
            raise RuntimeError(f"{measured.errors} seed requests failed")
        # The warm-up's invocations come first: keep the last ones, one per measured request.
        reports = stack.reports_since(mark)
        for logical_id, (name, _) in lambda_env.FUNCTIONS.items():
            durations = [r.duration_ms for r in reports if r.function == logical_id]
            self.results.stack_duration[name, mode] = Summary.of(durations[-counts.seed_requests :])
        return Summary.of(measured.latencies_ms)

    async def subjects(self) -> None:
        counts = self.counts
        with local_stack(self.scratch / "stack-seed-delays") as stack:
            for count in SUBJECT_COUNTS:
                measured = await load(
                    _url(stack, subjects_path(count)),
                    requests=counts.subject_requests,
                    concurrency=1,
                    warmup=1,
                    on_progress=functools.partial(self.progress.count, f"{count} subject(s)"),
                )
                if measured.errors:
                    raise RuntimeError(f"{measured.errors} requests with {count} subjects failed")
                self.results.subjects[count] = Summary.of(measured.latencies_ms)

    async def artifacts(self) -> None:
        self.progress.note("sam build (pip installs from the registry; a minute or two)")
        self.results.artifacts = await asyncio.to_thread(artifacts.artifacts, self.scratch / "sam")

    async def side_by_side(self) -> None:
        await self._in_docker(
            self.results.side_by_side_step, sam_local.SAM_LOCAL, self._side_by_side
        )

    async def invoke(self) -> None:
        await self._in_docker(
            self.results.lambda_invoke_step, sam_local.SAM_LOCAL_LAMBDA, self._invoke
        )

    async def _in_docker(
        self, step: StepRun, what: str, measure: Callable[[], Awaitable[None]]
    ) -> None:
        """``measure`` with a Docker engine; without one, ``step`` says why ``what`` was not
        measured. ``step`` notes when it ran and the load before and after."""
        progress = self.progress
        step.run = _conditions()
        step.load = os.getloadavg()[0]
        try:
            with sam_local.engine(self.scratch / "dockerd.log", progress.note) as bridge:
                progress.note(f"Docker engine up; its bridge {bridge}")
                await measure()
        except sam_local.EngineError as error:
            step.note = str(error)
            progress.note(f"{what} not measured: {error}")
        step.run += f"; after: load {_load_now()}"

    async def edit_handler(self) -> None:
        rounds = self.counts.edits
        self.progress.note(f"{rounds} edits of thinker-api in a stack of its own, code watched")
        self.results.edits = await asyncio.to_thread(reload.measure, rounds, self.progress.note)

    async def store_at_scale(self) -> None:
        counts, progress = self.counts, self.progress
        progress.note(
            f"{counts.store_spans:,} spans through the agent's intake, then each APM call"
            f" {counts.store_rounds} times"
        )
        self.results.store = await asyncio.to_thread(
            store.run, counts.store_spans, counts.store_rounds, progress.note, progress.count
        )

    async def _invoke(self) -> None:
        counts, progress = self.counts, self.progress
        for name, factory in (
            (sam_local.MAKE_UP, sam_local.make_up),
            (sam_local.SAM_LOCAL_LAMBDA, sam_local.sam_local),
        ):
            progress.note(f"{name}: {counts.seed_requests} invocations one at a time")
            latency = await sam_local.measure_invoke(
                factory,
                self.scratch / f"invoke-{name}",
                requests=counts.seed_requests,
                warmup=counts.warmup,
                on_progress=functools.partial(progress.count, f"{name}: invocations"),
            )
            self.results.lambda_invoke[name] = latency
            progress.note(f"{name}: p50 {latency.p50:.1f} ms, p95 {latency.p95:.1f} ms")

    async def _side_by_side(self) -> None:
        counts, progress = self.counts, self.progress
        stacks = (
            (sam_local.MAKE_UP, sam_local.make_up),
            (sam_local.SAM_LOCAL, sam_local.sam_local),
        )
        for name, factory in stacks:
            progress.note(f"{name}: a first start, unmeasured (builds what it needs once)")
            await asyncio.to_thread(sam_local.prime, factory, self.scratch / f"prime-{name}")
        for name, factory in stacks:
            progress.note(f"{name}: start, first request, seed requests, concurrency 1/4/8")
            figures = await sam_local.measure(
                name,
                factory,
                self.scratch / f"side-{name}",
                requests=counts.seed_requests,
                throughput_requests=counts.throughput_requests,
                warmup=counts.warmup,
                on_progress=lambda label: functools.partial(progress.count, label),
                path=SEED_PATH,
            )
            self.results.side_by_side.append(figures)
            p50 = figures.seed.p50 if figures.seed else float("nan")
            progress.note(
                f"{name}: first answer {figures.start_s:.1f} s after the command, seed p50"
                f" {p50:.1f} ms"
            )


def _url(stack: StackProcess, path: str = SEED_PATH) -> str:
    """thinker-api's URL on the running stack, with ``path``."""
    return stack.info.api + path


def _load_now() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def _conditions() -> str:
    """When a step ran and how loaded the machine was (for a step run alone, with ``--only``)."""
    return f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; before: load {_load_now()}"


def _tracing(mode: str) -> str:
    return "tracing on" if mode == "traced" else "tracing off"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="small counts: a trial run")
    parser.add_argument(
        "--only",
        type=int,
        nargs="*",
        metavar="STEP",
        help="run these steps only, and replace only their sections of the report",
    )
    parser.add_argument(
        "--store-spans",
        type=int,
        metavar="N",
        help=f"spans the store step fills the store with ({store.SPANS:,}; --quick:"
        f" {QUICK.store_spans:,})",
    )
    parser.add_argument("--output", type=Path, default=DOCS / "benchmarks.md")
    args = parser.parse_args(argv)
    counts = QUICK if args.quick else FULL
    if args.store_spans is not None:
        counts = dataclasses.replace(counts, store_spans=args.store_spans)

    started = time.monotonic()
    results = Results(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
        cores=os.cpu_count() or 0,
        load_before=os.getloadavg(),
        quick=args.quick,
    )
    progress = Progress(STEPS)
    with tempfile.TemporaryDirectory(prefix="thinker-bench-") as scratch:
        bench = Bench(counts, results, Path(scratch), progress)
        asyncio.run(bench.run(set(args.only) if args.only else None))
    results.load_after = os.getloadavg()
    results.elapsed_s = time.monotonic() - started
    svg = args.output.with_suffix(".svg")
    only = set(args.only) if args.only else None
    if only is None:
        write_svg(results, svg)
    # With --only, the other sections (and the plot) keep the figures of the last full run.
    write_markdown(results, args.output, svg.name, only)
    progress.note(f"wrote {args.output} and {svg} in {results.elapsed_s:.0f} s")
    return 1 if results.failures else 0
