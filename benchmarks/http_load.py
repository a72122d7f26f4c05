"""HTTP load on one URL: sequential latencies, and throughput at a given concurrency.

One aiohttp client session with keep-alive connections, in the benchmark's own process. Every
loop is bounded by a request count; a request that does not answer 200 counts as an error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

REQUEST_TIMEOUT_S = 30.0

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


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[float, bool]:
    started = time.perf_counter()
    async with session.get(url) as response:
        await response.read()
        ok = response.status == 200
    return (time.perf_counter() - started) * 1000, ok


async def load(
    url: str,
    *,
    requests: int,
    concurrency: int,
    warmup: int = 0,
    on_progress: OnProgress | None = None,
) -> LoadResult:
    """Send ``requests`` GETs from ``concurrency`` workers (after ``warmup`` unmeasured ones)."""
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await _run(session, url, warmup, concurrency, [], None)
        latencies: list[float] = []
        started = time.perf_counter()
        errors = await _run(session, url, requests, concurrency, latencies, on_progress)
        seconds = time.perf_counter() - started
    return LoadResult(concurrency, requests, errors, seconds, latencies)


async def _run(
    session: aiohttp.ClientSession,
    url: str,
    total: int,
    concurrency: int,
    latencies: list[float],
    on_progress: OnProgress | None,
) -> int:
    remaining = total
    errors = 0

    async def worker() -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            try:
                elapsed, ok = await _get(session, url)
            except (aiohttp.ClientError, TimeoutError):
                errors += 1
                continue
            latencies.append(elapsed)
            errors += not ok
            if on_progress is not None:
                on_progress(len(latencies), total)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, total)))))
    return errors
