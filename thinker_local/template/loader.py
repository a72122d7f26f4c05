"""template.yaml, read for a local run: the functions, APIs, tables and custom resources.

This is the only place the local stack learns what the system is made of; there is no second
list of functions, routes or variables. The YAML is read as ``sam`` reads it (CloudFormation's
short tags included), its values resolved by :mod:`.intrinsics` with the local answers of
:mod:`.local`, and each function's role taken from what the SAM transform makes of the template
(:func:`sam_transform`, then :mod:`.roles`).
"""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
from samcli.yamlhelper import yaml_parse  # type: ignore[import-untyped]
from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics  # type: ignore[import-untyped]
from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]

from . import model
from .intrinsics import Intrinsics, as_string, get_att_parts, parameter_values
from .local import LocalSettings, api_ports, local_api_id, local_environment
from .model import (
    Api,
    CustomResource,
    Function,
    Layer,
    Route,
    StackOutput,
    Table,
    Template,
    TemplateError,
)
from .roles import execution_roles

# The CreateTable arguments an AWS::DynamoDB::Table's properties carry over.
_TABLE_ARGUMENTS = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "StreamSpecification",
)


def read_document(path: Path) -> dict[str, Any]:
    """template.yaml as a dictionary (CloudFormation short tags as their long forms)."""
    try:
        document = yaml_parse(path.read_text("utf-8"))
    except OSError as error:
        raise TemplateError(f"cannot read {path}: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path} has no Resources")
    return document


def load_template(path: Path, settings: LocalSettings | None = None) -> Template:
    """Read template.yaml (CloudFormation short tags included) and resolve it for a local run."""
    settings = settings or LocalSettings()
    path = path.resolve()
    return _Loader(path, read_document(path), settings).load()


def stack_name(template_dir: Path) -> str:
    """The stack name from samconfig.toml beside the template, as ``sam deploy`` would use."""
    config = template_dir / "samconfig.toml"
    if config.is_file():
        data = tomllib.loads(config.read_text("utf-8"))
        name = data.get("default", {}).get("global", {}).get("parameters", {}).get("stack_name")
        if isinstance(name, str) and name:
            return name
    return template_dir.name


def packaged(document: Mapping[str, Any], code_uri: Callable[[str], str]) -> dict[str, Any]:
    """A copy of ``document`` as ``sam package`` leaves it: each local ``CodeUri`` and
    ``ContentUri`` (of Globals and of each resource) replaced by ``code_uri(directory)``."""
    copied: dict[str, Any] = copy.deepcopy(dict(document))
    for properties in [
        (copied.get("Globals") or {}).get("Function") or {},
        *((resource.get("Properties") or {}) for resource in copied["Resources"].values()),
    ]:
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = code_uri(properties[key])
    return copied


def sam_transform(
    document: Mapping[str, Any], parameters: Mapping[str, str], region: str
) -> dict[str, Any]:
    """The resources CloudFormation would get from the SAM transform of ``document``."""
    # The transform wants code in S3, as `sam package` leaves it; the code does not matter here.
    package = packaged(document, lambda directory: "s3://local-stack/code.zip")
    session = boto3.Session(region_name=region)
    metrics = Metrics(metrics_publisher=DummyMetricsPublisher())
    translator = Translator(None, Parser(), boto_session=session, metrics=metrics)
    try:
        result = translator.translate(
            package, dict(parameters), get_managed_policy_map=_managed_policy_arns
        )
    except Exception as error:  # the translator's many error types all mean the same here
        raise TemplateError(f"the SAM transform failed: {error}") from None
    finally:
        metrics.publish()  # to no one: it only stops the translator's warning
    return dict(result["Resources"])


