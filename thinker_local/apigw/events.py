"""API Gateway REST (payload v1) proxy integration: the event a request becomes, and back.

:func:`proxy_event` builds the event exactly as API Gateway builds it for a Lambda proxy
integration, so the handler (Chalice dispatching on ``requestContext.resourcePath``, Datadog's
inferred ``aws.apigateway`` span reading ``requestContext``) sees what it sees in AWS.
:func:`http_response` maps the function's answer back, and rejects what API Gateway rejects.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ..aws.account import LocalAccount
from ..template import Api

# Keys a proxy response may have; any other key makes API Gateway answer 502.
_RESPONSE_KEYS = frozenset(
    {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
)


@dataclass(frozen=True)
class HttpRequest:
    """An incoming HTTP request, as the gateway received it."""

    method: str
    path: str  # as sent (percent-encoded, as API Gateway reports it), without the query
    query: str  # raw, as sent
    headers: Sequence[tuple[str, str]]  # in order, repeated names kept
    body: bytes
    source_ip: str
    scheme: str = "http"
    port: int = 80


@dataclass(frozen=True)
class Identity:
    """Who signed the request (AWS_IAM routes), as API Gateway reports it."""

    access_key: str
    account_id: str
    caller: str
    user: str
    user_arn: str


@dataclass(frozen=True)
class HttpResponse:
    """What the gateway sends back to the client."""

    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes


class MalformedProxyResponse(ValueError):
    """The function answered something API Gateway cannot turn into an HTTP response."""


def parse_query(query: str) -> dict[str, list[str]]:
    """The query string as API Gateway decodes it: percent-decoding, repeated names kept."""
    values: dict[str, list[str]] = {}
    for pair in query.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        values.setdefault(unquote(name), []).append(unquote(value))
    return values


def proxy_event(
    request: HttpRequest,
    *,
    api: Api,
    resource: str,
    path_parameters: Mapping[str, str],
    account: LocalAccount,
    request_id: str | None = None,
    identity: Identity | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The v1 proxy event for ``request`` matched to ``resource`` on ``api``."""
    now = time.time() if now is None else now
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        multi_headers.setdefault(name, []).append(value)
    # API Gateway adds these, as a load balancer would.
    for name, value in (
        ("X-Forwarded-For", request.source_ip),
        ("X-Forwarded-Port", str(request.port)),
        ("X-Forwarded-Proto", request.scheme),
    ):
        if not any(existing.lower() == name.lower() for existing in multi_headers):
            multi_headers[name] = [value]
    query = parse_query(request.query)
    host = next((v[-1] for k, v in multi_headers.items() if k.lower() == "host"), "localhost")
    domain_name = host.split(":", 1)[0]

    body: str | None = None
    is_base64 = False
    if request.body:
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            body, is_base64 = base64.b64encode(request.body).decode("ascii"), True

    request_id = request_id or str(uuid.uuid4())
    user_agent = next((v[-1] for k, v in multi_headers.items() if k.lower() == "user-agent"), None)
    return {
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": _resource_id(api.api_id, resource),
            "resourcePath": resource,
            "httpMethod": request.method,
            "extendedRequestId": base64.b64encode(uuid.UUID(request_id).bytes[:12]).decode(),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{api.stage}{request.path}",
            "accountId": account.account_id,
            "protocol": "HTTP/1.1",
            "stage": api.stage,
            "domainPrefix": domain_name.split(".", 1)[0],
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": identity.account_id if identity else None,
                "cognitoIdentityId": None,
                "caller": identity.caller if identity else None,
                "sourceIp": request.source_ip,
                "principalOrgId": None,
                "accessKey": identity.access_key if identity else None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": identity.user_arn if identity else None,
                "userAgent": user_agent,
                "user": identity.user if identity else None,
            },
            "domainName": host,
            "apiId": api.api_id,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def http_response(payload: bytes) -> HttpResponse:
    """The HTTP response for a function's proxy response, or :class:`MalformedProxyResponse`."""
    try:
        answer = json.loads(payload)
    except ValueError:
        raise MalformedProxyResponse("the function's output is not JSON") from None
    if not isinstance(answer, dict):
        raise MalformedProxyResponse("the function's output is not a JSON object")
    unknown = set(answer) - _RESPONSE_KEYS
    if unknown:
        raise MalformedProxyResponse(f"unexpected keys in the proxy response: {sorted(unknown)}")
    status = answer.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedProxyResponse(f"statusCode must be an HTTP status, got {status!r}")

    headers = _merged_headers(answer.get("headers"), answer.get("multiValueHeaders"))
    body = answer.get("body")
    if body is None:
        raw = b""
    elif not isinstance(body, str):
        raise MalformedProxyResponse("body must be a string")
    elif answer.get("isBase64Encoded") is True:
        try:
            raw = base64.b64decode(body, validate=True)
        except binascii.Error:
            raise MalformedProxyResponse("isBase64Encoded is true but body is not base64") from None
    else:
        raw = body.encode("utf-8")
    return HttpResponse(status=status, headers=headers, body=raw)


def _merged_headers(single: Any, multi: Any) -> list[tuple[str, str]]:
    """Both header maps as one list; for a name in both, multiValueHeaders' values win."""
    if single is not None and not isinstance(single, dict):
        raise MalformedProxyResponse("headers must be an object")
    if multi is not None and not isinstance(multi, dict):
        raise MalformedProxyResponse("multiValueHeaders must be an object")
    merged: list[tuple[str, str]] = []
    multi = multi or {}
    lower_multi = {name.lower() for name in multi}
    for name, value in (single or {}).items():
        if name.lower() not in lower_multi:
            merged.append((name, _header_value(value)))
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse("multiValueHeaders values must be lists")
        merged.extend((name, _header_value(value)) for value in values)
    return merged


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedProxyResponse(f"a header value must be a string, got {value!r}")


def _resource_id(api_id: str, resource: str) -> str:
    """A stable 6-character id per resource, like API Gateway's."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{api_id}{resource}").hex[:6]
