"""Temporary credentials from the account's STS, for people: usable wherever AWS takes them.

A developer with the local keys may call STS as on AWS: ``GetSessionToken`` (its own
permissions, with a session token) or ``AssumeRole`` (a role that trusts it). moto answers
``GetSessionToken`` with AWS's documentation example, the same for everyone and known to nobody,
and the gateway knows only the sessions it asked for itself. Both gaps are filled here:

- in moto's process (:func:`install`, from :mod:`thinker_local.moto_server`): ``GetSessionToken``
  issues the caller's own session (``ASIA…`` key, secret, token, expiry), which moto's access
  control then takes as that user, with its policies, when the token comes with it;
  ``/moto-api/thinker/session?AccessKeyId=…`` says who holds a temporary key (a user's session
  or a role's), with its secret and its policies, for the gateway on this machine;
- in the stack (:func:`look_up`): the gateway asks that when a signature names a key it does not
  know, and then checks the signature, the token and the policies as for its own sessions.

Like the rest of ``/moto-api/`` (which lists every secret moto holds), the look-up is answered
only to this machine's tools, never to a web page (:mod:`thinker_local.aws.moto_guard`).
"""

from __future__ import annotations

import datetime
import json
import secrets
import string
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from .account import LOCAL_ACCOUNT

SESSION_PATH = "/moto-api/thinker/session"
# A user's session lasts 12 hours unless asked otherwise, as GetSessionToken's do.
DEFAULT_SESSION_S = 43_200


@dataclass(frozen=True)
class UserSession:
    """A session a user got from GetSessionToken (moto's process)."""

    account_id: str
    partition: str
    user_name: str
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime.datetime


# Access key -> the session, in moto's process.
_USER_SESSIONS: dict[str, UserSession] = {}


