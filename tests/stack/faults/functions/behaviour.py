"""A function that misbehaves on request, for the local stack's tests.

Query parameters: ``sleep=S`` waits S seconds, ``crash=1`` ends the process mid-invocation,
``raise=1`` raises, ``malformed=text|keys|status`` answers something API Gateway rejects;
otherwise it answers the event it got, its process id and its environment.
"""

import json
import os
import time


def handler(event, context):
    query = event.get("queryStringParameters") or {}
    if "sleep" in query:
        time.sleep(float(query["sleep"]))
    if query.get("crash"):
        os._exit(3)
    if query.get("raise"):
        raise RuntimeError("raised on purpose")
    malformed = query.get("malformed")
    if malformed == "text":
        return "not a proxy response"
    if malformed == "keys":
        return {"statusCode": 200, "body": "{}", "unexpected": True}
    if malformed == "status":
        return {"body": "no status code"}
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Single": "one"},
        "multiValueHeaders": {"X-Multi": ["a", "b"]},
        "body": json.dumps(
            {
                "event": event,
                "pid": os.getpid(),
                "remaining_ms": context.get_remaining_time_in_millis(),
                "environ": dict(os.environ),
            }
        ),
    }
