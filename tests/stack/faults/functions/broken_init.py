"""A function whose init fails while the file named by INIT_FAILS_IF_EXISTS exists."""

import os

_flag = os.environ.get("INIT_FAILS_IF_EXISTS", "")
if _flag and os.path.exists(_flag):
    raise RuntimeError("init fails on purpose")


def handler(event, context):
    return {"statusCode": 200, "body": '{"init": "ok"}'}
