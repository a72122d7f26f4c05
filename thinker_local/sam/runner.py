"""``sam local start-api`` and ``start-lambda`` with everything they call, started and stopped
as one.

Start-up, in order: take the state directory's lock (the same one ``make up`` takes: one stack
at a time, one trace store), find a Docker engine (or start ``dockerd``, see :mod:`.engine`)
and the host's address on its bridge, bind the agent (on the bridge, where the containers'
``host.docker.internal`` leads) and the APM (on loopback), start moto on the bridge with the
template's tables, IAM and the template's own seed custom resource (the code ``make up`` runs),
find or build the base image, ``sam build``, then ``sam local start-api`` and ``sam local
start-lambda`` side by side with the project's samconfig.toml and an env-vars file saying where
this run's endpoints are. Every line goes through one :class:`~thinker_local.output.Output`, so
REPORT lines land in the trace store. Then ``up.json`` is written and the URLs printed, with
the ``sam local invoke`` command line that uses the same services. On Ctrl-C, SIGTERM, a failed
start or a ``sam`` exiting, everything started is stopped, newest first, and ``sam``'s
containers are removed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..aws.account import LOCAL_ACCOUNT
from ..aws.custom_resources import functions_used
from ..aws.iam import CREDENTIALS_FILE, PROFILE, LocalIam
from ..build import FunctionImages
from ..errors import StackError
from ..lambdafn.pool import LambdaService
from ..output import Output
from ..run.lifecycle import LocalRun, RunConfig
from ..run.services import (
    HOST,
    environment_factory,
    example_requests,
    local_agent_apps,
    run_custom_resources,
    start_account,
)
from ..run.store_server import StoreServer
from ..template import LocalSettings, Template, load_template
from .engine import DockerEngine, host_address
from .image import base_image
from .processes import SamServer, sam_build

# How the containers name this host (samconfig.toml's add_host; Docker Desktop's own name).
CONTAINER_HOST = "host.docker.internal"
ENV_FILE = "sam-env.json"
START_TIMEOUT_S = 300.0
START_API = "sam local start-api"
START_LAMBDA = "sam local start-lambda"
# The function and event the banner's ``sam local invoke`` line names.
INVOKE_EXAMPLE = ("ThinkerApiFunction", "events/think.json")


@dataclass(frozen=True)
class SamConfig(RunConfig):
    """What ``sam`` was asked to run; the default ports are those sam's own default,
    samconfig.toml, env.json and the template's local mode name."""

    # Where sam, the agent and DynamoDB listen: the Docker bridge's address unless given.
    host: str | None = None
    port: int = 5000
    start_timeout: float = START_TIMEOUT_S


