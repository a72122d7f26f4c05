"""The local stand-in for an AWS account: one region, one account id, one set of credentials.

Every function gets these credentials (as Lambda gives each function its role's), boto3 signs
with them, moto accepts them, and the gateway checks SigV4 signatures against them. They are
deliberately fake: nothing local may ever reach real AWS.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Credentials:
    """Temporary credentials, as a Lambda function's role has them (with a session token)."""

    access_key_id: str
    secret_access_key: str
    session_token: str


@dataclass(frozen=True)
class LocalAccount:
    """Who "AWS" is locally."""

    account_id: str
    region: str
    partition: str
    url_suffix: str
    credentials: Credentials
    # Whom the credentials belong to, as API Gateway reports it in requestContext.identity.
    user: str

    @property
    def user_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:user/{self.user}"


LOCAL_ACCOUNT = LocalAccount(
    account_id="123456789012",
    region="us-east-1",
    partition="aws",
    url_suffix="amazonaws.com",
    credentials=Credentials(
        access_key_id="ASIATHINKERLOCAL0000",
        secret_access_key="thinker-local-secret-access-key-not-a-real-one",  # noqa: S106
        session_token="thinker-local-session-token",  # noqa: S106
    ),
    user="thinker-local",
)
