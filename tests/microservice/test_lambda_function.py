"""The microservice's Lambda handler against DynamoDB (moto), with a real API Gateway event."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from types import ModuleType

import pytest
from moto import mock_aws

from tests.support.expected import SEED_RESPONSE, TABLE, create_thoughts_table, load_event


@pytest.fixture
def lambda_function(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setenv("THOUGHTS_TABLE", TABLE)
    monkeypatch.setenv("THINKER_SUBJECT_DELAY", "0")
    monkeypatch.setenv("THINKER_THINK_DELAY", "0")
    with mock_aws():
        create_thoughts_table()
        module = importlib.import_module("microservice.lambda_function")
        module = importlib.reload(module)  # the handler reads its settings at import, as in Lambda
        yield module
        module.handler.close()


def test_the_seed_event_gets_the_quick_starts_json(lambda_function: ModuleType) -> None:
    result = lambda_function.handler(load_event("microservice.json"), None)

    assert result["statusCode"] == 200
    assert result["headers"]["Content-Type"].startswith("application/json")
    assert result["isBase64Encoded"] is False
    assert json.loads(result["body"]) == SEED_RESPONSE


def test_a_subject_added_to_the_table_is_answered(lambda_function: ModuleType) -> None:
    import boto3

    boto3.client("dynamodb").put_item(
        TableName=TABLE,
        Item={"subject": {"S": "foo_bar"}, "quote": {"S": "Foo."}, "author": {"S": "Bar"}},
    )

    result = lambda_function.handler(load_event("microservice.json"), None)

    assert json.loads(result["body"])["foo_bar"] == {
        "error": False,
        "quote": "Foo.",
        "author": "Bar",
    }
