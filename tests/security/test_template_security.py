"""Security of what `sam deploy` would create (the deploy rehearsal's transformed template).

tests/deploy checks each role's statements and that no statement has a wildcard; here: who may
assume the roles and invoke the functions, no inverted statements, and throttling on each stage.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.rehearsal import choose_branches, deploy_parameters, transformed_template


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    chosen = choose_branches(
        transformed_template(deploy_parameters())["Resources"], {"IsLocal": False}
    )
    return {name: r for name, r in chosen.items() if r.get("Condition") != "IsLocal"}


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def test_each_api_stage_is_throttled(resources: dict[str, Any]) -> None:
    stages = _of_type(resources, "AWS::ApiGateway::Stage")
    assert {stage["Properties"]["RestApiId"]["Ref"] for stage in stages.values()} == {
        "ThinkerApi",
        "MicroserviceApi",
    }
    for stage in stages.values():
        (setting,) = stage["Properties"]["MethodSettings"]
        assert (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")
        assert 0 < setting["ThrottlingRateLimit"] <= 1000
        assert 0 < setting["ThrottlingBurstLimit"] <= 500


def test_only_lambda_may_assume_the_functions_roles(resources: dict[str, Any]) -> None:
    roles = _of_type(resources, "AWS::IAM::Role")
    assert roles
    for role in roles.values():
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"Service": ["lambda.amazonaws.com"]}
        assert statement["Action"] == ["sts:AssumeRole"]


def test_no_statement_is_inverted(resources: dict[str, Any]) -> None:
    for role in _of_type(resources, "AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                assert not {"NotAction", "NotResource", "NotPrincipal"} & set(statement)


def test_only_api_gateway_may_invoke_the_functions_each_from_its_own_api(
    resources: dict[str, Any],
) -> None:
    permissions = _of_type(resources, "AWS::Lambda::Permission")
    assert len(permissions) == 2
    for permission in permissions.values():
        properties = permission["Properties"]
        assert properties["Action"] == "lambda:InvokeFunction"
        assert properties["Principal"] == "apigateway.amazonaws.com"
        assert "SourceArn" in properties


def test_no_function_has_a_public_url(resources: dict[str, Any]) -> None:
    assert not _of_type(resources, "AWS::Lambda::Url")
