"""openapi/thinker-api.yaml: a valid OpenAPI 3 description the running API keeps (schemathesis)."""

from __future__ import annotations

import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import unsupported_method

from tests.support.processes import REPO
from tests.support.stacks import Stack

OPENAPI = REPO / "openapi" / "thinker-api.yaml"
schema = schemathesis.openapi.from_path(OPENAPI)


def test_the_description_is_valid_openapi() -> None:
    validate(yaml.safe_load(OPENAPI.read_text()))


def test_the_description_names_the_contracts_limits() -> None:
    from chalicelib.query import MAX_SUBJECT_LENGTH, MAX_SUBJECTS

    (parameter,) = yaml.safe_load(OPENAPI.read_text())["paths"]["/think/"]["get"]["parameters"]
    assert parameter["required"] is True
    assert parameter["schema"]["maxItems"] == MAX_SUBJECTS
    assert parameter["schema"]["items"]["maxLength"] == MAX_SUBJECT_LENGTH


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_answers_as_described(case: schemathesis.Case, stack: Stack) -> None:
    # API Gateway answers an undeclared method with 403 Missing Authentication Token, not 405
    # (described in the file and tested in test_think_contract.py).
    case.call_and_validate(base_url=stack.api, timeout=60, excluded_checks=[unsupported_method])


def test_the_local_stack_serves_the_description(stack: Stack) -> None:
    response = requests.get(f"{stack.apm}/openapi/thinker-api.yaml", timeout=30)

    assert response.status_code == 200
    assert response.text == OPENAPI.read_text()
