"""What template.yaml describes, as the local stack runs it: functions, APIs, tables, roles.

Plain values; :mod:`.loader` makes them from the YAML, with :mod:`.intrinsics` resolving
CloudFormation's intrinsic functions and :mod:`.local` giving the local answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# API Gateway's own limit on an integration, and what a SAM event may lower it to.
MAX_INTEGRATION_TIMEOUT_MS = 29_000
# Lambda's defaults when neither the function nor Globals set them.
DEFAULT_TIMEOUT_S = 3
DEFAULT_MEMORY_MB = 128
DEFAULT_ARCHITECTURE = "x86_64"
# The API SAM creates for Api events that name no RestApiId.
IMPLICIT_API = "ServerlessRestApi"
IMPLICIT_STAGE = "Prod"


class TemplateError(ValueError):
    """template.yaml holds something the local stack cannot run; the message says what."""


class MissingParameter(TemplateError):
    """A parameter without a default, and no override for it."""


@dataclass(frozen=True)
class Route:
    """One Api event: a method on a resource path of an API, integrated with a function."""

    method: str  # upper case, or "ANY"
    path: str  # the resource path, e.g. "/think" or "/{proxy+}"
    function: str  # the function's logical id
    iam_auth: bool
    timeout_ms: int  # the integration timeout


@dataclass(frozen=True)
class Api:
    """An ``AWS::Serverless::Api`` (or SAM's implicit one) and its routes."""

    logical_id: str
    name: str
    api_id: str  # the local stand-in for API Gateway's 10-character id
    stage: str
    port: int
    routes: tuple[Route, ...]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


@dataclass(frozen=True)
class Layer:
    """One entry of a function's Layers: a layer of the template, or a published one by ARN."""

    arn: str
    # An ``AWS::Serverless::LayerVersion`` of the template: its ContentUri and BuildMethod.
    content_dir: Path | None = None
    build_method: str | None = None


@dataclass(frozen=True)
class Function:
    """An ``AWS::Serverless::Function``, with Globals merged and its environment resolved."""

    logical_id: str
    name: str
    handler: str
    runtime: str
    code_dir: Path
    timeout_s: float
    memory_mb: int
    environment: Mapping[str, str]
    # Lambda's instruction set (the first of Architectures): x86_64 or arm64.
    architecture: str = DEFAULT_ARCHITECTURE
    # Environments kept warm from the start (samconfig's warm_containers = "EAGER").
    eager: bool = False
    layers: tuple[Layer, ...] = ()
    # Metadata.BuildMethod, as `sam build` reads it (e.g. "makefile"); None: the runtime's own.
    build_method: str | None = None


@dataclass(frozen=True)
class ExecutionRole:
    """A function's ``AWS::IAM::Role``, with its policies resolved to local ARNs."""

    logical_id: str
    name: str
    assume_role_policy: Mapping[str, Any]
    managed_policy_arns: tuple[str, ...]
    policies: Mapping[str, Mapping[str, Any]]  # inline policy name -> policy document
    # Statements left out, and why (a resource naming a parameter with no value locally).
    omitted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """An ``AWS::DynamoDB::Table``: its local name and its CreateTable arguments."""

    logical_id: str
    name: str
    create_table_arguments: Mapping[str, Any]


@dataclass(frozen=True)
class CustomResource:
    """A ``Custom::*`` resource whose ServiceToken is one of the template's functions."""

    logical_id: str
    resource_type: str
    function: str  # the logical id of the function behind ServiceToken
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class StackOutput:
    """An entry of the template's Outputs, with its local value."""

    name: str
    value: str
    description: str


@dataclass(frozen=True)
class Template:
    """Everything the local stack runs, as template.yaml describes it."""

    path: Path
    stack_name: str
    functions: Mapping[str, Function]
    apis: Mapping[str, Api]
    tables: Mapping[str, Table]
    custom_resources: tuple[CustomResource, ...]
    outputs: tuple[StackOutput, ...] = ()
    # Each function's execution role, by the function's logical id.
    roles: Mapping[str, ExecutionRole] = field(default_factory=dict)

    def code_dirs(self) -> set[Path]:
        return {function.code_dir for function in self.functions.values()}
