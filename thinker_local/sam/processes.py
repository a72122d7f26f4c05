"""``sam build``, ``sam local start-api`` and ``sam local start-lambda`` as child processes,
every line through the output.

SAM CLI writes its functions' output from one thread per container into one stream, so lines of
two functions can interleave, and nothing says which function wrote which. Each server
(``start-api``, ``start-lambda``) is therefore given ``--log-file`` (its own copy of the
functions' output, kept in the state directory), and each container it starts (it logs
``SAM_CONTAINER_ID: <id>``) is followed with ``docker logs --follow``: each line goes to
:class:`~thinker_local.output.Output` under the function's logical id (SAM CLI's label
``sam.cli.function.name``), as ``make up`` prints them, so REPORT lines reach the trace store
by function. SAM CLI's own lines go under ``sam``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import StackError
from ..output import Output
from ..process import spawn, terminate
from ..waiting import accepts, until_async
from .engine import docker, lambda_containers, remove_containers, remove_stale_build_locks
from .lines import LINE_LIMIT, clean, pipe_lines, run_piped

SAM_SOURCE = "sam"
_CONTAINER_ID = re.compile(r"SAM_CONTAINER_ID: ([0-9a-f]{12,64})")
FUNCTION_LABEL = "sam.cli.function.name"


class SamError(StackError):
    """``sam`` failed or did not serve in time; the message says which and where to look."""


async def sam_build(sam: str, repo: Path, env: Mapping[str, str], output: Output) -> None:
    """``sam build`` with the project's samconfig.toml (``cached = true``: quick when unchanged)."""
    code = await run_piped([sam, "build"], "sam build", output, cwd=repo, env=dict(env))
    if code != 0:
        raise SamError(f"`sam build` exited with {code} (its output is above)")


class SamServer:
    """``sam local start-api`` or ``start-lambda``: started, followed, and stopped with every
    container it made. ``args`` is the whole command line; ``name`` says it in messages."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        *,
        repo: Path,
        env: Mapping[str, str],
        output: Output,
    ) -> None:
        self.name = name
        self.args = list(args)
        self.repo = repo
        self.env = dict(env)
        self.output = output
        self.process: asyncio.subprocess.Process | None = None
        self.containers: dict[str, str] = {}  # container id -> function logical id
        self._before: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._followers: list[asyncio.subprocess.Process] = []

    async def start(self) -> None:
        """Start it; :meth:`serving` waits until it serves (so that servers start together)."""
        self._before = await asyncio.to_thread(lambda_containers)
        self._remove_stale_locks()
        self.process = await spawn(
            *self.args, cwd=self.repo, env=self.env, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, limit=LINE_LIMIT,
        )  # fmt: skip
        self._tasks.append(asyncio.ensure_future(self._read_own_output()))

    async def serving(self, host: str, port: int, timeout: float) -> None:
        """Return once it accepts connections on ``host:port``; a SamError if it exits first
        or not in ``timeout`` seconds from now."""
        assert self.process is not None
        process = self.process

        async def serving() -> bool:
            if process.returncode is not None:
                raise SamError(f"`{self.name}` exited with {process.returncode}")
            return await asyncio.to_thread(accepts, host, port)

        if not await until_async(serving, timeout):
            raise SamError(f"`{self.name}` did not serve {host}:{port} in {timeout} s")

    def _remove_stale_locks(self) -> None:
        for lock in remove_stale_build_locks(sam_temp_dir(self.env)):
            self.output.info(f"removed a stale lock of a stopped sam: {lock}")

    async def _read_own_output(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        stream = self.process.stdout
        while raw := await stream.readline():
            text = clean(raw)
            self.output.line(SAM_SOURCE, text)
            if found := _CONTAINER_ID.search(text):
                self._tasks.append(asyncio.ensure_future(self._follow(found.group(1))))
        await self.process.wait()

    async def _follow(self, container_id: str) -> None:
        """The container's output, line by line, under its function's logical id."""
        label = f'{{{{ index .Config.Labels "{FUNCTION_LABEL}" }}}}'
        inspected = await asyncio.to_thread(docker, "inspect", "--format", label, container_id)
        function = inspected.stdout.strip() or container_id[:12]
        self.containers[container_id] = function
        follower = await spawn(
            "docker", "logs", "--follow", container_id, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, limit=LINE_LIMIT,
        )  # fmt: skip
        self._followers.append(follower)
        await pipe_lines(follower.stdout, function, self.output)
        await follower.wait()

    async def terminate(self) -> None:
        """Stop sam itself (and what runs in its session), leaving its containers."""
        if self.process is not None:
            await terminate(self.process)

    async def stop(self) -> set[str]:
        """Stop sam, then remove every container it made; the ids that could not be removed.

        What ``sam`` made is what it named and every container with SAM CLI's label that came
        after this server started: a server stopped after another (newest first) also removes
        what the other left."""
        await self.terminate()
        made = set(self.containers) | (await asyncio.to_thread(lambda_containers) - self._before)
        left = await asyncio.to_thread(remove_containers, made)
        # A sam stopped while it built an image leaves its lock; the next one would wait on it.
        self._remove_stale_locks()
        for follower in self._followers:
            await terminate(follower)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        return left


def sam_temp_dir(env: Mapping[str, str]) -> Path:
    """The temporary directory ``sam`` (Python's tempfile) uses with this environment."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        if env.get(name) and Path(env[name]).is_dir():
            return Path(env[name])
    return Path(tempfile.gettempdir())
