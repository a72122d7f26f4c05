"""Asynchronous (Event) invocations: accepted at once, then run, and retried as Lambda does.

Lambda puts an Event invocation in a queue and answers 202; the function runs when it can
(here: when one of its environments is free, as the pool decides). If the function returns an
error, Lambda tries again twice, with the same request id, about one and then two minutes later;
locally the waits are seconds (:data:`RETRY_DELAYS_S`), so that a developer sees the retries
happen. The invocations still queued or waiting for a retry when the stack stops are said and
dropped: a local run has no durable queue.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence

from ..lambdafn.runtime import InvocationResult
from ..output import Output

# The waits before Lambda's two retries of a failed asynchronous invocation (AWS: ~60 s, ~120 s).
RETRY_DELAYS_S: tuple[float, ...] = (1.0, 2.0)

Invoke = Callable[[str, bytes, str], Awaitable[InvocationResult]]


class EventInvocations:
    """The Event invocations accepted and not yet finished."""

    def __init__(
        self, invoke: Invoke, output: Output, delays: Sequence[float] = RETRY_DELAYS_S
    ) -> None:
        self._invoke = invoke
        self._output = output
        self._delays = tuple(delays)
        self._running: set[asyncio.Task[None]] = set()

    def submit(self, logical_id: str, payload: bytes, request_id: str) -> None:
        """Run the invocation in the background (retried if it fails)."""
        task = asyncio.create_task(self._run(logical_id, payload, request_id))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def close(self) -> None:
        """Stop: what has not finished is dropped, and said."""
        running = list(self._running)
        if running:
            self._output.info(f"Lambda API: {len(running)} Event invocation(s) dropped at the stop")
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, logical_id: str, payload: bytes, request_id: str) -> None:
        attempts = len(self._delays) + 1
        for attempt in range(attempts):
            try:
                result = await self._invoke(logical_id, payload, request_id)
            except RuntimeError as error:  # the pool is shutting down
                self._output.info(f"Lambda API: Event {request_id} not run: {error}")
                return
            if result.ok:
                return
            if attempt + 1 < attempts:
                delay = self._delays[attempt]
                self._output.line(
                    logical_id,
                    f"Event {request_id} failed ({result.error_type}): retry {attempt + 1}"
                    f" of {attempts - 1} in {delay:g} s",
                )
                await asyncio.sleep(delay)
        self._output.line(
            logical_id, f"Event {request_id} failed {attempts} times: dropped (no destination)"
        )
