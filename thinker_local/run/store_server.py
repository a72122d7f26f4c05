"""The Datadog agent and the APM, each served from a process of its own on the trace store.

The agent's writes and the APM's queries are mostly Python (decoding payloads, building rows,
shaping answers) around SQLite. Served from the stack's own process, they would share one
interpreter lock with each other and with the gateways and Runtime APIs that answer the
functions: an open page's queries slowed the intake down by half or more, and both slowed the
requests. Each is a child of the stack instead (:mod:`thinker_local.process`), on the socket the
stack bound for it, with a connection of its own to the store's file (WAL: one writer and any
number of readers, in any process).

``python -m thinker_local.run.store_server {agent,apm} --fd N --store PATH [--allow-host NAME
...]`` serves on the inherited listening socket ``N`` until SIGTERM or SIGINT. What the store
says (a damaged file set aside, a full disk) and any warning go to its output, one line each,
which the stack prints as its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..process import spawn, terminate

if TYPE_CHECKING:
    from aiohttp import web

    from ..store import TraceStore
    from .lifecycle import LocalRun

ROLES = ("agent", "apm")
# Connections waiting for the child to accept them, from the moment the stack binds its port.
BACKLOG = 128


@dataclass(frozen=True)
class StoreServer:
    """The agent (``role`` ``agent``) or the APM (``apm``) on the store at ``store``, answering
    loopback names and ``allow_hosts``."""

    role: str
    store: Path
    allow_hosts: tuple[str, ...] = ()

    def command(self, fd: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            __name__,
            self.role,
            f"--fd={fd}",
            f"--store={self.store}",
            *(f"--allow-host={name}" for name in self.allow_hosts),
        ]

    async def serve(self, run: LocalRun[Any], sock: socket.socket, name: str) -> None:
        """Serve on ``sock`` from a child of ``run`` until its stop. Its lines are printed as
        the stack's; if it exits before the stop, the run ends, saying so."""
        # Listening now: a client that connects before the child serves waits in the backlog.
        sock.listen(BACKLOG)
        process = await spawn(
            *self.command(sock.fileno()),
            pass_fds=(sock.fileno(),),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        stopping = False

        async def follow() -> None:
            assert process.stdout is not None
            async for line in process.stdout:
                run.output.info(line.decode(errors="replace").rstrip())
            code = await process.wait()
            if not stopping:
                run.end(f"the {name} exited with {code}")

        following = asyncio.ensure_future(follow())

        async def stop() -> None:
            nonlocal stopping
            stopping = True
            await terminate(process)
            await following

        run.on_stop(stop)


@contextlib.contextmanager
def serving(server: StoreServer, port: int = 0) -> Iterator[str]:
    """``server`` in a child process on 127.0.0.1 (a free port unless given), without an event
    loop (benchmarks); yields its base URL, stops it at the end."""
    from ..net import listen, port_of
    from ..process import stop

    with listen("127.0.0.1", port) as sock:
        sock.listen(BACKLOG)
        process = subprocess.Popen(  # noqa: S603 (our own module, with our own arguments)
            server.command(sock.fileno()), pass_fds=(sock.fileno(),), start_new_session=True
        )
        try:
            yield f"http://127.0.0.1:{port_of(sock)}"
        finally:
            stop(process)


def create_app(role: str, store: TraceStore, allow_hosts: Sequence[str]) -> web.Application:
    if role == "agent":
        from ..agent.intake import create_agent_app

        return create_agent_app(store, allow_hosts=allow_hosts)
    from ..apm import create_apm_app

    return create_apm_app(store, allow_hosts=allow_hosts)


def main(argv: Sequence[str] | None = None) -> int:
    from aiohttp import web

    from ..store import TraceStore

    parser = argparse.ArgumentParser(prog=f"python -m {__name__}", description=__doc__)
    parser.add_argument("role", choices=ROLES)
    parser.add_argument("--fd", type=int, required=True, help="a bound, listening socket")
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--allow-host", action="append", default=[])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stdout)
    sock = socket.socket(fileno=args.fd)
    with TraceStore(args.store, say=lambda text: print(text, flush=True)) as store:
        app = create_app(args.role, store, args.allow_host)
        web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
