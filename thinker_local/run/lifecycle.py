"""A local run from start to stop, as ``make up`` and ``make sam-local`` both have it.

:class:`LocalRun` holds the state directory's lock (one stack at a time, one trace store),
binds and serves sockets, keeps what must happen at the stop (run newest first, every one even
if one fails), writes ``up.json`` once everything serves, and runs the whole: start, serve until
Ctrl-C, SIGTERM or what serves ends by itself, then stop; also after a failed or interrupted
start. What is started is the subclass's (:class:`~thinker_local.run.stack.Stack`,
:class:`~thinker_local.sam.runner.SamLocal`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from aiohttp import web

from ..errors import StackError
from ..net import check_free, listen, serve
from ..output import Output
from ..store.retention import Retention
from ..template import Template

LOCK_FILE = "up.lock"
INFO_FILE = "up.json"
# The names of the servers beside the APIs, in the banner and in up.json's "servers".
AGENT_SERVER = "Datadog agent"
APM_SERVER = "APM"

Cleanup = Callable[[], Awaitable[None]]


class AlreadyRunning(StackError):
    """Another stack holds the state directory's lock."""


@dataclass(frozen=True)
class RunConfig:
    """What ``up`` and ``sam`` are both asked: the template, where state and builds go, the
    ports of the services both start and the hosts they answer, the template's parameters."""

    template_path: Path
    state_dir: Path
    # Where the functions' dependencies, layers and runtime are built and kept, by content.
    build_dir: Path = Path(".thinker/build")
    dynamodb_port: int = 5005
    agent_port: int = 8126
    apm_port: int = 8080
    # Lambda's Invoke API: make up's own, or sam local start-lambda (its default port).
    lambda_port: int = 3001
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    # Host names the servers beside the APIs (agent, APM) answer besides loopback ones.
    allow_hosts: tuple[str, ...] = ()
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    trace_retention: Retention = field(default_factory=Retention)


class LocalRun[C: RunConfig]:
    """What one command starts, and the order to stop it in."""

    # The command whose --help a message about a taken port points to.
    command = ""

    def __init__(self, config: C, output: Output | None) -> None:
        self.config = config
        self.output = output or Output()
        self.state_dir = config.state_dir
        self._cleanups: list[Cleanup] = []
        self._lock: IO[str] | None = None
        self._end: asyncio.Future[str] | None = None

    async def start(self) -> None:
        raise NotImplementedError

    async def ended(self) -> str:
        """Returns once what serves has stopped by itself, saying how: what :meth:`end` said
        first (by default, never)."""
        return await self._ending()

    def end(self, why: str) -> None:
        """Something that serves stopped by itself: the run ends, saying ``why``."""
        if not self._ending().done():
            self._ending().set_result(why)

    def _ending(self) -> asyncio.Future[str]:
        if self._end is None:
            self._end = asyncio.get_running_loop().create_future()
        return self._end

    async def run(self, stop: asyncio.Event) -> None:
        """Start, serve until ``stop`` is set or :meth:`ended` returns (a :class:`StackError`
        with its message), then :meth:`close`: also after a failed or interrupted start (a
        Ctrl-C during start-up stops it too)."""
        starting = asyncio.ensure_future(self.start())
        stopping = asyncio.ensure_future(stop.wait())
        tasks: list[asyncio.Future[Any]] = [starting, stopping]
        try:
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if starting.done():
                starting.result()
                ending = asyncio.ensure_future(self.ended())
                tasks.append(ending)
                done, _ = await asyncio.wait(
                    {stopping, ending}, return_when=asyncio.FIRST_COMPLETED
                )
                if stopping not in done:
                    raise StackError(ending.result())
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self.output.info("stopping…")
            await self.close()
            self.output.info("stopped")

    async def close(self) -> None:
        """Stop what was started, newest first; every step runs even if one fails."""
        while self._cleanups:
            cleanup = self._cleanups.pop()
            try:
                await cleanup()
            except Exception as error:  # keep stopping the rest
                self.output.info(f"while stopping: {type(error).__name__}: {error}")
        if self._lock is not None:
            with contextlib.suppress(OSError):
                (self.state_dir / INFO_FILE).unlink()
            self._lock.close()
            self._lock = None

    def on_stop(self, cleanup: Cleanup) -> None:
        """Run ``cleanup`` at the stop (before what was registered earlier)."""
        self._cleanups.append(cleanup)

    # -- start-up steps --------------------------------------------------------------------

    def take_lock(self) -> None:
        """The state directory's lock (one stack at a time), held until :meth:`close`."""
        state = self.state_dir
        state.mkdir(parents=True, exist_ok=True)
        lock = (state / LOCK_FILE).open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise AlreadyRunning(_already_running_message(state)) from None
        self._lock = lock

    def bind(self, host: str, port: int, what: str) -> Any:
        """A socket bound now (closed at the stop), or a :class:`StackError` saying so."""
        try:
            sock = listen(host, port)
        except OSError:
            raise self._port_taken(host, port, what) from None

        async def close() -> None:
            sock.close()

        self.on_stop(close)
        return sock

    def check_free(self, host: str, port: int, what: str) -> None:
        """A :class:`StackError` unless another process of ours can bind the port now."""
        try:
            check_free(host, port)
        except OSError:
            raise self._port_taken(host, port, what) from None

    async def serve(self, app: web.Application, sock: Any, **options: Any) -> None:
        """Serve ``app`` on ``sock`` until the stop (``options``: aiohttp's runner's)."""
        runner = await serve(app, sock, **options)
        self.on_stop(runner.cleanup)

    def where(self, host: str, port: int) -> str:
        """How a message names a port."""
        return f"{host}:{port}"

    def _port_taken(self, host: str, port: int, what: str) -> StackError:
        return StackError(
            f"{self.where(host, port)} ({what}) is already in use by another program; stop it,"
            f" or choose another port (see `python -m thinker_local {self.command} --help`)"
        )

    def write_info(
        self,
        template: Template,
        *,
        apis: dict[str, str],
        servers: dict[str, str],
        dynamodb: str,
        trace_agent: str,
        lambda_api: str,
    ) -> None:
        """``up.json``, written once everything serves: what runs where, for people and tools.

        Its keys are stable (see README): ``ready`` is true, ``pid`` is this process,
        ``command`` the command that runs (``up``, ``sam``), ``apis``
        maps each API's logical id to its URL, ``servers`` each extra server's name to its URL,
        ``agent``/``apm`` are URLs or null, ``dynamodb`` is moto's URL (always run: it is the
        account's IAM too), ``trace_agent`` where traces go, ``lambda`` the Lambda Invoke API's
        URL (``make up``'s own, or ``make sam-local``'s ``sam local start-lambda``). It is
        written to a temporary name and renamed, so a reader never sees half of it.
        """
        info = {
            "ready": True,
            "pid": os.getpid(),
            "command": self.command,
            "state_dir": str(self.state_dir.resolve()),
            "template": str(template.path),
            "apis": apis,
            "servers": servers,
            "agent": servers.get(AGENT_SERVER),
            "apm": servers.get(APM_SERVER),
            "dynamodb": dynamodb,
            "trace_agent": trace_agent,
            "lambda": lambda_api,
        }
        path = self.state_dir / INFO_FILE
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(info, indent=2) + "\n")
        partial.replace(path)


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
