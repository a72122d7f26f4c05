"""What moto's IAM access control lacks to answer as AWS does, added inside moto's server process.

moto (5.2.5) checks every request against the caller's identity-based policies once its
``INITIAL_NO_AUTH_ACTION_COUNT`` is reached, with its own policy evaluation. Three gaps stand
between that and what a function sees on AWS; each is filled here and nothing else is changed:

- moto checks DynamoDB requests against the resource ``*``, so a policy that names a table's ARN
  (as every least-privilege one does) never allows anything. Here a request is checked against
  the ARN of each table it names (``table/T/index/I`` when it reads an index).
- moto denies with IAM's XML ``403 AccessDenied`` and no resource. DynamoDB answers JSON:
  ``400 AccessDeniedException`` "User: … is not authorized to perform: dynamodb:PutItem on
  resource: … because no identity-based policy allows the dynamodb:PutItem action", and
  ``UnrecognizedClientException`` / ``InvalidSignatureException`` for credentials it does not
  know or a signature that does not match.
- moto fails (500) on a trust policy whose principal is a service (``lambda.amazonaws.com``).
  Here such a principal matches the caller that the stack names as that service: the local
  Lambda service, which assumes each function's role as Lambda does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.dynamodb.responses import DynamoHandler
from moto.iam.access_control import (
    IAMPolicy,
    IAMPolicyStatement,
    IAMRequest,
    PermissionResult,
)
from moto.utilities.utils import get_partition

_CORAL = "com.amazon.coral.service#"


class DynamoDBAuthError(JsonRESTError):
    """One of DynamoDB's own answers to a request it does not authorise."""

    code = 400

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(_CORAL + error_type, message)
        self.description = json.dumps({"__type": _CORAL + error_type, "Message": message})


class DynamoDBRequest(IAMRequest):
    """moto's IAM check of one request, answering in DynamoDB's words."""

    _resource = "*"

    def check_action_permitted(self, resource: str) -> None:
        self._resource = resource
        super().check_action_permitted(resource)

    def _raise_access_denied(self) -> None:
        arn, action = self._access_key.arn, self._action
        if self._explicitly_denied():
            why = "with an explicit deny in an identity-based policy"
        else:
            why = f"because no identity-based policy allows the {action} action"
        raise DynamoDBAuthError(
            "AccessDeniedException",
            f"User: {arn} is not authorized to perform: {action} on resource: {self._resource}"
            f" {why}",
        )

    def _raise_invalid_access_key(self, _: str) -> None:
        raise DynamoDBAuthError(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )

    def _raise_signature_does_not_match(self) -> None:
        raise DynamoDBAuthError(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided."
            " Check your AWS Secret Access Key and signing method. Consult the service"
            " documentation for details.",
        )

    def _explicitly_denied(self) -> bool:
        return any(
            IAMPolicy(policy).is_action_permitted(self._action, self._resource)
            == PermissionResult.DENIED
            for policy in self._access_key.collect_policies()
        )


def table_arns(parameters: Mapping[str, Any], region: str, account_id: str) -> list[str]:
    """The ARN of every table (or index) a DynamoDB request names; ``["*"]`` if it names none."""
    names: list[tuple[str, str | None]] = []
    if "TableName" in parameters:
        names.append((str(parameters["TableName"]), parameters.get("IndexName")))
    names.extend((str(name), None) for name in parameters.get("RequestItems") or {})
    for item in parameters.get("TransactItems") or []:
        for operation in item.values():
            if isinstance(operation, Mapping) and "TableName" in operation:
                names.append((str(operation["TableName"]), None))
    arns: list[str] = []
    for name, index in names:
        arn = name
        if not name.startswith("arn:"):
            arn = f"arn:{get_partition(region)}:dynamodb:{region}:{account_id}:table/{name}"
        if index:
            arn += f"/index/{index}"
        if arn not in arns:
            arns.append(arn)
    return arns or ["*"]


def _authorize_dynamodb(handler: Any, resource: str = "*") -> None:
    """Replaces moto's check of a DynamoDB request: one check per table the request names."""
    parameters = getattr(handler, "params", None) or {}
    for arn in table_arns(parameters, handler.region, handler.current_account):
        handler._authenticate_and_authorize_action(DynamoDBRequest, arn)


def _service_principal_check(service_callers: Mapping[str, str]) -> Any:
    original = IAMPolicyStatement._check_principal

    def check_principal(statement: IAMPolicyStatement, principal: str) -> bool:
        expected = statement._statement.get("Principal")
        if isinstance(expected, Mapping) and "Service" in expected:
            services = expected["Service"]
            services = [services] if isinstance(services, str) else list(services)
            if service_callers.get(principal) in services:
                return True
            if "AWS" not in expected:
                return False
        return bool(original(statement, principal))

    return check_principal


def install(service_callers: Mapping[str, str]) -> None:
    """Fill the gaps above in this process's moto; ``service_callers``: caller ARN -> service."""
    DynamoHandler._authenticate_and_authorize_normal_action = _authorize_dynamodb  # type: ignore[method-assign,assignment]
    IAMPolicyStatement._check_principal = _service_principal_check(dict(service_callers))  # type: ignore[method-assign]
