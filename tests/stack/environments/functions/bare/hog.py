"""Holds ``?mb=N`` megabytes for a moment (each one written, so that it is resident)."""

import time


def handler(event, context):
    megabytes = int((event.get("queryStringParameters") or {}).get("mb", "1"))
    held = [bytes([index % 256]) * (1 << 20) for index in range(megabytes)]
    time.sleep(1)
    return {"statusCode": 200, "body": str(len(held))}
