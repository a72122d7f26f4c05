"""The Lambda adapter: API Gateway events in, aiohttp's own request handling, proxy results out."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import web

from microservice.adapter import LambdaAdapter, http_request_from_event, proxy_response_from_http
from tests.support.expected import load_event
from tests.support.seed_trace import SEED_PATH


async def echo(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "query": [[k, v] for k, v in request.query.items()],
            "body": (await request.read()).decode(),
            "user_agent": request.headers.get("User-Agent"),
            "remote": request.remote,
        }
    )


async def stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    for part in (b"one ", b"two ", b"three"):
        await response.write(part)
    await response.write_eof()
    return response


async def png(request: web.Request) -> web.Response:
    response = web.Response(body=b"\x89PNG\r\n\x1a\n\x00", content_type="image/png")
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    return response


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("kaboom")


async def teapot(request: web.Request) -> web.Response:
    raise web.HTTPConflict()


def demo_app(events: list[str]) -> web.Application:
    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("cleanup")

    app = web.Application()
    app.cleanup_ctx.append(lifetime)
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/stream", stream)
    app.router.add_get("/png", png)
    app.router.add_get("/boom", boom)
    app.router.add_get("/teapot", teapot)
    return app


@pytest.fixture
def lifecycle() -> list[str]:
    return []


@pytest.fixture
def adapter(lifecycle: list[str]) -> Iterator[LambdaAdapter]:
    adapter = LambdaAdapter(demo_app(lifecycle))
    yield adapter
    adapter.close()


def event(path: str, method: str = "GET", **changes: Any) -> dict[str, Any]:
    sample = load_event("microservice.json")
    sample.update(
        path=path,
        httpMethod=method,
        multiValueQueryStringParameters=None,
        queryStringParameters=None,
    )
    sample.update(changes)
    return sample


def test_the_application_starts_once_and_cleans_up_on_close(lifecycle: list[str]) -> None:
    adapter = LambdaAdapter(demo_app(lifecycle))
    adapter(event("/echo"))
    adapter(event("/echo"))
    adapter.close()

    assert lifecycle == ["startup", "cleanup"]


def test_repeated_query_parameters_reach_the_application_in_order(adapter: LambdaAdapter) -> None:
    result = adapter(
        event(
            "/echo",
            multiValueQueryStringParameters={"subject": ["technology", "foo_bar"], "lang": ["fr"]},
        )
    )

    assert result["statusCode"] == 200
    assert json.loads(result["body"])["query"] == [
        ["subject", "technology"],
        ["subject", "foo_bar"],
        ["lang", "fr"],
    ]


def test_unicode_and_reserved_characters_survive_the_round_trip(adapter: LambdaAdapter) -> None:
    subjects = ["café & thé", "a+b=c", "100%", "日本"]
    result = adapter(event("/echo", multiValueQueryStringParameters={"subject": subjects}))

    assert [v for _, v in json.loads(result["body"])["query"]] == subjects


def test_a_base64_body_is_decoded_for_the_application(adapter: LambdaAdapter) -> None:
    body = base64.b64encode("héllo".encode()).decode()
    result = adapter(event("/echo", "POST", body=body, isBase64Encoded=True))

    assert json.loads(result["body"])["body"] == "héllo"


def test_headers_and_source_ip_come_from_the_event(adapter: LambdaAdapter) -> None:
    sample = event("/echo")
    sample["requestContext"]["identity"]["sourceIp"] = "203.0.113.9"
    body = json.loads(adapter(sample)["body"])

    assert body["user_agent"] == "python-requests/2.34.2"
    assert body["remote"] == "203.0.113.9"


def test_a_chunked_response_is_reassembled(adapter: LambdaAdapter) -> None:
    result = adapter(event("/stream"))

    assert result["body"] == "one two three"
    assert "Transfer-Encoding" not in result["headers"]


def test_a_binary_response_is_base64_with_every_cookie(adapter: LambdaAdapter) -> None:
    result = adapter(event("/png"))

    assert result["isBase64Encoded"] is True
    assert base64.b64decode(result["body"]) == b"\x89PNG\r\n\x1a\n\x00"
    assert len(result["multiValueHeaders"]["Set-Cookie"]) == 2


def test_an_unhandled_exception_is_aiohttps_500(adapter: LambdaAdapter) -> None:
    assert adapter(event("/boom"))["statusCode"] == 500


def test_http_exceptions_keep_their_status(adapter: LambdaAdapter) -> None:
    assert adapter(event("/teapot"))["statusCode"] == 409
    assert adapter(event("/nowhere"))["statusCode"] == 404
    assert adapter(event("/png", "DELETE"))["statusCode"] == 405


class _Context:
    """A Lambda context whose deadline is ``remaining_ms`` after it is made."""

    def __init__(self, remaining_ms: float) -> None:
        self._deadline = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(0.4)
    return web.json_response({"slept": True})


def test_before_the_deadline_the_hook_sees_the_requests_tasks_then_the_answer_comes() -> None:
    seen: list[tuple[float, list[str]]] = []
    began = time.monotonic()

    def before_deadline(loop: asyncio.AbstractEventLoop) -> None:
        names = [task.get_coro().__qualname__ for task in asyncio.all_tasks(loop)]  # type: ignore[union-attr]
        seen.append((time.monotonic() - began, names))

    app = web.Application()
    app.router.add_get("/slow", slow)
    adapter = LambdaAdapter(app, before_deadline=before_deadline, margin_ms=100)
    try:
        result = adapter(event("/slow"), _Context(remaining_ms=250))
        fast = adapter(event("/slow"), _Context(remaining_ms=5000))
        unbounded = adapter(event("/slow"))
    finally:
        adapter.close()

    # Once, 150 ms in (250 ms less the margin), while the handler still ran; then it finished.
    ((at, tasks),) = seen
    assert 0.1 <= at < 0.4
    assert any("RequestHandler" in name for name in tasks)
    assert json.loads(result["body"]) == json.loads(fast["body"]) == {"slept": True}
    assert unbounded["statusCode"] == 200


def test_the_request_line_is_rebuilt_from_the_event() -> None:
    raw = http_request_from_event(load_event("think.json")).decode()
    request_line, *header_lines = raw.split("\r\n")

    assert request_line == f"GET {SEED_PATH} HTTP/1.1"
    assert "Connection: close" in header_lines
    assert "Content-Length: 0" in header_lines


def test_headers_cannot_smuggle_a_second_request() -> None:
    sample = event("/echo")
    sample["multiValueHeaders"]["X-Evil"] = ["a\r\n\r\nGET /boom HTTP/1.1"]
    raw = http_request_from_event(sample)

    assert raw.count(b"\r\n\r\n") == 1


def test_a_response_without_status_line_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="without a response"):
        proxy_response_from_http(b"")
