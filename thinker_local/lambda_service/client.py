"""A boto3 Lambda client for a local run's Invoke API, signed with the developer's keys.

The stack writes the developer's keys to ``<state dir>/credentials`` (profile
``thinker-local``); the client reads them there, as the AWS CLI does with
``AWS_SHARED_CREDENTIALS_FILE``. It never retries: a retried invocation would run the function
twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from ..aws.iam import developer_session

# Lambda's longest timeout, and some room for a cold start.
READ_TIMEOUT_S = 900 + 60


def lambda_client(endpoint_url: str, state_dir: Path) -> Any:
    """boto3's Lambda client for the Invoke API at ``endpoint_url``."""
    return boto3.session.Session(botocore_session=developer_session(state_dir)).client(
        "lambda",
        endpoint_url=endpoint_url,
        config=Config(read_timeout=READ_TIMEOUT_S, retries={"max_attempts": 1}),
    )
