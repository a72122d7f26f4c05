"""Invokes the callee (CALLEE) with boto3, as the event says; returns what the Invoke API answered.

Event: {"invocation_type": "RequestResponse" | "Event", "payload": {...}}. An error of the API
(AccessDeniedException) is returned, not raised, so that the test reads it.
"""

import json
import os

import boto3
from botocore.exceptions import ClientError

LAMBDA = boto3.client("lambda")


def handler(event, context):
    try:
        answer = LAMBDA.invoke(
            FunctionName=os.environ["CALLEE"],
            InvocationType=event.get("invocation_type", "RequestResponse"),
            Payload=json.dumps(event.get("payload", {})).encode(),
        )
    except ClientError as error:
        return {
            "error": error.response["Error"]["Code"],
            "message": error.response["Error"]["Message"],
            "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
        }
    return {
        "status": answer["StatusCode"],
        "function_error": answer.get("FunctionError"),
        "payload": json.loads(answer["Payload"].read() or "null"),
    }
