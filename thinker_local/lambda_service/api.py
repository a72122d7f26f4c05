"""The Invoke API's HTTP front: ``POST /2015-03-31/functions/{name}/invocations``.

A call goes: the payload's size (Lambda's limits) → the SigV4 check, signing name ``lambda``
(:mod:`thinker_local.apigw.sigv4`) → the function it names (:mod:`.names`) → IAM: the signer's
policies must allow ``lambda:InvokeFunction`` on the function's ARN (:mod:`thinker_local.aws.iam`)
→ by ``X-Amz-Invocation-Type``: ``DryRun`` answers 204; ``Event`` queues the invocation
(:mod:`.events`) and answers 202; ``RequestResponse`` (the default) runs it in one of the
function's environments (:mod:`thinker_local.lambdafn.pool`) and answers 200 with its result, with
``X-Amz-Function-Error: Unhandled`` when the function failed and, for ``X-Amz-Log-Type: Tail``,
the log's last 4 KB (:mod:`.tail`). ``X-Amz-Client-Context`` (base64 JSON) reaches the handler
as ``context.client_context``, for synchronous invocations only, as on AWS. Every other
failure is one of Lambda's error answers (:mod:`.errors`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
import uuid
from collections.abc import Iterable

from aiohttp import web

from ..apigw.errors import REQUEST_ID_HEADER, SignatureError
from ..apigw.sigv4 import verify
from ..aws.account import LocalAccount
from ..aws.iam import LocalIam
from ..hosts import allowed_hosts_middleware, browsers_refused_middleware
from ..lambdafn.pool import LambdaService
from ..lambdafn.runtime import InvocationResult
from ..output import Output
from . import errors
from .errors import MAX_CLIENT_CONTEXT, MAX_EVENT_PAYLOAD, MAX_SYNC_PAYLOAD, LambdaError
from .events import EventInvocations
from .names import LATEST, NamedFunction, resolve
from .tail import LogTails

INVOKE = "lambda:InvokeFunction"
SIGNING_NAME = "lambda"
INVOCATIONS_PATH = "/2015-03-31/functions/{name}/invocations"
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
# The name the API's lines carry in the stack's output.
SOURCE = "Lambda API"
BROWSER_REFUSED = "this local Lambda API takes SDK and CLI calls, not calls from web pages"


class LambdaApi:
    """Lambda's Invoke API over the functions of the template."""

    def __init__(
        self,
        functions: LambdaService,
        *,
        account: LocalAccount,
        iam: LocalIam,
        output: Output,
        allow_hosts: Iterable[str] = (),
    ) -> None:
        """``allow_hosts``: the names it answers besides loopback ones (``--allow-host``)."""
        self._allow_hosts = tuple(allow_hosts)
        self._functions = functions
        self._account = account
        self._iam = iam
        self._output = output
        self._tails = LogTails(output)
        self.events = EventInvocations(self._run, output)
        # Synchronous invocations under way: the stop ends them (a debugged one may never end).
        self._running: set[asyncio.Future[InvocationResult]] = set()
        self._closing = False

    def create_app(self) -> web.Application:
        # One byte over the limit is enough to tell a too-large request (answered below).
        app = web.Application(
            client_max_size=MAX_SYNC_PAYLOAD + 1,
            middlewares=[
                allowed_hosts_middleware(self._allow_hosts),
                # SDKs and the CLI send neither Origin nor Sec-Fetch-Site: a web page does.
                browsers_refused_middleware(BROWSER_REFUSED),
            ],
        )
        app.router.add_post(INVOCATIONS_PATH, self.handle)
        app.router.add_route("*", "/{path:.*}", self._unknown)
        return app

    async def close(self) -> None:
        """Stop: the synchronous invocations under way answer ServiceException, the Event
        invocations not finished are dropped."""
        self._closing = True
        for invocation in self._running:
            invocation.cancel()
        await self.events.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        try:
            response, what = await self._answer(request, request_id)
        except LambdaError as error:
            response, what = error.response(request_id), error.error_type
        elapsed_ms = (time.monotonic() - started) * 1000
        self._output.line(
            SOURCE,
            f"Invoke {request.match_info['name']} {what} {response.status} {elapsed_ms:.1f} ms"
            f" (RequestId: {request_id})",
        )
        return response

    async def _unknown(self, request: web.Request) -> web.StreamResponse:
        return errors.unknown_operation().response(str(uuid.uuid4()))

    async def _answer(self, request: web.Request, request_id: str) -> tuple[web.Response, str]:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise errors.request_too_large(request.content_length or 0, event=False) from None
        named = self._authorized(request, body)
        invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type not in INVOCATION_TYPES:
            raise errors.invalid_invocation_type(invocation_type, INVOCATION_TYPES)
        if invocation_type == "DryRun":
            return web.Response(status=204, headers={REQUEST_ID_HEADER: request_id}), "DryRun"
        payload = _json_payload(body)
        if invocation_type == "Event":
            if len(payload) > MAX_EVENT_PAYLOAD:
                raise errors.request_too_large(len(payload), event=True)
            self.events.submit(named.logical_id, payload, request_id)
            return web.Response(status=202, headers={REQUEST_ID_HEADER: request_id}), "Event"
        client_context = _client_context(request.headers.get("X-Amz-Client-Context"))
        tail = request.headers.get("X-Amz-Log-Type") == "Tail"
        if tail:
            self._tails.watch(request_id)
        invocation = asyncio.ensure_future(
            self._functions.invoke(named.logical_id, payload, request_id, client_context)
        )
        self._running.add(invocation)
        invocation.add_done_callback(self._running.discard)
        try:
            result = await invocation
        except asyncio.CancelledError:
            if not self._closing:
                raise
            raise errors.service_error("the local stack is stopping") from None
        except RuntimeError as error:  # no environment: the pool is closing, or no credentials
            raise errors.service_error(str(error)) from None
        finally:
            log = self._tails.take(request_id) if tail else None
        return _result_response(result, request_id, log), "RequestResponse"

    def _authorized(self, request: web.Request, body: bytes) -> NamedFunction:
        """The function called, once the signature checks out and IAM allows the signer."""
        try:
            signed = verify(
                method=request.method,
                raw_path=request.raw_path.split("?", 1)[0],
                query=request.query_string,
                headers=list(request.headers.items()),
                body=body,
                account=self._account,
                keys=self._iam.signing_credentials,
                expected_service=SIGNING_NAME,
            )
        except SignatureError as error:
            raise errors.signature_failed(error) from None
        caller = self._iam.caller(signed.access_key)
        assert caller is not None, "a signature checks out only with a key issued here"
        named = self._named(request)
        decision = self._iam.authorize(caller, INVOKE, named.arn)
        if not decision.allowed:
            raise errors.access_denied(
                caller.arn, INVOKE, named.arn, explicit_deny=decision.explicit_deny
            )
        return named

    def _named(self, request: web.Request) -> NamedFunction:
        functions = {
            logical_id: pool.function for logical_id, pool in self._functions.pools.items()
        }
        return resolve(
            functions, self._account, request.match_info["name"], request.query.get("Qualifier")
        )

    async def _run(self, logical_id: str, payload: bytes, request_id: str) -> InvocationResult:
        """An Event invocation: without the ClientContext, which Lambda passes to synchronous
        invocations only."""
        return await self._functions.invoke(logical_id, payload, request_id)


