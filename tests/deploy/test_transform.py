"""The deploy rehearsal: the CloudFormation `sam deploy` would create, checked without AWS.

The whole transformed template is a snapshot (snapshots/deploy.json); the tests below say, one
behaviour each, what in it must hold. After a deliberate change to template.yaml or
samconfig.toml, regenerate the snapshot and review its diff:

    THINKER_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/deploy
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from tests.support.rehearsal import (
    API_KEY_SECRET_ARN,
    DATADOG_ACCOUNT,
    SNAPSHOTS,
    choose_branches,
    deploy_parameters,
    transformed_template,
)

FUNCTIONS = {
    "ThinkerApiFunction": ("thinker-api", "app.app"),
    "MicroserviceFunction": ("thinker-microservice", "microservice.lambda_function.handler"),
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return transformed_template(deploy_parameters())


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    """Resources as deploy mode creates them: conditions decided, conditional resources gone."""
    chosen = choose_branches(template["Resources"], {"IsLocal": False})
    return {
        name: resource
        for name, resource in chosen.items()
        if resource.get("Condition") != "IsLocal"
    }


def environment(resources: dict[str, Any], function: str) -> dict[str, Any]:
    return dict(resources[function]["Properties"]["Environment"]["Variables"])


def test_transformed_template_matches_snapshot(template: dict[str, Any]) -> None:
    snapshot = SNAPSHOTS / "deploy.json"
    rendered = json.dumps(template, indent=2, sort_keys=True) + "\n"
    if os.environ.get("THINKER_UPDATE_SNAPSHOTS") == "1":
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(rendered)
    assert snapshot.exists(), "no snapshot yet: run with THINKER_UPDATE_SNAPSHOTS=1"
    assert json.loads(snapshot.read_text()) == template, (
        "the CloudFormation `sam deploy` would create has changed; if that is intended, "
        "rerun with THINKER_UPDATE_SNAPSHOTS=1 and review the diff of " + str(snapshot)
    )


def test_deploy_parameters_come_from_samconfig() -> None:
    parameters = deploy_parameters()
    assert parameters["Mode"] == "deploy"
    assert parameters["DatadogPythonLayerVersion"] == "130"
    assert parameters["DatadogExtensionLayerVersion"] == "103"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_both_functions_run_behind_the_datadog_handler(
    resources: dict[str, Any], function: str
) -> None:
    _, real_handler = FUNCTIONS[function]
    assert resources[function]["Properties"]["Handler"] == "datadog_lambda.handler.handler"
    assert environment(resources, function)["DD_LAMBDA_HANDLER"] == real_handler


@pytest.mark.parametrize("function", FUNCTIONS)
def test_both_functions_take_the_datadog_library_and_extension_layers(
    resources: dict[str, Any], function: str
) -> None:
    layers = resources[function]["Properties"]["Layers"]
    prefix = f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:{DATADOG_ACCOUNT}:layer:"
    assert layers == [
        {"Fn::Sub": prefix + "Datadog-Python312:${DatadogPythonLayerVersion}"},
        {"Fn::Sub": prefix + "Datadog-Extension:${DatadogExtensionLayerVersion}"},
    ]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_datadog_is_configured_for_the_extension(resources: dict[str, Any], function: str) -> None:
    service, _ = FUNCTIONS[function]
    variables = environment(resources, function)
    assert variables["DD_SERVICE"] == service
    assert variables["DD_ENV"] == {"Ref": "DatadogEnv"}
    assert variables["DD_VERSION"] == {"Ref": "DatadogVersion"}
    assert variables["DD_SITE"] == {"Ref": "DatadogSite"}
    assert variables["DD_API_KEY_SECRET_ARN"] == {"Ref": "DatadogApiKeySecretArn"}
    assert variables["DD_SERVICE_MAPPING"] == f"lambda_api_gateway:{service}-gateway"
    assert variables["DD_TRACE_REMOVE_INTEGRATION_SERVICE_NAMES_ENABLED"] == "true"
    assert variables["DD_FLUSH_TO_LOG"] == "false"
    # The Extension is the agent: nothing points ddtrace elsewhere, nothing at a local DynamoDB.
    assert "DD_TRACE_AGENT_URL" not in variables
    assert "AWS_ENDPOINT_URL_DYNAMODB" not in variables


def test_local_layer_is_not_deployed(template: dict[str, Any]) -> None:
    local_layers = [
        resource
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::LayerVersion"
    ]
    assert [layer.get("Condition") for layer in local_layers] == ["IsLocal"]


def test_thinker_api_calls_the_microservice_apis_stage_url(resources: dict[str, Any]) -> None:
    assert environment(resources, "ThinkerApiFunction")["THINKER_MICROSERVICE_URL"] == {
        "Fn::Sub": "https://${MicroserviceApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/"
    }


def test_microservice_api_takes_only_iam_signed_calls(resources: dict[str, Any]) -> None:
    body = resources["MicroserviceApi"]["Properties"]["Body"]
    assert body["securityDefinitions"]["AWS_IAM"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    methods = [method for path in body["paths"].values() for method in path.values()]
    assert methods
    for method in methods:
        assert method["security"] == [{"AWS_IAM": []}]
        # API Gateway invokes the function through its resource policy, not as the caller.
        assert "credentials" not in method["x-amazon-apigateway-integration"]


def test_thinker_api_is_public(resources: dict[str, Any]) -> None:
    body = resources["ThinkerApi"]["Properties"]["Body"]
    assert list(body["paths"]) == ["/think"]
    assert "security" not in body["paths"]["/think"]["get"]


def test_api_gateway_may_invoke_each_function_through_its_own_api(
    resources: dict[str, Any],
) -> None:
    permissions = {
        resource["Properties"]["FunctionName"]["Ref"]: resource["Properties"]
        for resource in resources.values()
        if resource["Type"] == "AWS::Lambda::Permission"
    }
    assert set(permissions) == {"ThinkerApiFunction", "MicroserviceFunction"}
    assert permissions["ThinkerApiFunction"]["SourceArn"]["Fn::Sub"][1]["__ApiId__"] == {
        "Ref": "ThinkerApi"
    }
    assert permissions["MicroserviceFunction"]["SourceArn"]["Fn::Sub"][1]["__ApiId__"] == {
        "Ref": "MicroserviceApi"
    }


def role_statements(resources: dict[str, Any], role: str) -> list[dict[str, Any]]:
    policies = resources[role]["Properties"].get("Policies", [])
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (
            "ThinkerApiFunctionRole",
            {
                "execute-api:Invoke": {
                    "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:"
                    "${AWS::AccountId}:${MicroserviceApi}/${Stage}/GET/"
                },
                "secretsmanager:GetSecretValue": {"Ref": "DatadogApiKeySecretArn"},
            },
        ),
        (
            "MicroserviceFunctionRole",
            {
                "dynamodb:GetItem": {"Fn::GetAtt": ["ThoughtsTable", "Arn"]},
                "secretsmanager:GetSecretValue": {"Ref": "DatadogApiKeySecretArn"},
            },
        ),
        (
            "SeedThoughtsFunctionRole",
            {"dynamodb:BatchWriteItem": {"Fn::GetAtt": ["ThoughtsTable", "Arn"]}},
        ),
    ],
)
def test_each_role_may_do_only_its_functions_work(
    resources: dict[str, Any], role: str, allowed: dict[str, Any]
) -> None:
    statements = role_statements(resources, role)
    assert all(statement["Effect"] == "Allow" for statement in statements)
    assert {statement["Action"]: statement["Resource"] for statement in statements} == allowed
    # Beyond that, only CloudWatch Logs, through AWS's basic execution policy.
    assert resources[role]["Properties"]["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    ]


def test_no_policy_grants_wildcard_actions_or_resources(resources: dict[str, Any]) -> None:
    roles = [name for name, r in resources.items() if r["Type"] == "AWS::IAM::Role"]
    assert len(roles) == 3
    for role in roles:
        for statement in role_statements(resources, role):
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                assert "*" not in action, (role, statement)
            assert "*" not in json.dumps(statement["Resource"]), (role, statement)


def test_the_table_is_seeded_by_the_custom_resource(resources: dict[str, Any]) -> None:
    seed = resources["ThoughtsSeed"]
    assert seed["Type"] == "Custom::ThoughtsSeed"
    assert seed["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["SeedThoughtsFunction", "Arn"]}
    assert seed["Properties"]["TableName"] == {"Ref": "ThoughtsTable"}
    assert resources["SeedThoughtsFunction"]["Properties"]["Handler"] == "microservice.seed.handler"


@pytest.mark.parametrize("mode", ["deploy", "local"])
def test_transformed_template_passes_cfn_lint(mode: str) -> None:
    """cfn-lint on CloudFormation, not SAM: it sees what the transform made (e.g. cycles)."""
    parameters = {**deploy_parameters(), "Mode": mode}
    rendered = json.dumps(transformed_template(parameters))
    matches = lint(rendered, config=ManualArgs(regions=["us-east-1"]))
    assert [str(match) for match in matches] == []


def test_the_placeholder_secret_arn_fits_the_parameters_pattern() -> None:
    """The rehearsal's stand-in secret ARN must be one CloudFormation would accept."""
    pattern = transformed_template(deploy_parameters())["Parameters"]["DatadogApiKeySecretArn"][
        "AllowedPattern"
    ]
    assert re.fullmatch(pattern, API_KEY_SECRET_ARN)
