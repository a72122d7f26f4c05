"""The pool of execution environments, with environments that are not processes.

Lambda's rules: a warm idle environment is reused; under concurrent load new ones start up to the
limit, and beyond it invocations wait; a code change retires idle environments at once and busy
ones when their invocation ends, and prepares a fresh one that the next invocation uses; a dead
environment is never handed out again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.support.environments import (
    FakeEnvironment,
    FakeEnvironments,
    Gates,
    function,
    until,
    within,
)
from thinker_local.lambdafn.pool import FunctionPool, LambdaService
from thinker_local.lambdafn.runtime import InvocationResult


async def answer(environment: FakeEnvironment, payload: bytes) -> InvocationResult:
    return InvocationResult(payload=b"done " + payload)


@pytest.fixture
async def gates() -> Gates:
    return Gates()


@pytest.fixture
async def environments(gates: Gates) -> FakeEnvironments:
    return FakeEnvironments(gates)


@pytest.fixture
async def pool(environments: FakeEnvironments) -> AsyncIterator[FunctionPool]:
    pool = FunctionPool(function(), environments, max_environments=2)
    yield pool
    await pool.close()


def invoke(pool: FunctionPool, payload: bytes) -> asyncio.Task[InvocationResult]:
    return asyncio.create_task(pool.invoke(payload))


async def test_sequential_invocations_reuse_the_warm_environment() -> None:
    environments = FakeEnvironments(answer)
    pool = FunctionPool(function(), environments)
    try:
        first = await pool.invoke(b"1")
        second = await pool.invoke(b"2", request_id="request-2")
    finally:
        await pool.close()
    assert (first.payload, second.payload) == (b"done 1", b"done 2")
    assert len(environments.made) == 1
    assert environments.made[0].payloads == [b"1", b"2"]
    assert environments.made[0].request_ids[1] == "request-2"


async def test_concurrent_invocations_start_environments_up_to_the_limit(
    pool: FunctionPool, environments: FakeEnvironments, gates: Gates
) -> None:
    first, second = invoke(pool, b"1"), invoke(pool, b"2")
    await until(lambda: len(environments.busy) == 2)
    assert pool.size == 2
    assert pool.pids == {environment.pid for environment in environments.made}
    gates.open(b"1")
    gates.open(b"2")
    assert [(await within(first)).payload, (await within(second)).payload] == [b"done 1", b"done 2"]
    # Both are idle and warm now: a third invocation starts nothing new.
    gates.open(b"3")
    await pool.invoke(b"3")
    assert len(environments.made) == 2


async def test_beyond_the_limit_an_invocation_waits_for_a_free_environment(
    pool: FunctionPool, environments: FakeEnvironments, gates: Gates
) -> None:
    first, second, third = invoke(pool, b"1"), invoke(pool, b"2"), invoke(pool, b"3")
    await until(lambda: len(environments.busy) == 2)
    await asyncio.sleep(0.01)
    assert not third.done()
    assert len(environments.made) == 2
    gates.open(b"3")  # it may run as soon as it gets an environment
    gates.open(b"2")
    await within(second)
    assert (await within(third)).payload == b"done 3"
    # The third ran where the second had finished.
    assert sorted(env.payloads for env in environments.made) == [[b"1"], [b"2", b"3"]]
    assert not first.done()
    gates.open(b"1")
    await within(first)


async def test_recycling_stops_idle_environments_at_once_and_busy_ones_when_done(
    pool: FunctionPool, environments: FakeEnvironments, gates: Gates
) -> None:
    gates.open(b"idle")
    busy_task, idle_task = invoke(pool, b"busy"), invoke(pool, b"idle")
    await within(idle_task)
    await until(lambda: len(environments.busy) == 1)
    busy = environments.busy[0]
    idle = next(env for env in environments.made if env is not busy)

    await pool.recycle()
    assert idle.stopped.is_set()
    assert not busy.stopped.is_set()
    assert busy.busy
    # New code, new environment: prepared at once, beside the busy one.
    prepared = environments.made[2]
    assert prepared.alive

    gates.open(b"busy")
    assert (await within(busy_task)).payload == b"done busy"
    await until(busy.stopped.is_set)
    assert pool.size == 1
    gates.open(b"after")
    await pool.invoke(b"after")
    assert len(environments.made) == 3
    assert prepared.payloads == [b"after"]


async def test_an_invocation_during_the_preparation_waits_for_the_prepared_environment(
    pool: FunctionPool, environments: FakeEnvironments, gates: Gates
) -> None:
    gates.open(b"before")
    await pool.invoke(b"before")
    environments.start_gate = init_done = asyncio.Event()
    recycling = asyncio.create_task(pool.recycle())
    await until(lambda: len(environments.made) == 2)
    gates.open(b"after")
    after = invoke(pool, b"after")
    await asyncio.sleep(0.05)
    # Room for another environment (the limit is 2), yet none started: it waits for the new one.
    assert len(environments.made) == 2
    assert not after.done()
    init_done.set()
    assert (await within(after)).payload == b"done after"
    await within(recycling)
    assert environments.made[1].payloads == [b"after"]
    assert environments.made[0].stopped.is_set()


async def test_a_failed_preparation_lets_the_waiting_invocation_start_its_own() -> None:
    environments = FakeEnvironments(answer, start_errors=1)
    pool = FunctionPool(function(eager=True), environments)
    try:
        environments.start_gate = init_done = asyncio.Event()
        warming = asyncio.create_task(pool.warm())
        await until(lambda: len(environments.made) == 1)
        environments.start_gate = None
        waiting = asyncio.create_task(pool.invoke(b"x"))
        await asyncio.sleep(0.05)
        assert len(environments.made) == 1
        init_done.set()
        with pytest.raises(RuntimeError):
            await within(warming)
        assert (await within(waiting)).payload == b"done x"
        assert len(environments.made) == 2
    finally:
        await pool.close()


async def test_code_changed_while_an_environment_started_is_not_served_by_it(
    pool: FunctionPool, environments: FakeEnvironments, gates: Gates
) -> None:
    environments.start_gate = init_done = asyncio.Event()
    warming = asyncio.create_task(pool.warm())
    await until(lambda: len(environments.made) == 1)
    recycling = asyncio.create_task(pool.recycle())
    await until(lambda: len(environments.made) == 2)
    init_done.set()
    await within(warming)
    await within(recycling)
    gates.open(b"new")
    await pool.invoke(b"new")
    old, new = environments.made
    assert old.stopped.is_set()
    assert not old.payloads
    assert new.payloads == [b"new"]


async def test_an_environment_that_died_while_idle_is_replaced(
    pool: FunctionPool, environments: FakeEnvironments, gates: Gates
) -> None:
    gates.open(b"1")
    await pool.invoke(b"1")
    dead = environments.made[0]
    dead.crashed = True
    gates.open(b"2")
    await pool.invoke(b"2")
    assert len(environments.made) == 2
    assert environments.made[1].payloads == [b"2"]
    assert pool.size == 1
    # What the dead one still holds (its Runtime API server, for a process) is released.
    assert dead.stopped.is_set()


async def test_environments_whose_credentials_expire_are_retired_idle_or_busy(
    pool: FunctionPool, environments: FakeEnvironments, gates: Gates
) -> None:
    gates.open(b"1")
    await pool.invoke(b"1")
    expiring = environments.made[0]
    expiring.credentials_expiring = True
    busy_task = invoke(pool, b"2")
    await until(lambda: len(environments.busy) == 1)
    # The idle one with expiring credentials was not handed out, and it was stopped.
    assert expiring.stopped.is_set()
    busy = environments.busy[0]
    busy.credentials_expiring = True  # they run out during the invocation
    gates.open(b"2")
    await within(busy_task)
    await until(busy.stopped.is_set)
    assert pool.size == 0


async def test_an_environment_that_died_during_its_invocation_is_dropped() -> None:
    async def crash(environment: FakeEnvironment, payload: bytes) -> InvocationResult:
        environment.crashed = True
        return InvocationResult.error("Runtime.ExitError", "exit status 1")

    environments = FakeEnvironments(crash)
    pool = FunctionPool(function(), environments)
    try:
        result = await pool.invoke(b"1")
        assert result.error_type == "Runtime.ExitError"
        assert pool.size == 0
        await until(environments.made[0].stopped.is_set)
        await pool.invoke(b"2")
        assert len(environments.made) == 2
    finally:
        await pool.close()


async def test_an_environment_that_fails_to_start_is_forgotten() -> None:
    environments = FakeEnvironments(answer, start_errors=1)
    pool = FunctionPool(function(), environments, max_environments=1)
    try:
        with pytest.raises(RuntimeError, match="failed to start"):
            await pool.invoke(b"1")
        # Its slot is free again: the limit of one does not block the next invocation.
        assert pool.size == 0
        assert (await pool.invoke(b"2")).payload == b"done 2"
    finally:
        await pool.close()


async def test_closing_stops_busy_environments_and_fails_waiting_invocations(
    environments: FakeEnvironments,
) -> None:
    pool = FunctionPool(function(), environments, max_environments=1)
    running, waiting = invoke(pool, b"1"), invoke(pool, b"2")
    await until(lambda: len(environments.busy) == 1)
    await pool.close()
    assert environments.made[0].stopped.is_set()
    assert (await within(running)).error_type == "Runtime.ExitError"
    with pytest.raises(RuntimeError, match="shutting down"):
        await within(waiting)
    with pytest.raises(RuntimeError, match="shutting down"):
        await pool.invoke(b"3")
    assert len(environments.made) == 1


async def test_warming_starts_one_environment_that_the_first_invocation_uses() -> None:
    environments = FakeEnvironments(answer)
    pool = FunctionPool(function(), environments)
    try:
        await pool.warm()
        await pool.warm()
        assert len(environments.made) == 1
        assert environments.made[0].alive
        await pool.invoke(b"1")
        assert len(environments.made) == 1
        assert environments.made[0].request_ids
    finally:
        await pool.close()


async def test_the_service_warms_eager_functions_only_and_invokes_by_logical_id() -> None:
    environments = FakeEnvironments(answer)
    service = LambdaService(
        {"Api": function("Api", eager=True), "Job": function("Job")}, environments
    )
    try:
        await service.warm()
        assert [env.function.logical_id for env in environments.made] == ["Api"]
        assert (await service.invoke("Job", b"x")).payload == b"done x"
        await service.recycle({"Api"})
        assert environments.made[0].stopped.is_set()
        assert not environments.made[1].stopped.is_set()
    finally:
        await service.close()
    assert all(env.stopped.is_set() for env in environments.made)


async def test_retiring_without_preparing_leaves_the_next_invocation_to_start_one(
    pool: FunctionPool, environments: FakeEnvironments, gates: Gates
) -> None:
    gates.open(b"seed")
    await pool.invoke(b"seed")
    await pool.recycle(prepare=False)
    assert environments.made[0].stopped.is_set()
    assert pool.size == 0
    assert len(environments.made) == 1
