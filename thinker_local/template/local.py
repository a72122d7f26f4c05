"""The local policy: what a local run answers where a deploy would give AWS's answers.

Ports for the APIs, stand-in API ids, and each function's environment as
``sam local start-api --env-vars`` would leave it: the user's shell wins for the variables the
template declares, and :func:`local_overrides` sets what only AWS has (the Extension, the
endpoints) to the local stack's own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..aws.account import LOCAL_ACCOUNT, LocalAccount

# Variables a deploy sets that make no sense locally (no Secrets Manager here).
LOCAL_REMOVED_VARIABLES = ("DD_API_KEY_SECRET_ARN",)
# Secrets a user may export to reach a real service; passed through when set.
PASS_THROUGH_SECRETS = ("DD_API_KEY",)


@dataclass(frozen=True)
class LocalSettings:
    """Where the local stack serves things, and what the user gave on the command line."""

    api_ports: Mapping[str, int] = field(default_factory=dict)
    # APIs without an explicit port: the first on ``first_port`` (sam local's 5000), the others
    # from ``other_ports`` upward, in the template's order.
    first_port: int = 5000
    other_ports: int = 8000
    dynamodb_url: str = "http://127.0.0.1:5005"
    # The local Lambda Invoke API (:mod:`thinker_local.lambda_service`), as ``sam local
    # start-lambda``'s default port.
    lambda_url: str = "http://127.0.0.1:3001"
    trace_agent_url: str = "http://127.0.0.1:8126"
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    # The user's shell environment: values for variables the template declares win, as with
    # ``sam local`` (e.g. ``THINKER_THINK_DELAY=0 make up``).
    environ: Mapping[str, str] = field(default_factory=dict)
    account: LocalAccount = LOCAL_ACCOUNT


def local_overrides(settings: LocalSettings) -> dict[str, str]:
    """What the local stack sets in every function's environment, over the template's values.

    ddtrace sends to the local agent and datadog-lambda writes its metrics to the log (there is
    no Extension here); boto3's DynamoDB calls go to the local DynamoDB, and its Lambda calls
    (``lambda.invoke``) to the local Lambda Invoke API.
    """
    overrides = {
        "DD_TRACE_AGENT_URL": settings.trace_agent_url,
        "DD_FLUSH_TO_LOG": "true",
        "DD_ENHANCED_METRICS": "false",
        "AWS_ENDPOINT_URL_DYNAMODB": settings.dynamodb_url,
        "AWS_ENDPOINT_URL_LAMBDA": settings.lambda_url,
    }
    for name in PASS_THROUGH_SECRETS:
        if settings.environ.get(name):
            overrides[name] = settings.environ[name]
    return overrides


def local_environment(
    declared: Mapping[str, Any],
    resolve: Callable[[Any], str | None],
    settings: LocalSettings,
) -> dict[str, str]:
    """A function's environment: ``declared`` resolved (None: dropped), the shell's values and
    the local overrides over it."""
    environment: dict[str, str] = {}
    for name, raw in declared.items():
        if name in LOCAL_REMOVED_VARIABLES:
            continue
        if name in settings.environ:
            environment[name] = settings.environ[name]
            continue
        value = resolve(raw)
        if value is not None:
            environment[name] = value
    environment.update(local_overrides(settings))
    return environment


def api_ports(logical_ids: Iterable[str], settings: LocalSettings) -> dict[str, int]:
    """Each API's port: the one given, else the first API on ``first_port`` and the others from
    ``other_ports`` upward, in the template's order."""
    ports: dict[str, int] = {}
    other_port = settings.other_ports
    for index, logical_id in enumerate(logical_ids):
        port = settings.api_ports.get(logical_id)
        if port is None and index == 0:
            port = settings.first_port
        if port is None:
            port, other_port = other_port, other_port + 1
        ports[logical_id] = port
    return ports


def local_api_id(logical_id: str) -> str:
    """A stable, API-Gateway-shaped id (10 lower-case alphanumerics) for an API."""
    digest = hashlib.sha256(logical_id.encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:10])
