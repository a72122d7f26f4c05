"""Behind the signed API: answers who called it (API Gateway's identity) and its own key."""

import json
import os


def handler(event, context):
    return {
        "statusCode": 200,
        "body": json.dumps(
            {
                "identity": event["requestContext"]["identity"],
                "access_key": os.environ["AWS_ACCESS_KEY_ID"],
            }
        ),
    }
