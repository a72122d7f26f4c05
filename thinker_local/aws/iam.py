"""The account's IAM, locally: a role per function, its sessions, a developer, and the checks.

At start-up, while moto does not check anyone yet, :meth:`LocalIam.set_up` creates in moto:

- each function's execution role, as the SAM transform makes it (:class:`ExecutionRole`):
  trust policy, inline policies, managed policies (moto ships AWS's managed policies);
- the local Lambda service: a user that may ``sts:AssumeRole``, which moto's trust check takes
  for the principal ``lambda.amazonaws.com`` (see :mod:`thinker_local.aws.moto_access`);
- the developer: a user with AWS's ``PowerUserAccess`` and an access key, for calling signed
  APIs by hand (see :meth:`LocalIam.write_profile`);

then turns moto's enforcement on: from then on every request to moto is signed by someone moto
knows and allowed by that someone's policies, or refused with AWS's error.

Each execution environment gets its function's session, as Lambda gives it: the service assumes
the role with the function's name as the session name; a session is renewed when less than
:data:`RENEW_BEFORE` of it is left, and an environment holding such credentials is retired.

For API Gateway's ``AWS_IAM`` routes, :meth:`LocalIam.caller` says who holds an access key (the
credentials issued here) and :meth:`LocalIam.authorize` evaluates that caller's policies, the
documents moto holds, with moto's own policy evaluation.
"""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from moto.iam.access_control import IAMPolicy, PermissionResult

from ..template import ExecutionRole, Function, Template
from . import sessions
from .account import LOCAL_ACCOUNT, Credentials, LocalAccount

# What a role session lasts (a SAM role's MaxSessionDuration), and when it is renewed.
SESSION_S = 3600
RENEW_BEFORE = timedelta(minutes=10)
LAMBDA_SERVICE = "lambda.amazonaws.com"
LAMBDA_SERVICE_USER = "local-lambda-service"
DEVELOPER_USER = "developer"
DEVELOPER_POLICY = "PowerUserAccess"
# The developer's credentials file, in the state directory, and its profile.
CREDENTIALS_FILE = "credentials"
PROFILE = "thinker-local"
_ASSUME_ANY_ROLE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}


class IamError(RuntimeError):
    """The local IAM could not be set up, or a function's role could not be assumed."""


@dataclass(frozen=True)
class Caller:
    """Someone holding credentials issued here, as AWS names them."""

    credentials: Credentials
    arn: str  # arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION or arn:aws:iam::ACCOUNT:user/NAME
    user_id: str  # "AROA…:SESSION" for a role session, "AIDA…" for a user
    account_id: str
    policies: tuple[str, ...]  # identity-based policy documents, JSON


@dataclass(frozen=True)
class Decision:
    """Whether a caller may do an action on a resource, and if not, whether a Deny said so."""

    allowed: bool
    explicit_deny: bool = False


def developer_session(state_dir: Path, profile: str = PROFILE) -> botocore.session.Session:
    """A botocore session reading ``profile`` from the keys a local run wrote to ``state_dir``
    (as the AWS CLI does with ``AWS_SHARED_CREDENTIALS_FILE``), in the account's region."""
    session = botocore.session.Session(profile=profile)
    session.set_config_variable("credentials_file", str(state_dir / CREDENTIALS_FILE))
    session.set_config_variable("region", LOCAL_ACCOUNT.region)
    return session


def authorize(policies: Iterable[str], action: str, resource: str) -> Decision:
    """moto's evaluation of identity-based policies: a Deny wins, else an Allow is needed."""
    allowed = False
    for policy in policies:
        result = IAMPolicy(policy).is_action_permitted(action, resource)
        if result == PermissionResult.DENIED:
            return Decision(allowed=False, explicit_deny=True)
        allowed = allowed or result == PermissionResult.PERMITTED
    return Decision(allowed=allowed)


def service_callers(account: LocalAccount) -> dict[str, str]:
    """Which caller moto takes for which service principal (its process's configuration)."""
    return {_user_arn(account, LAMBDA_SERVICE_USER): LAMBDA_SERVICE}


