"""The load: seed-like requests to thinker-api, each the root of a trace the client chose.

Each request carries a W3C ``traceparent`` with a fresh 128-bit trace id, as a traced caller
would send; the Datadog wrapper continues it, so the whole trace of that request can be read
back by id (see :mod:`loadtest.integrity`) without searching the store. The subjects are the
``load`` command's mix of known and unknown ones, from a seeded generator.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO
from urllib.parse import quote, urlsplit

import aiohttp

from thinker_local.commands.load import (
    LOOPBACK,
    ProgressBar,
    Results,
    known_subjects,
    subjects_for,
)

REQUEST_TIMEOUT_S = 30.0
UNKNOWN_SHARE = 0.3


@dataclass(frozen=True)
class Planned:
    """One request to send: its subjects and the trace context it carries."""

    subjects: tuple[str, ...]
    trace_id: str  # 32 lowercase hex digits
    parent_id: int  # the caller's span id, the trace's root's parent

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.parent_id:016x}-01"


@dataclass(frozen=True)
class Outcome:
    """What one request gave: its status (0 if no answer), latency, and the answer's id."""

    planned: Planned
    status: int
    seconds: float
    request_id: str | None
    body: bytes


def plan(count: int, seed: int) -> list[Planned]:
    """``count`` requests: reproducible subjects (from ``seed``), fresh trace ids."""
    rng = random.Random(seed)  # noqa: S311 (load shapes, not secrets)
    known = known_subjects()
    return [
        Planned(
            subjects=tuple(subjects_for(rng, known, UNKNOWN_SHARE)),
            trace_id=secrets.token_hex(16),
            parent_id=secrets.randbits(63) | 1,
        )
        for _ in range(count)
    ]


def check_loopback(url: str) -> None:
    """``ValueError`` unless the URL is on this machine."""
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise ValueError(f"the load goes to this machine only (127.0.0.1), not {host!r}")


async def send(
    url: str, planned: Sequence[Planned], concurrency: int, progress: TextIO = sys.stderr
) -> list[Outcome]:
    """Send every planned request, ``concurrency`` at a time; outcomes in the plan's order."""
    check_loopback(url)
    outcomes: list[Outcome | None] = [None] * len(planned)
    tally = Results(total=len(planned))
    bar = ProgressBar(progress, tally)
    next_index = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            nonlocal next_index
            while next_index < len(planned):
                index, next_index = next_index, next_index + 1
                outcome = await _send_one(session, url, planned[index])
                outcomes[index] = outcome
                tally.statuses[str(outcome.status or "no answer")] += 1
                tally.latencies.append(outcome.seconds)
                tally.done += 1
                bar.draw()

        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(planned))))))
    bar.finish()
    return [outcome for outcome in outcomes if outcome is not None]


async def _send_one(session: aiohttp.ClientSession, url: str, planned: Planned) -> Outcome:
    query = "&".join(f"subject={quote(subject, safe='')}" for subject in planned.subjects)
    headers = {"traceparent": planned.traceparent}
    started = time.perf_counter()
    try:
        async with session.get(f"{url}?{query}", headers=headers) as response:
            body = await response.read()
            status = response.status
            request_id = response.headers.get("x-amzn-RequestId")
    except (aiohttp.ClientError, TimeoutError):
        return Outcome(planned, 0, time.perf_counter() - started, None, b"")
    return Outcome(planned, status, time.perf_counter() - started, request_id, body)
