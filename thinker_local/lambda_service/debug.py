"""A function's environments under a debugger, as SAM's ``--debug-function`` and ``-d``.

The debugged function's environment starts its runtime under debugpy, listening on the debug
port and waiting for a client (VS Code's "attach", see docs/lambda-api.md) before awslambdaric
starts; while a debugger holds it, neither the init phase's limit nor the function's timeout
fires. The function has one environment at most: one process listens on the port. debugpy's
adapter leaves the environment's session (it daemonizes) but keeps its output open; when the
environment stops, whatever still holds that output is killed, as Lambda ends a sandbox
whole. debugpy is
the stack's own (a development dependency), put on the environment's path after everything
else, so the function's packages are still its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import signal
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ..build import FunctionImage
from ..errors import StackError

HOST = "127.0.0.1"


@dataclass(frozen=True)
class DebugSettings:
    """Which function runs under debugpy, and where debugpy listens."""

    function: str  # the logical id
    port: int

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def launcher(self) -> tuple[str, ...]:
        """The interpreter's arguments that run the rest of the command under debugpy (frozen
        standard modules off: debugpy could miss their breakpoints)."""
        return (
            "-Xfrozen_modules=off",
            *("-m", "debugpy", "--listen", self.address, "--wait-for-client"),
        )


def debug_image(image: FunctionImage, build_dir: Path) -> FunctionImage:
    """``image`` with debugpy importable, last on its path."""
    return dataclasses.replace(image, path=(*image.path, _debugpy_dir(build_dir)))


def _debugpy_dir(build_dir: Path) -> Path:
    """A directory holding only debugpy (a link to the stack's own copy)."""
    spec = importlib.util.find_spec("debugpy")
    if spec is None or not spec.submodule_search_locations:
        raise StackError("debugpy is not installed: run `make venv`")
    directory = build_dir / f"debugpy-{metadata.version('debugpy')}"
    link = directory / "debugpy"
    if not link.exists():
        directory.mkdir(parents=True, exist_ok=True)
        link.symlink_to(spec.submodule_search_locations[0], target_is_directory=True)
    return directory


def output_of(pid: int) -> str | None:
    """The process's standard output, as Linux names it (``pipe:[inode]``), while it runs."""
    try:
        return os.readlink(f"/proc/{pid}/fd/1")
    except OSError:
        return None


def kill_holders(output: str) -> None:
    """SIGKILL every other process whose standard output is ``output``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if os.readlink(entry / "fd" / "1") == output:
                os.kill(int(entry.name), signal.SIGKILL)
