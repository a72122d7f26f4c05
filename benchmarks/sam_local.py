"""Sections 7 and 8: ``make up`` beside ``sam local start-api``, and beside ``sam local
start-lambda``.

Section 7, on the same seed request: each stack is started as its command starts it (``python -m
thinker_local up`` and ``python -m thinker_local sam``, on free ports, delays 0, tracing on), one
after the other, never both at once. For each: the time from the command to its first answer (until
it says it is ready, plus that first request), the first request's latency on its own, then the
seed request one at a time, then throughput at concurrency 1, 4 and 8 through the harness's load
loop. ``sam`` needs a Docker engine: the one that runs, or ``dockerd`` started for the step as root
(not counted in the start-up time); its images and ``sam build`` are made before the measured
start.

Section 8, one ``lambda.invoke`` (RequestResponse) of the microservice: through ``make up``'s
Lambda API and through the ``sam local start-lambda`` that ``make sam-local`` starts, each with
the same boto3 client (the developer's keys, no retries), one call at a time, after a warm-up
(the first calls make ``sam``'s container and run the function's init).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from thinker_local.harness.load import Request, send_all
from thinker_local.harness.stack import (
    NO_DELAYS,
    REPO,
    StackProcess,
    local_sam_stack,
    local_stack,
)
from thinker_local.lambda_service.client import lambda_client
from thinker_local.sam.engine import EngineError, bridge_address, docker_engine
from thinker_local.stats import Summary

from .http_load import OnProgress, load, throughput
from .results import Throughput

MAKE_UP = "make up"
SAM_LOCAL = "sam local start-api"
SAM_LOCAL_LAMBDA = "sam local start-lambda"
INVOKED = "MicroserviceFunction"
# The Datadog headers of events/microservice.json would put every invocation in one trace.
_TRACE_HEADERS = {"x-datadog-trace-id", "x-datadog-parent-id", "x-datadog-sampling-priority",
                  "traceparent"}  # fmt: skip
CONCURRENCY = (1, 4, 8)


@dataclass
class SideBySide:
    """One stack's figures."""

    name: str
    start_s: float = 0.0  # from the command to its first answer
    first_ms: float = 0.0  # the first request after it said it was ready
    first_status: int = 200
    seed: Summary | None = None
    throughput: list[Throughput] = field(default_factory=list)


StackFactory = Callable[[Path], contextlib.AbstractContextManager[StackProcess]]


async def measure(
    name: str,
    stack_factory: StackFactory,
    scratch: Path,
    *,
    requests: int,
    throughput_requests: int,
    warmup: int,
    on_progress: Callable[[str], OnProgress],
    path: str,
) -> SideBySide:
    """Start the stack with ``stack_factory`` and measure it (see the module's docstring)."""
    figures = SideBySide(name)
    started = time.perf_counter()
    with stack_factory(scratch) as stack:
        url = stack.info.api + path
        (first,) = await send_all([Request(url)], 1)
        figures.start_s = time.perf_counter() - started
        # Under sam local the first request pays both functions' inits within thinker-api's
        # timeout: on a busy machine it can answer 504. Recorded as it came.
        figures.first_status = first.status
        figures.first_ms = first.seconds * 1000
        seed = await load(
            url, requests=requests, concurrency=1, warmup=warmup,
            on_progress=on_progress(f"{name}: seed requests"),
        )  # fmt: skip
        if seed.errors:
            raise RuntimeError(f"{name}: {seed.errors} seed requests failed")
        figures.seed = Summary.of(seed.latencies_ms)
        for concurrency in CONCURRENCY:
            figures.throughput.append(
                await throughput(
                    url,
                    requests=throughput_requests,
                    concurrency=concurrency,
                    warmup=warmup,
                    on_progress=on_progress(f"{name}: concurrency {concurrency}"),
                )
            )
    return figures


def invoke_event() -> bytes:
    """events/microservice.json without its trace headers: each invocation a trace of its own,
    as a call from the shell makes."""
    event = json.loads((REPO / "events" / "microservice.json").read_text())
    for key in ("headers", "multiValueHeaders"):
        event[key] = {k: v for k, v in event[key].items() if k not in _TRACE_HEADERS}
    return json.dumps(event).encode()


async def measure_invoke(
    stack_factory: StackFactory,
    scratch: Path,
    *,
    requests: int,
    warmup: int,
    on_progress: OnProgress,
) -> Summary:
    """Start the stack; the latency of ``requests`` invocations of the microservice through its
    Lambda API, one at a time, after ``warmup`` unmeasured ones."""
    with stack_factory(scratch) as stack:
        if stack.info.lambda_api is None:
            raise RuntimeError("the stack serves no Lambda API")
        client = lambda_client(stack.info.lambda_api, stack.state_dir)
        payload = invoke_event()

        def invocations() -> list[float]:
            latencies: list[float] = []
            for done in range(-warmup, requests):
                started = time.perf_counter()
                answer = client.invoke(FunctionName=INVOKED, Payload=payload)
                result = json.loads(answer["Payload"].read())
                elapsed_ms = (time.perf_counter() - started) * 1000
                if "FunctionError" in answer or result.get("statusCode") != 200:
                    raise RuntimeError(f"{INVOKED} failed: {result}")
                if done >= 0:
                    latencies.append(elapsed_ms)
                    on_progress(done + 1, requests)
            return latencies

        return Summary.of(await asyncio.to_thread(invocations))


def make_up(directory: Path) -> contextlib.AbstractContextManager[StackProcess]:
    return local_stack(directory, parameter_overrides=NO_DELAYS)


def sam_local(directory: Path) -> contextlib.AbstractContextManager[StackProcess]:
    return local_sam_stack(directory, NO_DELAYS)


def prime(factory: StackFactory, directory: Path) -> None:
    """Start and stop the stack once, unmeasured: what it builds on first use is then built."""
    with factory(directory):
        pass


@contextlib.contextmanager
def engine(log: Path, say: Callable[[str], None]) -> Iterator[str]:
    """A Docker engine for the step; the host's bridge address. EngineError says why not."""
    with docker_engine(log, say):
        yield bridge_address()


__all__ = [
    "MAKE_UP", "SAM_LOCAL", "SAM_LOCAL_LAMBDA", "EngineError", "SideBySide", "engine", "make_up",
    "measure", "measure_invoke", "prime", "sam_local",
]  # fmt: skip
