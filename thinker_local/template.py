"""template.yaml, read for a local run: the functions, APIs, tables and custom resources.

This is the only place the local stack learns what the system is made of; there is no second
list of functions, routes or variables. Intrinsic functions are resolved the way a deploy would
resolve them, with local answers where a deploy would give AWS ones:

- parameters take their defaults (or ``parameter_overrides``), conditions are evaluated;
- ``!Ref`` of a table gives its local name, of a function its local name (the logical id, as
  ``sam local`` names it), ``!GetAtt X.Arn`` an ARN in the local account;
- ``!Sub https://${SomeApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/...`` gives
  the local URL of that API, so one function reaches another through the local gateway.

Each function's execution role is the one the SAM transform makes of it (aws-sam-translator, as
CloudFormation runs it): its ``Policies`` as inline policies, the managed policies SAM adds
(AWSLambdaBasicExecutionRole) and the trust policy, with the same local answers in its ARNs.

Then the local overrides are applied, as ``sam local start-api --env-vars`` would apply them:
see :func:`local_overrides`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from samcli.yamlhelper import yaml_parse  # type: ignore[import-untyped]
from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics  # type: ignore[import-untyped]
from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]

from .account import LOCAL_ACCOUNT, LocalAccount

# API Gateway's own limit on an integration, and what a SAM event may lower it to.
MAX_INTEGRATION_TIMEOUT_MS = 29_000
# Lambda's defaults when neither the function nor Globals set them.
DEFAULT_TIMEOUT_S = 3
DEFAULT_MEMORY_MB = 128
DEFAULT_ARCHITECTURE = "x86_64"
# The API SAM creates for Api events that name no RestApiId.
IMPLICIT_API = "ServerlessRestApi"
IMPLICIT_STAGE = "Prod"
# Variables a deploy sets that make no sense locally (no Secrets Manager here).
LOCAL_REMOVED_VARIABLES = ("DD_API_KEY_SECRET_ARN",)
# Secrets a user may export to reach a real service; passed through when set.
PASS_THROUGH_SECRETS = ("DD_API_KEY",)


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
class LocalSettings:
    """Where the local stack serves things, and what the user gave on the command line."""

    api_ports: Mapping[str, int] = field(default_factory=dict)
    # APIs without an explicit port: the first on ``first_port`` (sam local's 5000), the others
    # from ``other_ports`` upward, in the template's order.
    first_port: int = 5000
    other_ports: int = 8000
    dynamodb_url: str = "http://127.0.0.1:5005"
    trace_agent_url: str = "http://127.0.0.1:8126"
    parameter_overrides: Mapping[str, str] = field(default_factory=dict)
    # The user's shell environment: values for variables the template declares win, as with
    # ``sam local`` (e.g. ``THINKER_THINK_DELAY=0 make up``).
    environ: Mapping[str, str] = field(default_factory=dict)
    account: LocalAccount = LOCAL_ACCOUNT


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


def local_overrides(settings: LocalSettings) -> dict[str, str]:
    """What the local stack sets in every function's environment, over the template's values.

    ddtrace sends to the local agent and datadog-lambda writes its metrics to the log (there is
    no Extension here); boto3's DynamoDB calls go to the local DynamoDB.
    """
    overrides = {
        "DD_TRACE_AGENT_URL": settings.trace_agent_url,
        "DD_FLUSH_TO_LOG": "true",
        "DD_ENHANCED_METRICS": "false",
        "AWS_ENDPOINT_URL_DYNAMODB": settings.dynamodb_url,
    }
    for name in PASS_THROUGH_SECRETS:
        if settings.environ.get(name):
            overrides[name] = settings.environ[name]
    return overrides


def load_template(path: Path, settings: LocalSettings | None = None) -> Template:
    """Read template.yaml (CloudFormation short tags included) and resolve it for a local run."""
    settings = settings or LocalSettings()
    path = path.resolve()
    try:
        document = yaml_parse(path.read_text("utf-8"))
    except OSError as error:
        raise TemplateError(f"cannot read {path}: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path} has no Resources")
    return _Loader(path, document, settings).load()


def stack_name(template_dir: Path) -> str:
    """The stack name from samconfig.toml beside the template, as ``sam deploy`` would use."""
    config = template_dir / "samconfig.toml"
    if config.is_file():
        data = tomllib.loads(config.read_text("utf-8"))
        name = data.get("default", {}).get("global", {}).get("parameters", {}).get("stack_name")
        if isinstance(name, str) and name:
            return name
    return template_dir.name


def local_api_id(logical_id: str) -> str:
    """A stable, API-Gateway-shaped id (10 lower-case alphanumerics) for an API."""
    digest = hashlib.sha256(logical_id.encode()).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:10])


class _NoValue:
    """``!Ref AWS::NoValue``: the property is removed."""


_NO_VALUE = _NoValue()
# https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/rest -> the local URL + rest
_EXECUTE_API_URL = re.compile(r"^https://\$\{(\w+)\}\.execute-api\.[^/]+/[^/]+/(.*)$", re.DOTALL)
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class _Loader:
    def __init__(self, path: Path, document: dict[str, Any], settings: LocalSettings) -> None:
        self.path = path
        self.document = document
        self.settings = settings
        self.account = settings.account
        self.resources: dict[str, dict[str, Any]] = document["Resources"]
        self.globals: dict[str, Any] = (document.get("Globals") or {}).get("Function") or {}
        self.stack_name = stack_name(path.parent)
        self.parameters = self._parameters(document.get("Parameters") or {})
        self.condition_definitions: dict[str, Any] = document.get("Conditions") or {}
        self.outputs: dict[str, dict[str, Any]] = document.get("Outputs") or {}
        self.conditions: dict[str, bool] = {}
        self.api_urls: dict[str, str] = {}

    # -- the resources ---------------------------------------------------------------------

    def load(self) -> Template:
        """Every resource the local stack runs; resources whose Condition is false are left out."""
        present = {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if "Condition" not in resource or self._condition(resource["Condition"])
        }
        apis = self._apis(present)
        self.api_urls = {logical_id: api.url for logical_id, api in apis.items()}
        functions = {
            logical_id: self._function(logical_id, resource["Properties"] or {}, apis)
            for logical_id, resource in present.items()
            if resource.get("Type") == "AWS::Serverless::Function"
        }
        tables = {
            logical_id: self._table(logical_id, resource.get("Properties") or {})
            for logical_id, resource in present.items()
            if resource.get("Type") == "AWS::DynamoDB::Table"
        }
        custom = tuple(
            self._custom_resource(logical_id, resource, functions)
            for logical_id, resource in present.items()
            if str(resource.get("Type", "")).startswith("Custom::")
            or resource.get("Type") == "AWS::CloudFormation::CustomResource"
        )
        outputs = tuple(
            StackOutput(
                name,
                _string(self._resolve(output.get("Value"))),
                str(output.get("Description", "")),
            )
            for name, output in self.outputs.items()
            if "Condition" not in output or self._condition(output["Condition"])
        )
        roles = self._roles(present, functions)
        return Template(self.path, self.stack_name, functions, apis, tables, custom, outputs, roles)

    def _apis(self, present: Mapping[str, dict[str, Any]]) -> dict[str, Api]:
        declared = {
            logical_id: resource.get("Properties") or {}
            for logical_id, resource in present.items()
            if resource.get("Type") == "AWS::Serverless::Api"
        }
        routes: dict[str, list[Route]] = {logical_id: [] for logical_id in declared}
        for function_id, resource in present.items():
            if resource.get("Type") != "AWS::Serverless::Function":
                continue
            events = (resource.get("Properties") or {}).get("Events") or {}
            for event in events.values():
                if event.get("Type") != "Api":
                    continue
                api_id, route = self._route(function_id, event.get("Properties") or {}, declared)
                routes.setdefault(api_id, []).append(route)

        apis: dict[str, Api] = {}
        other_port = self.settings.other_ports
        for index, (logical_id, api_routes) in enumerate(routes.items()):
            properties = declared.get(logical_id, {})
            port = self.settings.api_ports.get(logical_id)
            if port is None and index == 0:
                port = self.settings.first_port
            if port is None:
                port, other_port = other_port, other_port + 1
            name = self._resolve(properties.get("Name", logical_id))
            stage = self._resolve(properties.get("StageName", IMPLICIT_STAGE))
            apis[logical_id] = Api(
                logical_id=logical_id,
                name=str(name),
                api_id=local_api_id(logical_id),
                stage=str(stage),
                port=port,
                routes=tuple(api_routes),
            )
        return apis

    def _route(
        self, function_id: str, properties: Mapping[str, Any], declared: Mapping[str, Any]
    ) -> tuple[str, Route]:
        rest_api = properties.get("RestApiId")
        if rest_api is None:
            api_id = IMPLICIT_API
        elif isinstance(rest_api, dict) and "Ref" in rest_api:
            api_id = str(rest_api["Ref"])
        else:
            raise TemplateError(f"{function_id}: RestApiId must be !Ref to an Api, not {rest_api}")
        api_properties = declared.get(api_id, {})
        default_auth = (api_properties.get("Auth") or {}).get("DefaultAuthorizer")
        auth = (properties.get("Auth") or {}).get("Authorizer", default_auth)
        timeout_ms = int(
            self._resolve(properties.get("TimeoutInMillis", MAX_INTEGRATION_TIMEOUT_MS))
        )
        method = str(self._resolve(properties["Method"])).upper()
        return api_id, Route(
            method="ANY" if method in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD") else method,
            path="/" + str(self._resolve(properties["Path"])).strip("/"),
            function=function_id,
            iam_auth=auth == "AWS_IAM",
            timeout_ms=min(timeout_ms, MAX_INTEGRATION_TIMEOUT_MS),
        )

    def _function(
        self, logical_id: str, properties: Mapping[str, Any], apis: Mapping[str, Api]
    ) -> Function:
        def setting(name: str, default: Any = None) -> Any:
            return self._resolve(properties.get(name, self.globals.get(name, default)))

        code_uri = setting("CodeUri")
        if not isinstance(code_uri, str):
            raise TemplateError(f"{logical_id}: CodeUri must be a local directory, got {code_uri}")
        code_dir = (self.path.parent / code_uri).resolve()
        if not code_dir.is_dir():
            raise TemplateError(f"{logical_id}: CodeUri {code_uri} is not a directory")
        handler = setting("Handler")
        if not isinstance(handler, str):
            raise TemplateError(f"{logical_id}: Handler is required")
        return Function(
            logical_id=logical_id,
            name=str(setting("FunctionName", logical_id)),
            handler=handler,
            runtime=str(setting("Runtime", "python3.12")),
            code_dir=code_dir,
            timeout_s=float(setting("Timeout", DEFAULT_TIMEOUT_S)),
            memory_mb=int(setting("MemorySize", DEFAULT_MEMORY_MB)),
            environment=self._environment(properties),
            architecture=str((setting("Architectures") or [DEFAULT_ARCHITECTURE])[0]),
            eager=any(
                route.function == logical_id for api in apis.values() for route in api.routes
            ),
            layers=tuple(self._layer(logical_id, arn) for arn in setting("Layers", []) or []),
            build_method=(self.resources[logical_id].get("Metadata") or {}).get("BuildMethod"),
        )

    def _layer(self, function_id: str, arn: Any) -> Layer:
        """A Layers entry: a LayerVersion of the template (by its local ARN), or a published one."""
        if not isinstance(arn, str):
            raise TemplateError(f"{function_id}: a layer must be an ARN or !Ref, not {arn}")
        for logical_id, resource in self.resources.items():
            if resource.get("Type") != "AWS::Serverless::LayerVersion":
                continue
            if self._physical_id(logical_id) != arn:
                continue
            properties = resource.get("Properties") or {}
            content_uri = self._resolve(properties.get("ContentUri"))
            if not isinstance(content_uri, str):
                raise TemplateError(f"{logical_id}: ContentUri must be a local directory")
            content_dir = (self.path.parent / content_uri).resolve()
            if not content_dir.is_dir():
                raise TemplateError(f"{logical_id}: ContentUri {content_uri} is not a directory")
            metadata = resource.get("Metadata") or {}
            return Layer(arn, content_dir, metadata.get("BuildMethod"))
        return Layer(arn)

    def _environment(self, properties: Mapping[str, Any]) -> dict[str, str]:
        declared: dict[str, Any] = {
            **((self.globals.get("Environment") or {}).get("Variables") or {}),
            **((properties.get("Environment") or {}).get("Variables") or {}),
        }
        for name in LOCAL_REMOVED_VARIABLES:
            declared.pop(name, None)
        environment: dict[str, str] = {}
        for name, raw in declared.items():
            if name in self.settings.environ:
                environment[name] = self.settings.environ[name]
                continue
            value = self._resolve(raw)
            if value is not _NO_VALUE:
                environment[name] = _string(value)
        environment.update(local_overrides(self.settings))
        return environment

    def _table(self, logical_id: str, properties: Mapping[str, Any]) -> Table:
        resolved = self._resolve(dict(properties))
        arguments = {
            key: resolved[key]
            for key in (
                "AttributeDefinitions",
                "KeySchema",
                "BillingMode",
                "ProvisionedThroughput",
                "GlobalSecondaryIndexes",
                "LocalSecondaryIndexes",
                "StreamSpecification",
            )
            if key in resolved
        }
        name = self._physical_id(logical_id)
        return Table(logical_id, name, {"TableName": name, **arguments})

    def _custom_resource(
        self, logical_id: str, resource: Mapping[str, Any], functions: Mapping[str, Function]
    ) -> CustomResource:
        properties = resource.get("Properties") or {}
        token = properties.get("ServiceToken")
        target = None
        if isinstance(token, dict) and "Fn::GetAtt" in token:
            target = _get_att_parts(token["Fn::GetAtt"])[0]
        if target not in functions:
            raise TemplateError(
                f"{logical_id}: only custom resources backed by one of the template's functions"
                f" (ServiceToken: !GetAtt SomeFunction.Arn) run locally, got {token}"
            )
        assert target is not None
        return CustomResource(
            logical_id=logical_id,
            resource_type=str(resource["Type"]),
            function=target,
            properties=self._resolve(dict(properties)),
        )

    def _roles(
        self, present: Mapping[str, dict[str, Any]], functions: Mapping[str, Function]
    ) -> dict[str, ExecutionRole]:
        """Each function's role, as the SAM transform turns the template into CloudFormation."""
        transformed = self._transformed(present)
        roles: dict[str, ExecutionRole] = {}
        for logical_id in functions:
            role = transformed[logical_id]["Properties"].get("Role")
            role_id = None
            if isinstance(role, dict) and "Fn::GetAtt" in role:
                role_id = _get_att_parts(role["Fn::GetAtt"])[0]
            if role_id is None or transformed.get(role_id, {}).get("Type") != "AWS::IAM::Role":
                raise TemplateError(
                    f"{logical_id}: only roles made from the template run locally"
                    f" (SAM's own, or !GetAtt SomeRole.Arn), got Role: {role}"
                )
            roles[logical_id] = self._role(role_id, transformed[role_id].get("Properties") or {})
        return roles

    def _transformed(self, present: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
        """The resources CloudFormation would get from the SAM transform."""
        document: dict[str, Any] = copy.deepcopy({**self.document, "Resources": dict(present)})
        # The transform wants code in S3, as `sam package` leaves it; the code does not matter here.
        for properties in [
            (document.get("Globals") or {}).get("Function") or {},
            *((resource.get("Properties") or {}) for resource in document["Resources"].values()),
        ]:
            for key in ("CodeUri", "ContentUri"):
                if isinstance(properties.get(key), str):
                    properties[key] = "s3://local-stack/code.zip"
        parameters = {name: value for name, value in self.parameters.items() if value is not None}
        session = boto3.Session(region_name=self.account.region)
        metrics = Metrics(metrics_publisher=DummyMetricsPublisher())
        translator = Translator(None, Parser(), boto_session=session, metrics=metrics)
        try:
            result = translator.translate(
                document, parameters, get_managed_policy_map=_managed_policy_arns
            )
        except Exception as error:  # the translator's many error types all mean the same here
            raise TemplateError(f"the SAM transform failed: {error}") from None
        finally:
            metrics.publish()  # to no one: it only stops the translator's warning
        return dict(result["Resources"])

    def _role(self, logical_id: str, properties: Mapping[str, Any]) -> ExecutionRole:
        omitted: list[str] = []
        policies: dict[str, Mapping[str, Any]] = {}
        for policy in properties.get("Policies") or []:
            document = dict(policy["PolicyDocument"])
            statements = document.get("Statement") or []
            kept = []
            for statement in statements if isinstance(statements, list) else [statements]:
                try:
                    kept.append(self._resolve(statement))
                except MissingParameter as error:
                    omitted.append(f"{statement.get('Sid', 'a statement')}: {error}")
            if kept:
                policies[str(self._resolve(policy["PolicyName"]))] = {
                    "Version": document.get("Version", "2012-10-17"),
                    "Statement": kept,
                }
        name = self._resolve(properties.get("RoleName", f"{self.stack_name}-{logical_id}"))
        return ExecutionRole(
            logical_id=logical_id,
            name=str(name)[:64],
            assume_role_policy=self._resolve(properties["AssumeRolePolicyDocument"]),
            managed_policy_arns=tuple(
                str(arn) for arn in self._resolve(properties.get("ManagedPolicyArns") or [])
            ),
            policies=policies,
            omitted=tuple(omitted),
        )

    # -- intrinsic functions ---------------------------------------------------------------

    def _parameters(self, declared: Mapping[str, Any]) -> dict[str, str | None]:
        values: dict[str, str | None] = {}
        for name, definition in declared.items():
            default = (definition or {}).get("Default")
            values[name] = None if default is None else _string(default)
        for name, value in self.settings.parameter_overrides.items():
            if name not in declared:
                raise TemplateError(
                    f"parameter override {name}: the template has no such parameter"
                )
            values[name] = value
        return values

    def _pseudo(self, name: str) -> str | _NoValue:
        account = self.account
        pseudo: dict[str, str] = {
            "AWS::Region": account.region,
            "AWS::AccountId": account.account_id,
            "AWS::Partition": account.partition,
            "AWS::URLSuffix": account.url_suffix,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:{account.partition}:cloudformation:{account.region}:{account.account_id}"
                f":stack/{self.stack_name}/local"
            ),
        }
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name not in pseudo:
            raise TemplateError(f"unsupported pseudo parameter {name}")
        return pseudo[name]

    def _physical_id(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        kind = resource.get("Type")
        properties = resource.get("Properties") or {}
        if kind == "AWS::DynamoDB::Table":
            return str(
                self._resolve(properties.get("TableName", f"{self.stack_name}-{logical_id}"))
            )
        if kind == "AWS::Serverless::Function":
            return str(self._resolve(properties.get("FunctionName", logical_id)))
        if kind == "AWS::Serverless::Api":
            return local_api_id(logical_id)
        if kind == "AWS::Serverless::LayerVersion":
            a = self.account
            return f"arn:{a.partition}:lambda:{a.region}:{a.account_id}:layer:{logical_id}:1"
        return logical_id

    def _ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self._pseudo(name)
        if name in self.parameters:
            value = self.parameters[name]
            if value is None:
                raise MissingParameter(
                    f"parameter {name} has no default:"
                    f" give it with --parameter-overrides {name}=..."
                )
            return value
        if name in self.resources:
            return self._physical_id(name)
        raise TemplateError(f"!Ref {name}: no such parameter or resource")

    def _get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self.resources:
            raise TemplateError(f"!GetAtt {logical_id}.{attribute}: no such resource")
        kind = self.resources[logical_id].get("Type")
        a = self.account
        if attribute == "Arn" and kind == "AWS::Serverless::Function":
            name = self._physical_id(logical_id)
            return f"arn:{a.partition}:lambda:{a.region}:{a.account_id}:function:{name}"
        if attribute == "Arn" and kind == "AWS::DynamoDB::Table":
            name = self._physical_id(logical_id)
            return f"arn:{a.partition}:dynamodb:{a.region}:{a.account_id}:table/{name}"
        raise TemplateError(f"!GetAtt {logical_id}.{attribute} has no local value")

    def _condition(self, name: str) -> bool:
        if name not in self.conditions:
            if name not in self.condition_definitions:
                raise TemplateError(f"condition {name} is not defined")
            self.conditions[name] = bool(self._resolve(self.condition_definitions[name]))
        return self.conditions[name]

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = str(argument[0]), dict(argument[1])
        else:
            text, variables = str(argument), {}
        execute_api = _EXECUTE_API_URL.match(text)
        if execute_api and execute_api.group(1) in self.api_urls:
            # The API's local URL stands for its execute-api URL, stage included.
            rest = self._sub([execute_api.group(2), variables])
            return self.api_urls[execute_api.group(1)] + rest

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return _string(self._resolve(variables[name]))
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self._get_att(logical_id, attribute)
            return _string(self._ref(name))

        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(str(argument))
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::GetAtt":
                logical_id, attribute = _get_att_parts(argument)
                return self._get_att(logical_id, attribute)
            if key == "Fn::If":
                condition, if_true, if_false = argument
                return self._resolve(if_true if self._condition(condition) else if_false)
            if key == "Fn::Equals":
                left, right = (self._resolve(item) for item in argument)
                return _string(left) == _string(right)
            if key == "Fn::Not":
                return not self._resolve(argument[0])
            if key == "Fn::And":
                return all(self._resolve(item) for item in argument)
            if key == "Fn::Or":
                return any(self._resolve(item) for item in argument)
            if key == "Condition":
                return self._condition(str(argument))
            if key == "Fn::Join":
                separator, items = argument
                return str(separator).join(_string(item) for item in self._resolve(items))
            if key == "Fn::Select":
                index, items = argument
                return self._resolve(items)[int(self._resolve(index))]
            if key.startswith("Fn::"):
                raise TemplateError(f"{key} is not supported locally")
        resolved = {key: self._resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}


def _managed_policy_arns() -> dict[str, str]:
    """AWS managed policies by name, for ``Policies: [SomePolicyName]`` (moto ships the list)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return {
        name: f"arn:aws:iam::aws:policy{policy['Path']}{name}"
        for name, policy in json.loads(aws_managed_policies_data).items()
    }


def _get_att_parts(argument: Any) -> tuple[str, str]:
    if isinstance(argument, str):
        logical_id, _, attribute = argument.partition(".")
        return logical_id, attribute
    return str(argument[0]), str(argument[1])


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