class SamLocal(LocalRun[SamConfig]):
    """Everything ``sam`` starts, and the order to stop it in."""

    command = "sam"

    def __init__(self, config: SamConfig, output: Output | None = None) -> None:
        super().__init__(config, output)
        self.repo = config.template_path.resolve().parent
        self.servers: list[SamServer] = []

    async def ended(self) -> str:
        """When the first of the ``sam`` servers exits, which one and how (or the agent or the
        APM, :meth:`LocalRun.end`)."""
        waits = {
            asyncio.ensure_future(server.process.wait()): server
            for server in self.servers
            if server.process is not None
        }
        ours = asyncio.ensure_future(super().ended())
        try:
            done, _ = await asyncio.wait({*waits, ours}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in (*waits, ours):
                wait.cancel()
        for wait, server in waits.items():
            if wait in done:
                return f"`{server.name}` exited with {wait.result()}"
        return ours.result()

    async def start(self) -> None:
        config, say = self.config, self.output.info
        self.take_lock()
        engine = DockerEngine(config.state_dir / "logs" / "dockerd.log", say)
        self.on_stop(lambda: asyncio.to_thread(engine.stop))
        await asyncio.to_thread(engine.start)
        host = config.host if config.host else await asyncio.to_thread(host_address)
        say(f"Docker engine answers; the containers reach this host at {host}")

        template = self._template(host)
        agent, apm = self._bind_agent_and_apm(template, host)
        self.check_free(host, config.dynamodb_port, "DynamoDB")
        self.check_free(host, config.port, START_API)
        self.check_free(host, config.lambda_port, START_LAMBDA)
        servers: dict[str, str] = {}
        for name, sock, store_server in (*agent, *apm):
            await store_server.serve(self, sock, name)
            address, port = sock.getsockname()[:2]
            servers[name] = f"http://{address}:{port}/"
            say(f"{name} on {servers[name]}")

        iam = await self._start_account(template, host)
        image = await base_image(self.repo, sys.executable, self.output)
        say(f"Lambda base image {image.describe()}")
        env = self._sam_environment(iam)
        await sam_build(self._sam(), self.repo, env, self.output)
        env_file = self._write_env_file()
        ports = {START_API: config.port, START_LAMBDA: config.lambda_port}
        logs = {START_API: "sam-functions.log", START_LAMBDA: "sam-lambda-functions.log"}
        self.on_stop(self._stop_sam)
        # Both start at once (start-lambda makes no container before its first invocation);
        # then each must serve within the timeout.
        for name, port in ports.items():
            server = SamServer(name, self._server_args(name, host, port, env_file, logs[name]),
                               repo=self.repo, env=env, output=self.output)  # fmt: skip
            self.servers.append(server)
            say(f"{name} on {host}:{port} (a first start builds images)")
            await server.start()
        for server in self.servers:
            await server.serving(host, ports[server.name], config.start_timeout)

        base = f"http://{host}:{config.port}"
        lambda_url = f"http://{host}:{config.lambda_port}"
        self.write_info(
            template,
            apis={api.logical_id: base for api in template.apis.values()},
            servers=servers,
            dynamodb=f"http://{host}:{config.dynamodb_port}/",
            trace_agent=f"http://{host}:{config.agent_port}",
            lambda_api=lambda_url,
        )
        servers["Lambda (invoke)"] = lambda_url
        servers["DynamoDB, IAM, STS"] = f"http://{host}:{config.dynamodb_port}/"
        self._banner(template, base, servers, image.describe())

    # -- start-up steps --------------------------------------------------------------------

    def _bind_agent_and_apm(
        self, template: Template, host: str
    ) -> tuple[list[tuple[str, Any, StoreServer]], list[tuple[str, Any, StoreServer]]]:
        """The agent's socket on the bridge (the containers send there, naming it
        host.docker.internal or the bridge's address: the agent answers both), the APM's on
        loopback."""
        apps = local_agent_apps(
            self,
            template,
            self.config.agent_port,
            self.config.apm_port,
            agent_hosts=(CONTAINER_HOST, host),
        )
        agent, apm = apps[:1], apps[1:]
        return (
            [(name, self.bind(host, port, name), app) for name, port, app in agent],
            [(name, self.bind(HOST, port, name), app) for name, port, app in apm],
        )

    async def _start_account(self, template: Template, host: str) -> LocalIam:
        """moto on the bridge, with the tables, IAM, and the template's seed custom resource."""
        config = self.config
        iam = LocalIam(f"http://{host}:{config.dynamodb_port}", LOCAL_ACCOUNT)
        await start_account(
            self, template, iam, host, config.dynamodb_port, container_hosts=(CONTAINER_HOST,)
        )
        # The custom resources' functions run as make up runs them: no container needed.
        backing = {
            logical_id: template.functions[logical_id]
            for logical_id in functions_used(template.custom_resources)
        }
        images = await FunctionImages(config.build_dir, self.repo, self.output).for_functions(
            backing
        )
        functions = LambdaService(backing, environment_factory(self, iam, images))
        try:
            await run_custom_resources(self, template, functions)
        finally:
            await functions.close()
        return iam

    def _sam(self) -> str:
        return str(Path(sys.executable).parent / "sam")

    def _sam_environment(self, iam: LocalIam) -> dict[str, str]:
        """The developer's keys (what a SAM user's own profile gives every container), fake
        and local; python3.12 on PATH for ``sam build``; no telemetry."""
        assert iam.developer is not None
        credentials = iam.developer.credentials
        environ = {
            name: value
            for name, value in self.config.environ.items()
            if name not in {"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}
        }
        return {
            **environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}",
            "AWS_ACCESS_KEY_ID": credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
            "AWS_DEFAULT_REGION": LOCAL_ACCOUNT.region,
            "AWS_REGION": LOCAL_ACCOUNT.region,
            "SAM_CLI_TELEMETRY": "0",
        }

    def _write_env_file(self) -> Path:
        """env.json, with this run's ports and the tables' names as the seed filled them."""
        config = self.config
        # The template as the containers see it: the endpoints at host.docker.internal.
        containers = self._template(CONTAINER_HOST)
        named = SamConfig(config.template_path, config.state_dir)
        ports = {
            named.port: config.port,
            named.dynamodb_port: config.dynamodb_port,
            named.agent_port: config.agent_port,
        }
        variables = sam_env_vars(
            json.loads((self.repo / "env.json").read_text()), containers, ports
        )
        path = config.state_dir / ENV_FILE
        path.write_text(json.dumps(variables, indent=2) + "\n")
        return path

    def _template(self, host: str) -> Template:
        """The template in local mode, its DynamoDB and agent on ``host`` at this run's ports."""
        config = self.config
        return load_template(
            config.template_path,
            LocalSettings(
                dynamodb_url=f"http://{host}:{config.dynamodb_port}",
                trace_agent_url=f"http://{host}:{config.agent_port}",
                parameter_overrides=self._parameter_overrides(),
                environ=config.environ,
            ),
        )

    def _parameter_overrides(self) -> dict[str, str]:
        return {"Mode": "local", **self.config.parameter_overrides}

    def _server_args(
        self, name: str, host: str, port: int, env_file: Path, log_file: str
    ) -> list[str]:
        """``name``'s command line: samconfig.toml's section for it, and this run's own."""
        return [
            *self._sam_local(self._sam(), name.removeprefix("sam local "), str(env_file)),
            "--host", host,
            "--port", str(port),
            "--log-file", str(self.config.state_dir / "logs" / log_file),
        ]  # fmt: skip

    def _sam_local(self, sam: str, command: str, env_file: str) -> list[str]:
        """``sam local COMMAND`` with what this run adds to every one: where its endpoints
        are, its parameters, and no pull (the image is here, and no registry may be)."""
        overrides = self._parameter_overrides()
        return [
            sam, "local", command,
            "--env-vars", env_file,
            "--parameter-overrides", " ".join(f"{k}={v}" for k, v in overrides.items()),
            "--skip-pull-image",
        ]  # fmt: skip

    async def _stop_sam(self) -> None:
        """Every ``sam`` first, then their containers: a ``sam`` still running would try to
        use a container that another's stop removed."""
        for server in reversed(self.servers):
            await server.terminate()
        left: set[str] = set()
        for server in reversed(self.servers):
            left |= await server.stop()
            if server.containers:
                self.output.info(f"removed {server.name}'s containers ({len(server.containers)})")
        if left:
            raise StackError(f"could not remove containers {', '.join(sorted(left))}")

    def _invoke_command(self, function: str, event: str) -> str:
        """The ``sam local invoke`` command line that runs with this run's services: its
        env-vars file, parameters and add_host (samconfig.toml), the developer's keys."""
        state = self.config.state_dir
        return shlex.join([
            f"AWS_SHARED_CREDENTIALS_FILE={_shown(state / CREDENTIALS_FILE)}",
            f"AWS_PROFILE={PROFILE}",
            *self._sam_local(_shown(Path(self._sam())), "invoke", _shown(state / ENV_FILE)),
            "--region", LOCAL_ACCOUNT.region,
            function, "-e", event,
        ])  # fmt: skip

    def _banner(self, template: Template, base: str, servers: dict[str, str], image: str) -> None:
        say = self.output.info
        say(f"{template.path.name}: `{START_API}` and `{START_LAMBDA}` are up (base image {image})")
        for api in template.apis.values():
            for route in api.routes:
                note = " (AWS_IAM: not checked by sam local)" if route.iam_auth else ""
                url = f"{base}{route.path}"
                say(f"  {api.logical_id:<18} {route.method} {url}  → {route.function}{note}")
        for name, url in servers.items():
            say(f"  {name:<18} {url}")
        for _, path in example_requests(template)[:1]:
            say("Try:")
            say(f"  curl '{base}/{path}'")
        if INVOKE_EXAMPLE[0] in template.functions:
            say(f"  {self._invoke_command(*INVOKE_EXAMPLE)}")
        say("Ctrl-C stops everything (and removes sam's containers).")


def sam_env_vars(
    base: dict[str, Any], template: Template, ports: Mapping[int, int]
) -> dict[str, Any]:
    """``--env-vars`` for this run, from env.json and the template as the containers see it.

    Every value naming ``host.docker.internal:<port>`` names it at this run's port (``ports``:
    the port samconfig.toml, env.json and the template name → this run's); each function's
    variables that name the host, or a table (by the name it was created with), are given in
    the function's own section, which sam puts above ``Parameters``.
    """

    def moved(value: str) -> str:
        return _CONTAINER_URL.sub(
            lambda m: f"{CONTAINER_HOST}:{ports.get(int(m.group(1)), int(m.group(1)))}", value
        )

    variables: dict[str, Any] = {
        name: {key: moved(str(value)) for key, value in section.items()}
        for name, section in base.items()
    }
    tables = {table.name for table in template.tables.values()}
    for logical_id, function in template.functions.items():
        named = {
            key: moved(value)
            for key, value in function.environment.items()
            if CONTAINER_HOST in value or value in tables
        }
        if named:
            variables.setdefault(logical_id, {}).update(named)
    return variables


def _shown(path: Path) -> str:
    """A path as a command line shows it: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


_CONTAINER_URL = re.compile(rf"{re.escape(CONTAINER_HOST)}:(\d+)")
