"""thinker-api's call to thinker-microservice: signed, bounded in time, failures made clear."""

from __future__ import annotations

from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from chalicelib.microservice import MicroserviceClient, MicroserviceError
from tests.support.processes import free_port
from tests.support.stand_ins import StandIn, serving


def test_the_answer_is_returned_unchanged() -> None:
    answer = StandIn(body=b'{"b": 1,   "a": [true]}')
    with serving(answer) as stand_in:
        assert (
            MicroserviceClient(stand_in.url).think(["technology"], timeout=5)
            == '{"b": 1,   "a": [true]}'
        )


def test_subjects_travel_as_repeated_query_parameters() -> None:
    answer = StandIn()
    with serving(answer) as stand_in:
        MicroserviceClient(stand_in.url).think(["technology", "foo bar", "café"], timeout=5)

    query = parse_qs(urlsplit(answer.requests[0].path).query)
    assert query == {"subject": ["technology", "foo bar", "café"]}


def test_the_call_is_signed_for_execute_api_and_the_signature_checks_out() -> None:
    answer = StandIn()
    with serving(answer) as stand_in:
        MicroserviceClient(stand_in.url, region="eu-west-3").think(["technology", "a b"], timeout=5)

    sent = answer.requests[0].headers
    authorization = sent["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDLOCALTESTS/")
    assert "/eu-west-3/execute-api/aws4_request" in authorization

    # Recompute the signature as API Gateway does from what arrived: query decoded, then
    # re-encoded per RFC 3986 (so a '+' for a space would not match).
    path = urlsplit(answer.requests[0].path)
    canonical_query = urlencode(parse_qsl(path.query), quote_via=quote)
    received = AWSRequest(
        method="GET",
        url=f"{stand_in.url.rstrip('/')}{path.path}?{canonical_query}",
        headers={"Host": sent["Host"], "X-Amz-Date": sent["X-Amz-Date"]},
    )
    received.context["timestamp"] = sent["X-Amz-Date"]
    auth = SigV4Auth(
        Credentials("AKIDLOCALTESTS", "local-tests-secret"), "execute-api", "eu-west-3"
    )
    string_to_sign = auth.string_to_sign(received, auth.canonical_request(received))
    assert authorization.endswith(f"Signature={auth.signature(string_to_sign, received)}")


def test_unreachable_is_502() -> None:
    client = MicroserviceClient(f"http://127.0.0.1:{free_port()}/")
    with pytest.raises(MicroserviceError, match="unreachable") as error:
        client.think(["technology"], timeout=5)
    assert error.value.status == 502


def test_slower_than_the_budget_is_504() -> None:
    with (
        serving(StandIn(hang=True)) as stand_in,
        pytest.raises(MicroserviceError, match="did not answer in time") as error,
    ):
        MicroserviceClient(stand_in.url).think(["technology"], timeout=0.2)
    assert error.value.status == 504


@pytest.mark.parametrize("status", [403, 500, 503])
def test_an_error_status_is_502_naming_it(status: int) -> None:
    with (
        serving(StandIn(status=status, body=b'{"message": "x"}')) as stand_in,
        pytest.raises(MicroserviceError, match=f"HTTP {status}") as error,
    ):
        MicroserviceClient(stand_in.url).think(["technology"], timeout=5)
    assert error.value.status == 502


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"", b"[1, 2]", b'"text"'])
def test_an_answer_that_is_not_a_json_object_is_502(body: bytes) -> None:
    with (
        serving(StandIn(body=body)) as stand_in,
        pytest.raises(MicroserviceError, match="other than JSON") as error,
    ):
        MicroserviceClient(stand_in.url).think(["technology"], timeout=5)
    assert error.value.status == 502