def _json_payload(body: bytes) -> bytes:
    """The payload the function gets: the body if it is JSON, ``{}`` for none."""
    if not body.strip():
        return b"{}"
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise errors.payload_not_json(str(error)) from None
    return body


def _client_context(header: str | None) -> str | None:
    """The ClientContext as the runtime gets it: JSON, decoded from the header's base64."""
    if header is None:
        return None
    if len(header) > MAX_CLIENT_CONTEXT:
        raise errors.invalid_parameter(
            f"Client context must be at most {MAX_CLIENT_CONTEXT} bytes, base64-encoded."
        )
    try:
        document = base64.b64decode(header, validate=True).decode()
        if not isinstance(json.loads(document), dict):
            raise ValueError("not an object")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise errors.client_context_not_json() from None
    return document


def _result_response(result: InvocationResult, request_id: str, log: str | None) -> web.Response:
    headers = {REQUEST_ID_HEADER: request_id, "X-Amz-Executed-Version": LATEST}
    payload = result.payload
    failed = not result.ok
    if len(payload) > MAX_SYNC_PAYLOAD:
        payload = json.dumps(
            {
                "errorMessage": "Response payload size exceeded maximum allowed payload size"
                f" ({MAX_SYNC_PAYLOAD} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            }
        ).encode()
        failed = True
    if failed:
        headers["X-Amz-Function-Error"] = "Unhandled"
    if log is not None:
        headers["X-Amz-Log-Result"] = log
    return web.Response(status=200, body=payload, content_type="application/json", headers=headers)
