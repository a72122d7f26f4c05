"""``python -m thinker_local load``: send seed-like requests to an API of the local stack.

Each request to ``--url`` asks for one to three subjects (``?subject=a&subject=b``), mixing known
ones (given with ``--subject`` or ``--subjects-file``) and unknown ones (``--unknown-subject``),
so the APM's graphs show traffic, latency and errors. Loopback only, and bounded in count and
concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from ..harness.load import LOOPBACK, Answer, Request, send_all
from ..harness.progress import ProgressBar
from ..harness.subjects import read_subjects, subject_query, subjects_for
from ..stats import percentile

# Unknown subjects when none are given: made-up words no API is likely to know.
UNKNOWN_SUBJECTS = ("unknown-a", "unknown-b", "unknown-c")
MAX_REQUESTS = 10_000
MAX_CONCURRENCY = 32


@dataclass
class Results:
    """What came back, for the progress bar and the summary."""

    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "200")

    def add(self, answer: Answer) -> None:
        self.statuses[answer.label] += 1
        self.latencies.append(answer.seconds)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "load", help="send seed-like requests to an API of the stack", description=__doc__
    )
    parser.add_argument("-n", "--requests", type=int, default=50, help="how many (50)")
    parser.add_argument("-c", "--concurrency", type=int, default=4, help="in flight at once (4)")
    parser.add_argument(
        "--url", required=True, help="the route's URL, e.g. http://127.0.0.1:5000/some/path/"
    )
    parser.add_argument(
        "--subject", action="append", default=[], help="a known subject (repeatable)"
    )
    parser.add_argument(
        "--subjects-file",
        type=Path,
        help="known subjects: a JSON list, a JSON object's keys, or one per line",
    )
    parser.add_argument(
        "--unknown-subject",
        action="append",
        default=[],
        help=f"an unknown subject (repeatable; default: {', '.join(UNKNOWN_SUBJECTS)})",
    )
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
    known = list(args.subject)
    if args.subjects_file is not None:
        try:
            known += read_subjects(args.subjects_file)
        except (OSError, ValueError) as error:
            problems.append(f"--subjects-file: {error}")
    if not known and args.unknown < 1:
        problems.append("give the known subjects: --subject NAME or --subjects-file FILE")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    rng = random.Random(args.seed)  # noqa: S311 (load shapes, not secrets)
    unknown = args.unknown_subject or UNKNOWN_SUBJECTS
    requests = [
        Request(f"{args.url}?{subject_query(subjects_for(rng, known, args.unknown, unknown))}")
        for _ in range(args.requests)
    ]
    started = time.monotonic()
    results = _send(requests, args.concurrency, args.timeout, sys.stderr)
    summarise(results, time.monotonic() - started, sys.stdout)
    return 0 if results.failed == 0 else 1


def _send(requests: list[Request], concurrency: int, timeout: float, progress: TextIO) -> Results:
    """Send the requests, drawing a progress bar; what came back."""
    results = Results()
    bar = ProgressBar(progress, len(requests))

    def on_answer(_: int, answer: Answer) -> None:
        results.add(answer)
        bar.draw(results.done, results.failed)

    asyncio.run(send_all(requests, concurrency, timeout=timeout, on_answer=on_answer))
    bar.finish()
    return results


def summarise(results: Results, elapsed: float, out: TextIO) -> None:
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(results.statuses.items()))
    out.write(
        f"{results.done} requests in {elapsed:.1f} s ({results.done / max(elapsed, 1e-9):.1f}/s)\n"
        f"status: {statuses}\n"
        f"latency: p50 {percentile(results.latencies, 50) * 1000:.0f} ms, "
        f"p95 {percentile(results.latencies, 95) * 1000:.0f} ms, "
        f"p99 {percentile(results.latencies, 99) * 1000:.0f} ms\n"
    )
