"""template.yaml read for a local run: everything comes from the template, resolved locally."""

from __future__ import annotations

import pytest

from tests.support.processes import REPO
from tests.support.stacks import FAULTS_TEMPLATE
from thinker_local.template import LocalSettings, TemplateError, load_template

TEMPLATE = REPO / "template.yaml"


def test_the_apis_their_routes_stages_and_auth_come_from_the_template() -> None:
    template = load_template(TEMPLATE)

    api, microservice = template.apis["ThinkerApi"], template.apis["MicroserviceApi"]
    assert (api.port, api.stage) == (5000, "Prod")
    assert [(r.method, r.path, r.function, r.iam_auth) for r in api.routes] == [
        ("GET", "/think", "ThinkerApiFunction", False)
    ]
    assert (microservice.port, microservice.stage) == (8000, "Prod")
    assert [(r.method, r.path, r.function, r.iam_auth) for r in microservice.routes] == [
        ("GET", "/", "MicroserviceFunction", True)
    ]


def test_function_environments_merge_globals_and_resolve_intrinsics_locally() -> None:
    template = load_template(TEMPLATE)

    api = template.functions["ThinkerApiFunction"]
    service = template.functions["MicroserviceFunction"]
    table = template.tables["ThoughtsTable"]
    assert (api.handler, api.code_dir, api.timeout_s, api.memory_mb) == (
        "datadog_lambda.handler.handler",
        REPO / "api_lambda",
        15.0,
        512,
    )
    assert api.environment["DD_LAMBDA_HANDLER"] == "app.app"
    assert api.environment["DD_ENV"] == "dev"  # a Globals variable, from its parameter's default
    assert api.environment["THINKER_MICROSERVICE_URL"] == "http://127.0.0.1:8000/"
    assert service.environment["THOUGHTS_TABLE"] == table.name
    assert table.create_table_arguments["KeySchema"] == [
        {"AttributeName": "subject", "KeyType": "HASH"}
    ]


def test_local_overrides_replace_what_only_aws_has() -> None:
    template = load_template(
        TEMPLATE,
        LocalSettings(
            trace_agent_url="http://127.0.0.1:9126",
            dynamodb_url="http://127.0.0.1:6005",
            environ={"DD_API_KEY": "a-real-key", "THINKER_THINK_DELAY": "0", "HOME": "/x"},
        ),
    )

    for function in template.functions.values():
        environment = function.environment
        assert "DD_API_KEY_SECRET_ARN" not in environment
        assert environment["DD_TRACE_AGENT_URL"] == "http://127.0.0.1:9126"
        assert environment["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:6005"
        assert environment["DD_FLUSH_TO_LOG"] == "true"
        assert environment["DD_ENHANCED_METRICS"] == "false"
        assert environment["DD_API_KEY"] == "a-real-key"
        assert "HOME" not in environment  # only variables the template declares pass through
    assert template.functions["MicroserviceFunction"].environment["THINKER_THINK_DELAY"] == "0"


def test_the_seed_custom_resource_is_backed_by_its_function() -> None:
    template = load_template(TEMPLATE)

    (seed,) = template.custom_resources
    assert (seed.logical_id, seed.resource_type, seed.function) == (
        "ThoughtsSeed",
        "Custom::ThoughtsSeed",
        "SeedThoughtsFunction",
    )
    assert seed.properties["TableName"] == template.tables["ThoughtsTable"].name
    assert seed.properties["ServiceToken"].endswith(":function:SeedThoughtsFunction")


def test_ports_can_be_given_per_api() -> None:
    template = load_template(TEMPLATE, LocalSettings(api_ports={"MicroserviceApi": 9001}))

    assert template.apis["MicroserviceApi"].port == 9001
    api = template.functions["ThinkerApiFunction"]
    assert api.environment["THINKER_MICROSERVICE_URL"] == "http://127.0.0.1:9001/"


def test_integration_timeouts_and_parameters_come_from_the_template() -> None:
    template = load_template(
        FAULTS_TEMPLATE, LocalSettings(parameter_overrides={"InitFailsIfExists": "/x"})
    )

    routes = {route.path: route for route in template.apis["FaultsApi"].routes}
    assert routes["/impatient"].timeout_ms == 300
    assert routes["/echo"].timeout_ms == 29_000
    assert routes["/echo"].method == "ANY"
    assert template.functions["BrokenInitFunction"].environment["INIT_FAILS_IF_EXISTS"] == "/x"


def test_an_unknown_parameter_override_is_an_error() -> None:
    with pytest.raises(TemplateError, match="no such parameter"):
        load_template(TEMPLATE, LocalSettings(parameter_overrides={"Nope": "1"}))
