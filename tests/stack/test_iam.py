"""Each function runs as its own role, and the roles' policies are enforced, through the real stack.

The functions are throwaway ones (iam/template.yaml): callers of an AWS_IAM API whose roles allow
that API's method, or only another stage or method; a writer whose role allows the read but not
the write, and its twin whose role allows both.
"""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support.processes import REPO, free_port
from tests.support.stacks import running_stack
from thinker_local.aws.account import LOCAL_ACCOUNT
from thinker_local.harness.stack import StackProcess, up_command
from thinker_local.template import local_api_id

IAM_TEMPLATE = Path(__file__).parent / "iam" / "template.yaml"
ACCOUNT = LOCAL_ACCOUNT.account_id
STACK = "iam"  # the template's directory: no samconfig.toml names the stack
SIGNED_API_ID = local_api_id("SignedApi")


@dataclass(frozen=True)
class IamStack:
    process: StackProcess
    signed: str
    open: str
    apm: str
    state: Path


@pytest.fixture(scope="module")
def iam_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IamStack]:
    tmp = tmp_path_factory.mktemp("iam")
    signed, open_, dynamodb, agent, apm, lambda_port = (free_port() for _ in range(6))
    args = up_command(
        "--template", str(IAM_TEMPLATE),
        "--state-dir", str(tmp / "state"),
        "--api-port", f"SignedApi={signed}",
        "--api-port", f"OpenApi={open_}",
        "--dynamodb-port", str(dynamodb),
        "--agent-port", str(agent),
        "--apm-port", str(apm),
        "--lambda-port", str(lambda_port),
        "--no-reload",
        "--max-environments", "2",
    )  # fmt: skip
    with running_stack(args, tmp / "stack.log") as process:
        yield IamStack(
            process,
            signed=f"http://127.0.0.1:{signed}/",
            open=f"http://127.0.0.1:{open_}",
            apm=f"http://127.0.0.1:{apm}",
            state=tmp / "state",
        )


def _get(url: str) -> requests.Response:
    return requests.get(url, timeout=60)


