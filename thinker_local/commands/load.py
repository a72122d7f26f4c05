"""``python -m thinker_local load``: send seed-like requests to the local thinker-api.

Each request asks for one to three subjects, mixing known ones (those the microservice is seeded
with) and unknown ones (like the seed's ``foo_bar``), so the APM's graphs show traffic, latency
and errors. Loopback only, and bounded in count and concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, urlsplit

import aiohttp

from ..stats import percentile

DEFAULT_URL = "http://127.0.0.1:5000/think/"
MAX_REQUESTS = 10_000
MAX_CONCURRENCY = 32
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
THOUGHTS = (
    Path(__file__).resolve().parents[2] / "microservice_lambda" / "microservice" / "thoughts.json"
)
UNKNOWN_SUBJECTS = ("foo_bar", "astrology", "perpetual_motion", "free_lunch")
BAR_WIDTH = 30


def known_subjects() -> list[str]:
    """The subjects the microservice is seeded with."""
    return sorted(json.loads(THOUGHTS.read_text("utf-8")))


def subjects_for(rng: random.Random, known: list[str], unknown_share: float) -> list[str]:
    """One request's subjects: one to three, each unknown with probability ``unknown_share``."""
    count = rng.randint(1, 3)
    return [
        rng.choice(UNKNOWN_SUBJECTS) if rng.random() < unknown_share else rng.choice(known)
        for _ in range(count)
    ]


@dataclass
class Results:
    """What came back, for the progress bar and the summary."""

    total: int
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    done: int = 0

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "200")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "load", help="send seed-like requests to thinker-api", description=__doc__
    )
    parser.add_argument("-n", "--requests", type=int, default=50, help="how many (50)")
    parser.add_argument("-c", "--concurrency", type=int, default=4, help="in flight at once (4)")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"thinker-api's URL ({DEFAULT_URL})")
    parser.add_argument(
        "--unknown", type=float, default=0.3, help="share of unknown subjects, 0 to 1 (0.3)"
    )
    parser.add_argument("--seed", type=int, help="random seed, to repeat the same requests")
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, seconds (30)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    host = urlsplit(args.url).hostname or ""
    problems = []
    if host not in LOOPBACK:
        problems.append(f"--url must be on this machine (127.0.0.1 or localhost), not {host!r}")
    if not 1 <= args.requests <= MAX_REQUESTS:
        problems.append(f"--requests must be between 1 and {MAX_REQUESTS}")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        problems.append(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    if not 0 <= args.unknown <= 1:
        problems.append("--unknown must be between 0 and 1")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    rng = random.Random(args.seed)  # noqa: S311 (load shapes, not secrets)
    known = known_subjects()
    batches = [subjects_for(rng, known, args.unknown) for _ in range(args.requests)]
    started = time.monotonic()
    results = asyncio.run(send_all(args.url, batches, args.concurrency, args.timeout, sys.stderr))
    summarise(results, time.monotonic() - started, sys.stdout)
    return 0 if results.failed == 0 else 1


async def send_all(
    url: str, batches: list[list[str]], concurrency: int, timeout: float, progress: TextIO
) -> Results:
    """Send one GET per batch of subjects, ``concurrency`` at a time, drawing progress."""
    results = Results(total=len(batches))
    queue: asyncio.Queue[list[str]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    bar = ProgressBar(progress, results)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:

        async def worker() -> None:
            while not queue.empty():
                subjects = queue.get_nowait()
                query = "&".join(f"subject={quote(s)}" for s in subjects)
                began = time.monotonic()
                try:
                    async with session.get(f"{url}?{query}") as response:
                        await response.read()
                        status = str(response.status)
                except (aiohttp.ClientError, TimeoutError) as error:
                    status = type(error).__name__
                results.latencies.append(time.monotonic() - began)
                results.statuses[status] += 1
                results.done += 1
                bar.draw()

        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(batches)))))
    bar.finish()
    return results


class ProgressBar:
    """``[#####-----] 42/100  errors 0`` redrawn in place on a terminal, every 10% otherwise."""

    def __init__(self, out: TextIO, results: Results) -> None:
        self.out = out
        self.results = results
        self.interactive = out.isatty()
        self._last_tenth = -1

    def draw(self) -> None:
        r = self.results
        filled = BAR_WIDTH * r.done // r.total
        line = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {r.done}/{r.total}  failed {r.failed}"
        if self.interactive:
            self.out.write(f"\r{line}")
        elif (tenth := 10 * r.done // r.total) != self._last_tenth:
            self._last_tenth = tenth
            self.out.write(f"{line}\n")
        self.out.flush()

    def finish(self) -> None:
        if self.interactive:
            self.out.write("\n")
            self.out.flush()


def summarise(results: Results, elapsed: float, out: TextIO) -> None:
    ordered = sorted(results.latencies)
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(results.statuses.items()))
    out.write(
        f"{results.done} requests in {elapsed:.1f} s ({results.done / max(elapsed, 1e-9):.1f}/s)\n"
        f"status: {statuses}\n"
        f"latency: p50 {percentile(ordered, 50) * 1000:.0f} ms, "
        f"p95 {percentile(ordered, 95) * 1000:.0f} ms, "
        f"p99 {percentile(ordered, 99) * 1000:.0f} ms\n"
    )
