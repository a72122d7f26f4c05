"""The local stand-in for an AWS account: one region, one account id, its own credentials.

The account's own credentials are what the stack sets the account up with (tables, roles, users)
before IAM is enforced, as a deploy's administrator would; no function and no caller ever gets
them. Functions run with their roles' temporary credentials and a developer calls signed APIs
with a user's keys: see :mod:`thinker_local.aws.iam`. All of them are deliberately fake: nothing
local may ever reach real AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Credentials:
    """An access key, its secret, and for temporary credentials a session token and expiry."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: datetime | None = None


@dataclass(frozen=True)
class LocalAccount:
    """Who "AWS" is locally."""

    account_id: str
    region: str
    partition: str
    url_suffix: str
    credentials: Credentials


class FixedCredentials:
    """A credentials source that gives the same credentials to every function, forever.

    For an execution environment run outside the stack (the benchmarks), where there is no IAM;
    the stack gives each function its role's session instead.
    """

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    async def credentials(self, function: object) -> Credentials:
        return self._credentials

    def expiring(self, credentials: Credentials) -> bool:
        return False


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
)
