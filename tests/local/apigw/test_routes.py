"""API Gateway's route choice and proxy-response checks, in process (no stack, no sockets).

The tables follow API Gateway's documented rules: a literal segment beats ``{param}``, which beats
``{proxy+}``; the resource is chosen before the method, and ANY only when no method matches.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from thinker_local.apigw.events import MalformedProxyResponse, http_response
from thinker_local.apigw.gateway import match_route
from thinker_local.template import Route


def route(method: str, path: str, function: str) -> Route:
    return Route(method=method, path=path, function=function, iam_auth=False, timeout_ms=29_000)


ROUTES = [
    route("GET", "/think", "Think"),
    route("ANY", "/think", "ThinkAny"),
    route("GET", "/items/{id}", "Item"),
    route("GET", "/items/special", "Special"),
    route("ANY", "/{proxy+}", "Proxy"),
    route("POST", "/only-post", "OnlyPost"),
]


@pytest.mark.parametrize(
    ("method", "path", "function", "parameters"),
    [
        ("GET", "/think", "Think", {}),
        ("GET", "/think/", "Think", {}),  # a trailing slash is the same resource
        ("DELETE", "/think", "ThinkAny", {}),  # ANY when no method matches
        ("GET", "/items/special", "Special", {}),  # literal beats {param}
        ("GET", "/items/42", "Item", {"id": "42"}),
        ("GET", "/items/42/parts", "Proxy", {"proxy": "items/42/parts"}),  # {proxy+} last
        ("PUT", "/anything/else", "Proxy", {"proxy": "anything/else"}),
    ],
)
def test_route_precedence(
    method: str, path: str, function: str, parameters: dict[str, str]
) -> None:
    match = match_route(ROUTES, method, path)
    assert match is not None
    assert (match.route.function, match.path_parameters) == (function, parameters)


def test_a_known_resource_with_an_unknown_method_is_no_match() -> None:
    assert match_route(ROUTES, "GET", "/only-post") is None
    assert match_route([route("GET", "/think", "Think")], "GET", "/elsewhere") is None


def payload(**answer: Any) -> bytes:
    return json.dumps(answer).encode()


def test_a_proxy_response_becomes_the_http_response() -> None:
    response = http_response(
        payload(
            statusCode="201",
            headers={"A": "1", "B": True},
            multiValueHeaders={"a": ["2", "3"]},
            body=base64.b64encode(b"\x00\x01").decode(),
            isBase64Encoded=True,
        )
    )
    assert response.status == 201
    assert response.headers == [("B", "true"), ("a", "2"), ("a", "3")]
    assert response.body == b"\x00\x01"


def test_multi_value_headers_win_over_headers_of_any_casing() -> None:
    response = http_response(
        payload(
            statusCode=204,
            headers={"Set-Cookie": "lost=1", "X-Count": 3, "X-Ratio": 0.5},
            multiValueHeaders={"set-cookie": ["a=1", "b=2"]},
        )
    )
    assert response.status == 204
    assert response.headers == [
        ("X-Count", "3"),
        ("X-Ratio", "0.5"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
    ]
    assert response.body == b""  # no body at all is an empty one


def test_a_text_body_is_sent_as_utf8() -> None:
    assert http_response(payload(statusCode=200, body="caf\u00e9")).body == "caf\u00e9".encode()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1]", "not a JSON object"),
        (payload(statusCode=200, extra=1), "unexpected keys"),
        (payload(body="no status"), "statusCode must be an HTTP status"),
        (payload(statusCode="OK"), "statusCode must be an HTTP status"),
        (payload(statusCode=200.5), "statusCode must be an HTTP status"),
        (payload(statusCode=600), "statusCode must be an HTTP status"),
        (b"null", "not a JSON object"),
        (payload(statusCode=99), "statusCode must be an HTTP status"),
        (payload(statusCode=True), "statusCode must be an HTTP status"),
        (payload(statusCode=200, body=1), "body must be a string"),
        (payload(statusCode=200, body="%%", isBase64Encoded=True), "not base64"),
        (payload(statusCode=200, headers=[]), "headers must be an object"),
        (payload(statusCode=200, multiValueHeaders={"a": "1"}), "values must be lists"),
        (payload(statusCode=200, headers={"a": {}}), "a header value must be a string"),
    ],
)
def test_what_api_gateway_rejects_is_a_malformed_proxy_response(raw: bytes, message: str) -> None:
    with pytest.raises(MalformedProxyResponse, match=message):
        http_response(raw)