class LocalIam:
    """Roles, sessions and the developer in moto at ``endpoint_url``."""

    def __init__(
        self,
        endpoint_url: str,
        account: LocalAccount,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        session_s: int = SESSION_S,
    ) -> None:
        self._url = endpoint_url
        self._account = account
        self._clock = clock
        self._session_s = session_s
        self._ready = asyncio.Event()
        self._failure: str | None = None
        self._roles: dict[str, tuple[str, tuple[str, ...]]] = {}  # function -> role ARN, policies
        self._sessions: dict[str, Caller] = {}  # function -> its current session
        self._callers: dict[str, Caller] = {}  # access key -> caller
        self._locks: dict[str, asyncio.Lock] = {}
        self._sts: Any = None
        self.developer: Caller | None = None

    # -- start-up --------------------------------------------------------------------------

    async def set_up(self, template: Template) -> None:
        """Create the roles and users, then turn enforcement on; waiting environments go on."""
        try:
            await asyncio.to_thread(self._set_up, template.roles)
        except Exception as error:
            self._failure = f"{type(error).__name__}: {error}"
            raise IamError(f"setting up IAM in moto failed: {self._failure}") from error
        finally:
            self._ready.set()

    def _set_up(self, roles: dict[str, ExecutionRole] | Any) -> None:
        iam = self._client("iam", self._account.credentials)
        for function, role in roles.items():
            self._roles[function] = (_create_role(iam, role), _role_policies(iam, role.name))

        iam.create_user(UserName=LAMBDA_SERVICE_USER)
        iam.put_user_policy(
            UserName=LAMBDA_SERVICE_USER,
            PolicyName="AssumeFunctionRoles",
            PolicyDocument=json.dumps(_ASSUME_ANY_ROLE),
        )
        service = iam.create_access_key(UserName=LAMBDA_SERVICE_USER)["AccessKey"]
        self._sts = self._client(
            "sts", Credentials(service["AccessKeyId"], service["SecretAccessKey"])
        )

        user = iam.create_user(UserName=DEVELOPER_USER)["User"]
        iam.attach_user_policy(
            UserName=DEVELOPER_USER, PolicyArn=f"arn:aws:iam::aws:policy/{DEVELOPER_POLICY}"
        )
        key = iam.create_access_key(UserName=DEVELOPER_USER)["AccessKey"]
        self.developer = Caller(
            credentials=Credentials(key["AccessKeyId"], key["SecretAccessKey"]),
            arn=user["Arn"],
            user_id=user["UserId"],
            account_id=self._account.account_id,
            policies=_user_policies(iam, DEVELOPER_USER),
        )
        self._callers[key["AccessKeyId"]] = self.developer

        # From here on, moto checks every request it gets.
        request = urllib.request.Request(  # noqa: S310 (moto's http URL)
            f"{self._url}/moto-api/reset-auth", data=b"0", headers={"Content-Type": "text/plain"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (moto's http URL)
            response.read()

    # -- function sessions -----------------------------------------------------------------

    async def credentials(self, function: Function) -> Credentials:
        """The function's role session, as Lambda puts it in the environment (renewed in time)."""
        await self._ready.wait()
        if self._failure is not None:
            raise IamError(f"no credentials for {function.logical_id}: {self._failure}")
        lock = self._locks.setdefault(function.logical_id, asyncio.Lock())
        async with lock:
            session = self._sessions.get(function.logical_id)
            if session is None or self.expiring(session.credentials):
                session = await asyncio.to_thread(self._assume, function)
                self._sessions[function.logical_id] = session
                self._callers[session.credentials.access_key_id] = session
        return session.credentials

    def expiring(self, credentials: Credentials) -> bool:
        """True when the credentials have less than :data:`RENEW_BEFORE` left."""
        if credentials.expiration is None:
            return False
        return credentials.expiration - self._clock() < RENEW_BEFORE

    def _assume(self, function: Function) -> Caller:
        if function.logical_id not in self._roles:
            raise IamError(f"{function.logical_id} has no role")
        role_arn, policies = self._roles[function.logical_id]
        answer = self._sts.assume_role(
            RoleArn=role_arn, RoleSessionName=function.name, DurationSeconds=self._session_s
        )
        given = answer["Credentials"]
        return Caller(
            credentials=Credentials(
                access_key_id=given["AccessKeyId"],
                secret_access_key=given["SecretAccessKey"],
                session_token=given["SessionToken"],
                expiration=given["Expiration"],
            ),
            arn=answer["AssumedRoleUser"]["Arn"],
            user_id=answer["AssumedRoleUser"]["AssumedRoleId"],
            account_id=self._account.account_id,
            policies=policies,
        )

    # -- callers of signed APIs ------------------------------------------------------------

    def caller(self, access_key_id: str) -> Caller | None:
        """Who holds this access key, if it was issued here: by the stack, or by the account's
        STS to a person (asked of moto once, :mod:`thinker_local.aws.sessions`)."""
        caller = self._callers.get(access_key_id)
        if caller is None and (session := sessions.look_up(self._url, access_key_id)):
            caller = Caller(
                credentials=Credentials(
                    session.access_key_id,
                    session.secret_access_key,
                    session.session_token,
                    session.expiration,
                ),
                arn=session.arn,
                user_id=session.user_id,
                account_id=session.account_id,
                policies=session.policies,
            )
            self._callers[access_key_id] = caller
        return caller

    def signing_credentials(self, access_key_id: str) -> Credentials | None:
        """The credentials of this access key, for checking a signature made with them."""
        caller = self.caller(access_key_id)
        return caller.credentials if caller else None

    def authorize(self, caller: Caller, action: str, resource: str) -> Decision:
        """May ``caller`` do ``action`` on ``resource``, by its identity-based policies."""
        return authorize(caller.policies, action, resource)

    def write_profile(self, path: Path) -> None:
        """The developer's keys as an AWS shared credentials file (profile ``thinker-local``)."""
        if self.developer is None:
            raise IamError("set_up() first")
        config = configparser.ConfigParser()
        credentials = self.developer.credentials
        config[PROFILE] = {
            "aws_access_key_id": credentials.access_key_id,
            "aws_secret_access_key": credentials.secret_access_key,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
            config.write(file)

    def _client(self, service: str, credentials: Credentials) -> Any:
        return boto3.session.Session().client(
            service,  # type: ignore[call-overload]
            endpoint_url=self._url,
            region_name=self._account.region,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
        )


def _create_role(iam: Any, role: ExecutionRole) -> str:
    created = iam.create_role(
        RoleName=role.name,
        AssumeRolePolicyDocument=json.dumps(role.assume_role_policy),
        MaxSessionDuration=SESSION_S,
    )
    for name, document in role.policies.items():
        iam.put_role_policy(
            RoleName=role.name, PolicyName=name, PolicyDocument=json.dumps(document)
        )
    for arn in role.managed_policy_arns:
        iam.attach_role_policy(RoleName=role.name, PolicyArn=arn)
    return str(created["Role"]["Arn"])


def _role_policies(iam: Any, role: str) -> tuple[str, ...]:
    """The role's policy documents as moto holds them: inline ones, then attached ones."""
    inline = [
        iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    ]
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    return _documents(iam, inline, attached)


def _user_policies(iam: Any, user: str) -> tuple[str, ...]:
    inline = [
        iam.get_user_policy(UserName=user, PolicyName=name)["PolicyDocument"]
        for name in iam.list_user_policies(UserName=user)["PolicyNames"]
    ]
    attached = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    return _documents(iam, inline, attached)


def _documents(iam: Any, inline: list[Any], attached: list[dict[str, str]]) -> tuple[str, ...]:
    documents = list(inline)
    for policy in attached:
        version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
        documents.append(
            iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)[
                "PolicyVersion"
            ]["Document"]
        )
    return tuple(
        document if isinstance(document, str) else json.dumps(document) for document in documents
    )


def _user_arn(account: LocalAccount, user: str) -> str:
    return f"arn:{account.partition}:iam::{account.account_id}:user/{user}"
