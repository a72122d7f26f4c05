"""The v1 proxy event a request becomes, compared field by field with real API Gateway events.

The samples in events/ are API Gateway REST events as AWS delivers them (``sam local invoke``
uses them too): the request each describes, sent through :func:`proxy_event`, must give the same
event, apart from the ids API Gateway makes up per resource and per request.
"""

from __future__ import annotations

import base64
import calendar
import time
from collections.abc import Sequence
from typing import Any

import pytest

from tests.support.expected import load_event
from thinker_local.apigw.events import HttpRequest, Identity, parse_query, proxy_event
from thinker_local.aws.account import LOCAL_ACCOUNT
from thinker_local.template import Api

# Fields API Gateway makes up itself (per resource, per request) and the samples leave out.
GENERATED = {"resourceId", "extendedRequestId", "domainPrefix"}
# Identity fields events carry today that the samples, taken before they existed, leave out.
NEWER_IDENTITY = {"principalOrgId"}


def api(api_id: str = "abcdef1234", stage: str = "Prod") -> Api:
    return Api(logical_id="Api", name="api", api_id=api_id, stage=stage, port=5000, routes=())


def request_of(sample: dict[str, Any], *, query: str, port: int = 443) -> HttpRequest:
    """The HTTP request a sample event describes (its headers in order, repeated names kept)."""
    headers = [
        (name, value) for name, values in sample["multiValueHeaders"].items() for value in values
    ]
    return HttpRequest(
        method=sample["httpMethod"],
        path=sample["path"],
        query=query,
        headers=headers,
        body=b"",
        source_ip=sample["requestContext"]["identity"]["sourceIp"],
        scheme="https",
        port=port,
    )


def without_generated(event: dict[str, Any]) -> dict[str, Any]:
    context = {k: v for k, v in event["requestContext"].items() if k not in GENERATED}
    identity = {k: v for k, v in context["identity"].items() if k not in NEWER_IDENTITY}
    return {**event, "requestContext": {**context, "identity": identity}}


@pytest.mark.parametrize(
    ("sample_name", "identity"),
    [
        ("think.json", None),
        (
            "microservice.json",
            Identity(
                access_key="AKIAIOSFODNN7EXAMPLE",
                account_id="123456789012",
                caller="AROAEXAMPLE:thinker-ThinkerApiFunction",
                user="AROAEXAMPLE:thinker-ThinkerApiFunction",
                user_arn=(
                    "arn:aws:sts::123456789012:assumed-role/thinker-ThinkerApiFunctionRole"
                    "/thinker-ThinkerApiFunction"
                ),
            ),
        ),
    ],
)
def test_the_request_of_a_sample_event_gives_that_event(
    sample_name: str, identity: Identity | None
) -> None:
    sample = load_event(sample_name)
    context = sample["requestContext"]
    event = proxy_event(
        request_of(sample, query="subject=technology&subject=foo_bar"),
        api=api(context["apiId"], context["stage"]),
        resource=sample["resource"],
        path_parameters={},
        account=LOCAL_ACCOUNT,
        request_id=context["requestId"],
        identity=identity,
        now=context["requestTimeEpoch"] / 1000,
    )
    assert without_generated(event) == without_generated(sample)


