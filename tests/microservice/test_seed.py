"""The seed custom resource fills the table on deploy and always answers CloudFormation."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws

from microservice import seed
from microservice.thoughts import seed_thoughts
from tests.support.expected import TABLE, create_thoughts_table


@pytest.fixture
def cloudformation() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for the pre-signed S3 URL CloudFormation waits on: records each PUT."""
    answers: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            answers.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/response", answers
    finally:
        server.shutdown()
        server.server_close()


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
    cloudformation: tuple[str, list[dict[str, Any]]],
) -> None:
    url, answers = cloudformation
    create_thoughts_table(seed=False)

    seed.handler(custom_resource_event("Create", url, TABLE), None)

    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    assert {item["subject"]["S"] for item in items} == set(seed_thoughts())
    assert answers[0]["Status"] == "SUCCESS"
    assert answers[0]["LogicalResourceId"] == "ThoughtsSeed"
    assert answers[0]["RequestId"] == "req-1"


@mock_aws
def test_update_is_idempotent(cloudformation: tuple[str, list[dict[str, Any]]]) -> None:
    url, answers = cloudformation
    create_thoughts_table(seed=False)

    seed.handler(custom_resource_event("Create", url, TABLE), None)
    seed.handler(custom_resource_event("Update", url, TABLE), None)

    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    assert len(items) == len(seed_thoughts())
    assert [a["Status"] for a in answers] == ["SUCCESS", "SUCCESS"]
    assert answers[0]["PhysicalResourceId"] == answers[1]["PhysicalResourceId"]


@mock_aws
def test_a_missing_table_is_reported_as_failed_not_left_hanging(
    cloudformation: tuple[str, list[dict[str, Any]]],
) -> None:
    url, answers = cloudformation

    seed.handler(custom_resource_event("Create", url, "no-such-table"), None)

    assert answers[0]["Status"] == "FAILED"
    assert "ResourceNotFoundException" in answers[0]["Reason"]


@mock_aws
def test_delete_leaves_the_table_to_cloudformation(
    cloudformation: tuple[str, list[dict[str, Any]]],
) -> None:
    url, answers = cloudformation
    create_thoughts_table()

    seed.handler(custom_resource_event("Delete", url, TABLE), None)

    assert boto3.client("dynamodb").scan(TableName=TABLE)["Count"] == len(seed_thoughts())
    assert answers[0]["Status"] == "SUCCESS"