def _call(stack: IamStack, route: str) -> dict[str, Any]:
    response = _get(f"{stack.open}/call/{route}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _session_arn(function: str) -> str:
    """The caller Lambda's role session is on AWS: role ``<stack>-<Function>Role``, session
    named after the function."""
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{STACK}-{function}Role/{function}"


def _developer_key(stack: IamStack) -> str:
    config = configparser.ConfigParser()
    config.read(stack.state / "credentials")
    return config["thinker-local"]["aws_access_key_id"]


def test_a_call_signed_with_a_role_allowed_the_method_gets_through_as_that_session(
    iam_stack: IamStack,
) -> None:
    answer = _call(iam_stack, "allowed")

    assert answer["status"] == 200, answer
    identity = answer["body"]["identity"]
    assert identity["userArn"] == _session_arn("CallerFunction")
    assert identity["accountId"] == ACCOUNT
    assert identity["accessKey"] == answer["access_key"]
    role_id, session = identity["caller"].split(":")
    assert role_id.startswith("AROA")
    assert session == "CallerFunction"
    assert identity["user"] == identity["caller"]


@pytest.mark.parametrize(
    ("route", "function"),
    [("other-stage", "OtherStageCallerFunction"), ("other-method", "OtherMethodCallerFunction")],
)
def test_a_role_allowed_only_another_stage_or_method_gets_api_gateways_403(
    iam_stack: IamStack, route: str, function: str
) -> None:
    answer = _call(iam_stack, route)

    assert answer["status"] == 403
    assert answer["body"] == {
        "Message": f"User: {_session_arn(function)} is not authorized to perform:"
        f" execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********{ACCOUNT[-4:]}"
        f":{SIGNED_API_ID}/test/GET/"
    }


def test_the_developer_calls_the_signed_api_by_hand(iam_stack: IamStack) -> None:
    command = [
        sys.executable, "-m", "thinker_local", "call", iam_stack.signed,
        "--state-dir", str(iam_stack.state),
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    identity = json.loads(result.stdout)["identity"]
    assert identity["userArn"] == f"arn:aws:iam::{ACCOUNT}:user/developer"
    assert identity["accessKey"] == _developer_key(iam_stack)
    assert identity["caller"] == identity["user"] != identity["accessKey"]


def test_an_unsigned_call_to_the_signed_api_is_missing_authentication_token(
    iam_stack: IamStack,
) -> None:
    response = _get(iam_stack.signed)

    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_a_write_the_role_does_not_allow_is_access_denied_in_the_log_and_the_trace(
    iam_stack: IamStack,
) -> None:
    response = _get(f"{iam_stack.open}/write")

    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{STACK}-ItemsTable"
    denial = (
        f"User: {_session_arn('WriterFunction')} is not authorized to perform: dynamodb:PutItem"
        f" on resource: {table} because no identity-based policy allows the dynamodb:PutItem"
        " action"
    )
    expected = (
        f"An error occurred (AccessDeniedException) when calling the PutItem operation: {denial}"
    )
    assert expected in iam_stack.process.output()
    deadline = time.monotonic() + 30
    while expected not in (messages := _error_messages(iam_stack, "iam-writer")):
        assert time.monotonic() < deadline, f"no span with the denial; error messages: {messages}"
        time.sleep(0.5)


def test_the_same_write_with_the_statement_added_is_allowed(iam_stack: IamStack) -> None:
    response = _get(f"{iam_stack.open}/write-allowed")

    assert response.status_code == 200, response.text
    assert response.json()["written"]


def test_every_function_has_its_own_credentials_and_none_is_the_accounts_or_the_developers(
    iam_stack: IamStack,
) -> None:
    keys = {
        "CallerFunction": _call(iam_stack, "allowed")["access_key"],
        "TargetFunction": _call(iam_stack, "allowed")["body"]["access_key"],
        "OtherStageCallerFunction": _call(iam_stack, "other-stage")["access_key"],
        "OtherMethodCallerFunction": _call(iam_stack, "other-method")["access_key"],
        "AllowedWriterFunction": _get(f"{iam_stack.open}/write-allowed").json()["access_key"],
    }

    assert len(set(keys.values())) == len(keys), keys
    assert all(key.startswith("ASIA") for key in keys.values()), keys
    assert LOCAL_ACCOUNT.credentials.access_key_id not in keys.values()
    assert _developer_key(iam_stack) not in keys.values()


def _error_messages(stack: IamStack, service: str) -> set[str]:
    """The error messages of the error spans of the service's traces (the local APM's API)."""
    listed = _get(f"{stack.apm}/api/traces?service={service}&error=true").json()["traces"]
    messages: set[str] = set()
    for summary in listed:
        trace = _get(f"{stack.apm}/api/traces/{summary['trace_id']}").json()
        messages |= {
            span["meta"].get("error.message", "") for span in trace["spans"] if span["error"]
        }
    return messages


def _sts(stack: IamStack) -> Any:
    """The account's STS (moto), called with the developer's keys."""
    config = configparser.ConfigParser()
    config.read(stack.state / "credentials")
    profile = config["thinker-local"]
    return boto3.session.Session().client(
        "sts",
        endpoint_url=stack.process.info.dynamodb,
        region_name=LOCAL_ACCOUNT.region,
        aws_access_key_id=profile["aws_access_key_id"],
        aws_secret_access_key=profile["aws_secret_access_key"],
    )


def _signed_get(url: str, given: dict[str, Any], *, token: bool = True) -> requests.Response:
    """GET ``url`` signed (SigV4, execute-api) with STS's ``Credentials``; ``token=False``: the
    signature made without the session token, and none sent."""
    credentials = Credentials(
        given["AccessKeyId"], given["SecretAccessKey"], given["SessionToken"] if token else None
    )
    request = AWSRequest(method="GET", url=url, headers={"Host": url.split("/")[2]})
    SigV4Auth(credentials, "execute-api", LOCAL_ACCOUNT.region).add_auth(request)
    return requests.get(url, headers=dict(request.headers.items()), timeout=60)


def test_the_developers_session_token_credentials_call_the_signed_api_as_the_developer(
    iam_stack: IamStack,
) -> None:
    given = _sts(iam_stack).get_session_token(DurationSeconds=900)["Credentials"]
    assert given["AccessKeyId"].startswith("ASIA")

    response = _signed_get(iam_stack.signed, given)

    assert response.status_code == 200, response.text
    identity = response.json()["identity"]
    assert identity["userArn"] == f"arn:aws:iam::{ACCOUNT}:user/developer"
    assert identity["accessKey"] == given["AccessKeyId"]
    stripped = _signed_get(iam_stack.signed, given, token=False)
    assert stripped.status_code == 403
    assert stripped.json() == {"message": "The security token included in the request is invalid."}


def test_a_role_the_developer_assumes_calls_the_signed_api_as_that_role_by_its_policies(
    iam_stack: IamStack,
) -> None:
    sts = _sts(iam_stack)
    allowed = sts.assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{STACK}-DeveloperRoleFunctionRole",
        RoleSessionName="person",
    )["Credentials"]
    other_stage = sts.assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{STACK}-OtherStageDeveloperRoleFunctionRole",
        RoleSessionName="person",
    )["Credentials"]

    response = _signed_get(iam_stack.signed, allowed)
    assert response.status_code == 200, response.text
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/{STACK}-DeveloperRoleFunctionRole/person"
    assert response.json()["identity"]["userArn"] == session
    denied = _signed_get(iam_stack.signed, other_stage)
    assert denied.status_code == 403
    assert "is not authorized to perform: execute-api:Invoke" in denied.json()["Message"]
    assert _signed_get(iam_stack.signed, allowed, token=False).status_code == 403


def test_a_role_that_does_not_trust_the_developer_cannot_be_assumed(iam_stack: IamStack) -> None:
    with pytest.raises(ClientError) as refused:
        _sts(iam_stack).assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{STACK}-CallerFunctionRole",
            RoleSessionName="person",
        )
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
