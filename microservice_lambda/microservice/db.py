"""The thoughts table in DynamoDB, read and seeded with boto3.

The endpoint is boto3's own choice: AWS in Lambda, or ``AWS_ENDPOINT_URL_DYNAMODB`` when set
(the local stack points it at its DynamoDB).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .thoughts import Thought, ThoughtsUnavailable

# Throttling and transient faults are retried a bounded number of times with exponential
# backoff, and each attempt is bounded in time: at worst about 5 s, within the function's 10 s,
# so a slow or throttled table becomes a clear error rather than a Lambda timeout.
_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=0.5,
    read_timeout=1,
)


class DynamoDBThoughts:
    """A :class:`~microservice.thoughts.ThoughtStore` over a DynamoDB table keyed by ``subject``."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        self.table_name = table_name
        self._client = client
        self._client_lock = threading.Lock()

    @property
    def client(self) -> Any:
        # Subjects are looked up from several threads at once; creating clients from boto3's
        # default session concurrently is not thread-safe, so the first request makes one only.
        with self._client_lock:
            if self._client is None:
                self._client = boto3.client("dynamodb", config=_CLIENT_CONFIG)
            return self._client

    def get(self, subject: str) -> Thought:
        try:
            item = self.client.get_item(
                TableName=self.table_name,
                Key={"subject": {"S": subject}},
            ).get("Item")
        except (BotoCoreError, ClientError) as error:
            raise ThoughtsUnavailable(f"{self.table_name}: {error}") from error
        if item is None:
            raise KeyError(subject)
        return Thought(quote=item["quote"]["S"], author=item["author"]["S"])

    def put_all(self, thoughts: Mapping[str, Thought]) -> None:
        """Write every thought, overwriting those already there (idempotent)."""
        items = [
            {
                "PutRequest": {
                    "Item": {
                        "subject": {"S": subject},
                        "quote": {"S": thought.quote},
                        "author": {"S": thought.author},
                    }
                }
            }
            for subject, thought in thoughts.items()
        ]
        for start in range(0, len(items), 25):  # BatchWriteItem takes 25 items at most
            pending = {self.table_name: items[start : start + 25]}
            for _ in range(5):
                unprocessed = self.client.batch_write_item(RequestItems=pending).get(
                    "UnprocessedItems"
                )
                if not unprocessed:
                    break
                pending = unprocessed
            else:
                raise RuntimeError(f"DynamoDB left items unwritten in {self.table_name}")
