"""One load run: send the planned requests, then judge every trace."""

from __future__ import annotations

import asyncio
import time

from . import integrity, report, traffic


def run_against(
    url: str, apm_url: str, requests: int, concurrency: int, seed: int, settle_s: float
) -> report.Figures:
    """Load the stack at ``url``, then check every trace in the APM at ``apm_url``."""
    planned = traffic.plan(requests, seed)
    started = time.perf_counter()
    outcomes = asyncio.run(traffic.send(url, planned, concurrency))
    seconds = time.perf_counter() - started
    verdicts = asyncio.run(integrity.check(apm_url, outcomes, settle_s))
    return report.figures(outcomes, verdicts, seconds, concurrency)
