"""HTTP load on one URL: sequential latencies, and throughput at a given concurrency.

One aiohttp client session with keep-alive connections, in the benchmark's own process, through
the harness's load loop. Every loop is bounded by a request count; a request that does not
answer 200 counts as an error, and only answered requests have a latency.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from thinker_local.harness.load import REQUEST_TIMEOUT_S, Answer, Request, send_all
from thinker_local.stats import Summary

from .results import Throughput

OnProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class LoadResult:
    """What ``requests`` requests at ``concurrency`` gave."""

    concurrency: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def load(
    url: str,
    *,
    requests: int,
    concurrency: int,
    warmup: int = 0,
    on_progress: OnProgress | None = None,
    on_start: Callable[[], None] | None = None,
) -> LoadResult:
    """Send ``requests`` GETs from ``concurrency`` workers (after ``warmup`` unmeasured ones);
    ``on_start`` is called as the measured ones begin."""
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    done = 0

    def on_answer(_: int, __: Answer) -> None:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(done, requests)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await send_all([Request(url)] * warmup, concurrency, session=session)
        if on_start is not None:
            on_start()
        started = time.perf_counter()
        answers = await send_all(
            [Request(url)] * requests, concurrency, session=session, on_answer=on_answer
        )
        seconds = time.perf_counter() - started
    latencies = [answer.seconds * 1000 for answer in answers if answer.status]
    errors = sum(answer.status != 200 for answer in answers)
    return LoadResult(concurrency, requests, errors, seconds, latencies)


async def throughput(
    url: str,
    *,
    requests: int,
    concurrency: int,
    warmup: int,
    on_progress: OnProgress | None = None,
) -> Throughput:
    """``requests`` at ``concurrency``, after a warm-up long enough to start the environments
    (or containers) this concurrency needs: requests/s and latency."""
    measured = await load(
        url,
        requests=requests,
        concurrency=concurrency,
        warmup=max(warmup, 5 * concurrency),
        on_progress=on_progress,
    )
    return Throughput(
        concurrency=concurrency,
        requests=measured.requests,
        errors=measured.errors,
        requests_per_s=measured.throughput,
        latency=Summary.of(measured.latencies_ms),
    )
