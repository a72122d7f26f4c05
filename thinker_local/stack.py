"""The whole local stack, started and stopped as one: what ``make up`` runs.

Start-up, in order: take the state directory's lock (one stack at a time), bind every port
(a clear message if one is taken), build what changed in the functions' images (dependencies,
layers, runtime: :mod:`thinker_local.build`; nothing when nothing changed), start the Datadog
agent and the APM views, moto with the template's tables, each function's role and the
developer's user, with IAM then enforced (:mod:`thinker_local.iam`), the Lambda service (one
warm environment per API function, with its role's credentials), the template's custom
resources (the seed), then one gateway per API. Then it prints the URLs, recycles a function's
environments when its code changes, and on Ctrl-C or SIGTERM stops everything it started, in
reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import re
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from aiohttp import web

from .account import LOCAL_ACCOUNT
from .build import FunctionImage, FunctionImages
from .custom_resources import create_custom_resources, functions_used
from .dynamodb import LocalDynamoDB
from .environment import ExecutionEnvironment
from .gateway import Gateway
from .iam import (
    CREDENTIALS_FILE,
    DEVELOPER_POLICY,
    DEVELOPER_USER,
    PROFILE,
    LocalIam,
    service_callers,
)
from .net import check_free, listen, serve
from .output import Output
from .pool import DEFAULT_MAX_ENVIRONMENTS, LambdaService
from .template import Function, LocalSettings, Template, load_template

HOST = "127.0.0.1"
LOCK_FILE = "up.lock"
INFO_FILE = "up.json"
TRACES_FILE = "traces.sqlite3"
# The names of the servers beside the APIs, in the banner and in up.json's "servers".
AGENT_SERVER = "Datadog agent"
APM_SERVER = "APM"
MAX_REQUEST_LINE = 10_240
_EXAMPLE_CURL = re.compile(r"curl '<url>([^']*)'")


class StackError(RuntimeError):
    """The stack cannot start; the message tells the user what to do."""


class AlreadyRunning(StackError):
    """Another stack holds the state directory's lock."""


def _port_taken(port: int, what: str) -> StackError:
    return StackError(
        f"port {port} ({what}) is already in use by another program;"
        " stop it, or choose another port (see `python -m thinker_local up --help`)"
    )


@dataclass(frozen=True)
class StackConfig:
    """What ``up`` was asked to run."""

    template_path: Path
    state_dir: Path
    # Where the functions' dependencies, layers and runtime are built and kept, by content.
    build_dir: Path = Path(".thinker/build")
    first_port: int = 5000
    other_ports: int = 8000
    api_ports: dict[str, int] = field(default_factory=dict)
    dynamodb_port: int = 5005
    agent_port: int = 8126
    apm_port: int = 8080
    # Start the local agent and APM views; without them, traces go to trace_agent_url.
    apm: bool = True
    trace_agent_url: str | None = None
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    reload: bool = True
    max_environments: int = DEFAULT_MAX_ENVIRONMENTS
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))