def _random(length: int, alphabet: str = string.ascii_uppercase + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def install() -> None:
    """In moto's process: user sessions from GetSessionToken, accepted by its access control,
    and the look-up of a temporary key's holder."""
    from moto.iam import access_control
    from moto.moto_api._internal import urls as moto_api_urls
    from moto.sts.responses import TokenResponse

    original_get_session_token = TokenResponse.get_session_token
    original_create_access_key = access_control.create_access_key

    def get_session_token(response: TokenResponse) -> Any:
        from moto.core.responses import ActionResult
        from moto.iam.models import iam_backends
        from moto.sts.utils import random_session_token

        account_id, partition = response.current_account, response.partition
        backend = iam_backends[account_id][partition]
        user = backend.get_user_from_access_key_id(response.get_access_key())
        if user is None:
            return original_get_session_token(response)
        duration = response._get_int_param("DurationSeconds", DEFAULT_SESSION_S)
        session = UserSession(
            account_id=account_id,
            partition=partition,
            user_name=user.name,
            access_key_id="ASIA" + _random(16),
            secret_access_key=_random(40, string.ascii_letters + string.digits + "/+"),
            session_token=random_session_token(),
            expiration=datetime.datetime.now(datetime.UTC).replace(microsecond=0)
            + datetime.timedelta(seconds=duration),
        )
        _USER_SESSIONS[session.access_key_id] = session
        return ActionResult(
            {
                "Credentials": {
                    "AccessKeyId": session.access_key_id,
                    "SecretAccessKey": session.secret_access_key,
                    "SessionToken": session.session_token,
                    "Expiration": session.expiration,
                }
            }
        )

    def create_access_key(
        account_id: str, partition: str, access_key_id: str, headers: dict[str, str]
    ) -> Any:
        session = _USER_SESSIONS.get(access_key_id)
        if session is None:
            return original_create_access_key(account_id, partition, access_key_id, headers)
        return _user_session_key(session, headers)

    TokenResponse.get_session_token = get_session_token  # type: ignore[method-assign,assignment]
    access_control.create_access_key = create_access_key
    moto_api_urls.url_paths["{0}" + SESSION_PATH + "$"] = _session_answer


def _user_session_key(session: UserSession, headers: Any) -> Any:
    """moto's view of a user's session: that user's key, with the session's token."""
    from botocore.credentials import Credentials as MotoCredentials
    from moto.iam.access_control import CreateAccessKeyFailure, IAMUserAccessKey

    if headers.get("X-Amz-Security-Token") != session.session_token:
        raise CreateAccessKeyFailure(reason="InvalidToken")

    class UserSessionKey(IAMUserAccessKey):
        def __init__(self) -> None:
            self.account_id = session.account_id
            self.partition = session.partition
            self._owner_user_name = session.user_name
            self._access_key_id = session.access_key_id
            self._secret_access_key = session.secret_access_key

        def create_credentials(self) -> MotoCredentials:
            return MotoCredentials(
                session.access_key_id, session.secret_access_key, session.session_token
            )

    return UserSessionKey()


def _session_answer(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """``GET /moto-api/thinker/session?AccessKeyId=…``: the holder of a temporary key."""
    from moto.iam.access_control import AssumedRoleAccessKey, IAMUserAccessKey
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    query = urllib.parse.parse_qs(urllib.parse.urlsplit(full_url).query)
    access_key_id = (query.get("AccessKeyId") or [""])[0]
    found: dict[str, Any] | None = None
    if session := _USER_SESSIONS.get(access_key_id):
        user = iam_backends[session.account_id][session.partition].get_user(session.user_name)
        key = _user_session_key(session, {"X-Amz-Security-Token": session.session_token})
        found = {
            "SessionToken": session.session_token,
            "SecretAccessKey": session.secret_access_key,
            "Expiration": session.expiration.isoformat(),
            "Arn": user.arn,
            "UserId": user.id,
            "AccountId": session.account_id,
            "Policies": _documents(IAMUserAccessKey.collect_policies(key)),
        }
    else:
        account = LOCAL_ACCOUNT
        for role in sts_backends[account.account_id][account.partition].assumed_roles:
            if role.access_key_id == access_key_id:
                key = AssumedRoleAccessKey(
                    role.account_id,
                    account.partition,
                    access_key_id,
                    {"X-Amz-Security-Token": role.session_token},
                )
                found = {
                    "SessionToken": role.session_token,
                    "SecretAccessKey": role.secret_access_key,
                    "Expiration": role.expiration.replace(tzinfo=datetime.UTC).isoformat(),
                    "Arn": role.arn,
                    "UserId": role.user_id,
                    "AccountId": role.account_id,
                    "Policies": _documents(key.collect_policies()),
                }
    if found is None:
        return 404, {"Content-Type": "application/json"}, "{}"
    return 200, {"Content-Type": "application/json"}, json.dumps(found)


def _documents(policies: list[Any]) -> list[str]:
    """Policy documents as JSON, from what moto's access control collects (as IAMPolicy reads
    them: a managed policy's default version, an inline policy's document, or the text)."""
    documents = []
    for policy in policies:
        if hasattr(policy, "versions"):
            document = next(v.document for v in policy.versions if v.is_default)
        elif isinstance(policy, str):
            document = policy
        else:
            document = policy["policy_document"]
        documents.append(document if isinstance(document, str) else json.dumps(document))
    return documents


@dataclass(frozen=True)
class Session:
    """A temporary key's holder, as the gateway needs it."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime.datetime
    arn: str
    user_id: str
    account_id: str
    policies: tuple[str, ...]


def look_up(moto_url: str, access_key_id: str) -> Session | None:
    """Who holds ``access_key_id``, a temporary key the account's STS issued (None: nobody)."""
    if not access_key_id.startswith("ASIA"):
        return None
    query = urllib.parse.urlencode({"AccessKeyId": access_key_id})
    try:
        with urllib.request.urlopen(  # noqa: S310 (moto's http URL)
            f"{moto_url}{SESSION_PATH}?{query}", timeout=5
        ) as response:
            found = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return Session(
        access_key_id=access_key_id,
        secret_access_key=found["SecretAccessKey"],
        session_token=found["SessionToken"],
        expiration=datetime.datetime.fromisoformat(found["Expiration"]),
        arn=found["Arn"],
        user_id=found["UserId"],
        account_id=found["AccountId"],
        policies=tuple(found["Policies"]),
    )
