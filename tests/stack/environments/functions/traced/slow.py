"""Sleeps longer than the function's timeout."""

import time


def handler(event, context):
    time.sleep(10)
    return {"statusCode": 200, "body": "too late"}
