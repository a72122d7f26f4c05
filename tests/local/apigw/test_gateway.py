"""The gateway through aiohttp's test client, with functions that answer in process.

What a client sees is what API Gateway answers: 403 Missing Authentication Token for a route that
does not exist, the function's status, headers and body for a proxy response, 502 for a failed or
malformed one, 504 when the integration takes longer than its timeout.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import ClientTimeout
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from tests.support.environments import FakeEnvironment, FakeEnvironments, function, until
from thinker_local.apigw.gateway import Gateway
from thinker_local.aws.account import LOCAL_ACCOUNT
from thinker_local.aws.iam import LocalIam
from thinker_local.lambdafn.pool import LambdaService
from thinker_local.lambdafn.runtime import InvocationResult
from thinker_local.output import Output
from thinker_local.run.stack import MAX_REQUEST_LINE
from thinker_local.template import Api, Route

Reply = Callable[[dict[str, Any]], InvocationResult]


def proxy(status: int = 200, body: str = "", **fields: Any) -> InvocationResult:
    return InvocationResult(json.dumps({"statusCode": status, "body": body, **fields}).encode())


def echo(event: dict[str, Any]) -> InvocationResult:
    """The function most tests use: it answers with the event it got."""
    return proxy(200, json.dumps(event))


class Functions:
    """The functions behind the API: each event they got, and the reply the test chose."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.reply: Reply = echo
        self.release = asyncio.Event()
        self.release.set()
        self.finished = 0

    async def __call__(self, environment: FakeEnvironment, payload: bytes) -> InvocationResult:
        event = json.loads(payload)
        self.events.append(event)
        await self.release.wait()
        self.finished += 1
        return self.reply(event)


ROUTES = (
    Route(method="GET", path="/think", function="Think", iam_auth=False, timeout_ms=29_000),
    Route(method="POST", path="/think", function="Think", iam_auth=False, timeout_ms=29_000),
    Route(method="GET", path="/items/{id}", function="Think", iam_auth=False, timeout_ms=29_000),
    Route(method="ANY", path="/{proxy+}", function="Think", iam_auth=False, timeout_ms=29_000),
    Route(method="GET", path="/slow", function="Think", iam_auth=False, timeout_ms=50),
    Route(method="GET", path="/private", function="Think", iam_auth=True, timeout_ms=29_000),
)
API = Api(
    logical_id="ThinkApi", name="api", api_id="abcdef1234", stage="Prod", port=0, routes=ROUTES
)


@pytest.fixture
def functions() -> Functions:
    return Functions()


@pytest.fixture
def log() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
async def client(functions: Functions, log: io.StringIO) -> AsyncIterator[TestClient[Any, Any]]:
    service = LambdaService({"Think": function("Think")}, FakeEnvironments(functions))
    # No moto behind it: these tests never get as far as asking IAM (an unsigned request to an
    # AWS_IAM route is refused on its missing signature).
    iam = LocalIam("http://127.0.0.1:9", LOCAL_ACCOUNT)
    gateway = Gateway(API, service, account=LOCAL_ACCOUNT, iam=iam, output=Output(log))
    # The limits the stack serves every API with.
    server = TestServer(gateway.create_app())
    await server.start_server(max_line_size=MAX_REQUEST_LINE, max_field_size=MAX_REQUEST_LINE)
    # A regression must fail, not hang, the test run.
    async with TestClient(server, timeout=ClientTimeout(total=5)) as client:
        yield client
    await service.close()


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("DELETE", "/think"), ("GET", "/private")],
)
async def test_no_route_or_no_signature_is_403_missing_authentication_token(
    client: TestClient[Any, Any], functions: Functions, method: str, path: str
) -> None:
    async with client.request(method, path) as response:
        assert response.status == 403
        assert await response.read() == b'{"message":"Missing Authentication Token"}'
        assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["x-amzn-RequestId"]
    assert functions.events == []


async def test_the_request_reaches_the_function_as_a_proxy_event(
    client: TestClient[Any, Any], functions: Functions
) -> None:
    async with client.post(
        "/think?subject=a&subject=b%20c",
        data=b'{"x": 1}',
        headers=[("X-Thing", "1"), ("X-Thing", "2"), ("User-Agent", "test/1")],
    ) as response:
        assert response.status == 200
        request_id = response.headers["x-amzn-RequestId"]
    (event,) = functions.events
    assert event["httpMethod"] == "POST"
    assert event["resource"] == "/think"
    assert event["body"] == '{"x": 1}'
    assert event["isBase64Encoded"] is False
    assert event["multiValueHeaders"]["X-Thing"] == ["1", "2"]
    assert event["multiValueQueryStringParameters"] == {"subject": ["a", "b c"]}
    assert event["requestContext"]["requestId"] == request_id
    assert event["requestContext"]["identity"]["userAgent"] == "test/1"
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert event["headers"]["X-Forwarded-Port"] == str(client.port)