class Stack:
    """Everything ``up`` starts, and the order to stop it in."""

    def __init__(self, config: StackConfig, output: Output | None = None) -> None:
        self.config = config
        self.output = output or Output()
        self.template: Template | None = None
        self._cleanups: list[Callable[[], Awaitable[None]]] = []
        self._lock: IO[str] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Start everything, serve until ``stop`` is set, then stop everything."""
        await run_until_stopped(self.start, self.close, stop, self.output)

    async def start(self) -> None:
        config = self.config
        self._take_lock()
        trace_agent_url = config.trace_agent_url or f"http://{HOST}:{config.agent_port}"
        template = load_template(
            config.template_path,
            LocalSettings(
                api_ports=config.api_ports,
                first_port=config.first_port,
                other_ports=config.other_ports,
                dynamodb_url=f"http://{HOST}:{config.dynamodb_port}",
                trace_agent_url=trace_agent_url,
                parameter_overrides=config.parameter_overrides,
                environ=config.environ,
            ),
        )
        self.template = template
        api_sockets = {
            api.logical_id: self._bind(api.port, api.logical_id) for api in template.apis.values()
        }
        extra_servers = self._local_agent_apps(template) if config.apm else []
        extra_sockets = [(name, self._bind(port, name), app) for name, port, app in extra_servers]
        self._check_free(config.dynamodb_port, "DynamoDB")
        images = await FunctionImages(
            config.build_dir, template.path.parent, self.output
        ).for_functions(template.functions)

        for name, sock, app in extra_sockets:
            await self._serve(app, sock)
            self.output.info(f"{name} on http://{HOST}:{sock.getsockname()[1]}")

        iam = LocalIam(f"http://{HOST}:{config.dynamodb_port}", LOCAL_ACCOUNT)
        functions = LambdaService(
            template.functions,
            self._environment_factory(iam, images),
            max_environments=config.max_environments,
        )
        self._cleanups.append(functions.close)
        # Environments start as soon as their role's credentials are there.
        warming = asyncio.ensure_future(functions.warm())
        try:
            await self._start_account(template, iam)
            await run_custom_resources(template, functions, self.output)
        finally:
            await warming

        for api in template.apis.values():
            gateway = Gateway(api, functions, account=LOCAL_ACCOUNT, iam=iam, output=self.output)
            await self._serve(gateway.create_app(), api_sockets[api.logical_id])
        if config.reload:
            watcher = asyncio.ensure_future(self._watch(template, functions))
            self._cleanups.append(lambda: _cancel(watcher))
        self._write_info(template, extra_sockets, trace_agent_url)
        self._banner(
            template, trace_agent_url, [(n, s.getsockname()[1]) for n, s, _ in extra_sockets]
        )

    async def close(self) -> None:
        """Stop what was started, newest first; every step runs even if one fails."""
        await run_cleanups(self._cleanups, self.output)
        if self._lock is not None:
            release_lock(self.config.state_dir, self._lock)
            self._lock = None

    # -- start-up steps --------------------------------------------------------------------

    def _take_lock(self) -> None:
        self._lock = take_lock(self.config.state_dir)

    def _bind(self, port: int, what: str) -> Any:
        try:
            sock = listen(HOST, port)
        except OSError:
            raise _port_taken(port, what) from None
        self._cleanups.append(_close_socket(sock))
        return sock

    def _check_free(self, port: int, what: str) -> None:
        try:
            check_free(HOST, port)
        except OSError:
            raise _port_taken(port, what) from None

    async def _serve(self, app: web.Application, sock: Any) -> None:
        # API Gateway takes request lines and headers up to 10,240 bytes (aiohttp: 8,190).
        runner = await serve(
            app, sock, max_line_size=MAX_REQUEST_LINE, max_field_size=MAX_REQUEST_LINE
        )
        self._cleanups.append(runner.cleanup)

    def _local_agent_apps(self, template: Template) -> list[tuple[str, int, web.Application]]:
        config = self.config
        return local_agent_apps(
            template,
            config.state_dir,
            self.output,
            config.agent_port,
            config.apm_port,
            self._cleanups,
        )

    async def _start_account(self, template: Template, iam: LocalIam) -> None:
        """moto: the tables, then the roles and users, then IAM enforced on every request."""
        dynamodb = LocalDynamoDB(
            self.config.dynamodb_port,
            host=HOST,
            log_path=self.config.state_dir / "logs" / "dynamodb.log",
            service_callers=service_callers(LOCAL_ACCOUNT),
        )
        self._cleanups.append(dynamodb.stop)
        await start_account(template, dynamodb, iam, self.config.state_dir, self.output)

    def _environment_factory(
        self, iam: LocalIam, images: dict[str, FunctionImage]
    ) -> Callable[[Function], ExecutionEnvironment]:
        return environment_factory(iam, images, self.output)

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
                await functions.warm()

    def _write_info(
        self, template: Template, extra: list[tuple[str, Any, web.Application]], trace_agent: str
    ) -> None:
        servers = {name: f"http://{HOST}:{sock.getsockname()[1]}/" for name, sock, _ in extra}
        write_info(
            self.config.state_dir,
            template,
            apis={api.logical_id: api.url for api in template.apis.values()},
            servers=servers,
            dynamodb=f"http://{HOST}:{self.config.dynamodb_port}/",
            trace_agent=trace_agent,
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
        say(f"  traces go to       {trace_agent_url}")
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


# -- the pieces ``up`` and ``sam`` (thinker_local.sam) share ----------------------------------


async def run_until_stopped(
    start: Callable[[], Awaitable[None]],
    close: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    output: Output,
    ended: Callable[[], Awaitable[str]] | None = None,
) -> None:
    """Start, serve until ``stop`` is set, then ``close``: also after a failed or interrupted
    start (a Ctrl-C during start-up stops it too). ``ended``, once started, returns when what
    serves has stopped by itself: a :class:`StackError` with the message it returns."""
    starting = asyncio.ensure_future(start())
    stopping = asyncio.ensure_future(stop.wait())
    tasks: list[asyncio.Future[Any]] = [starting, stopping]
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()
            if ended is not None:
                tasks.append(asyncio.ensure_future(ended()))
            done, _ = await asyncio.wait(set(tasks[1:]), return_when=asyncio.FIRST_COMPLETED)
            if stopping not in done:
                raise StackError(tasks[2].result())
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        output.info("stopping…")
        await close()
        output.info("stopped")


async def run_cleanups(cleanups: list[Callable[[], Awaitable[None]]], output: Output) -> None:
    """Run and remove the cleanups, newest first; every one runs even if one fails."""
    while cleanups:
        cleanup = cleanups.pop()
        try:
            await cleanup()
        except Exception as error:  # keep stopping the rest
            output.info(f"while stopping: {type(error).__name__}: {error}")


def take_lock(state: Path) -> IO[str]:
    """The state directory's lock (one stack at a time), held while the file stays open."""
    state.mkdir(parents=True, exist_ok=True)
    lock = (state / LOCK_FILE).open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise AlreadyRunning(_already_running_message(state)) from None
    return lock


