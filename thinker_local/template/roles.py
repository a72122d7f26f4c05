"""Each function's execution role, as the SAM transform makes it.

The transform (aws-sam-translator, as CloudFormation runs it; see :func:`.loader.sam_transform`)
turns a function's ``Policies`` into inline policies, adds the managed policies SAM adds
(AWSLambdaBasicExecutionRole) and the trust policy; here their ARNs get the same local answers
as the rest of the template. A statement naming a parameter with no value locally is left out,
and said so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .intrinsics import Intrinsics, get_att_parts
from .model import ExecutionRole, MissingParameter, TemplateError


def execution_roles(
    transformed: Mapping[str, Any], functions: Iterable[str], intrinsics: Intrinsics
) -> dict[str, ExecutionRole]:
    """Each function's role (by the function's logical id) from the transformed resources."""
    roles: dict[str, ExecutionRole] = {}
    for logical_id in functions:
        role = transformed[logical_id]["Properties"].get("Role")
        role_id = None
        if isinstance(role, dict) and "Fn::GetAtt" in role:
            role_id = get_att_parts(role["Fn::GetAtt"])[0]
        if role_id is None or transformed.get(role_id, {}).get("Type") != "AWS::IAM::Role":
            raise TemplateError(
                f"{logical_id}: only roles made from the template run locally"
                f" (SAM's own, or !GetAtt SomeRole.Arn), got Role: {role}"
            )
        properties = transformed[role_id].get("Properties") or {}
        roles[logical_id] = _role(role_id, properties, intrinsics)
    return roles


def _role(logical_id: str, properties: Mapping[str, Any], intrinsics: Intrinsics) -> ExecutionRole:
    resolve = intrinsics.resolve
    omitted: list[str] = []
    policies: dict[str, Mapping[str, Any]] = {}
    for policy in properties.get("Policies") or []:
        document = dict(policy["PolicyDocument"])
        statements = document.get("Statement") or []
        kept = []
        for statement in statements if isinstance(statements, list) else [statements]:
            try:
                kept.append(resolve(statement))
            except MissingParameter as error:
                omitted.append(f"{statement.get('Sid', 'a statement')}: {error}")
        if kept:
            policies[str(resolve(policy["PolicyName"]))] = {
                "Version": document.get("Version", "2012-10-17"),
                "Statement": kept,
            }
    name = resolve(properties.get("RoleName", f"{intrinsics.stack_name}-{logical_id}"))
    return ExecutionRole(
        logical_id=logical_id,
        name=str(name)[:64],
        assume_role_policy=resolve(properties["AssumeRolePolicyDocument"]),
        managed_policy_arns=tuple(
            str(arn) for arn in resolve(properties.get("ManagedPolicyArns") or [])
        ),
        policies=policies,
        omitted=tuple(omitted),
    )
