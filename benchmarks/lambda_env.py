"""The functions of template.yaml as the local stack runs them, for measurements outside it.

The template is read by the local stack's own loader (:mod:`thinker_local.template`), so the
benchmarks run each function with exactly the handler and environment ``make up`` gives it:
Datadog's handler redirection (``datadog_lambda.handler.handler`` → ``DD_LAMBDA_HANDLER``), the
``DD_*`` variables, and Lambda's reserved variables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from thinker_local.aws.account import LOCAL_ACCOUNT, FixedCredentials
from thinker_local.build import FunctionImage, FunctionImages
from thinker_local.harness.stack import BUILD_DIR, NO_DELAYS
from thinker_local.lambdafn.environment import ExecutionEnvironment
from thinker_local.output import Output
from thinker_local.template import Function, LocalSettings, Template, load_template

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "template.yaml"
EVENTS = REPO / "events"
# The two functions behind the APIs, their sample events, and their names in the report.
FUNCTIONS = {
    "ThinkerApiFunction": ("thinker-api", EVENTS / "think.json"),
    "MicroserviceFunction": ("thinker-microservice", EVENTS / "microservice.json"),
}
# Where nothing listens: a variable the measurement must not use still gets a harmless value.
UNUSED_URL = "http://127.0.0.1:9"


def load(trace_agent_url: str = UNUSED_URL) -> Template:
    """template.yaml resolved for a local run, delays at 0, traces to ``trace_agent_url``."""
    return load_template(
        TEMPLATE,
        LocalSettings(
            first_port=9,
            other_ports=9,
            dynamodb_url=UNUSED_URL,
            trace_agent_url=trace_agent_url,
            parameter_overrides=NO_DELAYS,
            environ={},
        ),
    )


def real_handler(function: Function) -> str:
    """The function's own handler, which Datadog's redirection calls (``DD_LAMBDA_HANDLER``)."""
    return function.environment.get("DD_LAMBDA_HANDLER", function.handler)


def untraced(function: Function) -> Function:
    """The function without the Datadog wrapper: its own handler, tracing off."""
    environment = {
        name: value for name, value in function.environment.items() if name != "DD_LAMBDA_HANDLER"
    }
    environment["DD_TRACE_ENABLED"] = "false"
    return dataclasses.replace(function, handler=real_handler(function), environment=environment)


async def image(function: Function) -> FunctionImage:
    """The function's image (dependencies, layers, runtime), as ``make up`` builds it."""
    return await FunctionImages(BUILD_DIR, REPO, Output()).image(function)


def process_environment(
    function: Function, image: FunctionImage, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What a process running ``function`` on its image outside the stack gets: Lambda's
    variables, ``PYTHONPATH`` included, but no Runtime API."""
    credentials = LOCAL_ACCOUNT.credentials
    environment = ExecutionEnvironment(
        function,
        account=LOCAL_ACCOUNT,
        output=Output(),
        credentials=FixedCredentials(credentials),
        image=image,
    ).environment_variables(UNUSED_URL.removeprefix("http://"), credentials)
    environment.pop("AWS_LAMBDA_RUNTIME_API")
    environment.update(extra or {})
    return environment