def local_agent_apps(
    template: Template,
    state_dir: Path,
    output: Output,
    agent_port: int,
    apm_port: int,
    cleanups: list[Callable[[], Awaitable[None]]],
) -> list[tuple[str, int, web.Application]]:
    """The Datadog agent and the APM views, when this checkout has them.

    The store also keeps every REPORT line the functions write (the serverless view), and
    every line they print (the logs); what must happen at the stop goes to ``cleanups``.
    """
    try:
        from .agent import create_agent_app
        from .invocation_log import ReportRecorder, functions_of
        from .log_recorder import LogRecorder
        from .store import TraceStore
    except ImportError:
        output.info("no local Datadog agent in this checkout: traces are not stored")
        return []
    store = TraceStore(state_dir / TRACES_FILE)
    functions = functions_of(template)
    output.subscribe(ReportRecorder(store, functions).listener)
    logs = LogRecorder(store, functions)
    output.subscribe(logs.listener)
    # Closed last (cleanups run newest first): the functions' last lines are written.
    cleanups.append(lambda: asyncio.to_thread(logs.close))
    apps = [(AGENT_SERVER, agent_port, create_agent_app(store))]
    try:
        from .apm import create_apm_app
    except ImportError:
        output.info("no APM views in this checkout")
    else:
        apps.append((APM_SERVER, apm_port, create_apm_app(store)))
    return apps


