"""CloudFormation custom resources, created locally the way a deploy creates them.

For each ``Custom::*`` resource backed by one of the template's functions, the function gets a
CloudFormation ``Create`` request whose ``ResponseURL`` is served here (instead of a pre-signed
S3 URL); the function PUTs its SUCCESS or FAILED answer there, and the stack's start-up waits
for it. A FAILED answer, or none in time, stops the start-up with the function's reason.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from ..lambdafn.runtime import InvocationResult
from ..net import listen, port_of, serve
from ..template import CustomResource, Template
from .account import LocalAccount

Invoke = Callable[[str, bytes], Awaitable[InvocationResult]]
# Beyond the function's own timeout: time to start its environment.
_MARGIN_S = 15.0


class CustomResourceFailed(RuntimeError):
    """A custom resource answered FAILED, or did not answer; the message says which and why."""


class ResponseEndpoint:
    """The local stand-in for CloudFormation's pre-signed ResponseURL."""

    def __init__(self) -> None:
        self._answers: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._runner: web.AppRunner | None = None
        self._base = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_put("/cloudformation/{token}", self._put)
        sock = listen("127.0.0.1", 0)
        self._runner = await serve(app, sock)
        self._base = f"http://127.0.0.1:{port_of(sock)}/cloudformation/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def expect(self) -> tuple[str, asyncio.Future[dict[str, Any]]]:
        """A new ResponseURL and the future its answer lands in."""
        token = uuid.uuid4().hex
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._answers[token] = future
        return self._base + token, future

    async def _put(self, request: web.Request) -> web.Response:
        future = self._answers.pop(request.match_info["token"], None)
        if future is None:
            return web.Response(status=403, text="AccessDenied: unknown or used ResponseURL")
        try:
            answer = json.loads(await request.read())
        except ValueError:
            answer = {"Status": "FAILED", "Reason": "the response body is not JSON"}
        if not future.done():
            future.set_result(answer if isinstance(answer, dict) else {"Status": "FAILED"})
        return web.Response(status=200)


async def create_custom_resources(
    template: Template, invoke: Invoke, account: LocalAccount
) -> list[str]:
    """Create every custom resource in template order; their answers' reasons, for the log."""
    endpoint = ResponseEndpoint()
    await endpoint.start()
    try:
        return [
            await _create(resource, template, invoke, account, endpoint)
            for resource in template.custom_resources
        ]
    finally:
        await endpoint.stop()


def create_event(
    resource: CustomResource, template: Template, account: LocalAccount, response_url: str
) -> dict[str, Any]:
    """CloudFormation's Create request for ``resource``."""
    stack_id = (
        f"arn:{account.partition}:cloudformation:{account.region}:{account.account_id}"
        f":stack/{template.stack_name}/{uuid.uuid4()}"
    )
    return {
        "RequestType": "Create",
        "ServiceToken": resource.properties.get("ServiceToken"),
        "ResponseURL": response_url,
        "StackId": stack_id,
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": resource.logical_id,
        "ResourceType": resource.resource_type,
        "ResourceProperties": dict(resource.properties),
    }


async def _create(
    resource: CustomResource,
    template: Template,
    invoke: Invoke,
    account: LocalAccount,
    endpoint: ResponseEndpoint,
) -> str:
    name = f"{resource.logical_id} ({resource.resource_type})"
    url, answer = endpoint.expect()
    event = create_event(resource, template, account, url)
    result = await invoke(resource.function, json.dumps(event).encode())
    if not result.ok:
        raise CustomResourceFailed(
            f"{name}: {resource.function} failed before answering CloudFormation:"
            f" {result.payload.decode('utf-8', 'replace')}"
        )
    timeout = template.functions[resource.function].timeout_s + _MARGIN_S
    try:
        response = await asyncio.wait_for(answer, timeout)
    except TimeoutError:
        raise CustomResourceFailed(
            f"{name}: {resource.function} never answered on the ResponseURL"
        ) from None
    reason = str(response.get("Reason", ""))
    if response.get("Status") != "SUCCESS":
        raise CustomResourceFailed(f"{name} answered {response.get('Status')}: {reason}")
    return f"{name}: {reason}"


def functions_used(resources: Iterable[CustomResource]) -> set[str]:
    return {resource.function for resource in resources}
