"""Which function an Invoke call names: Lambda's name formats, resolved against the template.

Lambda takes a function's name (``my-function``), its ARN
(``arn:aws:lambda:us-east-1:123456789012:function:my-function``) or a partial ARN
(``123456789012:function:my-function``), each optionally with ``:QUALIFIER``, or the qualifier
as the ``Qualifier`` query parameter. Locally the template's logical id is accepted as a name
too, as ``sam local start-lambda`` accepts it. Only ``$LATEST`` exists here: no versions are
published and no aliases made, so any other qualifier names no function, as on AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..aws.account import LocalAccount
from ..template import Function
from .errors import invalid_parameter, resource_not_found

LATEST = "$LATEST"


@dataclass(frozen=True)
class NamedFunction:
    """The function a call names, and the ARN IAM judges the call by."""

    logical_id: str
    function: Function
    # The function's ARN, with the qualifier when the call gave one (IAM's resource).
    arn: str


def function_arn(account: LocalAccount, name: str) -> str:
    """A function's unqualified ARN."""
    return f"arn:{account.partition}:lambda:{account.region}:{account.account_id}:function:{name}"


def resolve(
    functions: Mapping[str, Function],
    account: LocalAccount,
    name: str,
    qualifier: str | None = None,
) -> NamedFunction:
    """The function ``name`` (and ``qualifier``) names, or the :class:`LambdaError` Lambda
    answers: ResourceNotFoundException for no such function or qualifier."""
    bare, derived = _split(name, account)
    if derived is not None and qualifier is not None and derived != qualifier:
        raise invalid_parameter(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    qualifier = qualifier if qualifier is not None else derived
    for logical_id, function in functions.items():
        if bare in (function.name, logical_id):
            arn = function_arn(account, function.name)
            if qualifier is not None and qualifier != LATEST:
                raise resource_not_found(f"{arn}:{qualifier}")
            return NamedFunction(
                logical_id, function, arn if qualifier is None else f"{arn}:{qualifier}"
            )
    shown = function_arn(account, bare)
    raise resource_not_found(shown if qualifier is None else f"{shown}:{qualifier}")


def _split(name: str, account: LocalAccount) -> tuple[str, str | None]:
    """(the bare name, the qualifier the name carries) of any of Lambda's name formats."""
    parts = name.split(":")
    if parts[0] == "arn":
        # arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        if len(parts) in (7, 8) and parts[2] == "lambda" and parts[5] == "function":
            if (parts[1], parts[3], parts[4]) != (
                account.partition,
                account.region,
                account.account_id,
            ):
                raise resource_not_found(name)
            return parts[6], parts[7] if len(parts) == 8 else None
        raise invalid_parameter(
            f"1 validation error detected: Value '{name}' at 'functionName'"
            " failed to satisfy constraint: Member must satisfy regular"
            " expression pattern"
        )
    if len(parts) in (3, 4) and parts[1] == "function":
        # ACCOUNT:function:NAME[:QUALIFIER]
        if parts[0] != account.account_id:
            raise resource_not_found(name)
        return parts[2], parts[3] if len(parts) == 4 else None
    if len(parts) == 2:
        return parts[0], parts[1]
    return name, None
