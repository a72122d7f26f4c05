"""Execution environments per function, as Lambda keeps them: reused warm, added under load.

An invocation takes a warm idle environment if there is one, or starts a new one (a cold
start), up to the function's concurrency limit; beyond it, it waits for one to free up.
An environment that crashed, timed out or failed its init is dropped, so the next invocation
gets a fresh one (stopped in the background: a timed-out environment takes a moment to stop,
see :data:`thinker_local.lambdafn.environment.FLUSH_GRACE_S`); so is one whose role credentials
are about to expire, as Lambda retires its environments before their credentials run out. When the
function's code changes, every environment is recycled: idle ones at once, busy ones when their
invocation ends; and a fresh one is prepared at once, as SAM's EAGER warm containers are, so the
next invocation runs the new code without paying the init itself. An invocation that arrives
while an environment is being prepared waits for that one rather than starting its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Mapping
from typing import Protocol

from ..template import Function
from .runtime import InvocationResult

# Lambda's default account concurrency is far higher; a laptop is not.
DEFAULT_MAX_ENVIRONMENTS = 10


class Environment(Protocol):
    """What the pool needs of an execution environment.

    :class:`thinker_local.lambdafn.environment.ExecutionEnvironment` is the real one, a process;
    tests give the pool stand-ins.
    """

    @property
    def pid(self) -> int | None: ...

    @property
    def alive(self) -> bool: ...

    @property
    def credentials_expiring(self) -> bool: ...

    async def start(self) -> None: ...

    async def invoke(
        self, payload: bytes, request_id: str, client_context: str | None = None
    ) -> InvocationResult: ...

    async def stop(self) -> None: ...


EnvironmentFactory = Callable[[Function], Environment]


class FunctionPool:
    """The execution environments of one function."""

    def __init__(
        self,
        function: Function,
        factory: EnvironmentFactory,
        *,
        max_environments: int = DEFAULT_MAX_ENVIRONMENTS,
    ) -> None:
        self.function = function
        self._factory = factory
        self._max = max_environments
        self._idle: list[Environment] = []
        self._all: set[Environment] = set()
        self._retired: set[Environment] = set()
        self._stopping: dict[Environment, asyncio.Future[None]] = {}
        # Environments being prepared ahead of invocations, and invocations waiting for them.
        self._warming = 0
        self._awaiting_warm = 0
        self._changed = asyncio.Condition()
        self._closed = False

    @property
    def size(self) -> int:
        """How many environments serve, or may serve, invocations (not those being stopped)."""
        return len(self._all - self._stopping.keys())

    @property
    def pids(self) -> set[int]:
        return {env.pid for env in self._all if env.pid is not None and env not in self._stopping}

    async def invoke(
        self, payload: bytes, request_id: str | None = None, client_context: str | None = None
    ) -> InvocationResult:
        """Run one invocation in an environment of this function."""
        environment = await self._acquire()
        try:
            return await environment.invoke(
                payload, request_id or str(uuid.uuid4()), client_context
            )
        finally:
            await self._release(environment)

    async def warm(self) -> None:
        """Start one environment ahead of the first request (samconfig's EAGER warm containers),
        unless one already serves."""
        async with self._changed:
            if self._closed or self._serving():
                return
            environment = self._factory(self.function)
            self._all.add(environment)
            self._warming += 1
        try:
            await environment.start()
        except BaseException:
            async with self._changed:
                self._warming -= 1
                self._changed.notify_all()
            await self._discard(environment)
            raise
        async with self._changed:
            self._warming -= 1
            # Code that changed while it started is not the code it loaded.
            retired = environment in self._retired
            if not retired:
                self._idle.append(environment)
            self._changed.notify_all()
        if retired:
            await self._discard(environment)

    async def recycle(self, *, prepare: bool = True) -> None:
        """Retire every environment (idle ones stop now, busy ones after their invocation); with
        ``prepare`` (the code changed), start a fresh one if the function had any or is eager."""
        async with self._changed:
            prepare = (
                prepare and not self._closed and (self.function.eager or bool(self._serving()))
            )
            idle, self._idle = self._idle, []
            self._retired |= self._all
        await asyncio.gather(
            *(self._discard(environment) for environment in idle),
            *([self.warm()] if prepare else []),
        )

    async def close(self) -> None:
        """Stop every environment, busy or not."""
        async with self._changed:
            self._closed = True
            environments = [env for env in self._all if env not in self._stopping]
            self._idle = []
            self._changed.notify_all()
        await asyncio.gather(
            *(self._discard(env) for env in environments), *self._stopping.values()
        )

    async def _acquire(self) -> Environment:
        # Idle environments whose role credentials are about to expire, stopped once unlocked.
        expiring: list[Environment] = []
        try:
            async with self._changed:
                while True:
                    if self._closed:
                        raise RuntimeError(f"{self.function.logical_id} is shutting down")
                    while self._idle:
                        environment = self._idle.pop()
                        if environment.alive and not environment.credentials_expiring:
                            return environment
                        self._all.discard(environment)
                        expiring.append(environment)
                    if self._warming > self._awaiting_warm:
                        # One is being prepared and no earlier invocation waits for it.
                        self._awaiting_warm += 1
                        try:
                            await self._changed.wait()
                        finally:
                            self._awaiting_warm -= 1
                        continue
                    if len(self._all) < self._max:
                        environment = self._factory(self.function)
                        self._all.add(environment)
                        break
                    await self._changed.wait()
        finally:
            for old in expiring:
                with contextlib.suppress(Exception):
                    await old.stop()
        try:
            await environment.start()
        except BaseException:
            await self._discard(environment)
            raise
        return environment

    def _serving(self) -> set[Environment]:
        """The environments that serve, or will: not retired, not being stopped."""
        return self._all - self._retired - self._stopping.keys()

    async def _release(self, environment: Environment) -> None:
        async with self._changed:
            keep = (
                environment.alive
                and not environment.credentials_expiring
                and not self._closed
                and environment not in self._retired
            )
            if keep:
                self._idle.append(environment)
            self._changed.notify()
        if not keep:
            # The caller has its answer now; the environment stops without delaying it.
            stopping = asyncio.ensure_future(self._discard(environment))
            self._stopping[environment] = stopping
            stopping.add_done_callback(lambda _: self._stopping.pop(environment, None))

    async def _discard(self, environment: Environment) -> None:
        with contextlib.suppress(Exception):
            await environment.stop()
        async with self._changed:
            self._all.discard(environment)
            self._retired.discard(environment)
            self._changed.notify()


class LambdaService:
    """Every function of the template, invoked by logical id."""

    def __init__(
        self,
        functions: Mapping[str, Function],
        factory: EnvironmentFactory,
        *,
        max_environments: int = DEFAULT_MAX_ENVIRONMENTS,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        """``limits``: a lower environment limit for some functions, by logical id."""
        limits = limits or {}
        self.pools = {
            logical_id: FunctionPool(
                function, factory, max_environments=limits.get(logical_id, max_environments)
            )
            for logical_id, function in functions.items()
        }

    async def invoke(
        self,
        function: str,
        payload: bytes,
        request_id: str | None = None,
        client_context: str | None = None,
    ) -> InvocationResult:
        return await self.pools[function].invoke(payload, request_id, client_context)

    async def warm(self) -> None:
        """Start one environment for each function that serves an API."""
        await asyncio.gather(*(pool.warm() for pool in self.pools.values() if pool.function.eager))

    async def recycle(self, functions: set[str]) -> None:
        """New code for these functions: each prepares a fresh environment (see the module)."""
        await asyncio.gather(*(self.pools[logical_id].recycle() for logical_id in functions))

    async def close(self) -> None:
        await asyncio.gather(*(pool.close() for pool in self.pools.values()))
