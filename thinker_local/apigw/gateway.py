"""API Gateway (REST) for one API of the template: an aiohttp server in front of the functions.

A request goes: route matching (API Gateway's rules) → on AWS_IAM routes, the SigV4 check and
then IAM: the signer's policies must allow ``execute-api:Invoke`` on the method's ARN
(:mod:`thinker_local.aws.iam`) → the v1 proxy event (:mod:`thinker_local.apigw.events`) → an
invocation of the route's function (:mod:`thinker_local.lambdafn.pool`) → the proxy response
mapped back to HTTP.
Failures answer what API Gateway answers (:mod:`thinker_local.apigw.errors`): 403 for an
unknown route, a bad signature or a caller IAM does not allow, 502 when the function fails or
answers something malformed, 504 when the integration takes longer than its timeout.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web
from multidict import CIMultiDict

from ..aws.account import LocalAccount
from ..aws.iam import LocalIam
from ..lambdafn.pool import LambdaService
from ..output import Output
from ..template import Api, Route
from .errors import (
    ENDPOINT_REQUEST_TIMED_OUT,
    INTERNAL_SERVER_ERROR,
    REQUEST_ID_HEADER,
    SignatureError,
    missing_authentication_token,
    not_authorized,
)
from .events import HttpRequest, Identity, MalformedProxyResponse, http_response, proxy_event
from .sigv4 import verify

# API Gateway's payload limit.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
_HOP_BY_HOP = frozenset({"connection", "content-length", "keep-alive", "transfer-encoding"})
_PROXY = re.compile(r"^\{(\w+)\+\}$")
_PARAMETER = re.compile(r"^\{(\w+)\}$")
INVOKE = "execute-api:Invoke"


@dataclass(frozen=True)
class RouteMatch:
    """The resource a request landed on, the route (method) on it, and its path parameters."""

    route: Route
    path_parameters: dict[str, str]


def match_route(routes: Sequence[Route], method: str, path: str) -> RouteMatch | None:
    """The route API Gateway would pick for ``method path``, or None (403 in API Gateway).

    A trailing slash is ignored (``/think/`` is resource ``/think``); a literal segment beats
    ``{param}``, which beats ``{proxy+}``. The resource is chosen first, then the method on
    it: a known resource with an unknown method is no match either.
    """
    segments = [segment for segment in path.split("/") if segment]
    best: tuple[tuple[int, ...], str, dict[str, str]] | None = None
    for resource in {route.path for route in routes}:
        matched = _match_resource(resource, segments)
        if matched is not None and (best is None or matched[0] > best[0]):
            best = (matched[0], resource, matched[1])
    if best is None:
        return None
    _, resource, parameters = best
    on_resource = [route for route in routes if route.path == resource]
    for wanted in (method.upper(), "ANY"):
        for route in on_resource:
            if route.method == wanted:
                return RouteMatch(route, parameters)
    return None


def _match_resource(
    resource: str, segments: list[str]
) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """How specifically ``resource`` matches (higher is better) and its parameters, or None."""
    parts = [part for part in resource.split("/") if part]
    score: list[int] = []
    parameters: dict[str, str] = {}
    for index, part in enumerate(parts):
        proxy = _PROXY.match(part)
        if proxy:
            if index >= len(segments):
                return None
            parameters[proxy.group(1)] = "/".join(segments[index:])
            score.append(0)
            return tuple(score), parameters
        if index >= len(segments):
            return None
        parameter = _PARAMETER.match(part)
        if parameter:
            parameters[parameter.group(1)] = segments[index]
            score.append(1)
        elif part == segments[index]:
            score.append(2)
        else:
            return None
    if len(parts) != len(segments):
        return None
    return tuple(score), parameters


class Gateway:
    """The HTTP front of one API: matches, authorises, invokes, answers."""

    def __init__(
        self,
        api: Api,
        functions: LambdaService,
        *,
        account: LocalAccount,
        iam: LocalIam,
        output: Output,
    ) -> None:
        self.api = api
        self._functions = functions
        self._account = account
        self._iam = iam
        self._output = output
        # Invocations the client stopped waiting for (504) still run to their end, as in AWS.
        self._abandoned: set[asyncio.Task[object]] = set()

    def create_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/{path:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        response = await self._answer(request, request_id)
        elapsed_ms = (time.monotonic() - started) * 1000
        self._output.line(
            self.api.logical_id,
            f"{request.method} {request.path_qs} {response.status} {elapsed_ms:.1f} ms"
            f" (RequestId: {request_id})",
        )
        return response

    async def _answer(self, request: web.Request, request_id: str) -> web.Response:
        # API Gateway matches and reports the path as sent: "%2F" stays inside its segment.
        path = request.raw_path.split("?", 1)[0]
        match = match_route(self.api.routes, request.method, path)
        if match is None:
            return missing_authentication_token().answer.response(request_id)
        body = await request.read()
        headers = list(request.headers.items())
        identity = None
        if match.route.iam_auth:
            try:
                signed = verify(
                    method=request.method,
                    raw_path=path,
                    query=request.query_string,
                    headers=headers,
                    body=body,
                    account=self._account,
                    keys=self._iam.signing_credentials,
                )
            except SignatureError as error:
                return error.answer.response(request_id)
            caller = self._iam.caller(signed.access_key)
            assert caller is not None, "a signature checks out only with a key issued here"
            resource = self._method_arn(request.method, request.path)
            decision = self._iam.authorize(caller, INVOKE, resource)
            if not decision.allowed:
                denied = not_authorized(
                    caller.arn,
                    INVOKE,
                    resource,
                    self._account.account_id,
                    explicit_deny=decision.explicit_deny,
                )
                return denied.response(request_id)
            identity = Identity(
                access_key=signed.access_key,
                account_id=caller.account_id,
                caller=caller.user_id,
                user=caller.user_id,
                user_arn=caller.arn,
            )

        port = _local_port(request)
        event = proxy_event(
            HttpRequest(
                method=request.method,
                path=path,
                query=request.query_string,
                headers=headers,
                body=body,
                source_ip=request.remote or "127.0.0.1",
                port=port,
            ),
            api=self.api,
            resource=match.route.path,
            path_parameters=match.path_parameters,
            account=self._account,
            request_id=request_id,
            identity=identity,
        )
        invocation = asyncio.ensure_future(
            self._functions.invoke(match.route.function, json.dumps(event).encode())
        )
        try:
            result = await asyncio.wait_for(
                asyncio.shield(invocation), match.route.timeout_ms / 1000
            )
        except TimeoutError:
            self._abandoned.add(invocation)
            invocation.add_done_callback(self._abandoned.discard)
            return ENDPOINT_REQUEST_TIMED_OUT.response(request_id)
        if not result.ok:
            return INTERNAL_SERVER_ERROR.response(request_id)
        try:
            answer = http_response(result.payload)
        except MalformedProxyResponse as error:
            self._output.line(
                self.api.logical_id,
                f"Execution failed due to configuration error: Malformed Lambda proxy response"
                f" ({error})",
            )
            return INTERNAL_SERVER_ERROR.response(request_id)

        response_headers: CIMultiDict[str] = CIMultiDict()
        for name, value in answer.headers:
            if name.lower() not in _HOP_BY_HOP:
                response_headers.add(name, value)
        response_headers.setdefault("Content-Type", "application/json")
        response_headers[REQUEST_ID_HEADER] = request_id
        return web.Response(status=answer.status, headers=response_headers, body=answer.body)

    def _method_arn(self, method: str, path: str) -> str:
        """The ARN IAM policies name a request by: ``…:API/STAGE/METHOD/PATH``."""
        a, api = self._account, self.api
        return (
            f"arn:{a.partition}:execute-api:{a.region}:{a.account_id}"
            f":{api.api_id}/{api.stage}/{method.upper()}/{path.lstrip('/')}"
        )


def _local_port(request: web.Request) -> int:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return int(sockname[1]) if sockname else 80
