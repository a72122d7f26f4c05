"""The Runtime API as awslambdaric sees it, over loopback HTTP, with the test as the runtime.

Lambda's contract: ``GET /invocation/next`` blocks until there is an event and carries the
request id, the deadline, the function's ARN and the X-Ray trace header; the result or error is
posted under that request id (anything else is 400 InvalidRequestID); init errors go to
``/init/error``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.support.environments import within
from thinker_local.lambdafn.runtime import PREFIX, Invocation, InvocationResult, RuntimeApi

ARN = "arn:aws:lambda:us-east-1:123456789012:function:stack-Fn"
TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"


@pytest.fixture
async def runtime() -> AsyncIterator[RuntimeApi]:
    runtime = RuntimeApi()
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
async def client(runtime: RuntimeApi) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(f"http://{runtime.address}") as session:
        yield session


def invocation(request_id: str = "req-1", payload: bytes = b'{"n": 1}') -> Invocation:
    return Invocation(
        request_id=request_id,
        payload=payload,
        function_arn=ARN,
        deadline_ms=1_700_000_003_000,
        trace_id=TRACE,
    )


async def next_event(client: aiohttp.ClientSession) -> tuple[dict[str, str], bytes]:
    async with client.get(f"{PREFIX}/invocation/next") as response:
        assert response.status == 200
        return dict(response.headers), await response.read()


async def test_next_hands_over_the_event_with_lambdas_headers(
    runtime: RuntimeApi, client: aiohttp.ClientSession
) -> None:
    submitted = invocation()
    await runtime.submit(submitted)
    headers, body = await within(next_event(client))
    assert body == b'{"n": 1}'
    assert headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
    assert headers["Lambda-Runtime-Deadline-Ms"] == "1700000003000"
    assert headers["Lambda-Runtime-Invoked-Function-Arn"] == ARN
    assert headers["Lambda-Runtime-Trace-Id"] == TRACE
    assert headers["Content-Type"].startswith("application/json")
    assert submitted.started_at is not None


async def test_the_first_next_ends_the_init_phase(
    runtime: RuntimeApi, client: aiohttp.ClientSession
) -> None:
    assert not runtime.ready.is_set()
    polling = asyncio.create_task(next_event(client))
    await within(runtime.ready.wait())
    assert runtime.ready_at is not None
    # No event yet: the runtime's long poll is still open.
    assert not polling.done()
    await runtime.submit(invocation())
    await within(polling)


async def test_the_response_lands_in_the_invocations_result(
    runtime: RuntimeApi, client: aiohttp.ClientSession
) -> None:
    submitted = invocation()
    await runtime.submit(submitted)
    await within(next_event(client))
    async with client.post(f"{PREFIX}/invocation/req-1/response", data=b'{"ok": true}') as answer:
        assert answer.status == 202
        assert await answer.json() == {"status": "OK"}
    result = await within(submitted.result)
    assert result == InvocationResult(payload=b'{"ok": true}')
    assert result.ok


@pytest.mark.parametrize(
    ("headers", "error_type"),
    [
        ({"Lambda-Runtime-Function-Error-Type": "Runtime.UserCodeError"}, "Runtime.UserCodeError"),
        ({}, "Unhandled"),
    ],
)
async def test_an_error_lands_with_its_type(
    runtime: RuntimeApi,
    client: aiohttp.ClientSession,
    headers: dict[str, str],
    error_type: str,
) -> None:
    submitted = invocation()
    await runtime.submit(submitted)
    await within(next_event(client))
    error = b'{"errorMessage": "boom", "errorType": "ValueError"}'
    url = f"{PREFIX}/invocation/req-1/error"
    async with client.post(url, data=error, headers=headers) as answer:
        assert answer.status == 202
    result = await within(submitted.result)
    assert (result.payload, result.error_type, result.ok) == (error, error_type, False)


async def test_a_request_id_other_than_the_current_one_is_400(
    runtime: RuntimeApi, client: aiohttp.ClientSession
) -> None:
    invalid = {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"}
    # Nothing handed out yet.
    async with client.post(f"{PREFIX}/invocation/req-1/response", data=b"{}") as answer:
        assert (answer.status, await answer.json()) == (400, invalid)
    submitted = invocation()
    await runtime.submit(submitted)
    await within(next_event(client))
    for kind in ("response", "error"):
        async with client.post(f"{PREFIX}/invocation/other/{kind}", data=b"{}") as answer:
            assert (answer.status, await answer.json()) == (400, invalid)
    assert not submitted.result.done()
    async with client.post(f"{PREFIX}/invocation/req-1/response", data=b"{}") as answer:
        assert answer.status == 202
    # Once answered, the id is no longer current.
    async with client.post(f"{PREFIX}/invocation/req-1/response", data=b"{}") as answer:
        assert answer.status == 400


async def test_invocations_are_handed_out_one_at_a_time_in_order(
    runtime: RuntimeApi, client: aiohttp.ClientSession
) -> None:
    first, second = invocation("req-1"), invocation("req-2")
    await runtime.submit(first)
    queued = asyncio.create_task(runtime.submit(second))
    await asyncio.sleep(0.01)
    assert not queued.done()  # one event waits at most: the environment runs one at a time
    headers, _ = await within(next_event(client))
    assert headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
    await within(queued)
    async with client.post(f"{PREFIX}/invocation/req-1/response", data=b"1") as answer:
        assert answer.status == 202
    headers, _ = await within(next_event(client))
    assert headers["Lambda-Runtime-Aws-Request-Id"] == "req-2"


@pytest.mark.parametrize(
    ("headers", "error_type"),
    [
        (
            {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"},
            "Runtime.ImportModuleError",
        ),
        ({}, "Runtime.Unknown"),
    ],
)
async def test_an_init_error_is_reported_once(
    runtime: RuntimeApi,
    client: aiohttp.ClientSession,
    headers: dict[str, str],
    error_type: str,
) -> None:
    error = b'{"errorMessage": "No module named app", "errorType": "ImportModuleError"}'
    for body in (error, b"second"):
        async with client.post(f"{PREFIX}/init/error", data=body, headers=headers) as answer:
            assert answer.status == 202
    result = await within(runtime.init_error)
    assert (result.payload, result.error_type) == (error, error_type)
    assert not runtime.ready.is_set()


async def test_stopping_ends_a_pending_long_poll(runtime: RuntimeApi) -> None:
    session = aiohttp.ClientSession(f"http://{runtime.address}")
    try:
        polling = asyncio.create_task(session.get(f"{PREFIX}/invocation/next"))
        await within(runtime.ready.wait())
        await within(runtime.stop())
        with pytest.raises(aiohttp.ClientError):
            await within(polling)
    finally:
        await session.close()
    # Nothing listens any more.
    async with aiohttp.ClientSession() as fresh:
        with pytest.raises(aiohttp.ClientConnectionError):
            await fresh.get(f"http://{runtime.address}{PREFIX}/invocation/next")


async def test_a_rebinding_host_neither_takes_nor_answers_an_invocation(
    runtime: RuntimeApi, client: aiohttp.ClientSession
) -> None:
    submitted = invocation()
    await runtime.submit(submitted)
    foreign = {"Host": f"rebind.example:{runtime.address.rsplit(':', 1)[1]}"}
    async with client.get(f"{PREFIX}/invocation/next", headers=foreign) as taken:
        assert taken.status == 403
    async with client.post(
        f"{PREFIX}/invocation/req-1/response", data=b"{}", headers=foreign
    ) as answered:
        assert answered.status == 403

    headers, body = await within(next_event(client))
    assert headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
    assert body == b'{"n": 1}'
    assert not submitted.result.done()
