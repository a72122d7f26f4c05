"""A child's output, line by line, into the stack's :class:`~thinker_local.output.Output`."""

from __future__ import annotations

import asyncio
import re

from ..output import Output
from ..process import spawn, terminate

# Lines can be long (a stack trace as JSON); asyncio's default limit is 64 KiB.
LINE_LIMIT = 1 << 20
# SAM CLI colours some of its lines; the output adds its own colours.
_ESCAPES = re.compile(r"\x1b\[[0-9;]*m")


def clean(raw: bytes) -> str:
    """One line of a child's output as text, without its line end and colour codes."""
    return _ESCAPES.sub("", raw.decode(errors="replace").rstrip("\r\n"))


async def pipe_lines(stream: asyncio.StreamReader | None, source: str, output: Output) -> None:
    """Each line of ``stream`` to the output under ``source``, until the stream ends."""
    if stream is None:
        return
    while True:
        try:
            raw = await stream.readline()
        except ValueError:  # a line past the limit: take what is there
            raw = await stream.read(LINE_LIMIT)
        if not raw:
            return
        output.line(source, clean(raw))


async def run_piped(command: list[str], source: str, output: Output, **options: object) -> int:
    """Run ``command`` to its end, each line it writes to the output; its exit code.

    ``options`` go to :func:`~thinker_local.process.spawn` (``cwd``, ``env``). Stopped with
    everything it started if the caller is cancelled (Ctrl-C).
    """
    process = await spawn(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        limit=LINE_LIMIT, **options,
    )  # fmt: skip
    try:
        await pipe_lines(process.stdout, source, output)
        return await process.wait()
    finally:
        await terminate(process)
