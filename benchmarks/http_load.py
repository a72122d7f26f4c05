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
# A warm-up is rounds of its requests until one is not this much faster than the one before
# (every environment or container the concurrency needs has started), at most WARM_ROUNDS.
SETTLED = 1.1
WARM_ROUNDS = 6


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
    """Send ``requests`` GETs from ``concurrency`` workers (after rounds of ``warmup``
    unmeasured ones: :func:`warm`);
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
        await warm(session, url, warmup, concurrency)
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


async def warm(session: aiohttp.ClientSession, url: str, requests: int, concurrency: int) -> int:
    """Rounds of ``requests`` at ``concurrency`` until one is no longer faster than the one
    before: environments started by a round's requests are ready for the next, so none starts
    (and spends its init) within the measured requests. How many rounds were sent."""
    if not requests:
        return 0
    previous = 0.0
    for rounds in range(1, WARM_ROUNDS + 1):
        began = time.perf_counter()
        await send_all([Request(url)] * requests, concurrency, session=session)
        rate = requests / max(time.perf_counter() - began, 1e-9)
        if rate < previous * SETTLED:
            return rounds
        previous = rate
    return WARM_ROUNDS


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
