"""The seed custom resource fills the table on deploy and always answers CloudFormation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from microservice import seed
from microservice.thoughts import seed_thoughts
from tests.support.expected import TABLE, create_thoughts_table
from tests.support.stand_ins import StandIn, json_bodies, serving


@pytest.fixture
def cloudformation() -> Iterator[StandIn]:
    """A stand-in for the pre-signed S3 URL CloudFormation waits on."""
    with serving(StandIn()) as s3:
        yield s3


def custom_resource_event(request_type: str, response_url: str, table: str) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/thinker/1",
        "RequestId": "req-1",
        "LogicalResourceId": "ThoughtsSeed",
        "ResourceType": "Custom::ThoughtsSeed",
        "ResourceProperties": {"ServiceToken": "arn", "TableName": table, "SeedVersion": "1"},
    }


@mock_aws
def test_create_fills_the_table_and_reports_success(
    cloudformation: StandIn,
) -> None:
    url = cloudformation.url
    create_thoughts_table(seed=False)

    seed.handler(custom_resource_event("Create", url, TABLE), None)

    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    assert {item["subject"]["S"] for item in items} == set(seed_thoughts())
    assert json_bodies(cloudformation)[0]["Status"] == "SUCCESS"
    assert json_bodies(cloudformation)[0]["LogicalResourceId"] == "ThoughtsSeed"
    assert json_bodies(cloudformation)[0]["RequestId"] == "req-1"


@mock_aws
def test_update_is_idempotent(cloudformation: StandIn) -> None:
    url = cloudformation.url
    create_thoughts_table(seed=False)

    seed.handler(custom_resource_event("Create", url, TABLE), None)
    seed.handler(custom_resource_event("Update", url, TABLE), None)

    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    assert len(items) == len(seed_thoughts())
    assert [a["Status"] for a in json_bodies(cloudformation)] == ["SUCCESS", "SUCCESS"]
    first, second = json_bodies(cloudformation)
    assert first["PhysicalResourceId"] == second["PhysicalResourceId"]


@mock_aws
def test_a_missing_table_is_reported_as_failed_not_left_hanging(
    cloudformation: StandIn,
) -> None:
    url = cloudformation.url

    seed.handler(custom_resource_event("Create", url, "no-such-table"), None)

    assert json_bodies(cloudformation)[0]["Status"] == "FAILED"
    assert "ResourceNotFoundException" in json_bodies(cloudformation)[0]["Reason"]


@mock_aws
def test_delete_leaves_the_table_to_cloudformation(
    cloudformation: StandIn,
) -> None:
    url = cloudformation.url
    create_thoughts_table()

    seed.handler(custom_resource_event("Delete", url, TABLE), None)

    assert boto3.client("dynamodb").scan(TableName=TABLE)["Count"] == len(seed_thoughts())
    assert json_bodies(cloudformation)[0]["Status"] == "SUCCESS"
