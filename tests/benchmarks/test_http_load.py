"""The load's warm-up: rounds until the answers stop getting faster, so that what starts to
serve the concurrency (Lambda environments, containers) is not started in the measured part."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from benchmarks import http_load
from thinker_local.harness.servers import serve


def slow_at_first(slow: int, halving: int = 0) -> web.Application:
    """A server whose first ``slow`` answers take 50 ms (a cold start each), the rest 10 ms; or,
    with ``halving``, one that answers twice as fast after each ``halving`` answers, from 200 ms.
    (Sleeps long enough that a round's rate hardly varies from run to run.)"""
    answered = 0

    async def answer(_: web.Request) -> web.Response:
        nonlocal answered
        if halving:
            await asyncio.sleep(0.2 * 0.5 ** (answered // halving))
        else:
            await asyncio.sleep(0.05 if answered < slow else 0.01)
        answered += 1
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", answer)
    return app


def rounds_until_settled(slow: int, requests: int, halving: int = 0) -> int:
    async def warm(url: str) -> int:
        async with aiohttp.ClientSession() as session:
            return await http_load.warm(session, url + "/", requests, concurrency=4)

    with serve(slow_at_first(slow, halving)) as url:
        return asyncio.run(warm(url))


def test_the_warm_up_goes_on_while_the_answers_get_faster() -> None:
    # The first round is slow, the second fast, the third no faster: three rounds.
    assert (rounds_until_settled(slow=20, requests=20)) == 3


def test_a_round_no_faster_than_the_one_before_ends_the_warm_up() -> None:
    assert (rounds_until_settled(slow=10_000, requests=4)) == 2


def test_the_warm_up_is_bounded() -> None:
    # Twice as fast every round: it never settles, and stops at the bound.
    rounds = rounds_until_settled(slow=0, requests=4, halving=4)
    assert rounds == http_load.WARM_ROUNDS


def test_no_warm_up_sends_nothing() -> None:
    assert (rounds_until_settled(slow=0, requests=0)) == 0
