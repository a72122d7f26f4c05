"""What the quick-start promises, and the fixtures that make it: events, the thoughts table."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.support.processes import REPO

TABLE = "thinker-thoughts"

SEED_RESPONSE = {
    "technology": {
        "error": False,
        "quote": (
            "For a successful technology, reality must take precedence over public relations,"
            " for Nature cannot be fooled."
        ),
        "author": "Richard Feynman",
    },
    "foo_bar": {"error": True, "reason": "Subject unknown"},
}


def load_event(name: str) -> dict[str, Any]:
    """A sample API Gateway event from events/."""
    return json.loads((REPO / "events" / name).read_text())


def create_thoughts_table(endpoint_url: str | None = None, *, seed: bool = True) -> None:
    """The table as template.yaml declares it, filled as a deploy fills it."""
    from microservice.db import DynamoDBThoughts
    from microservice.thoughts import seed_thoughts

    client = boto3.client("dynamodb", endpoint_url=endpoint_url)
    client.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "subject", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "subject", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    if seed:
        DynamoDBThoughts(TABLE, client=client).put_all(seed_thoughts())
