"""Child processes of the stack: started detached from the terminal, never left behind.

Each child runs in its own session, so a Ctrl-C in the terminal reaches only the stack, which
then stops its children in order. Each child also asks Linux to kill it if the stack itself dies
without cleaning up (``PR_SET_PDEATHSIG``), so even a ``kill -9`` of the stack leaves nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
from typing import Any

# How long a child may take to exit after SIGTERM before it gets SIGKILL.
STOP_GRACE_S = 2.0
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child, before exec: be killed when the stack's process ends."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


async def spawn(*command: str, **options: Any) -> asyncio.subprocess.Process:
    """Start ``command`` as a child of the stack (see the module's docstring)."""
    return await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_die_with_parent,
        **options,
    )


def _signal_group(pid: int, signum: signal.Signals) -> None:
    """Signal the session ``pid`` leads (it was started with ``start_new_session``), if any."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


async def terminate(process: asyncio.subprocess.Process) -> None:
    """Stop the child and everything in its session: SIGTERM, then SIGKILL after a grace."""
    if process.returncode is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_S)
            return
        except TimeoutError:
            pass
    # Also whatever the child left in its session after it exited.
    _signal_group(process.pid, signal.SIGKILL)
    await process.wait()


def stop(
    process: subprocess.Popen[bytes],
    signum: signal.Signals = signal.SIGTERM,
    timeout: float = 10.0,
) -> int:
    """:func:`terminate` for a process started without an event loop: ``signum`` to its
    session, SIGKILL if it lingers past ``timeout``; its exit code.

    The process must lead its own session (``start_new_session=True``).
    """
    if process.poll() is None:
        _signal_group(process.pid, signum)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
    if process.stdout:
        process.stdout.close()
    return process.returncode
