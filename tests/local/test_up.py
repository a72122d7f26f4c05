"""``make up`` as a user runs it: the seed request, its trace in the local APM, the signed hop.

One stack for the module, started with the README's command on the default ports; the
quick-start's delays are set to 0 through the environment, as a user can.
"""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.local.conftest import StackProcess, running_stack
from tests.support.expected import SEED_RESPONSE
from tests.support.processes import REPO
from thinker_local.account import LOCAL_ACCOUNT

SEED_URL = "http://localhost:5000/think/?subject=technology&subject=foo_bar"
MICROSERVICE = "http://127.0.0.1:8000/"
APM = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    log = tmp_path_factory.mktemp("up") / "make-up.log"
    with running_stack(["make", "--no-print-directory", "up"], log) as running:
        yield running


def _signed_headers(url: str, secret: str | None = None) -> dict[str, str]:
    """Signed with the developer's keys, which `make up` writes to .thinker/credentials."""
    profile = configparser.ConfigParser()
    profile.read(REPO / ".thinker" / "credentials")
    developer = profile["thinker-local"]
    request = AWSRequest(method="GET", url=url, headers={"Host": "127.0.0.1:8000"})
    SigV4Auth(
        Credentials(developer["aws_access_key_id"], secret or developer["aws_secret_access_key"]),
        "execute-api",
        LOCAL_ACCOUNT.region,
    ).add_auth(request)
    return dict(request.headers.items())


def _the_trace_since(started_ns: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    """The spans of the one trace that entered thinker-api since ``started_ns``, from the APM API.

    The module's tests run one after the other, so one request since then means one trace.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listing = requests.get(
            f"{APM}/api/traces", params={"service": "thinker-api-gateway", "limit": 20}, timeout=10
        )
        listing.raise_for_status()
        recent = [t for t in listing.json()["traces"] if t["start"] >= started_ns]
        if recent:
            assert len(recent) == 1, recent
            trace = requests.get(f"{APM}/api/traces/{recent[0]['trace_id']}", timeout=10).json()
            assert trace["trace_id"] == recent[0]["trace_id"]
            return list(trace["spans"])
        time.sleep(0.5)
    pytest.fail(f"no trace entered thinker-api-gateway in the APM within {timeout} s")


def test_the_seed_request_answers_the_quick_starts_json(stack: StackProcess) -> None:
    response = requests.get(SEED_URL, timeout=60)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == SEED_RESPONSE
    assert response.headers["x-amzn-RequestId"]


def test_start_up_prints_every_url_and_the_seed_curl(stack: StackProcess) -> None:
    output = stack.output()

    for url in ("http://127.0.0.1:5000/think", "http://127.0.0.1:8000/", APM, ":8126"):
        assert url in output
    assert "curl 'localhost:5000/think/?subject=technology&subject=foo_bar'" in output
    assert "custom resource ThoughtsSeed (Custom::ThoughtsSeed): 6 thoughts written" in output


def test_the_seed_request_is_one_trace_across_both_functions(stack: StackProcess) -> None:
    # API Gateway stamps requests in milliseconds.
    started_ns = time.time_ns() // 1_000_000 * 1_000_000
    response = requests.get(SEED_URL, timeout=60)
    assert response.status_code == 200
    spans = _the_trace_since(started_ns)

    assert len({span["trace_id"] for span in spans}) == 1
    by_id = {span["span_id"]: span for span in spans}

    def parent(span: dict[str, Any]) -> dict[str, Any]:
        return by_id[span["parent_id"]]

    def only(name: str, service: str) -> dict[str, Any]:
        found = [s for s in spans if s["name"] == name and s["service"] == service]
        assert len(found) == 1, (name, service, found)
        return found[0]

    api_gateway = only("aws.apigateway", "thinker-api-gateway")
    api_lambda = only("aws.lambda", "thinker-api")
    outgoing = only("requests.request", "thinker-api")
    service_gateway = only("aws.apigateway", "thinker-microservice-gateway")
    service_lambda = only("aws.lambda", "thinker-microservice")
    handler = only("aiohttp.request", "thinker-microservice")
    assert api_gateway["parent_id"] not in by_id
    assert parent(api_lambda) is api_gateway
    assert parent(outgoing) is api_lambda
    assert parent(service_gateway) is outgoing
    assert parent(service_lambda) is service_gateway
    assert parent(handler) is service_lambda
    assert api_gateway["meta"]["http.method"] == "GET"
    assert api_gateway["meta"]["http.status_code"] == "200"

    thinks = sorted(
        (s for s in spans if s["name"] == "think"), key=lambda span: span["meta"]["subject"]
    )
    assert [s["meta"]["subject"] for s in thinks] == ["foo_bar", "technology"]
    assert all(parent(s) is handler for s in thinks)
    unknown, known = thinks
    assert not known["error"]
    assert unknown["error"]
    assert unknown["meta"]["error.type"] == "builtins.KeyError"
    assert unknown["meta"]["error.message"] == "'foo_bar'"
    assert "KeyError" in unknown["meta"]["error.stack"]

    dynamodb = [s for s in spans if s["meta"].get("aws.service", "").lower() == "dynamodb"]
    dynamodb = dynamodb or [s for s in spans if s["name"].startswith("dynamodb")]
    assert len(dynamodb) == 2
    assert {parent(s)["span_id"] for s in dynamodb} == {s["span_id"] for s in thinks}


def test_the_microservice_takes_a_call_signed_with_the_developers_keys(
    stack: StackProcess,
) -> None:
    url = f"{MICROSERVICE}?subject=technology&subject=foo_bar"

    response = requests.get(url, headers=_signed_headers(url), timeout=60)

    assert response.status_code == 200
    assert response.json() == SEED_RESPONSE


def test_the_microservice_refuses_an_unsigned_call(stack: StackProcess) -> None:
    response = requests.get(f"{MICROSERVICE}?subject=technology", timeout=30)

    assert response.status_code == 403
    assert response.text == '{"message":"Missing Authentication Token"}'
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_the_microservice_refuses_a_call_signed_with_another_secret(stack: StackProcess) -> None:
    url = f"{MICROSERVICE}?subject=technology"

    response = requests.get(url, headers=_signed_headers(url, secret="not-the-secret"), timeout=30)

    assert response.status_code == 403
    assert response.json()["message"].startswith(
        "The request signature we calculated does not match the signature you provided."
    )
    assert response.headers["x-amzn-ErrorType"] == "InvalidSignatureException"


@pytest.mark.parametrize(("method", "path"), [("GET", "/nothing-here"), ("POST", "/think")])
def test_an_unknown_route_or_method_is_missing_authentication_token(
    stack: StackProcess, method: str, path: str
) -> None:
    response = requests.request(method, f"http://127.0.0.1:5000{path}", timeout=30)

    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_a_second_up_says_one_is_running_and_exits_non_zero(stack: StackProcess) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "thinker_local", "up"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert second.returncode == 1
    assert "thinker is already running" in second.stderr
    assert f"pid {stack_pid(stack)}" in second.stderr
    assert "http://127.0.0.1:5000/" in second.stderr


def test_up_elsewhere_says_which_port_is_taken(stack: StackProcess, tmp_path: Path) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "thinker_local", "up", "--state-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert second.returncode == 1
    assert "port 5000 (ThinkerApi) is already in use" in second.stderr


def stack_pid(stack: StackProcess) -> int:
    """The pid of the stack's Python process (make's child), as written in .thinker/up.json."""
    info = json.loads((REPO / ".thinker" / "up.json").read_text())
    assert info["pid"] in stack.remember()
    return int(info["pid"])
