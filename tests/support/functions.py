"""The two real functions, wrapped by the Datadog layer's library, sending to a given agent.

Each runs in its own process behind ``tests.support.lambda_server`` (one API Gateway event per
HTTP request), with the environment template.yaml gives it: the spans are the genuine article.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.support.expected import TABLE
from tests.support.processes import free_port, running
from tests.support.template import function_environment


def lambda_process_env(
    logical_id: str, name: str, agent: str, code: str, **resolved: str
) -> dict[str, str]:
    return {
        # The local stack's environment: traces to the agent, no Extension, no secret.
        **function_environment(logical_id, agent, **resolved),
        # What Lambda sets, and what keeps the library quiet outside AWS.
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
        "DD_REMOTE_CONFIGURATION_ENABLED": "false",
        "PYTHONPATH": f"{code}:.",
    }


@contextmanager
def running_functions(
    agent: str,
    dynamodb_url: str,
    logs: Path,
    *,
    subject_delay: str = "0.02",
    think_delay: str = "0.05",
) -> Iterator[str]:
    """thinker-microservice and thinker-api running; yields thinker-api's base URL.

    The default delays are shorter than the quick-start's 0.2 s and 0.5 s, still long enough to
    see in a trace.
    """
    microservice_port, api_port = free_port(), free_port()
    server = [sys.executable, "-m", "tests.support.lambda_server"]
    server += ["--handler", "datadog_lambda.handler.handler"]
    microservice_env = lambda_process_env(
        "MicroserviceFunction",
        "thinker-microservice",
        agent,
        "microservice_lambda",
        THOUGHTS_TABLE=TABLE,
        AWS_ENDPOINT_URL_DYNAMODB=dynamodb_url,
        THINKER_SUBJECT_DELAY=subject_delay,
        THINKER_THINK_DELAY=think_delay,
    )
    api_env = lambda_process_env(
        "ThinkerApiFunction",
        "thinker-api",
        agent,
        "api_lambda",
        THINKER_MICROSERVICE_URL=f"http://127.0.0.1:{microservice_port}/",
    )
    with ExitStack() as stack:
        for port, env, event, resource, name in (
            (microservice_port, microservice_env, "microservice.json", "/", "microservice"),
            (api_port, api_env, "think.json", "/think", "api"),
        ):
            args = [*server, "--port", str(port), "--event", f"events/{event}"]
            args += ["--resource", resource]
            stack.enter_context(running(args, port=port, env=env, log=logs / f"{name}.log"))
        yield f"http://127.0.0.1:{api_port}/"
