"""Lambda's Invoke API on a real stack, with boto3 (and the AWS CLI) as the clients.

The functions are throwaway ones (template/): a caller whose role may invoke the callee, the
callee, and a caller whose role may not.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from tests.support.lambda_stack import LambdaStack
from thinker_local.aws.account import LOCAL_ACCOUNT
from thinker_local.aws.iam import CREDENTIALS_FILE, PROFILE

CALLEE = "lambda-api-callee"
CALLEE_ARN = f"arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT.account_id}:function:{CALLEE}"
WAIT_S = 30.0


def _answer(answer: dict[str, Any]) -> Any:
    return json.loads(answer["Payload"].read())


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = excinfo.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def _wait_for_output(stack: LambdaStack, text: str, count: int = 1) -> str:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        output = stack.process.output()
        if output.count(text) >= count:
            return output
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not {count} times in the stack's output within {WAIT_S} s")


def test_a_synchronous_invoke_answers_the_result_with_the_log_tail(
    lambda_stack: LambdaStack,
) -> None:
    answer = lambda_stack.client().invoke(
        FunctionName="CalleeFunction", Payload=b'{"marker": "sync"}', LogType="Tail"
    )

    assert answer["StatusCode"] == 200
    assert answer["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in answer
    result = _answer(answer)
    assert result["event"] == {"marker": "sync"}
    assert result["request_id"] == answer["ResponseMetadata"]["RequestId"]
    log = base64.b64decode(answer["LogResult"]).decode()
    assert log.startswith(f"START RequestId: {result['request_id']} Version: $LATEST\n")
    assert "callee got sync\n" in log
    assert f"REPORT RequestId: {result['request_id']}\t" in log


def test_a_function_error_is_a_200_with_x_amz_function_error(lambda_stack: LambdaStack) -> None:
    answer = lambda_stack.client().invoke(
        FunctionName=CALLEE, Payload=b'{"marker": "boom", "fail": true}'
    )

    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    result = _answer(answer)
    assert result["errorType"] == "RuntimeError"
    assert result["errorMessage"] == "told to fail: boom"


@pytest.mark.parametrize(
    "name",
    [
        "CalleeFunction",
        CALLEE,
        CALLEE_ARN,
        f"{CALLEE_ARN}:$LATEST",
        f"{LOCAL_ACCOUNT.account_id}:function:{CALLEE}",
    ],
)
def test_a_function_is_named_by_logical_id_name_or_arn(
    lambda_stack: LambdaStack, name: str
) -> None:
    answer = lambda_stack.client().invoke(FunctionName=name, InvocationType="DryRun")

    assert answer["StatusCode"] == 204


def test_an_unknown_function_or_qualifier_is_resource_not_found(
    lambda_stack: LambdaStack,
) -> None:
    client = lambda_stack.client()
    with pytest.raises(ClientError) as unknown:
        client.invoke(FunctionName="NoSuchFunction")
    with pytest.raises(ClientError) as version:
        client.invoke(FunctionName=CALLEE, Qualifier="1")

    assert _error(unknown) == (
        404,
        "ResourceNotFoundException",
        f"Function not found: arn:aws:lambda:us-east-1:{LOCAL_ACCOUNT.account_id}"
        ":function:NoSuchFunction",
    )
    assert _error(version) == (
        404,
        "ResourceNotFoundException",
        f"Function not found: {CALLEE_ARN}:1",
    )


def test_a_payload_that_is_not_json_is_invalid_request_content(
    lambda_stack: LambdaStack,
) -> None:
    with pytest.raises(ClientError) as raised:
        lambda_stack.client().invoke(FunctionName=CALLEE, Payload=b"{not json")

    status, code, message = _error(raised)
    assert (status, code) == (400, "InvalidRequestContentException")
    assert message.startswith("Could not parse request body into json:")


def test_payloads_over_lambdas_limits_are_request_too_large(lambda_stack: LambdaStack) -> None:
    client = lambda_stack.client()
    over_sync = b'"' + b"x" * (6 * 1024 * 1024) + b'"'
    over_event = b'"' + b"x" * (1024 * 1024) + b'"'
    with pytest.raises(ClientError) as sync:
        client.invoke(FunctionName=CALLEE, Payload=over_sync)
    with pytest.raises(ClientError) as event:
        client.invoke(FunctionName=CALLEE, Payload=over_event, InvocationType="Event")

    assert _error(sync) == (
        413,
        "RequestEntityTooLargeException",
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    )
    assert _error(event) == (
        413,
        "RequestEntityTooLargeException",
        f"{len(over_event)} byte payload is too large for the Event invocation type"
        " (limit 1048576 bytes)",
    )


def test_an_unknown_invocation_type_is_a_validation_error(lambda_stack: LambdaStack) -> None:
    with pytest.raises(ClientError) as raised:
        lambda_stack.client().invoke(FunctionName=CALLEE, InvocationType="Later")

    status, code, message = _error(raised)
    assert (status, code) == (400, "ValidationException")
    assert "Member must satisfy enum value set: [RequestResponse, Event, DryRun]" in message


def test_an_event_invocation_is_accepted_at_once_then_run(lambda_stack: LambdaStack) -> None:
    marker = f"event-{uuid.uuid4()}"
    answer = lambda_stack.client().invoke(
        FunctionName=CALLEE, InvocationType="Event", Payload=json.dumps({"marker": marker})
    )

    assert answer["StatusCode"] == 202
    assert answer["Payload"].read() == b""
    _wait_for_output(lambda_stack, f"callee got {marker}")


def test_a_failed_event_invocation_is_retried_twice_with_its_request_id(
    lambda_stack: LambdaStack,
) -> None:
    marker = f"failing-{uuid.uuid4()}"
    answer = lambda_stack.client().invoke(
        FunctionName=CALLEE,
        InvocationType="Event",
        Payload=json.dumps({"marker": marker, "fail": True}),
    )
    request_id = answer["ResponseMetadata"]["RequestId"]

    output = _wait_for_output(lambda_stack, f"Event {request_id} failed 3 times")
    assert output.count(f"callee got {marker}") == 3
    assert output.count(f"START RequestId: {request_id} ") == 3


def test_dry_run_checks_and_runs_nothing(lambda_stack: LambdaStack) -> None:
    marker = f"dry-{uuid.uuid4()}"
    answer = lambda_stack.client().invoke(
        FunctionName=CALLEE, InvocationType="DryRun", Payload=json.dumps({"marker": marker})
    )

    assert answer["StatusCode"] == 204
    time.sleep(1)
    assert marker not in lambda_stack.process.output()


def test_the_client_context_reaches_the_handler(lambda_stack: LambdaStack) -> None:
    context = base64.b64encode(json.dumps({"custom": {"who": "test"}}).encode()).decode()
    answer = lambda_stack.client().invoke(FunctionName=CALLEE, ClientContext=context)

    assert _answer(answer)["custom"] == {"who": "test"}


def test_a_client_context_that_is_not_base64_json_is_invalid_request_content(
    lambda_stack: LambdaStack,
) -> None:
    with pytest.raises(ClientError) as raised:
        lambda_stack.client().invoke(FunctionName=CALLEE, ClientContext="not base64 json")

    assert _error(raised) == (
        400,
        "InvalidRequestContentException",
        "Client context must be a valid Base64-encoded JSON object.",
    )


def test_a_function_invokes_another_through_boto3_with_its_role(
    lambda_stack: LambdaStack,
) -> None:
    answer = lambda_stack.client().invoke(
        FunctionName="CallerFunction",
        Payload=json.dumps({"payload": {"marker": "from-caller"}}),
    )

    result = _answer(answer)
    assert result["status"] == 200
    assert result["payload"]["event"] == {"marker": "from-caller"}
    # ddtrace's botocore integration put the trace context in the ClientContext.
    assert "x-datadog-trace-id" in result["payload"]["custom"]


def test_a_function_whose_role_may_not_invoke_is_access_denied(
    lambda_stack: LambdaStack,
) -> None:
    answer = lambda_stack.client().invoke(FunctionName="UnprivilegedFunction", Payload=b"{}")

    result = _answer(answer)
    # The stack is named after the template's directory (no samconfig.toml names it).
    assert result["status"] == 403
    assert result["error"] == "AccessDeniedException"
    assert result["message"] == (
        f"User: arn:aws:sts::{LOCAL_ACCOUNT.account_id}:assumed-role/"
        "template-UnprivilegedFunctionRole/UnprivilegedFunction is not authorized to"
        f" perform: lambda:InvokeFunction on resource: {CALLEE_ARN} because no"
        " identity-based policy allows the lambda:InvokeFunction action"
    )


def test_an_unsigned_call_or_an_unknown_key_is_refused(lambda_stack: LambdaStack) -> None:
    url = f"{lambda_stack.lambda_api}/2015-03-31/functions/{CALLEE}/invocations"
    unsigned = requests.post(url, data=b"{}", timeout=30)
    forged = requests.post(
        url,
        data=b"{}",
        timeout=30,
        headers={
            "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIANOBODY/20260101/us-east-1/lambda/"
            "aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
        },
    )

    assert unsigned.status_code == 403
    assert unsigned.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert forged.status_code == 403
    assert forged.headers["x-amzn-ErrorType"] == "UnrecognizedClientException"


def test_a_rebinding_host_or_a_web_page_is_refused_before_anything_else(
    lambda_stack: LambdaStack,
) -> None:
    url = f"{lambda_stack.lambda_api}/2015-03-31/functions/{CALLEE}/invocations"
    port = url.split(":")[2].split("/")[0]
    rebinding = requests.post(
        url, data=b"{}", headers={"Host": f"rebind.example:{port}"}, timeout=30
    )
    from_a_page = requests.post(
        url, data=b"{}", headers={"Origin": "http://rebind.example"}, timeout=30
    )
    loopback = requests.post(url, data=b"{}", headers={"Host": f"localhost:{port}"}, timeout=30)

    for refused in (rebinding, from_a_page):
        assert refused.status_code == 403
        assert refused.headers["Content-Type"].startswith("text/plain")
        assert "x-amzn-ErrorType" not in refused.headers
    assert "rebind.example" in rebinding.text
    assert "web pages" in from_a_page.text
    # A loopback name reaches the API itself, which asks for a signature.
    assert loopback.status_code == 403
    assert loopback.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_a_wrong_method_or_path_is_an_unknown_operation(lambda_stack: LambdaStack) -> None:
    base = lambda_stack.lambda_api
    wrong_method = requests.get(f"{base}/2015-03-31/functions/{CALLEE}/invocations", timeout=30)
    wrong_path = requests.post(f"{base}/2015-03-31/functions/{CALLEE}/invoke", timeout=30)

    for response in (wrong_method, wrong_path):
        assert response.status_code == 404
        assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
        assert response.json()["Type"] == "User"


def test_the_aws_cli_invokes_with_the_developers_profile(
    lambda_stack: LambdaStack, tmp_path: Path
) -> None:
    aws = shutil.which("aws")
    if aws is None:
        pytest.skip("no AWS CLI on this machine")
    out = tmp_path / "out.json"
    event = tmp_path / "event.json"
    event.write_text('{"marker": "cli"}')
    command = [
        aws, "lambda", "invoke",
        "--endpoint-url", lambda_stack.lambda_api,
        "--profile", PROFILE,
        "--region", LOCAL_ACCOUNT.region,
        "--function-name", CALLEE,
        "--payload", f"fileb://{event}",
        str(out),
    ]  # fmt: skip
    completed = subprocess.run(
        command,
        env={
            **os.environ,
            "AWS_SHARED_CREDENTIALS_FILE": str(lambda_stack.state / CREDENTIALS_FILE),
            "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["StatusCode"] == 200
    assert json.loads(out.read_text())["event"] == {"marker": "cli"}
