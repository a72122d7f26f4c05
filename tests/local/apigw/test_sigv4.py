"""SigV4 checks against signatures made by botocore's SigV4Auth (what thinker-api signs with)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode, urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from thinker_local.apigw.sigv4 import SignatureError, verify
from thinker_local.aws.account import LOCAL_ACCOUNT
from thinker_local.aws.account import Credentials as Issued

HOST = "127.0.0.1:8000"


def _key_id(prefix: str, name: str) -> str:
    """An access key id of AWS's shape, built at run time (no key-shaped text in the file)."""
    return prefix + name.upper().ljust(16, "0")


# A role session and a user's key, as the local IAM issues them.
SESSION = Issued(
    _key_id("ASIA", "session"),
    "session-secret",
    "session-token",
    expiration=datetime.now(UTC) + timedelta(hours=1),
)
USER_KEY = Issued(_key_id("AKIA", "user"), "user-secret")
KEYS = {issued.access_key_id: issued for issued in (SESSION, USER_KEY)}


def _sign(
    url: str,
    *,
    method: str = "GET",
    body: bytes = b"",
    secret: str | None = None,
    region: str = LOCAL_ACCOUNT.region,
    service: str = "execute-api",
    token: str | None = None,
    issued: Issued = SESSION,
) -> AWSRequest:
    request = AWSRequest(method=method, url=url, data=body, headers={"Host": HOST})
    SigV4Auth(
        Credentials(
            issued.access_key_id,
            secret or issued.secret_access_key,
            token or issued.session_token,
        ),
        service,
        region,
    ).add_auth(request)
    return request


def _verify(
    request: AWSRequest,
    *,
    now: datetime | None = None,
    path: str | None = None,
    keys: dict[str, Issued] = KEYS,
) -> None:
    parts = urlsplit(request.url)
    verify(
        method=request.method,
        raw_path=path or parts.path or "/",
        query=parts.query,
        headers=list(request.headers.items()),
        body=request.body or b"",
        account=LOCAL_ACCOUNT,
        keys=keys.get,
        now=now,
    )


def _url(*subjects: str, path: str = "/") -> str:
    # As thinker-api builds it: RFC 3986 encoding, the parameter repeated.
    return f"http://{HOST}{path}?{urlencode([('subject', s) for s in subjects], quote_via=quote)}"


@pytest.mark.parametrize(
    "subjects",
    [
        ("technology", "foo_bar"),
        ("foo_bar", "technology", "foo_bar"),
        ("a b", "café", "x+y/z", "~tilde*star"),
    ],
)
def test_a_botocore_signature_is_accepted(subjects: tuple[str, ...]) -> None:
    _verify(_sign(_url(*subjects)))


def test_a_signed_post_with_a_body_and_an_encoded_path_is_accepted() -> None:
    url = f"http://{HOST}/items/{quote('a b')}/x"
    _verify(_sign(url, method="POST", body=b'{"a": 1}'))


def test_an_unsigned_request_is_missing_authentication_token() -> None:
    with pytest.raises(SignatureError) as caught:
        verify(
            method="GET",
            raw_path="/",
            query="subject=technology",
            headers=[("Host", HOST)],
            body=b"",
            account=LOCAL_ACCOUNT,
            keys=KEYS.get,
        )

    assert caught.value.message == "Missing Authentication Token"
    assert caught.value.error_type == "MissingAuthenticationTokenException"


def test_another_secret_does_not_match_and_says_what_was_expected() -> None:
    with pytest.raises(SignatureError) as caught:
        _verify(_sign(_url("technology"), secret="wrong"))

    message = caught.value.message
    assert message.startswith(
        "The request signature we calculated does not match the signature you provided."
        " Check your AWS Secret Access Key and signing method."
    )
    assert (
        "The Canonical String for this request should have been\n'GET\n/\nsubject=technology\n"
        in message
    )
    assert caught.value.error_type == "InvalidSignatureException"


def test_a_tampered_query_does_not_match() -> None:
    request = _sign(_url("technology"))
    request.url = _url("foo_bar")

    with pytest.raises(SignatureError, match="signature we calculated does not match"):
        _verify(request)


def test_a_signature_for_another_region_or_service_is_refused() -> None:
    with pytest.raises(SignatureError, match="scoped to a valid region"):
        _verify(_sign(_url("technology"), region="eu-west-3"))
    with pytest.raises(SignatureError, match="scoped to correct service: 'execute-api'"):
        _verify(_sign(_url("technology"), service="lambda"))


def test_another_session_token_is_refused() -> None:
    with pytest.raises(SignatureError, match="security token included in the request is invalid"):
        _verify(_sign(_url("technology"), token="someone-elses-token"))


def test_an_old_signature_has_expired() -> None:
    request = _sign(_url("technology"))

    with pytest.raises(SignatureError, match="Signature expired"):
        _verify(request, now=datetime.now(UTC) + timedelta(minutes=6))
    with pytest.raises(SignatureError, match="Signature not yet current"):
        _verify(request, now=datetime.now(UTC) - timedelta(minutes=6))


def test_a_user_key_signs_without_a_session_token() -> None:
    _verify(_sign(_url("technology"), issued=USER_KEY))


def test_a_key_nobody_was_given_is_refused() -> None:
    stranger = Issued(_key_id("ASIA", "stranger"), "secret", "token")

    with pytest.raises(SignatureError) as caught:
        _verify(_sign(_url("technology"), issued=stranger))

    assert caught.value.message == "The security token included in the request is invalid."
    assert caught.value.error_type == "UnrecognizedClientException"


def test_a_session_past_its_expiry_is_refused() -> None:
    expires = datetime.now(UTC) + timedelta(minutes=1)
    ending = Issued(_key_id("ASIA", "ending"), "secret", "token", expiration=expires)
    request = _sign(_url("technology"), issued=ending)

    with pytest.raises(SignatureError) as caught:
        _verify(request, now=expires + timedelta(minutes=1), keys={ending.access_key_id: ending})

    assert caught.value.message == "The security token included in the request is expired"
    assert caught.value.error_type == "ExpiredTokenException"
