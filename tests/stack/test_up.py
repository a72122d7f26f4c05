"""``make up`` as a user runs it: the seed request, its trace in the local APM, the signed hop.

One stack for the module, started with the README's command on the default ports; the
quick-start's delays are set to 0 through the environment, as a user can.
"""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support.expected import SEED_RESPONSE
from tests.support.processes import REPO
from tests.support.seed_trace import assert_seed_trace, entering_trace_ids, the_new_trace
from tests.support.stacks import running_stack
from thinker_local.aws.account import LOCAL_ACCOUNT
from thinker_local.harness.stack import StackProcess

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
    known = entering_trace_ids(APM)
    response = requests.get(SEED_URL, timeout=60)
    assert response.status_code == 200

    assert_seed_trace(the_new_trace(APM, known))


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