async def start_account(
    template: Template, dynamodb: LocalDynamoDB, iam: LocalIam, state_dir: Path, output: Output
) -> None:
    """moto: the tables, then the roles and users, then IAM enforced on every request."""
    await dynamodb.start()
    await dynamodb.create_tables(template.tables.values(), LOCAL_ACCOUNT)
    await iam.set_up(template)
    iam.write_profile(state_dir / CREDENTIALS_FILE)
    names = ", ".join(table.name for table in template.tables.values()) or "none"
    output.info(f"DynamoDB, IAM and STS on {dynamodb.url} (tables: {names})")
    for role in template.roles.values():
        for omitted in role.omitted:
            output.info(f"{role.name}: left out {omitted}")


async def run_custom_resources(
    template: Template, functions: LambdaService, output: Output
) -> None:
    """Create the template's custom resources, then free the environments only they used."""
    if not template.custom_resources:
        return
    for reason in await create_custom_resources(template, functions.invoke, LOCAL_ACCOUNT):
        output.info(f"custom resource {reason}")
    for logical_id in functions_used(template.custom_resources):
        if not template.functions[logical_id].eager:
            await functions.pools[logical_id].close()


def environment_factory(
    iam: LocalIam, images: dict[str, FunctionImage], output: Output
) -> Callable[[Function], ExecutionEnvironment]:
    """Execution environments for the functions, each with its role's credentials."""

    def create(function: Function) -> ExecutionEnvironment:
        return ExecutionEnvironment(
            function,
            account=LOCAL_ACCOUNT,
            output=output,
            credentials=iam,
            image=images[function.logical_id],
        )

    return create


def write_info(
    state_dir: Path,
    template: Template,
    *,
    apis: dict[str, str],
    servers: dict[str, str],
    dynamodb: str,
    trace_agent: str,
) -> None:
    """``up.json``, written once everything serves: what runs where, for people and tools.

    Its keys are stable (see README): ``ready`` is true, ``pid`` is this process, ``apis`` maps
    each API's logical id to its URL, ``servers`` each extra server's name to its URL,
    ``agent``/``apm`` are URLs or null, ``dynamodb`` is moto's URL (always run: it is the
    account's IAM too), ``trace_agent`` where traces go. It is written to a temporary name and
    renamed, so a reader never sees half of it.
    """
    info = {
        "ready": True,
        "pid": os.getpid(),
        "state_dir": str(state_dir.resolve()),
        "template": str(template.path),
        "apis": apis,
        "servers": servers,
        "agent": servers.get(AGENT_SERVER),
        "apm": servers.get(APM_SERVER),
        "dynamodb": dynamodb,
        "trace_agent": trace_agent,
    }
    path = state_dir / INFO_FILE
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(info, indent=2) + "\n")
    partial.replace(path)


def example_requests(template: Template) -> list[tuple[str, str]]:
    """The requests the template's outputs suggest (``curl '<url>think/?…'``): (URL, path)."""
    found = []
    for output in template.outputs:
        if example := _EXAMPLE_CURL.search(output.description):
            found.append((output.value, example.group(1)))
    return found


def release_lock(state_dir: Path, lock: IO[str]) -> None:
    """Remove ``up.json`` and let go of the lock."""
    with contextlib.suppress(OSError):
        (state_dir / INFO_FILE).unlink()
    lock.close()


def _already_running_message(state: Path) -> str:
    try:
        info = json.loads((state / INFO_FILE).read_text())
    except (OSError, ValueError):
        info = {}
    urls = ", ".join(info.get("apis", {}).values())
    pid = info.get("pid", "?")
    where = f" serving {urls}" if urls else ""
    return (
        f"thinker is already running (pid {pid}){where}, with state in {state}/."
        f" Use that one, or stop it first (Ctrl-C in its terminal, or `kill {pid}`)."
    )


def _close_socket(sock: Any) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        sock.close()

    return close


async def _cancel(task: asyncio.Future[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


@contextlib.asynccontextmanager
async def stop_on_signals() -> AsyncIterator[asyncio.Event]:
    """An event set by the first SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
