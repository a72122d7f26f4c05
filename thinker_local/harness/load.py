"""One HTTP load loop: a list of requests sent a fixed number at a time, with a hook per answer.

Every caller times and classifies the same way: latency from sending to the end of the body
(``perf_counter``), and a request that got no answer (connection error, timeout) has status 0
and the error's name.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import aiohttp

REQUEST_TIMEOUT_S = 30.0
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Request:
    """A GET to send."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """What one request gave: status (0 if no answer), seconds, headers and body."""

    status: int
    seconds: float
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str = ""

    @property
    def label(self) -> str:
        """The status as a summary counts it: ``200``, ``502``, or the error (``TimeoutError``)."""
        return str(self.status) if self.status else self.error or "no answer"


# Called after each answer with the request's index in the list and what it gave.
OnAnswer = Callable[[int, Answer], None]


async def send_all(
    requests: Sequence[Request],
    concurrency: int,
    *,
    timeout: float = REQUEST_TIMEOUT_S,
    on_answer: OnAnswer | None = None,
    session: aiohttp.ClientSession | None = None,
) -> list[Answer]:
    """Send every request, ``concurrency`` at a time; answers in the requests' order.

    With ``session``, its connections are used (kept alive across calls); otherwise a session
    of its own, limited to ``concurrency`` connections.
    """
    if session is None:
        connector = aiohttp.TCPConnector(limit=max(1, concurrency))
        client_timeout = aiohttp.ClientTimeout(total=timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as own:
            return await send_all(requests, concurrency, on_answer=on_answer, session=own)
    answers: list[Answer | None] = [None] * len(requests)
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < len(requests):
            index, next_index = next_index, next_index + 1
            answer = await _send(session, requests[index])
            answers[index] = answer
            if on_answer is not None:
                on_answer(index, answer)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(requests))))))
    return [answer for answer in answers if answer is not None]


async def _send(session: aiohttp.ClientSession, request: Request) -> Answer:
    started = time.perf_counter()
    try:
        async with session.get(request.url, headers=dict(request.headers)) as response:
            body = await response.read()
            # The headers stay case-insensitive, as HTTP's are.
            return Answer(response.status, time.perf_counter() - started, response.headers, body)
    except (aiohttp.ClientError, TimeoutError) as error:
        return Answer(0, time.perf_counter() - started, error=type(error).__name__)
