"""AWS Signature Version 4 checks for API Gateway routes with ``AWS_IAM`` auth (and for the local
Lambda Invoke API, :mod:`thinker_local.lambda_service`, which answers the same failures in
Lambda's error shape).

The request's canonical form is rebuilt the way AWS rebuilds it on its side (URI-encoded path,
query parameters decoded then re-encoded per RFC 3986 and sorted, the signed headers, the payload
hash), signed with the secret key of the caller's access key, and compared with the signature the
caller sent. Whether the caller may call the route is the gateway's next question (IAM).
Failures carry API Gateway's own messages (:mod:`thinker_local.apigw.errors`), so a client sees
locally what it would see in AWS.
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

from ..aws.account import Credentials, LocalAccount
from .errors import (
    SignatureError,
    expired_token,
    missing_authentication_token,
    unrecognized_client,
)

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "execute-api"
# How far the request's X-Amz-Date may be from the server's clock.
MAX_SKEW = timedelta(minutes=5)
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_AUTH_PARAMETER = re.compile(r"(\w+)=([^,\s]*)")


@dataclass(frozen=True)
class SignedBy:
    """Whose signature checked out."""

    access_key: str


def verify(
    *,
    method: str,
    raw_path: str,
    query: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    account: LocalAccount,
    keys: Callable[[str], Credentials | None],
    now: datetime | None = None,
    expected_service: str = SERVICE,
) -> SignedBy:
    """Check the request's SigV4 signature; :class:`SignatureError` says why it fails.

    ``keys`` gives the credentials an access key stands for (None: a key nobody was given);
    ``expected_service`` is the signing name of the service called (``lambda`` for Lambda's API).
    """
    now = now or datetime.now(UTC)
    authorization = _header(headers, "authorization")
    if authorization is None:
        raise missing_authentication_token()
    algorithm, _, rest = authorization.partition(" ")
    if algorithm != ALGORITHM:
        raise SignatureError.incomplete(
            f"Unsupported signing algorithm '{algorithm}': API Gateway takes {ALGORITHM}."
        )
    parameters = dict(_AUTH_PARAMETER.findall(rest))
    for required in ("Credential", "SignedHeaders", "Signature"):
        if required not in parameters:
            raise SignatureError.incomplete(
                f"Authorization header requires '{required}' parameter."
                f" Authorization={authorization}"
            )
    amz_date = _header(headers, "x-amz-date")
    if amz_date is None:
        raise SignatureError.incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date'"
            f" header. Authorization={authorization}"
        )
    signed_at = _parse_date(amz_date)
    _check_skew(amz_date, signed_at, now)

    credential = parameters["Credential"].split("/")
    if len(credential) != 5 or credential[4] != "aws4_request":
        raise SignatureError.invalid("Credential should be scoped to a valid region. ")
    access_key, date, region, service, _ = credential
    credentials = keys(access_key)
    if credentials is None or _header(headers, "x-amz-security-token") != credentials.session_token:
        raise unrecognized_client()
    if credentials.expiration is not None and credentials.expiration <= now:
        raise expired_token()
    if date != amz_date[:8]:
        raise SignatureError.invalid(
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date"
            f" from HTTP: '{date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    if region != account.region:
        raise SignatureError.invalid("Credential should be scoped to a valid region. ")
    if service != expected_service:
        raise SignatureError.invalid(
            f"Credential should be scoped to correct service: '{expected_service}'. "
        )
    signed_headers = parameters["SignedHeaders"].split(";")
    if "host" not in signed_headers:
        raise SignatureError.invalid(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )

    canonical = canonical_request(method, raw_path, query, headers, signed_headers, body)
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = string_to_sign(amz_date, scope, canonical)
    expected = signature(credentials.secret_access_key, date, region, service, to_sign)
    if not hmac.compare_digest(expected, parameters["Signature"]):
        raise SignatureError.invalid(
            "The request signature we calculated does not match the signature you provided."
            " Check your AWS Secret Access Key and signing method. Consult the service"
            " documentation for details.\n\nThe Canonical String for this request should have"
            f" been\n'{canonical}'\n\nThe String-to-Sign should have been\n'{to_sign}'\n"
        )
    return SignedBy(access_key=access_key)


def canonical_request(
    method: str,
    raw_path: str,
    query: str,
    headers: Sequence[tuple[str, str]],
    signed_headers: Sequence[str],
    body: bytes,
) -> str:
    """SigV4's canonical request, as AWS computes it for a non-S3 service."""
    payload_hash = _header(headers, "x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    return "\n".join(
        [
            method.upper(),
            _canonical_path(raw_path),
            _canonical_query(query),
            "".join(f"{name}:{_canonical_value(headers, name)}\n" for name in signed_headers),
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


def signature(secret: str, date: str, region: str, service: str, to_sign: str) -> str:
    key = _hmac(f"AWS4{secret}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _canonical_path(raw_path: str) -> str:
    # Non-S3 services normalise the path, then URI-encode the already-encoded form once more.
    normalized = posixpath.normpath(raw_path) if raw_path not in ("", "/") else "/"
    if raw_path.endswith("/") and normalized != "/":
        normalized += "/"
    return quote(normalized, safe="/~")


def _canonical_query(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        pairs.append((_rfc3986(unquote(name)), _rfc3986(unquote(value))))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _rfc3986(text: str) -> str:
    return quote(text, safe="-_.~")


def _canonical_value(headers: Sequence[tuple[str, str]], name: str) -> str:
    values = [" ".join(value.split()) for key, value in headers if key.lower() == name]
    return ",".join(values)


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _parse_date(amz_date: str) -> datetime:
    try:
        return datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        raise SignatureError.incomplete(
            f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See"
            " http://en.wikipedia.org/wiki/ISO_8601"
        ) from None


def _check_skew(amz_date: str, signed_at: datetime, now: datetime) -> None:
    stamp = now.strftime(_AMZ_DATE)
    if signed_at < now - MAX_SKEW:
        earliest = (now - MAX_SKEW).strftime(_AMZ_DATE)
        raise SignatureError.invalid(
            f"Signature expired: {amz_date} is now earlier than {earliest} ({stamp} - 5 min.)"
        )
    if signed_at > now + MAX_SKEW:
        latest = (now + MAX_SKEW).strftime(_AMZ_DATE)
        raise SignatureError.invalid(
            f"Signature not yet current: {amz_date} is still later than {latest} ({stamp} + 5 min.)"
        )
