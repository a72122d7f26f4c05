"""``GET /think/`` keeps the contract of docs/api.md, end to end through the local stack."""

from __future__ import annotations

import pytest
import requests

from tests.support.expected import SEED_RESPONSE
from tests.support.stacks import Stack, assert_clean_json_error

UNKNOWN = {"error": True, "reason": "Subject unknown"}


def _get(stack: Stack, query: str) -> requests.Response:
    return requests.get(f"{stack.api}/think/{query}", timeout=60)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "the 'subject' query parameter is required, e.g. ?subject=technology"),
        (
            "?topic=technology",
            "the 'subject' query parameter is required, e.g. ?subject=technology",
        ),
        ("?subject=", "'subject' must not be empty"),
        ("?subject", "'subject' must not be empty"),
        ("?subject=%20%09", "'subject' must not be empty"),
        ("?subject=+", "'subject' must not be empty"),
        ("?subject=technology&subject=", "'subject' must not be empty"),
        ("?" + "&".join(["subject=a"] * 11), "at most 10 subjects per request, got 11"),
        ("?subject=" + "a" * 65, "a subject is at most 64 characters, got 65"),
        ("?subject=" + "%C3%A9" * 65, "a subject is at most 64 characters, got 65"),
    ],
)
def test_a_query_breaking_the_contract_is_400_naming_the_problem(
    stack: Stack, query: str, message: str
) -> None:
    assert_clean_json_error(_get(stack, query), 400, message)


def test_the_limits_themselves_are_accepted(stack: Stack) -> None:
    subjects = [f"s{index}" + "x" * 62 for index in range(10)]
    query = "?" + "&".join(f"subject={subject}" for subject in subjects)

    response = _get(stack, query)

    assert response.status_code == 200
    assert response.json() == dict.fromkeys(subjects, UNKNOWN)


def test_unknown_parameters_are_ignored(stack: Stack) -> None:
    response = _get(stack, "?lang=fr&subject=technology&debug=1&subject=foo_bar&subject_=x")

    assert response.status_code == 200
    assert response.json() == SEED_RESPONSE


@pytest.mark.parametrize(
    ("query", "subject"),
    [
        ("?subject=caf%C3%A9", "café"),
        ("?subject=%F0%9F%A7%A0%20brain", "🧠 brain"),
        ("?subject=a+b", "a b"),
        ("?subject=a%2Bb", "a+b"),
        ("?subject=a%26subject%3Db", "a&subject=b"),
        ("?subject=%25", "%"),
        ("?subject=x%2Fy", "x/y"),
        ("?subject=~*'()!;", "~*'()!;"),
        ("?subject=%E6%80%9D%E8%80%83", "思考"),
    ],
)
def test_unicode_and_percent_encoding_reach_the_microservice_decoded(
    stack: Stack, query: str, subject: str
) -> None:
    """Decoded once by API Gateway, re-encoded and signed by thinker-api, decoded again."""
    response = _get(stack, query)

    assert response.status_code == 200, response.text
    assert response.json() == {subject: UNKNOWN}


def test_the_path_without_its_trailing_slash_is_the_same_resource(stack: Stack) -> None:
    response = requests.get(f"{stack.api}/think?subject=technology", timeout=60)

    assert response.status_code == 200
    assert response.json() == {"technology": SEED_RESPONSE["technology"]}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
def test_other_methods_are_answered_as_api_gateway_does(stack: Stack, method: str) -> None:
    response = requests.request(
        method, f"{stack.api}/think/?subject=technology", data=b"{}", timeout=60
    )

    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    if method != "HEAD":
        assert response.json() == {"message": "Missing Authentication Token"}


def test_a_request_line_api_gateway_accepts_is_not_refused_locally(stack: Stack) -> None:
    # API Gateway takes up to 10,240 bytes of request line; aiohttp alone stops at 8,190.
    response = _get(stack, "?subject=technology&padding=" + "x" * 9_000)

    assert response.status_code == 200
    assert response.json()["technology"] == SEED_RESPONSE["technology"]
