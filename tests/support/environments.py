"""Execution environments without processes, for testing the pool and the gateway in process.

A :class:`FakeEnvironment` runs a coroutine in the event loop where a real one runs the handler
in a process; :class:`FakeEnvironments` is the factory the pool calls, and remembers what it made.
:class:`Gates` holds invocations until the test lets each one finish, so tests can keep
environments busy for exactly as long as they need.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path

from thinker_local.lambdafn.runtime import InvocationResult
from thinker_local.template import Function

Handler = Callable[["FakeEnvironment", bytes], Awaitable[InvocationResult]]
_pids = itertools.count(10_000)


def function(logical_id: str = "Fn", *, eager: bool = False, timeout_s: float = 3.0) -> Function:
    """A function as the template gives it; its code is never run here."""
    return Function(
        logical_id=logical_id,
        name=f"stack-{logical_id}",
        handler="app.handler",
        runtime="python3.12",
        code_dir=Path("."),
        timeout_s=timeout_s,
        memory_mb=128,
        environment={},
        eager=eager,
    )


class FakeEnvironment:
    """One environment: started, busy with at most one invocation, stopped; it can crash."""

    def __init__(
        self,
        function: Function,
        handler: Handler,
        *,
        start_error: bool,
        start_gate: asyncio.Event | None = None,
    ) -> None:
        self.function = function
        self._handler = handler
        self._start_error = start_error
        self._start_gate = start_gate
        self._pid = next(_pids)
        self.started = False
        self.stopped = asyncio.Event()
        self.crashed = False
        # Set by a test: the role credentials it started with are about to expire.
        self.credentials_expiring = False
        self.request_ids: list[str] = []
        self.payloads: list[bytes] = []
        self.busy = False

    @property
    def pid(self) -> int | None:
        return self._pid if self.started else None

    @property
    def alive(self) -> bool:
        return self.started and not self.stopped.is_set() and not self.crashed

    async def start(self) -> None:
        if self._start_gate is not None:
            await self._start_gate.wait()  # an init that takes as long as the test wants
        if self._start_error:
            raise RuntimeError("the environment failed to start")
        self.started = True

    async def invoke(
        self, payload: bytes, request_id: str, client_context: str | None = None
    ) -> InvocationResult:
        """The handler's result; stopping the environment mid-way ends it, as a killed process."""
        assert self.alive, "invoked a stopped or crashed environment"
        assert not self.busy, "two invocations at once in one environment"
        self.busy = True
        self.request_ids.append(request_id)
        self.payloads.append(payload)
        handler = asyncio.ensure_future(self._handler(self, payload))
        stopped = asyncio.ensure_future(self.stopped.wait())
        try:
            await asyncio.wait({handler, stopped}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            handler.cancel()  # whoever cancels the invocation ends the handler with it
            raise
        finally:
            stopped.cancel()
            self.busy = False
        if handler.done():
            return handler.result()
        handler.cancel()
        return InvocationResult.error("Runtime.ExitError", "the environment was stopped")

    async def stop(self) -> None:
        self.stopped.set()


class FakeEnvironments:
    """The factory the pool calls; ``made`` lists every environment in order of creation."""

    def __init__(self, handler: Handler, *, start_errors: int = 0) -> None:
        self._handler = handler
        # The first ``start_errors`` environments fail to start.
        self._start_errors = start_errors
        self.made: list[FakeEnvironment] = []
        # Set by a test: the environments made from now on finish their init when it is set.
        self.start_gate: asyncio.Event | None = None

    def __call__(self, function: Function) -> FakeEnvironment:
        environment = FakeEnvironment(
            function,
            self._handler,
            start_error=len(self.made) < self._start_errors,
            start_gate=self.start_gate,
        )
        self.made.append(environment)
        return environment

    @property
    def busy(self) -> list[FakeEnvironment]:
        return [environment for environment in self.made if environment.busy]


class Gates:
    """A handler that holds each invocation until :meth:`open` is called with its payload."""

    def __init__(self) -> None:
        self._gates: dict[bytes, asyncio.Event] = {}

    def _gate(self, payload: bytes) -> asyncio.Event:
        return self._gates.setdefault(payload, asyncio.Event())

    async def __call__(self, environment: FakeEnvironment, payload: bytes) -> InvocationResult:
        await self._gate(payload).wait()
        return InvocationResult(payload=b"done " + payload)

    def open(self, payload: bytes) -> None:
        self._gate(payload).set()


async def within[T](task: Awaitable[T], timeout_s: float = 2.0) -> T:
    """``task``'s result, failing after ``timeout_s`` rather than hanging the test run."""
    return await asyncio.wait_for(task, timeout_s)


async def until(condition: Callable[[], bool], timeout_s: float = 2.0) -> None:
    """Let the event loop run until ``condition`` holds; fail after ``timeout_s``."""
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.001)
