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
import botocore.session
from botocore.config import Config

from ..aws.account import LOCAL_ACCOUNT
from ..aws.iam import CREDENTIALS_FILE, PROFILE

# Lambda's longest timeout, and some room for a cold start.
READ_TIMEOUT_S = 900 + 60


def lambda_client(endpoint_url: str, state_dir: Path) -> Any:
    """boto3's Lambda client for the Invoke API at ``endpoint_url``."""
    core = botocore.session.Session(profile=PROFILE)
    core.set_config_variable("credentials_file", str(state_dir / CREDENTIALS_FILE))
    core.set_config_variable("region", LOCAL_ACCOUNT.region)
    return boto3.session.Session(botocore_session=core).client(
        "lambda",
        endpoint_url=endpoint_url,
        config=Config(read_timeout=READ_TIMEOUT_S, retries={"max_attempts": 1}),
    )
