"""CloudFormation's intrinsic functions, resolved the way a deploy would, with local answers.

- parameters take their defaults (or the overrides), conditions are evaluated;
- ``!Ref`` of a table gives its local name, of a function its local name (the logical id, as
  ``sam local`` names it), ``!GetAtt X.Arn`` an ARN in the local account;
- ``!Sub https://${SomeApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/...`` gives
  the local URL of that API, so one function reaches another through the local gateway.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..aws.account import LocalAccount
from .local import local_api_id
from .model import MissingParameter, TemplateError


class _NoValue:
    """``!Ref AWS::NoValue``: the property is removed."""


NO_VALUE = _NoValue()
# https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/rest -> the local URL + rest
_EXECUTE_API_URL = re.compile(r"^https://\$\{(\w+)\}\.execute-api\.[^/]+/[^/]+/(.*)$", re.DOTALL)
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def parameter_values(
    declared: Mapping[str, Any], overrides: Mapping[str, str]
) -> dict[str, str | None]:
    """Each parameter's value: its override, else its default, else None (no value)."""
    values: dict[str, str | None] = {}
    for name, definition in declared.items():
        default = (definition or {}).get("Default")
        values[name] = None if default is None else as_string(default)
    for name, value in overrides.items():
        if name not in declared:
            raise TemplateError(f"parameter override {name}: the template has no such parameter")
        values[name] = value
    return values


@dataclass
class Intrinsics:
    """Resolves values of one template: ``!Ref``, ``!GetAtt``, ``!Sub``, ``!If`` and conditions."""

    resources: Mapping[str, Mapping[str, Any]]
    parameters: Mapping[str, str | None]
    condition_definitions: Mapping[str, Any]
    stack_name: str
    account: LocalAccount
    # Conditions evaluated so far, by name.
    conditions: dict[str, bool] = field(default_factory=dict)
    # Each API's local URL, by logical id, once the ports are known.
    api_urls: dict[str, str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.ref(str(argument))
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::GetAtt":
                logical_id, attribute = get_att_parts(argument)
                return self._get_att(logical_id, attribute)
            if key == "Fn::If":
                condition, if_true, if_false = argument
                return self.resolve(if_true if self.condition(condition) else if_false)
            if key == "Fn::Equals":
                left, right = (self.resolve(item) for item in argument)
                return as_string(left) == as_string(right)
            if key == "Fn::Not":
                return not self.resolve(argument[0])
            if key == "Fn::And":
                return all(self.resolve(item) for item in argument)
            if key == "Fn::Or":
                return any(self.resolve(item) for item in argument)
            if key == "Condition":
                return self.condition(str(argument))
            if key == "Fn::Join":
                separator, items = argument
                return str(separator).join(as_string(item) for item in self.resolve(items))
            if key == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if key.startswith("Fn::"):
                raise TemplateError(f"{key} is not supported locally")
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def resolve_string(self, value: Any) -> str | None:
        """``value`` resolved to a string; None where it is ``AWS::NoValue``."""
        resolved = self.resolve(value)
        return None if resolved is NO_VALUE else as_string(resolved)

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            if name not in self.condition_definitions:
                raise TemplateError(f"condition {name} is not defined")
            self.conditions[name] = bool(self.resolve(self.condition_definitions[name]))
        return self.conditions[name]

    def physical_id(self, logical_id: str) -> str:
        """What ``!Ref`` of a resource gives locally."""
        resource = self.resources[logical_id]
        kind = resource.get("Type")
        properties = resource.get("Properties") or {}
        if kind == "AWS::DynamoDB::Table":
            return str(self.resolve(properties.get("TableName", f"{self.stack_name}-{logical_id}")))
        if kind == "AWS::Serverless::Function":
            return str(self.resolve(properties.get("FunctionName", logical_id)))
        if kind == "AWS::Serverless::Api":
            return local_api_id(logical_id)
        if kind == "AWS::Serverless::LayerVersion":
            a = self.account
            return f"arn:{a.partition}:lambda:{a.region}:{a.account_id}:layer:{logical_id}:1"
        return logical_id

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self._pseudo(name)
        if name in self.parameters:
            value = self.parameters[name]
            if value is None:
                raise MissingParameter(
                    f"parameter {name} has no default:"
                    f" give it with --parameter-overrides {name}=..."
                )
            return value
        if name in self.resources:
            return self.physical_id(name)
        raise TemplateError(f"!Ref {name}: no such parameter or resource")

    def _pseudo(self, name: str) -> str | _NoValue:
        account = self.account
        pseudo: dict[str, str] = {
            "AWS::Region": account.region,
            "AWS::AccountId": account.account_id,
            "AWS::Partition": account.partition,
            "AWS::URLSuffix": account.url_suffix,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:{account.partition}:cloudformation:{account.region}:{account.account_id}"
                f":stack/{self.stack_name}/local"
            ),
        }
        if name == "AWS::NoValue":
            return NO_VALUE
        if name not in pseudo:
            raise TemplateError(f"unsupported pseudo parameter {name}")
        return pseudo[name]

    def _get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self.resources:
            raise TemplateError(f"!GetAtt {logical_id}.{attribute}: no such resource")
        kind = self.resources[logical_id].get("Type")
        a = self.account
        if attribute == "Arn" and kind == "AWS::Serverless::Function":
            name = self.physical_id(logical_id)
            return f"arn:{a.partition}:lambda:{a.region}:{a.account_id}:function:{name}"
        if attribute == "Arn" and kind == "AWS::DynamoDB::Table":
            name = self.physical_id(logical_id)
            return f"arn:{a.partition}:dynamodb:{a.region}:{a.account_id}:table/{name}"
        raise TemplateError(f"!GetAtt {logical_id}.{attribute} has no local value")

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = str(argument[0]), dict(argument[1])
        else:
            text, variables = str(argument), {}
        execute_api = _EXECUTE_API_URL.match(text)
        if execute_api and execute_api.group(1) in self.api_urls:
            # The API's local URL stands for its execute-api URL, stage included.
            rest = self._sub([execute_api.group(2), variables])
            return self.api_urls[execute_api.group(1)] + rest

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return as_string(self.resolve(variables[name]))
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self._get_att(logical_id, attribute)
            return as_string(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")


def get_att_parts(argument: Any) -> tuple[str, str]:
    """``X.Arn`` or ``[X, Arn]``: the logical id and the attribute."""
    if isinstance(argument, str):
        logical_id, _, attribute = argument.partition(".")
        return logical_id, attribute
    return str(argument[0]), str(argument[1])


def as_string(value: Any) -> str:
    """A resolved value as CloudFormation writes it into a string (booleans in lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