def event_for(
    method: str = "GET",
    path: str = "/think",
    *,
    query: str = "",
    headers: Sequence[tuple[str, str]] = (("Host", "127.0.0.1:5000"),),
    body: bytes = b"",
    resource: str = "/think",
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    request = HttpRequest(
        method=method,
        path=path,
        query=query,
        headers=headers,
        body=body,
        source_ip="127.0.0.9",
        port=5000,
    )
    return proxy_event(
        request,
        api=api(),
        resource=resource,
        path_parameters=path_parameters or {},
        account=LOCAL_ACCOUNT,
    )


def test_repeated_headers_keep_every_value_and_the_single_map_the_last() -> None:
    event = event_for(headers=[("Host", "h"), ("Accept", "a/b"), ("Accept", "c/d")])
    assert event["multiValueHeaders"]["Accept"] == ["a/b", "c/d"]
    assert event["headers"]["Accept"] == "c/d"


def test_the_forwarding_headers_are_added_unless_the_client_sent_them() -> None:
    added = event_for()
    assert added["multiValueHeaders"]["X-Forwarded-For"] == ["127.0.0.9"]
    assert added["headers"]["X-Forwarded-Port"] == "5000"
    assert added["headers"]["X-Forwarded-Proto"] == "http"
    kept = event_for(headers=[("x-forwarded-for", "10.0.0.1")])
    assert kept["multiValueHeaders"]["x-forwarded-for"] == ["10.0.0.1"]
    assert "X-Forwarded-For" not in kept["multiValueHeaders"]


def test_the_query_string_is_percent_decoded_with_repeated_names_kept() -> None:
    event = event_for(query="q=a%20b&q=%E2%9C%93&flag&empty=")
    assert event["multiValueQueryStringParameters"] == {
        "q": ["a b", "\u2713"],
        "flag": [""],
        "empty": [""],
    }
    assert event["queryStringParameters"] == {"q": "\u2713", "flag": "", "empty": ""}


def test_no_query_no_parameters_are_null_not_empty() -> None:
    event = event_for()
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    assert parse_query("&&") == {}


@pytest.mark.parametrize(
    ("resource", "path", "parameters"),
    [
        ("/items/{id}", "/items/42", {"id": "42"}),
        ("/{proxy+}", "/a/b/c", {"proxy": "a/b/c"}),
    ],
)
def test_path_parameters_and_the_resource_template(
    resource: str, path: str, parameters: dict[str, str]
) -> None:
    event = event_for("POST", path, resource=resource, path_parameters=parameters)
    assert event["pathParameters"] == parameters
    assert event["resource"] == event["requestContext"]["resourcePath"] == resource
    assert event["path"] == path
    assert event["requestContext"]["path"] == f"/Prod{path}"
    assert event["httpMethod"] == event["requestContext"]["httpMethod"] == "POST"


def test_a_utf8_body_is_text_and_anything_else_base64() -> None:
    text = event_for("POST", body='{"a": "\u00e9"}'.encode())
    assert (text["body"], text["isBase64Encoded"]) == ('{"a": "\u00e9"}', False)
    binary = event_for("POST", body=b"\xff\x00\xfe")
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\xff\x00\xfe"


def test_the_request_context_describes_the_stage_the_host_and_the_caller() -> None:
    event = event_for(
        headers=[("Host", "abcdef1234.execute-api.local:5000"), ("User-Agent", "ua/1")]
    )
    context = event["requestContext"]
    assert context["stage"] == "Prod"
    assert context["apiId"] == "abcdef1234"
    assert context["accountId"] == LOCAL_ACCOUNT.account_id
    assert context["domainName"] == "abcdef1234.execute-api.local:5000"
    assert context["domainPrefix"] == "abcdef1234"
    assert context["identity"]["sourceIp"] == "127.0.0.9"
    assert context["identity"]["userAgent"] == "ua/1"
    # No signature, no caller: IAM fields stay null as on an open route.
    assert context["identity"]["accessKey"] is None
    assert context["identity"]["userArn"] is None


def test_each_request_gets_its_own_id_and_each_resource_a_stable_one() -> None:
    first, second = event_for(), event_for()
    assert first["requestContext"]["requestId"] != second["requestContext"]["requestId"]
    assert first["requestContext"]["resourceId"] == second["requestContext"]["resourceId"]
    assert len(first["requestContext"]["resourceId"]) == 6
    other = event_for(resource="/other")
    assert other["requestContext"]["resourceId"] != first["requestContext"]["resourceId"]


def test_the_request_time_is_now_in_milliseconds_and_in_api_gateways_format() -> None:
    before = int(time.time() * 1000)
    context = event_for()["requestContext"]
    assert before <= context["requestTimeEpoch"] <= int(time.time() * 1000)
    stamp = time.strptime(context["requestTime"], "%d/%b/%Y:%H:%M:%S +0000")
    assert abs(calendar.timegm(stamp) - context["requestTimeEpoch"] / 1000) < 1
