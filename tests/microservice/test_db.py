"""The DynamoDB store: lookups, and bounded retries before a clear 'unavailable'."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from microservice.db import DynamoDBThoughts
from microservice.thoughts import ThoughtsUnavailable, seed_thoughts
from tests.support.expected import TABLE, create_thoughts_table
from tests.support.processes import free_port
from tests.support.stand_ins import serving, throttling_dynamodb


@mock_aws
def test_known_and_unknown_subjects() -> None:
    create_thoughts_table()
    store = DynamoDBThoughts(TABLE)

    assert store.get("technology") == seed_thoughts()["technology"]
    with pytest.raises(KeyError):
        store.get("foo_bar")


def store_at(endpoint: str) -> DynamoDBThoughts:
    store = DynamoDBThoughts(TABLE)
    store._client = boto3.client("dynamodb", endpoint_url=endpoint, config=store.client.meta.config)
    return store


def test_throttling_is_retried_a_bounded_number_of_times_then_unavailable() -> None:
    with (
        serving(throttling_dynamodb()) as dynamodb,
        pytest.raises(ThoughtsUnavailable, match="ThrottlingException"),
    ):
        store_at(dynamodb.url).get("x")

    assert [r.headers["X-Amz-Target"] for r in dynamodb.requests] == [
        "DynamoDB_20120810.GetItem"
    ] * 3


def test_throttling_that_clears_within_the_retries_is_invisible() -> None:
    with serving(throttling_dynamodb(throttled=2)) as dynamodb:
        assert store_at(dynamodb.url).get("x").quote == "q"

    assert len(dynamodb.requests) == 3


def test_an_unreachable_table_is_reported_unavailable() -> None:
    with pytest.raises(ThoughtsUnavailable, match="Could not connect"):
        store_at(f"http://127.0.0.1:{free_port()}").get("technology")
