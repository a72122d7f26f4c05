"""Reports the interpreter it runs on; ``?import=NAME`` imports a module inside the handler."""

import importlib
import json
import sys


def handler(event, context):
    query = event.get("queryStringParameters") or {}
    if "import" in query:
        importlib.import_module(query["import"])
    body = {"executable": sys.executable, "path": sys.path, "user_site": sys.flags.no_user_site}
    return {"statusCode": 200, "body": json.dumps(body)}
