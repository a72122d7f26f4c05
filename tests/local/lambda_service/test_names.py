"""Which function an Invoke call names: Lambda's name formats against the template."""

from __future__ import annotations

import pytest

from tests.support.lambda_stack import TEMPLATE
from thinker_local.aws.account import LOCAL_ACCOUNT
from thinker_local.lambda_service.errors import LambdaError
from thinker_local.lambda_service.names import resolve
from thinker_local.template import load_template

FUNCTIONS = load_template(TEMPLATE).functions
ARN = "arn:aws:lambda:us-east-1:123456789012:function:lambda-api-callee"


@pytest.mark.parametrize(
    ("name", "qualifier", "arn"),
    [
        ("CalleeFunction", None, ARN),
        ("lambda-api-callee", "$LATEST", f"{ARN}:$LATEST"),
        ("lambda-api-callee:$LATEST", None, f"{ARN}:$LATEST"),
        (ARN, None, ARN),
        ("123456789012:function:lambda-api-callee", None, ARN),
    ],
)
def test_each_name_format_resolves_to_the_function_and_the_arn_iam_judges(
    name: str, qualifier: str | None, arn: str
) -> None:
    named = resolve(FUNCTIONS, LOCAL_ACCOUNT, name, qualifier)

    assert (named.logical_id, named.arn) == ("CalleeFunction", arn)


@pytest.mark.parametrize(
    "name",
    [
        "arn:aws:lambda:eu-west-1:123456789012:function:lambda-api-callee",
        "210987654321:function:lambda-api-callee",
        "lambda-api-callee:live",
    ],
)
def test_another_region_account_or_qualifier_names_no_function(name: str) -> None:
    with pytest.raises(LambdaError) as raised:
        resolve(FUNCTIONS, LOCAL_ACCOUNT, name)

    assert (raised.value.status, raised.value.error_type) == (404, "ResourceNotFoundException")


def test_a_qualifier_in_the_name_and_another_as_parameter_is_invalid() -> None:
    with pytest.raises(LambdaError) as raised:
        resolve(FUNCTIONS, LOCAL_ACCOUNT, "lambda-api-callee:$LATEST", "1")

    assert (raised.value.status, raised.value.error_type) == (
        400,
        "InvalidParameterValueException",
    )
