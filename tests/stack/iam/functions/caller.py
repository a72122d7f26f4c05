"""Calls the signed API (TARGET_URL) signed with its role's credentials, as thinker-api does,
and answers what it got back and its own access key."""

import json
import os
import urllib.error
import urllib.request

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest


def handler(event, context):
    url = os.environ["TARGET_URL"]
    request = AWSRequest(method="GET", url=url)
    credentials = botocore.session.get_session().get_credentials()
    SigV4Auth(credentials, "execute-api", os.environ["AWS_REGION"]).add_auth(request)
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=dict(request.headers))
        ) as r:
            status, body = r.status, r.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return {
        "statusCode": 200,
        "body": json.dumps(
            {
                "status": status,
                "body": json.loads(body),
                "access_key": os.environ["AWS_ACCESS_KEY_ID"],
            }
        ),
    }
