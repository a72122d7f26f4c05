"""The deploy rehearsal's stack, created in moto's CloudFormation (``mock_aws``).

moto takes most of the stack: roles, functions, the table, the REST APIs. It cannot deploy a
REST API defined by an OpenAPI body (its Deployment sees no methods), so the stages, deployments
and invoke permissions stay in the transform's checks; and it would run the seed custom resource
in Docker, so the seed function runs here against the table moto made, as CloudFormation would
call it.
"""

from __future__ import annotations

import ast
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.support.expected import SEED_RESPONSE
from tests.support.rehearsal import (
    API_KEY_SECRET_ARN,
    ARTIFACT_BUCKET,
    deploy_parameters,
    packaged_template,
    transformed_template,
)
from tests.support.stand_ins import StandIn, json_bodies, serving

NOT_FOR_MOTO = {
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::Lambda::Permission",
    "Custom::ThoughtsSeed",
}


def moto_template() -> dict[str, Any]:
    template = transformed_template(deploy_parameters())
    template["Resources"] = {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] not in NOT_FOR_MOTO
    }
    template.pop("Outputs")  # they name the stages
    return template


def upload_artifacts() -> None:
    """What `sam package` puts in the artifact bucket (the contents do not matter to moto)."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("placeholder.py", "")
    for resource in packaged_template()["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in properties:
                s3_key = properties[key].removeprefix(f"s3://{ARTIFACT_BUCKET}/")
                s3.put_object(Bucket=ARTIFACT_BUCKET, Key=s3_key, Body=archive.getvalue())


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, str]]:
    """Logical id -> physical id of every resource in the created stack."""
    with mock_aws():
        upload_artifacts()
        cloudformation = boto3.client("cloudformation")
        cloudformation.create_stack(
            StackName="thinker",
            TemplateBody=json.dumps(moto_template()),
            Parameters=[
                {"ParameterKey": "DatadogApiKeySecretArn", "ParameterValue": API_KEY_SECRET_ARN}
            ],
            Capabilities=["CAPABILITY_IAM"],
        )
        status = cloudformation.describe_stacks(StackName="thinker")["Stacks"][0]["StackStatus"]
        assert status == "CREATE_COMPLETE"
        summaries = cloudformation.list_stack_resources(StackName="thinker")
        # moto lists a resource whose condition is false (the local layer) with empty ids.
        yield {
            summary["LogicalResourceId"]: summary["PhysicalResourceId"]
            for summary in summaries["StackResourceSummaries"]
            if summary["LogicalResourceId"]
        }


def test_stack_creates_the_functions_table_apis_and_roles(stack: dict[str, str]) -> None:
    assert set(stack) == {
        "ThinkerApi",
        "ThinkerApiFunction",
        "ThinkerApiFunctionRole",
        "MicroserviceApi",
        "MicroserviceFunction",
        "MicroserviceFunctionRole",
        "SeedThoughtsFunction",
        "SeedThoughtsFunctionRole",
        "ThoughtsTable",
    }
    assert boto3.client("lambda").list_layers()["Layers"] == []


def test_thinker_api_gets_the_microservice_apis_resolved_url(stack: dict[str, str]) -> None:
    function = boto3.client("lambda").get_function_configuration(
        FunctionName=stack["ThinkerApiFunction"]
    )
    url = function["Environment"]["Variables"]["THINKER_MICROSERVICE_URL"]
    assert url == f"https://{stack['MicroserviceApi']}.execute-api.us-east-1.amazonaws.com/Prod/"


def test_microservice_reads_the_stacks_table_through_the_extension(stack: dict[str, str]) -> None:
    function = boto3.client("lambda").get_function_configuration(
        FunctionName=stack["MicroserviceFunction"]
    )
    variables = function["Environment"]["Variables"]
    assert variables["THOUGHTS_TABLE"] == stack["ThoughtsTable"]
    assert variables["DD_API_KEY_SECRET_ARN"] == API_KEY_SECRET_ARN
    assert function["Handler"] == "datadog_lambda.handler.handler"
    assert "DD_TRACE_AGENT_URL" not in variables
    assert "AWS_ENDPOINT_URL_DYNAMODB" not in variables


def test_microservice_role_reads_only_the_stacks_table(stack: dict[str, str]) -> None:
    iam = boto3.client("iam")
    role = stack["MicroserviceFunctionRole"]
    (policy_name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):  # moto returns a policy made by CloudFormation as a dict's repr
        document = ast.literal_eval(document)
    table_arn = boto3.client("dynamodb").describe_table(TableName=stack["ThoughtsTable"])["Table"][
        "TableArn"
    ]
    assert {s["Action"]: s["Resource"] for s in document["Statement"]} == {
        "dynamodb:GetItem": table_arn,
        "secretsmanager:GetSecretValue": API_KEY_SECRET_ARN,
    }


@pytest.fixture
def response_url() -> Iterator[StandIn]:
    """Stands in for the pre-signed S3 URL a custom resource answers CloudFormation on."""
    with serving(StandIn()) as s3:
        yield s3


def test_seed_custom_resource_fills_the_stacks_table(
    stack: dict[str, str], response_url: StandIn
) -> None:
    from microservice.db import DynamoDBThoughts
    from microservice.seed import handler

    url = response_url.url
    seed = transformed_template(deploy_parameters())["Resources"]["ThoughtsSeed"]
    properties = {**seed["Properties"], "TableName": stack["ThoughtsTable"]}
    handler(
        {
            "RequestType": "Create",
            "ResponseURL": url,
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/thinker/1",
            "RequestId": str(uuid.uuid4()),
            "LogicalResourceId": "ThoughtsSeed",
            "ResourceType": seed["Type"],
            "ResourceProperties": properties,
        },
        None,
    )

    assert [response["Status"] for response in json_bodies(response_url)] == ["SUCCESS"]
    technology = DynamoDBThoughts(stack["ThoughtsTable"]).get("technology")
    assert technology.quote == SEED_RESPONSE["technology"]["quote"]
    assert technology.author == SEED_RESPONSE["technology"]["author"]