async def test_a_binary_body_reaches_the_function_base64_encoded(
    client: TestClient[Any, Any], functions: Functions
) -> None:
    async with client.post("/think", data=b"\xff\xfe\x00") as response:
        assert response.status == 200
    (event,) = functions.events
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\xfe\x00"


async def test_an_encoded_slash_stays_inside_its_path_parameter(
    client: TestClient[Any, Any], functions: Functions
) -> None:
    # API Gateway matches and reports the path as sent: %2F is not a separator.
    async with client.get(URL("/items/a%2Fb", encoded=True)) as response:
        assert response.status == 200
    (event,) = functions.events
    assert event["resource"] == "/items/{id}"
    assert event["pathParameters"] == {"id": "a%2Fb"}
    assert event["path"] == "/items/a%2Fb"


async def test_the_proxy_response_becomes_the_http_response(
    client: TestClient[Any, Any], functions: Functions
) -> None:
    functions.reply = lambda event: proxy(
        201,
        "<p>made</p>",
        headers={"Content-Type": "text/html", "X-Single": "s", "Content-Length": "999"},
        multiValueHeaders={"Set-Cookie": ["a=1", "b=2"]},
    )
    async with client.get("/think") as response:
        assert response.status == 201
        assert await response.read() == b"<p>made</p>"
        assert response.headers["Content-Type"] == "text/html"
        assert response.headers["X-Single"] == "s"
        assert response.headers.getall("Set-Cookie") == ["a=1", "b=2"]
        # The length is the body's, whatever the function claimed.
        assert response.headers["Content-Length"] == str(len(b"<p>made</p>"))
        assert (
            response.headers["x-amzn-RequestId"]
            == functions.events[0]["requestContext"]["requestId"]
        )


async def test_without_a_content_type_the_answer_is_json_and_base64_bodies_are_decoded(
    client: TestClient[Any, Any], functions: Functions
) -> None:
    functions.reply = lambda event: proxy(
        200, base64.b64encode(b"\x89PNG").decode(), isBase64Encoded=True
    )
    async with client.get("/think") as response:
        assert response.headers["Content-Type"] == "application/json"
        assert await response.read() == b"\x89PNG"


@pytest.mark.parametrize(
    "result",
    [
        InvocationResult(b'{"statusCode": 200, "body": {"not": "a string"}}'),
        InvocationResult(b'{"body": "no status"}'),
        InvocationResult(b'"just a string"'),
        InvocationResult.error("Runtime.ExitError", "exit status 1"),
    ],
    ids=["body-not-a-string", "no-status", "not-an-object", "function-error"],
)
async def test_a_failed_or_malformed_answer_is_502(
    client: TestClient[Any, Any], functions: Functions, log: io.StringIO, result: InvocationResult
) -> None:
    functions.reply = lambda event: result
    async with client.get("/think") as response:
        assert response.status == 502
        assert await response.json() == {"message": "Internal server error"}
        assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    malformed = "Malformed Lambda proxy response" in log.getvalue()
    assert malformed == result.ok


async def test_an_integration_slower_than_its_timeout_is_504_and_still_runs_to_its_end(
    client: TestClient[Any, Any], functions: Functions
) -> None:
    functions.release.clear()
    async with client.get("/slow") as response:
        assert response.status == 504
        assert await response.json() == {"message": "Endpoint request timed out"}
    assert functions.finished == 0
    functions.release.set()
    await until(lambda: functions.finished == 1)


async def test_every_request_is_logged_with_its_status_and_request_id(
    client: TestClient[Any, Any], log: io.StringIO
) -> None:
    async with client.get("/?x=1") as response:
        request_id = response.headers["x-amzn-RequestId"]
    (line,) = log.getvalue().splitlines()
    assert line.startswith("ThinkApi")
    assert "GET /?x=1 403 " in line
    assert line.endswith(f"(RequestId: {request_id})")


async def test_request_lines_and_headers_up_to_api_gateways_limit_get_through(
    client: TestClient[Any, Any], functions: Functions
) -> None:
    # Beyond aiohttp's own 8,190 bytes, within API Gateway's 10,240.
    long_query = "q=" + "x" * 9_000
    async with client.get(f"/think?{long_query}", headers={"X-Long": "y" * 9_000}) as response:
        assert response.status == 200
    assert len(functions.events[0]["queryStringParameters"]["q"]) == 9_000
    async with client.get(f"/think?q={'x' * (MAX_REQUEST_LINE + 10)}") as response:
        assert response.status >= 400
    assert len(functions.events) == 1
