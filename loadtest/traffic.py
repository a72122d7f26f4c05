"""The load: seed-like requests to thinker-api, each the root of a trace the client chose.

Each request carries a W3C ``traceparent`` with a fresh 128-bit trace id, as a traced caller
would send; the Datadog wrapper continues it, so the whole trace of that request can be read
back by id (see :mod:`loadtest.integrity`) without searching the store. The subjects mix the
microservice's seeded ones with unknown ones, as the ``load`` command does, from a seeded generator.
"""

from __future__ import annotations

import random
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from thinker_local.harness.load import LOOPBACK, Answer, Request, send_all
from thinker_local.harness.progress import ProgressBar
from thinker_local.harness.subjects import read_subjects, subject_query, subjects_for

UNKNOWN_SHARE = 0.3
# Subjects no thinker knows, like the seed request's foo_bar: their answers carry errors.
UNKNOWN_SUBJECTS = ("foo_bar", "astrology", "perpetual_motion", "free_lunch")
# The subjects the microservice is seeded with.
THOUGHTS = Path(__file__).resolve().parents[1] / "microservice_lambda/microservice/thoughts.json"


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
    known = read_subjects(THOUGHTS)
    return [
        Planned(
            subjects=tuple(subjects_for(rng, known, UNKNOWN_SHARE, UNKNOWN_SUBJECTS)),
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
    requests = [
        Request(f"{url}?{subject_query(p.subjects)}", {"traceparent": p.traceparent})
        for p in planned
    ]
    bar = ProgressBar(progress, len(requests))
    done = failed = 0

    def on_answer(_: int, answer: Answer) -> None:
        nonlocal done, failed
        done += 1
        failed += answer.status != 200
        bar.draw(done, failed)

    answers = await send_all(requests, concurrency, on_answer=on_answer)
    bar.finish()
    return [
        Outcome(p, a.status, a.seconds, a.headers.get("x-amzn-RequestId"), a.body)
        for p, a in zip(planned, answers, strict=True)
    ]
