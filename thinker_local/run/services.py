"""The local services ``make up`` and ``make sam-local`` both start around the functions.

moto with the template's tables, roles and users, IAM then enforced, and the template's custom
resources (the seed) run by local execution environments; the Datadog agent with the trace
store and the recorders of the functions' REPORT and log lines; the APM views. Each start-up
step registers its own stop with the :class:`~thinker_local.run.lifecycle.LocalRun` that runs it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
from collections.abc import Callable
from typing import Any

from ..aws.account import LOCAL_ACCOUNT
from ..aws.custom_resources import create_custom_resources, functions_used
from ..aws.dynamodb import LocalDynamoDB
from ..aws.iam import CREDENTIALS_FILE, LocalIam, service_callers
from ..build import FunctionImage
from ..lambda_service.debug import DebugSettings
from ..lambdafn.environment import ExecutionEnvironment
from ..lambdafn.pool import LambdaService
from ..store.invocations import FunctionInfo
from ..template import Function, Template
from .lifecycle import AGENT_SERVER, APM_SERVER, LocalRun
from .store_server import StoreServer

HOST = "127.0.0.1"
TRACES_FILE = "traces.sqlite3"
_EXAMPLE_CURL = re.compile(r"curl '<url>([^']*)'")


def local_agent_apps(
    run: LocalRun[Any],
    template: Template,
    agent_port: int,
    apm_port: int,
    *,
    agent_hosts: tuple[str, ...] = (),
) -> list[tuple[str, int, StoreServer]]:
    """The Datadog agent and the APM views, when this checkout has them, each to be served
    from a process of its own (:mod:`.store_server`).

    Both answer loopback names and the run's ``allow_hosts``; the agent also ``agent_hosts``
    (the names the functions' containers give it).

    The store also keeps every REPORT line the functions write (the serverless view), and
    every line they print (the logs); the log recorder is closed at ``run``'s stop.
    """
    try:
        from ..agent.log_recorder import LogRecorder
        from ..agent.report_recorder import ReportRecorder
        from ..store import TraceStore
    except ImportError:
        run.output.info("no local Datadog agent in this checkout: traces are not stored")
        return []
    store = TraceStore(run.state_dir / TRACES_FILE, say=run.output.info)
    pruner = store.keep(
        run.config.trace_retention,
        lambda deleted: run.output.info(f"trace retention: deleted the {deleted} oldest traces"),
    )
    run.on_stop(lambda: asyncio.to_thread(pruner.close))
    functions = function_infos(template)
    reports = ReportRecorder(store, functions)
    run.output.subscribe(reports.listener)
    logs = LogRecorder(store, functions)
    run.output.subscribe(logs.listener)
    # Closed last (cleanups run newest first): the functions' last lines are written.
    run.on_stop(lambda: asyncio.to_thread(reports.close))
    run.on_stop(lambda: asyncio.to_thread(logs.close))
    allowed = run.config.allow_hosts
    agent = StoreServer("agent", store.path, allowed + agent_hosts)
    apps = [(AGENT_SERVER, agent_port, agent)]
    if importlib.util.find_spec("thinker_local.apm") is None:
        run.output.info("no APM views in this checkout")
    else:
        apps.append((APM_SERVER, apm_port, StoreServer("apm", store.path, allowed)))
    return apps


async def start_account(
    run: LocalRun[Any],
    template: Template,
    iam: LocalIam,
    host: str,
    dynamodb_port: int,
    *,
    container_hosts: tuple[str, ...] = (),
) -> None:
    """moto: the tables, then the roles and users, then IAM enforced on every request.

    It answers loopback names, ``host``, the run's ``allow_hosts`` and ``container_hosts``."""
    dynamodb = LocalDynamoDB(
        dynamodb_port,
        host=host,
        log_path=run.state_dir / "logs" / "dynamodb.log",
        service_callers=service_callers(LOCAL_ACCOUNT),
        allow_hosts=(host, *run.config.allow_hosts, *container_hosts),
    )
    run.on_stop(dynamodb.stop)
    await dynamodb.start()
    await dynamodb.create_tables(template.tables.values(), LOCAL_ACCOUNT)
    await iam.set_up(template)
    iam.write_profile(run.state_dir / CREDENTIALS_FILE)
    names = ", ".join(table.name for table in template.tables.values()) or "none"
    run.output.info(f"DynamoDB, IAM and STS on {dynamodb.url} (tables: {names})")
    for role in template.roles.values():
        for omitted in role.omitted:
            run.output.info(f"{role.name}: left out {omitted}")


async def run_custom_resources(
    run: LocalRun[Any], template: Template, functions: LambdaService
) -> None:
    """Create the template's custom resources, then free the environments only they used."""
    if not template.custom_resources:
        return
    for reason in await create_custom_resources(template, functions.invoke, LOCAL_ACCOUNT):
        run.output.info(f"custom resource {reason}")
    for logical_id in functions_used(template.custom_resources):
        if not template.functions[logical_id].eager:
            # Stopped, not closed: the Lambda API or `invoke` may still call it.
            await functions.pools[logical_id].recycle(prepare=False)


def environment_factory(
    run: LocalRun[Any],
    iam: LocalIam,
    images: dict[str, FunctionImage],
    debug: DebugSettings | None = None,
) -> Callable[[Function], ExecutionEnvironment]:
    """Execution environments for the functions, each with its role's credentials (the one
    ``debug`` names under debugpy)."""

    def create(function: Function) -> ExecutionEnvironment:
        return ExecutionEnvironment(
            function,
            account=LOCAL_ACCOUNT,
            output=run.output,
            credentials=iam,
            image=images[function.logical_id],
            debug=debug if debug and debug.function == function.logical_id else None,
        )

    return create


def example_requests(template: Template) -> list[tuple[str, str]]:
    """The requests the template's outputs suggest (``curl '<url>think/?…'``), for the banners:
    (URL, path)."""
    found = []
    for output in template.outputs:
        if example := _EXAMPLE_CURL.search(output.description):
            found.append((output.value, example.group(1)))
    return found


def function_infos(template: Template) -> list[FunctionInfo]:
    """The template's functions as the serverless view describes them."""
    fronted = {route.function for api in template.apis.values() for route in api.routes}
    return [
        FunctionInfo(
            name=function.name,
            logical_id=function.logical_id,
            memory_mb=function.memory_mb,
            timeout_s=function.timeout_s,
            architecture=function.architecture,
            runtime=function.runtime,
            # Every API of the template is an AWS::Serverless::Api: a REST API.
            api="REST" if function.logical_id in fronted else None,
            service=function.environment.get("DD_SERVICE") or function.name,
        )
        for function in template.functions.values()
    ]
