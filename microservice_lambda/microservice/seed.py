"""A CloudFormation custom resource that fills the thoughts table on deploy.

``sam deploy`` creates the table and then this resource, so a new stack already answers the
quick-start's request. Create and Update write the seed thoughts (idempotent); Delete leaves the
table to CloudFormation.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Mapping
from typing import Any

from .db import DynamoDBThoughts
from .thoughts import seed_thoughts

logger = logging.getLogger(__name__)


def handler(event: Mapping[str, Any], context: Any) -> None:
    """Seed the table named by ``ResourceProperties.TableName``, then answer CloudFormation."""
    table = str(event.get("ResourceProperties", {}).get("TableName", ""))
    status, reason = "SUCCESS", ""
    try:
        if event["RequestType"] in ("Create", "Update"):
            thoughts = seed_thoughts()
            DynamoDBThoughts(table).put_all(thoughts)
            reason = f"{len(thoughts)} thoughts written to {table}"
    except Exception as error:  # CloudFormation waits an hour for an answer that never comes
        logger.exception("seeding %s failed", table)
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    _respond(event, context, status, reason, physical_id=f"thoughts-seed-{table}")


def _respond(
    event: Mapping[str, Any], context: Any, status: str, reason: str, *, physical_id: str
) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or f"see log stream {getattr(context, 'log_stream_name', '')}",
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
        }
    ).encode()
    url = str(event["ResponseURL"])
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"ResponseURL must be an HTTP(S) URL, got {url[:40]!r}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (scheme checked)
        response.read()
