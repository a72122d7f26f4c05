"""``python -m thinker_local call URL``: call an AWS_IAM route, signed with the developer's keys.

The stack writes the developer's keys to ``<state dir>/credentials`` (profile ``thinker-local``);
botocore reads them there and signs the request (SigV4, service ``execute-api``), as any AWS
client would. Prints the answer's body; exits 1 if its status is not 2xx (the status on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from ..aws.account import LOCAL_ACCOUNT
from ..aws.iam import CREDENTIALS_FILE, PROFILE, developer_session


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "call", help="call an AWS_IAM route, signed with the developer's keys", description=__doc__
    )
    parser.add_argument("url", help="e.g. 'http://127.0.0.1:8000/some/path?name=value'")
    parser.add_argument("-X", "--method", default="GET")
    parser.add_argument("-d", "--data", default="", help="the request body")
    parser.add_argument(
        "--state-dir", type=Path, default=Path(".thinker"), help="the stack's state (.thinker)"
    )
    parser.add_argument("--profile", default=PROFILE, help=f"the profile to sign with ({PROFILE})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    credentials = developer_session(args.state_dir, args.profile).get_credentials()
    if credentials is None:
        print(
            f"no credentials for profile {args.profile} in {args.state_dir / CREDENTIALS_FILE}:"
            " is the stack up?",
            file=sys.stderr,
        )
        return 1
    request = AWSRequest(method=args.method.upper(), url=args.url, data=args.data.encode())
    SigV4Auth(credentials, "execute-api", LOCAL_ACCOUNT.region).add_auth(request)
    prepared = request.prepare()
    headers = dict(prepared.headers)
    response = requests.request(
        prepared.method, prepared.url, headers=headers, data=prepared.body, timeout=60
    )
    sys.stdout.write(response.text + ("" if response.text.endswith("\n") else "\n"))
    if not response.ok:
        print(f"HTTP {response.status_code}", file=sys.stderr)
        return 1
    return 0