def _managed_policy_arns() -> dict[str, str]:
    """AWS managed policies by name, for ``Policies: [SomePolicyName]`` (moto ships the list)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return {
        name: f"arn:aws:iam::aws:policy{policy['Path']}{name}"
        for name, policy in json.loads(aws_managed_policies_data).items()
    }


class _Loader:
    def __init__(self, path: Path, document: dict[str, Any], settings: LocalSettings) -> None:
        self.path = path
        self.document = document
        self.settings = settings
        self.resources: dict[str, dict[str, Any]] = document["Resources"]
        self.globals: dict[str, Any] = (document.get("Globals") or {}).get("Function") or {}
        self.stack_name = stack_name(path.parent)
        self.parameters = parameter_values(
            document.get("Parameters") or {}, settings.parameter_overrides
        )
        self.outputs: dict[str, dict[str, Any]] = document.get("Outputs") or {}
        self.intrinsics = Intrinsics(
            self.resources,
            self.parameters,
            document.get("Conditions") or {},
            self.stack_name,
            settings.account,
        )
        self._resolve = self.intrinsics.resolve

    def load(self) -> Template:
        """Every resource the local stack runs; resources whose Condition is false are left out."""
        condition = self.intrinsics.condition
        present = {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if "Condition" not in resource or condition(resource["Condition"])
        }
        apis = self._apis(present)
        self.intrinsics.api_urls = {logical_id: api.url for logical_id, api in apis.items()}
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
                as_string(self._resolve(output.get("Value"))),
                str(output.get("Description", "")),
            )
            for name, output in self.outputs.items()
            if "Condition" not in output or condition(output["Condition"])
        )
        parameters = {name: value for name, value in self.parameters.items() if value is not None}
        transformed = sam_transform(
            {**self.document, "Resources": dict(present)}, parameters, self.settings.account.region
        )
        roles = execution_roles(transformed, functions, self.intrinsics)
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

        ports = api_ports(routes, self.settings)
        apis: dict[str, Api] = {}
        for logical_id, api_routes in routes.items():
            properties = declared.get(logical_id, {})
            name = self._resolve(properties.get("Name", logical_id))
            stage = self._resolve(properties.get("StageName", model.IMPLICIT_STAGE))
            apis[logical_id] = Api(
                logical_id=logical_id,
                name=str(name),
                api_id=local_api_id(logical_id),
                stage=str(stage),
                port=ports[logical_id],
                routes=tuple(api_routes),
            )
        return apis

    def _route(
        self, function_id: str, properties: Mapping[str, Any], declared: Mapping[str, Any]
    ) -> tuple[str, Route]:
        rest_api = properties.get("RestApiId")
        if rest_api is None:
            api_id = model.IMPLICIT_API
        elif isinstance(rest_api, dict) and "Ref" in rest_api:
            api_id = str(rest_api["Ref"])
        else:
            raise TemplateError(f"{function_id}: RestApiId must be !Ref to an Api, not {rest_api}")
        api_properties = declared.get(api_id, {})
        default_auth = (api_properties.get("Auth") or {}).get("DefaultAuthorizer")
        auth = (properties.get("Auth") or {}).get("Authorizer", default_auth)
        timeout_ms = int(
            self._resolve(properties.get("TimeoutInMillis", model.MAX_INTEGRATION_TIMEOUT_MS))
        )
        method = str(self._resolve(properties["Method"])).upper()
        return api_id, Route(
            method="ANY" if method in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD") else method,
            path="/" + str(self._resolve(properties["Path"])).strip("/"),
            function=function_id,
            iam_auth=auth == "AWS_IAM",
            timeout_ms=min(timeout_ms, model.MAX_INTEGRATION_TIMEOUT_MS),
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
            timeout_s=float(setting("Timeout", model.DEFAULT_TIMEOUT_S)),
            memory_mb=int(setting("MemorySize", model.DEFAULT_MEMORY_MB)),
            environment=self._environment(properties),
            architecture=str((setting("Architectures") or [model.DEFAULT_ARCHITECTURE])[0]),
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
            if self.intrinsics.physical_id(logical_id) != arn:
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
        return local_environment(declared, self.intrinsics.resolve_string, self.settings)

    def _table(self, logical_id: str, properties: Mapping[str, Any]) -> Table:
        resolved = self._resolve(dict(properties))
        arguments = {key: resolved[key] for key in _TABLE_ARGUMENTS if key in resolved}
        name = self.intrinsics.physical_id(logical_id)
        return Table(logical_id, name, {"TableName": name, **arguments})

    def _custom_resource(
        self, logical_id: str, resource: Mapping[str, Any], functions: Mapping[str, Function]
    ) -> CustomResource:
        properties = resource.get("Properties") or {}
        token = properties.get("ServiceToken")
        target = None
        if isinstance(token, dict) and "Fn::GetAtt" in token:
            target = get_att_parts(token["Fn::GetAtt"])[0]
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
