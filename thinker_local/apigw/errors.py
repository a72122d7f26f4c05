"""API Gateway's own answers: what a client gets when a request does not end in a function's.

Each is a status, a JSON body and (mostly) an ``x-amzn-ErrorType`` header, byte for byte as
API Gateway sends them; AWS writes some bodies with a space after the colon and some without,
and the 403 of IAM says ``Message`` where the others say ``message``.

- 403: no route for the method and path, or an unsigned request on an ``AWS_IAM`` route
  (:func:`missing_authentication_token`); a signature that does not check out
  (:class:`SignatureError`, raised by :mod:`thinker_local.apigw.sigv4`); a signer IAM does not allow
  (:func:`not_authorized`);
- 502: the function failed or answered a malformed proxy response (:data:`INTERNAL_SERVER_ERROR`);
- 504: the integration took longer than its timeout (:data:`ENDPOINT_REQUEST_TIMED_OUT`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aiohttp import web

REQUEST_ID_HEADER = "x-amzn-RequestId"
ERROR_TYPE_HEADER = "x-amzn-ErrorType"


@dataclass(frozen=True)
class GatewayError:
    """One of API Gateway's error answers."""

    status: int
    body: bytes
    error_type: str | None = None

    def response(self, request_id: str) -> web.Response:
        headers = {REQUEST_ID_HEADER: request_id}
        if self.error_type:
            headers[ERROR_TYPE_HEADER] = self.error_type
        return web.Response(
            status=self.status, body=self.body, content_type="application/json", headers=headers
        )


INTERNAL_SERVER_ERROR = GatewayError(
    502, b'{"message": "Internal server error"}', "InternalServerErrorException"
)
ENDPOINT_REQUEST_TIMED_OUT = GatewayError(504, b'{"message": "Endpoint request timed out"}')


def _compact(document: dict[str, str]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


class SignatureError(Exception):
    """The request is not signed as API Gateway requires; ``message`` is its answer (403)."""

    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type  # API Gateway's x-amzn-ErrorType

    @property
    def answer(self) -> GatewayError:
        return GatewayError(403, _compact({"message": self.message}), self.error_type)

    @classmethod
    def incomplete(cls, message: str) -> SignatureError:
        """The Authorization header lacks something SigV4 needs."""
        return cls(message, "IncompleteSignatureException")

    @classmethod
    def invalid(cls, message: str) -> SignatureError:
        """The signature's scope or value is wrong."""
        return cls(message, "InvalidSignatureException")


def missing_authentication_token() -> SignatureError:
    """API Gateway's answer to an unsigned request (and to an unknown route)."""
    return SignatureError("Missing Authentication Token", "MissingAuthenticationTokenException")


def unrecognized_client() -> SignatureError:
    """A key nobody was given, or a session token that is not the key's."""
    return SignatureError(
        "The security token included in the request is invalid.", "UnrecognizedClientException"
    )


def expired_token() -> SignatureError:
    """A session past its expiry."""
    return SignatureError(
        "The security token included in the request is expired", "ExpiredTokenException"
    )


def not_authorized(
    caller_arn: str, action: str, resource: str, account_id: str, *, explicit_deny: bool
) -> GatewayError:
    """API Gateway's answer to a valid signature whose identity may not call the route."""
    # API Gateway masks all but the last four digits of the account in the resource.
    masked = f":{'*' * (len(account_id) - 4)}{account_id[-4:]}:"
    shown = resource.replace(f":{account_id}:", masked, 1)
    message = f"User: {caller_arn} is not authorized to perform: {action} on resource: {shown}"
    if explicit_deny:
        message += " with an explicit deny"
    return GatewayError(403, _compact({"Message": message}), "AccessDeniedException")
