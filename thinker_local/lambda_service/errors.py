"""Lambda's error answers: a status, an ``x-amzn-ErrorType`` header and a JSON body.

The bodies are as Lambda's API model (botocore's ``lambda`` service) describes each error:
``{"Type": "User", "message": ...}``, but ``Message`` for ResourceNotFoundException; the 403s
of the signature and authorisation checks carry ``message``/``Message`` alone, as AWS's
front door sends them. A too-large request is ``RequestEntityTooLargeException`` on the wire
(the model's RequestTooLargeException), as Lambda answers it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ..apigw.errors import ERROR_TYPE_HEADER, REQUEST_ID_HEADER, SignatureError

# Lambda's payload limits: a synchronous request or response, an asynchronous request
# (1 MB since October 2025, 256 KB before).
MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_EVENT_PAYLOAD = 1024 * 1024
# ClientContext's limit, base64-encoded.
MAX_CLIENT_CONTEXT = 3583


@dataclass(frozen=True)
class LambdaError(Exception):
    """One of Lambda's error answers."""

    status: int
    error_type: str
    body: dict[str, Any] = field(default_factory=dict)

    def response(self, request_id: str) -> web.Response:
        return web.Response(
            status=self.status,
            body=json.dumps(self.body).encode(),
            content_type="application/json",
            headers={REQUEST_ID_HEADER: request_id, ERROR_TYPE_HEADER: self.error_type},
        )


def _user(status: int, error_type: str, message: str, key: str = "message") -> LambdaError:
    return LambdaError(status, error_type, {"Type": "User", key: message})


def resource_not_found(arn: str) -> LambdaError:
    return _user(404, "ResourceNotFoundException", f"Function not found: {arn}", "Message")


def invalid_parameter(message: str) -> LambdaError:
    return _user(400, "InvalidParameterValueException", message)


def invalid_invocation_type(value: str, allowed: Sequence[str]) -> LambdaError:
    return LambdaError(
        400,
        "ValidationException",
        {
            "message": f"1 validation error detected: Value '{value}' at 'invocationType' failed"
            f" to satisfy constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
        },
    )


def invalid_request_content(message: str) -> LambdaError:
    return _user(400, "InvalidRequestContentException", message)


def payload_not_json(reason: str) -> LambdaError:
    """The request's payload is not JSON (Lambda parses it before invoking)."""
    return invalid_request_content(
        f"Could not parse request body into json: Could not parse payload into json: {reason}"
    )


def client_context_not_json() -> LambdaError:
    return invalid_request_content("Client context must be a valid Base64-encoded JSON object.")


def request_too_large(size: int, event: bool) -> LambdaError:
    if event:
        message = (
            f"{size} byte payload is too large for the Event invocation type"
            f" (limit {MAX_EVENT_PAYLOAD} bytes)"
        )
    else:
        message = (
            f"Request must be smaller than {MAX_SYNC_PAYLOAD} bytes for the InvokeFunction"
            " operation"
        )
    return _user(413, "RequestEntityTooLargeException", message)


def service_error(message: str) -> LambdaError:
    """Lambda could not run the function (here: the stack is stopping, or a role is missing)."""
    return LambdaError(500, "ServiceException", {"Type": "Service", "message": message})


def unknown_operation() -> LambdaError:
    """A method and path that are no operation of Lambda's API."""
    return _user(404, "UnknownOperationException", "Unknown operation")


def signature_failed(error: SignatureError) -> LambdaError:
    """The signature check's failure (:mod:`thinker_local.apigw.sigv4`), as Lambda sends it."""
    return LambdaError(403, error.error_type, {"message": error.message})


def access_denied(
    caller_arn: str, action: str, resource: str, *, explicit_deny: bool
) -> LambdaError:
    """A valid signature whose identity may not invoke the function."""
    why = (
        "with an explicit deny in an identity-based policy"
        if explicit_deny
        else f"because no identity-based policy allows the {action} action"
    )
    message = (
        f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource} {why}"
    )
    return LambdaError(403, "AccessDeniedException", {"Message": message})
