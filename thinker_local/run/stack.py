"""The whole local stack, started and stopped as one: what ``make up`` runs.

Start-up, in order: take the state directory's lock (one stack at a time), bind every port
(a clear message if one is taken), build what changed in the functions' images (dependencies,
layers, runtime: :mod:`thinker_local.build`; nothing when nothing changed), start the Datadog
agent and the APM views, moto with the template's tables, each function's role and the
developer's user, with IAM then enforced (:mod:`thinker_local.aws.iam`), the Lambda service (one
warm environment per API function, with its role's credentials), Lambda's Invoke API
(:mod:`thinker_local.lambda_service`), the template's custom resources (the seed), then one
gateway per API. Then it prints the URLs, recycles a function's environments when its code
changes, and on Ctrl-C or SIGTERM stops everything it started, in reverse order. The services
it shares with ``make sam-local`` are :mod:`thinker_local.run.services`'s, the run from start to
stop :mod:`thinker_local.run.lifecycle`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from ..apigw.gateway import Gateway
from ..aws.account import LOCAL_ACCOUNT
from ..aws.iam import CREDENTIALS_FILE, DEVELOPER_POLICY, DEVELOPER_USER, PROFILE, LocalIam
from ..build import FunctionImages
from ..errors import StackError
from ..lambda_service import LambdaApi
from ..lambda_service.debug import DebugSettings, debug_image
from ..lambdafn.pool import DEFAULT_MAX_ENVIRONMENTS, LambdaService
from ..output import Output
from ..template import LocalSettings, Template, load_template, with_env_vars
from .lifecycle import LocalRun, RunConfig
from .services import (
    HOST,
    environment_factory,
    example_requests,
    local_agent_apps,
    run_custom_resources,
    start_account,
)
from .store_server import StoreServer

MAX_REQUEST_LINE = 10_240
LAMBDA_API = "Lambda API"


@dataclass(frozen=True)
class StackConfig(RunConfig):
    """What ``up`` was asked to run."""

    first_port: int = 5000
    other_ports: int = 8000
    api_ports: dict[str, int] = field(default_factory=dict)
    # Start the local agent and APM views; without them, traces go to trace_agent_url.
    apm: bool = True
    trace_agent_url: str | None = None
    reload: bool = True
    max_environments: int = DEFAULT_MAX_ENVIRONMENTS
    # SAM's --env-vars: variables by function logical id, and "Parameters" for all of them.
    env_vars: dict[str, dict[str, str]] = field(default_factory=dict)
    # Print the URLs once up (``invoke`` runs a stack quietly).
    banner: bool = True
    # A function whose environment runs under debugpy (SAM's --debug-function and -d).
    debug: DebugSettings | None = None


class Stack(LocalRun[StackConfig]):
    """Everything ``up`` starts, and the order to stop it in."""

    command = "up"

    def __init__(self, config: StackConfig, output: Output | None = None) -> None:
        super().__init__(config, output)
        self.template: Template | None = None

    async def start(self) -> None:
        config = self.config
        self.take_lock()
        trace_agent_url = config.trace_agent_url or f"http://{HOST}:{config.agent_port}"
        template = load_template(
            config.template_path,
            LocalSettings(
                api_ports=config.api_ports,
                first_port=config.first_port,
                other_ports=config.other_ports,
                dynamodb_url=f"http://{HOST}:{config.dynamodb_port}",
                lambda_url=f"http://{HOST}:{config.lambda_port}",
                trace_agent_url=trace_agent_url,
                parameter_overrides=config.parameter_overrides,
                environ=config.environ,
            ),
        )
        template = with_env_vars(template, config.env_vars)
        self.template = template
        api_sockets = {
            api.logical_id: self.bind(HOST, api.port, api.logical_id)
            for api in template.apis.values()
        }
        lambda_socket = self.bind(HOST, config.lambda_port, LAMBDA_API)
        extra_servers = (
            local_agent_apps(self, template, config.agent_port, config.apm_port)
            if config.apm
            else []
        )
        extra_sockets = [
            (name, self.bind(HOST, port, name), app) for name, port, app in extra_servers
        ]
        self.check_free(HOST, config.dynamodb_port, "DynamoDB")
        debug = config.debug
        if debug is not None:
            if debug.function not in template.functions:
                raise StackError(f"--debug-function {debug.function}: no such function")
            self.check_free(HOST, debug.port, "debugger")
        images = await FunctionImages(
            config.build_dir, template.path.parent, self.output
        ).for_functions(template.functions)
        if debug is not None:
            images[debug.function] = debug_image(images[debug.function], config.build_dir)

        for name, sock, server in extra_sockets:
            await server.serve(self, sock, name)
            self.output.info(f"{name} on http://{HOST}:{sock.getsockname()[1]}")

        iam = LocalIam(f"http://{HOST}:{config.dynamodb_port}", LOCAL_ACCOUNT)
        functions = LambdaService(
            template.functions,
            environment_factory(self, iam, images, debug),
            max_environments=config.max_environments,
            # One process listens on the debug port.
            limits={debug.function: 1} if debug else None,
        )
        self.on_stop(functions.close)
        # Environments start as soon as their role's credentials are there.
        warming = asyncio.ensure_future(functions.warm())
        try:
            await start_account(self, template, iam, HOST, config.dynamodb_port)
            lambda_api = LambdaApi(
                functions,
                account=LOCAL_ACCOUNT,
                iam=iam,
                output=self.output,
                allow_hosts=config.allow_hosts,
            )
            await self.serve(lambda_api.create_app(), lambda_socket)
            # Before the server's own stop, which would wait for the invocations under way.
            self.on_stop(lambda_api.close)
            await run_custom_resources(self, template, functions)
        finally:
            await warming

        for api in template.apis.values():
            gateway = Gateway(api, functions, account=LOCAL_ACCOUNT, iam=iam, output=self.output)
            await self.serve(gateway.create_app(), api_sockets[api.logical_id])
        if config.reload:
            watcher = asyncio.ensure_future(self._watch(template, functions))
            self.on_stop(lambda: _cancel(watcher))
        self._write_info(template, extra_sockets, trace_agent_url)
        if config.banner:
            self._banner(
                template, trace_agent_url, [(n, s.getsockname()[1]) for n, s, _ in extra_sockets]
            )

    def where(self, host: str, port: int) -> str:
        return f"port {port}"

    async def serve(self, app: web.Application, sock: Any, **options: Any) -> None:
        # API Gateway takes request lines and headers up to 10,240 bytes (aiohttp: 8,190).
        await super().serve(
            app, sock, max_line_size=MAX_REQUEST_LINE, max_field_size=MAX_REQUEST_LINE, **options
        )

    async def _watch(self, template: Template, functions: LambdaService) -> None:
        """Recycle a function's environments when a file under its CodeUri changes."""
        from watchfiles import awatch

        directories = sorted(template.code_dirs())
        async for changes in awatch(*directories, template.path):
            paths = [Path(path) for _, path in changes]
            if template.path in paths:
                self.output.info("template.yaml changed: restart `make up` to apply it")
            changed = {
                logical_id
                for logical_id, function in template.functions.items()
                if any(path.is_relative_to(function.code_dir) for path in paths)
            }
            if changed:
                self.output.info(f"code changed: new environments for {', '.join(sorted(changed))}")
                await functions.recycle(changed)

    def _write_info(
        self, template: Template, extra: list[tuple[str, Any, StoreServer]], trace_agent: str
    ) -> None:
        servers = {name: f"http://{HOST}:{sock.getsockname()[1]}/" for name, sock, _ in extra}
        self.write_info(
            template,
            apis={api.logical_id: api.url for api in template.apis.values()},
            servers=servers,
            dynamodb=f"http://{HOST}:{self.config.dynamodb_port}/",
            trace_agent=trace_agent,
            lambda_api=f"http://{HOST}:{self.config.lambda_port}/",
        )

    def _banner(
        self, template: Template, trace_agent_url: str, extra: list[tuple[str, int]]
    ) -> None:
        say = self.output.info
        say(f"{template.path.name}: stack {template.stack_name!r} is up")
        for api in template.apis.values():
            for route in api.routes:
                auth = ", AWS_IAM" if route.iam_auth else ""
                url = api.url.rstrip("/") + route.path
                say(f"  {api.logical_id:<18} {route.method} {url}  → {route.function}{auth}")
        for name, port in extra:
            say(f"  {name:<18} http://{HOST}:{port}/")
        lambda_url = f"http://{HOST}:{self.config.lambda_port}"
        say(f"  {LAMBDA_API:<18} {lambda_url}/  (aws lambda invoke --endpoint-url {lambda_url})")
        say(f"  traces go to       {trace_agent_url}")
        if self.config.debug is not None:
            debug = self.config.debug
            say(f"  {debug.function} waits for a debugger (debugpy) on {debug.address}")
        for url, path in example_requests(template):
            if url.startswith(f"http://{HOST}:"):
                say("Try:")
                say(f"  curl 'localhost:{url.removeprefix(f'http://{HOST}:')}{path}'")
        signed = [
            api.url.rstrip("/") + route.path
            for api in template.apis.values()
            for route in api.routes
            if route.iam_auth
        ]
        if signed:
            credentials = self.config.state_dir / CREDENTIALS_FILE
            say(
                f"AWS_IAM routes take a signature: the developer's keys (IAM user {DEVELOPER_USER},"
                f" {DEVELOPER_POLICY}) are in {credentials}, profile {PROFILE}:"
            )
            say(f"  python -m thinker_local call '{signed[0]}'")
        say("Ctrl-C stops everything.")


async def _cancel(task: asyncio.Future[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
