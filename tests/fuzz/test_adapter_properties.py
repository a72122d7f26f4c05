"""Properties of the microservice's Lambda adapter: what an API Gateway event says is what the
aiohttp application sees, and what it answers is what API Gateway gets back, for any input."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microservice.adapter import LambdaAdapter, proxy_response_from_http
from tests.support.expected import load_event

TEXT = st.characters(exclude_categories=("Cs",))
# Header names are RFC 9110 tokens; values any Unicode on one line (the adapter folds CR/LF).
TOKEN = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`|~"),
    min_size=1,
    max_size=20,
).filter(lambda name: name.lower() not in {"host", "content-length", "connection",
                                            "transfer-encoding", "keep-alive", "te", "upgrade",
                                            "expect", "content-encoding"})  # fmt: skip
HEADER_VALUE = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), max_codepoint=0xFF), max_size=40
).map(str.strip)
# API Gateway merges header names that differ only in case.
HEADERS = st.dictionaries(TOKEN, HEADER_VALUE, max_size=5).filter(
    lambda headers: len({name.lower() for name in headers}) == len(headers)
)
QUERY = st.dictionaries(
    st.text(TEXT, min_size=1, max_size=12),
    st.lists(st.text(TEXT, max_size=30), min_size=1, max_size=3),
    max_size=4,
)


async def echo(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "query": [[name, value] for name, value in request.query.items()],
            "headers": {name.lower(): value for name, value in request.headers.items()},
            "body": base64.b64encode(await request.read()).decode(),
        }
    )


@pytest.fixture(scope="module")
def adapter() -> Iterator[LambdaAdapter]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    handler = LambdaAdapter(app)
    yield handler
    handler.close()


def _event(query: dict[str, list[str]], headers: dict[str, str], body: bytes) -> dict[str, object]:
    event = load_event("microservice.json")
    event.update(
        httpMethod="POST",
        multiValueQueryStringParameters=query or None,
        queryStringParameters={name: values[-1] for name, values in query.items()} or None,
        multiValueHeaders={name: [value] for name, value in headers.items()},
        headers=headers,
        body=base64.b64encode(body).decode(),
        isBase64Encoded=True,
    )
    return event


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(QUERY, HEADERS, st.binary(max_size=2000))
def test_the_application_sees_the_events_query_headers_and_body(
    adapter: LambdaAdapter, query: dict[str, list[str]], headers: dict[str, str], body: bytes
) -> None:
    result = adapter(_event(query, headers, body))

    assert result["statusCode"] == 200
    seen = json.loads(result["body"])
    assert seen["query"] == [[name, value] for name, values in query.items() for value in values]
    for name, value in headers.items():
        assert seen["headers"][name.lower()] == value
    assert base64.b64decode(seen["body"]) == body


@given(
    # 204 and 304 carry no body, by definition.
    st.integers(200, 599).filter(lambda status: status not in (204, 304)),
    st.sampled_from(["application/json", "text/plain; charset=utf-8", "image/png", ""]),
    st.binary(max_size=2000),
    st.text(TEXT, max_size=200),
)
def test_any_response_maps_to_a_proxy_result_with_the_same_status_and_body(
    status: int, content_type: str, binary: bytes, text: str
) -> None:
    body = text.encode() if content_type.startswith(("text/", "application/json")) else binary
    head = f"HTTP/1.1 {status} Whatever\r\nContent-Length: {len(body)}\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"

    result = proxy_response_from_http(head.encode() + b"\r\n" + body)

    assert result["statusCode"] == status
    if result["isBase64Encoded"]:
        assert base64.b64decode(result["body"]) == body
    else:
        assert result["body"].encode() == body
