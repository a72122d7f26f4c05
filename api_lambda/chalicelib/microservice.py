"""The call to thinker-microservice: a GET signed with SigV4 and sent with ``requests``.

The microservice's API takes only IAM-signed calls; the function's own role signs them. ddtrace
patches ``requests``, so the call carries the trace context (``x-datadog-*``, ``traceparent``).
"""

from __future__ import annotations

import json
import logging
import os
from urllib.parse import quote, urlencode, urlsplit

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.session import Session

logger = logging.getLogger(__name__)

URL_VARIABLE = "THINKER_MICROSERVICE_URL"


class MicroserviceError(Exception):
    """The microservice could not give an answer; ``status`` is what thinker-api returns."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class MicroserviceClient:
    """Asks thinker-microservice for thoughts."""

    def __init__(
        self,
        base_url: str,
        *,
        region: str | None = None,
        http: requests.Session | None = None,
        botocore_session: Session | None = None,
    ) -> None:
        self.base_url = base_url
        self.region = region or os.environ.get("AWS_REGION") or "us-east-1"
        self._http = http or requests.Session()
        self._credentials = (botocore_session or Session()).get_credentials()

    def think(self, subjects: list[str], *, timeout: float) -> str:
        """The microservice's JSON for these subjects, as text, or :class:`MicroserviceError`."""
        # RFC 3986 encoding, as SigV4's canonical query string expects (requests' own '+' for
        # spaces would be signed differently from how API Gateway checks it).
        url = f"{self.base_url}?{urlencode([('subject', s) for s in subjects], quote_via=quote)}"
        try:
            response = self._http.get(url, headers=self._signed_headers(url), timeout=timeout)
        except requests.Timeout:
            logger.warning("thinker-microservice did not answer within %.1f s", timeout)
            raise MicroserviceError(504, "thinker-microservice did not answer in time") from None
        except requests.RequestException as error:
            logger.warning("thinker-microservice is unreachable: %s", error)
            raise MicroserviceError(502, "thinker-microservice is unreachable") from None

        if response.status_code != 200:
            logger.warning(
                "thinker-microservice answered HTTP %s: %.200s", response.status_code, response.text
            )
            raise MicroserviceError(
                502, f"thinker-microservice answered HTTP {response.status_code}"
            )
        if not _is_json_object(response.text):
            logger.warning("thinker-microservice answered non-JSON: %.200r", response.text)
            raise MicroserviceError(502, "thinker-microservice answered something other than JSON")
        return response.text

    def _signed_headers(self, url: str) -> dict[str, str]:
        if self._credentials is None:
            return {}
        request = AWSRequest(method="GET", url=url, headers={"Host": urlsplit(url).netloc})
        SigV4Auth(self._credentials.get_frozen_credentials(), "execute-api", self.region).add_auth(
            request
        )
        return dict(request.headers.items())


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


_client: MicroserviceClient | None = None


def get_microservice() -> MicroserviceClient:
    """The client for the URL in ``THINKER_MICROSERVICE_URL``, created on first use."""
    global _client
    if _client is None:
        base_url = os.environ.get(URL_VARIABLE, "").strip()
        if not base_url:
            logger.error(
                "%s is not set: thinker-api cannot reach thinker-microservice", URL_VARIABLE
            )
            raise MicroserviceError(500, "thinker-api is not configured")
        _client = MicroserviceClient(base_url)
    return _client


def reset_microservice() -> None:
    """Forget the client, so the next call reads the environment again (tests)."""
    global _client
    _client = None
