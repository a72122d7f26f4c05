"""Trace integrity: each request's trace, read back from the local APM, is whole and its own.

A request answered 200 must have one trace holding, exactly once each and each the child of the
one before: thinker-api's API Gateway span (whose parent is the caller's span the request named),
thinker-api's ``aws.lambda``, its ``requests.request`` call, the microservice's API Gateway span,
its ``aws.lambda``, its ``aiohttp.request``; and under that one ``think`` span per subject asked
for, tagged with it. Missing spans make a trace *incomplete*, no trace at all is *lost*, and a
span kind present twice (another request's spans in this trace) is *merged*.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from .traffic import Outcome

# (service, operation) from the trace's root down to the microservice's handler.
CHAIN = (
    ("thinker-api-gateway", "aws.apigateway"),
    ("thinker-api", "aws.lambda"),
    ("thinker-api", "requests.request"),
    ("thinker-microservice-gateway", "aws.apigateway"),
    ("thinker-microservice", "aws.lambda"),
    ("thinker-microservice", "aiohttp.request"),
)
THINK = ("thinker-microservice", "think")
# Without a 200, the request may have stopped anywhere after thinker-api's own spans.
CHAIN_WITHOUT_ANSWER = CHAIN[:2]
FETCH_CONCURRENCY = 8
POLL_INTERVAL_S = 1.0

Span = dict[str, Any]


@dataclass(frozen=True)
class Verdict:
    """One request's trace: ``complete``, ``incomplete``, ``lost`` or ``merged``, and why."""

    outcome: Outcome
    state: str
    problem: str = ""


def judge(outcome: Outcome, spans: Sequence[Span]) -> Verdict:
    """Whether ``spans`` (the trace the request named) are that request's whole trace."""
    if not spans:
        return Verdict(outcome, "lost", "no trace with the request's trace id")
    by_id = {span["span_id"]: span for span in spans}
    kinds = Counter((span["service"], span["name"]) for span in spans)
    chain = CHAIN if outcome.status == 200 else CHAIN_WITHOUT_ANSWER
    for kind in (*chain, THINK):
        if kinds[kind] > 1 and kind != THINK:
            return Verdict(outcome, "merged", f"{kinds[kind]} {kind[1]} spans of {kind[0]}")
    found = []
    for kind in chain:
        if not kinds[kind]:
            return Verdict(outcome, "incomplete", f"no {kind[1]} span of {kind[0]}")
        found.append(next(span for span in spans if (span["service"], span["name"]) == kind))
    root = found[0]
    if root["parent_id"] != str(outcome.planned.parent_id):
        return Verdict(outcome, "incomplete", "the root is not the caller's child")
    for parent, child in itertools.pairwise(found):
        if child["parent_id"] != parent["span_id"]:
            return Verdict(
                outcome,
                "incomplete",
                f"{child['name']} of {child['service']} is not"
                f" the child of {parent['name']} of {parent['service']}",
            )
    orphans = [s for s in spans if s is not root and s["parent_id"] not in by_id]
    if orphans:
        return Verdict(outcome, "incomplete", f"{len(orphans)} span(s) whose parent is missing")
    if root["meta"].get("http.status_code") != str(outcome.status):
        return Verdict(outcome, "incomplete", "the root span does not hold the answer's status")
    if outcome.status == 200:
        problem = _thoughts_problem(outcome, spans, handler=found[-1])
        if problem:
            state = "merged" if kinds[THINK] > len(outcome.planned.subjects) else "incomplete"
            return Verdict(outcome, state, problem)
    return Verdict(outcome, "complete")


def _thoughts_problem(outcome: Outcome, spans: Sequence[Span], handler: Span) -> str:
    thinks = [span for span in spans if (span["service"], span["name"]) == THINK]
    if any(span["parent_id"] != handler["span_id"] for span in thinks):
        return "a think span is not the child of the microservice's handler"
    asked = sorted(outcome.planned.subjects)
    traced = sorted(span["meta"].get("subject", "") for span in thinks)
    if traced != asked:
        return f"think spans for {traced}, the request asked for {asked}"
    return ""


async def check(apm_url: str, outcomes: Sequence[Outcome], settle_s: float) -> list[Verdict]:
    """Read each request's trace from the APM and judge it; a trace not yet whole is read again
    until ``settle_s`` has passed (the functions send their spans when each invocation ends).
    """
    verdicts: dict[int, Verdict] = {}
    pending = list(range(len(outcomes)))
    deadline = time.monotonic() + settle_s
    async with aiohttp.ClientSession(
        base_url=apm_url, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        limit = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def judge_one(index: int) -> None:
            async with limit:
                spans = await _trace(session, outcomes[index].planned.trace_id)
            verdicts[index] = judge(outcomes[index], spans)

        while pending:
            await asyncio.gather(*(judge_one(index) for index in pending))
            pending = [i for i in pending if verdicts[i].state != "complete"]
            if not pending or time.monotonic() >= deadline:
                break
            await asyncio.sleep(POLL_INTERVAL_S)
    return [verdicts[index] for index in range(len(outcomes))]


async def _trace(session: aiohttp.ClientSession, trace_id: str) -> list[Span]:
    async with session.get(f"/api/traces/{trace_id}") as response:
        if response.status == 404:
            return []
        response.raise_for_status()
        body = await response.json()
    return list(body["spans"])
