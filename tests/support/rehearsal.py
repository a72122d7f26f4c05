"""What `sam deploy` would hand CloudFormation, made here without AWS.

``sam deploy`` packages the template (each local ``CodeUri``/``ContentUri`` becomes an S3 URI),
sends it with the parameters from samconfig.toml's deploy section, and CloudFormation applies the
``AWS::Serverless-2016-10-31`` transform: the same aws-sam-translator this module runs.
"""

from __future__ import annotations

import copy
import json
import tomllib
from typing import Any

from samcli.cli.types import CfnParameterOverridesType
from samtranslator.translator.transform import transform

from tests.support.processes import REPO
from thinker_local.template import packaged, read_document

SNAPSHOTS = REPO / "tests" / "deploy" / "snapshots"
ARTIFACT_BUCKET = "thinker-artifacts"
# Per account, so not in samconfig.toml: `sam deploy --guided` asks for it, CI passes it.
API_KEY_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:datadog-api-key-AbCdEf"
DATADOG_ACCOUNT = "464622532012"


def samconfig_section(command: str) -> dict[str, Any]:
    """``[default.<command>.parameters]`` of samconfig.toml."""
    config = tomllib.loads((REPO / "samconfig.toml").read_text())
    return dict(config["default"][command]["parameters"])


def deploy_parameters() -> dict[str, str]:
    """The parameters `sam deploy` passes: samconfig.toml's, plus the per-account secret ARN."""
    overrides = samconfig_section("deploy")["parameter_overrides"]
    parameters: dict[str, str] = CfnParameterOverridesType().convert(overrides, None, None)
    return {**parameters, "DatadogApiKeySecretArn": API_KEY_SECRET_ARN}


def packaged_template() -> dict[str, Any]:
    """template.yaml as `sam package` uploads it: code and layer contents in S3."""
    return packaged(
        read_document(REPO / "template.yaml"),
        lambda directory: f"s3://{ARTIFACT_BUCKET}/{directory.strip('/')}.zip",
    )


class _NoManagedPolicyLookups:
    """The template names no managed policy by name, so the transform must not ask IAM."""

    def load(self) -> dict[str, str]:
        raise AssertionError("the transform asked IAM for managed policies")


def transformed_template(parameters: dict[str, str]) -> dict[str, Any]:
    """The CloudFormation template CloudFormation would make of the packaged one."""
    result: dict[str, Any] = transform(
        packaged_template(), copy.deepcopy(parameters), _NoManagedPolicyLookups()
    )
    # The snapshot is JSON: give it the JSON types (the translator keeps some YAML scalars).
    return dict(json.loads(json.dumps(result)))


def choose_branches(value: Any, conditions: dict[str, bool]) -> Any:
    """``value`` with every ``Fn::If`` decided by ``conditions`` and ``AWS::NoValue`` dropped.

    Other intrinsic functions stay as they are; this is what a reader checks by eye.
    """
    if isinstance(value, list):
        chosen = [choose_branches(item, conditions) for item in value]
        return [item for item in chosen if item is not _NO_VALUE]
    if isinstance(value, dict):
        if set(value) == {"Fn::If"}:
            name, if_true, if_false = value["Fn::If"]
            return choose_branches(if_true if conditions[name] else if_false, conditions)
        if value == {"Ref": "AWS::NoValue"}:
            return _NO_VALUE
        chosen_items = {key: choose_branches(item, conditions) for key, item in value.items()}
        return {key: item for key, item in chosen_items.items() if item is not _NO_VALUE}
    return value


_NO_VALUE = object()
