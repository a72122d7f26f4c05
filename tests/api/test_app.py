"""thinker-api's Chalice handler, driven by API Gateway REST events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import app as thinker_api
from chalicelib.microservice import URL_VARIABLE, reset_microservice
from tests.support.expected import load_event
from tests.support.lambda_server import LambdaContext
from tests.support.processes import free_port
from tests.support.stand_ins import StandIn, serving


@pytest.fixture(autouse=True)
def fresh_client() -> Iterator[None]:
    reset_microservice()
    yield
    reset_microservice()


def invoke(event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
    result: dict[str, Any] = thinker_api.app(event, context or LambdaContext("thinker-api", 15))
    return result


def seed_event(**query: list[str] | None) -> dict[str, Any]:
    event = load_event("think.json")
    if query:
        event["multiValueQueryStringParameters"] = query
        event["queryStringParameters"] = {k: v[-1] for k, v in query.items() if v}
    return event


def test_the_microservices_json_is_returned_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    answer = StandIn(body=b'{"technology": {"error": true, "reason": "Subject unknown"}}')
    with serving(answer) as stand_in:
        monkeypatch.setenv(URL_VARIABLE, stand_in.url)
        result = invoke(seed_event())

    assert result["statusCode"] == 200
    assert result["headers"]["Content-Type"] == "application/json"
    assert result["body"] == answer.body.decode()
    assert "subject=technology&subject=foo_bar" in answer.requests[0].path


def test_a_missing_subject_is_400_with_a_json_error(monkeypatch: pytest.MonkeyPatch) -> None:
    event = seed_event()
    event["multiValueQueryStringParameters"] = event["queryStringParameters"] = None

    result = invoke(event)

    assert result["statusCode"] == 400
    assert "subject" in json.loads(result["body"])["error"]


def test_an_unreachable_microservice_is_502_without_internals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(URL_VARIABLE, f"http://127.0.0.1:{free_port()}/")

    result = invoke(seed_event())

    assert result["statusCode"] == 502
    assert json.loads(result["body"]) == {"error": "thinker-microservice is unreachable"}
    assert "Traceback" not in result["body"]
    assert "127.0.0.1" not in result["body"]


def test_the_call_may_take_what_is_left_of_the_lambdas_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with serving(StandIn(hang=True)) as stand_in:
        monkeypatch.setenv(URL_VARIABLE, stand_in.url)
        result = invoke(seed_event(), LambdaContext("thinker-api", timeout_s=0.8))

    assert result["statusCode"] == 504
    assert json.loads(result["body"]) == {"error": "thinker-microservice did not answer in time"}


def test_without_a_microservice_url_the_error_says_misconfigured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(URL_VARIABLE, raising=False)

    result = invoke(seed_event())

    assert result["statusCode"] == 500
    assert json.loads(result["body"]) == {"error": "thinker-api is not configured"}
