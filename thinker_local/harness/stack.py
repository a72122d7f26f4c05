"""The local stack run as a user runs it: a real process tree, ready when ``up.json`` says so.

:class:`StackProcess` starts ``python -m thinker_local up ...`` (or ``make up``) in its own process
group and waits until the stack's ``up.json`` reads ``"ready": true`` with the pid of that stack,
remembering every process the stack runs; it stops the stack the way Ctrl-C does (SIGINT to the
group), and whatever happens, nothing the stack started survives: what lingers is killed by PID.
:func:`local_stack` is the usual case: the whole stack on free ports with a state directory of its
own, so it never meets another stack on the machine.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..run.lifecycle import INFO_FILE
from .ports import free_ports
from .processes import alive, children_of, kill, stop
from .reports import Report, parse_reports

REPO = Path(__file__).resolve().parents[2]
# ``up``'s --state-dir unless told otherwise (relative to the checkout, where the stack runs).
DEFAULT_STATE_DIR = ".thinker"
# ``up``'s --build-dir when run from the checkout: every stack shares the functions' builds.
BUILD_DIR = Path(os.environ.get("THINKER_BUILD_DIR", REPO / DEFAULT_STATE_DIR / "build"))
START_TIMEOUT_S = 180.0
# ``sam`` may build the base image, the seed's dependencies, and sam's own images first.
SAM_START_TIMEOUT_S = 480.0
STOP_TIMEOUT_S = 60.0


class StackFailed(RuntimeError):
    """The stack exited, or was not ready in time; the message holds its output."""


@dataclass(frozen=True)
class StackInfo:
    """What a ready stack's ``up.json`` says runs where (URLs end without a slash)."""

    pid: int
    apis: dict[str, str]
    servers: dict[str, str]
    agent: str | None
    apm: str | None
    dynamodb: str | None
    trace_agent: str
    # The Lambda Invoke API (``make up``'s own, or ``sam local start-lambda``).
    lambda_api: str | None = None

    @classmethod
    def from_json(cls, info: Mapping[str, Any]) -> StackInfo:
        def url(value: str | None) -> str | None:
            return value.rstrip("/") if value else None

        return cls(
            pid=int(info["pid"]),
            apis={name: value.rstrip("/") for name, value in info["apis"].items()},
            servers={name: value.rstrip("/") for name, value in info["servers"].items()},
            agent=url(info["agent"]),
            apm=url(info["apm"]),
            dynamodb=url(info["dynamodb"]),
            trace_agent=str(info["trace_agent"]),
            lambda_api=url(info.get("lambda")),
        )

    @property
    def api(self) -> str:
        """The template's first API's URL."""
        return next(iter(self.apis.values()))


def read_info(state_dir: Path) -> StackInfo | None:
    """The stack's ``up.json`` in ``state_dir`` if it says the stack is ready, else ``None``."""
    try:
        info = json.loads((state_dir / INFO_FILE).read_text())
    except (OSError, ValueError):
        return None
    return StackInfo.from_json(info) if info.get("ready") is True else None


class StackProcess:
    """One run of the local stack; its output goes to ``log_path``."""

    def __init__(
        self, args: Sequence[str], log_path: Path, env: Mapping[str, str], state_dir: Path
    ) -> None:
        self.args = list(args)
        self.log_path = log_path
        self.env = dict(env)
        self.state_dir = state_dir
        self.process: subprocess.Popen[bytes] | None = None
        self._info: StackInfo | None = None
        self.seen: set[int] = set()

    def start(self, timeout: float = START_TIMEOUT_S) -> StackInfo:
        """Start and wait until ready; :class:`StackFailed` with the output if it exits first."""
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our interpreter or make, our arguments)
                self.args,
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while (info := self._own_info()) is None:
            if self.process.poll() is not None:
                raise StackFailed(
                    f"{self.args} exited with {self.process.returncode}:\n{self.output()}"
                )
            if time.monotonic() > deadline:
                raise StackFailed(f"{self.args} not ready within {timeout} s:\n{self.output()}")
            time.sleep(0.1)
        self._info = info
        self.remember()
        return info

    @property
    def info(self) -> StackInfo:
        """What the started stack's ``up.json`` said."""
        if self._info is None:
            raise RuntimeError("the stack has not started")
        return self._info

    def _own_info(self) -> StackInfo | None:
        """``up.json`` once written by this stack (a stale file names another pid)."""
        info = read_info(self.state_dir)
        assert self.process is not None
        if info is None or info.pid not in {self.process.pid, *children_of(self.process.pid)}:
            return None
        return info

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def mark(self) -> int:
        """A position in the output; :meth:`reports_since` reads REPORT lines after it."""
        return self.log_path.stat().st_size

    def reports_since(self, mark: int = 0) -> list[Report]:
        """Lambda's REPORT lines printed after ``mark``."""
        with self.log_path.open("rb") as log:
            log.seek(mark)
            return parse_reports(log.read().decode(errors="replace"))

    def remember(self) -> set[int]:
        """Note every process the stack runs now, to check later that none outlives it."""
        assert self.process is not None
        self.seen |= children_of(self.process.pid)
        return self.seen

    def interrupt(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """Ctrl-C: SIGINT to the process group; the exit code."""
        assert self.process is not None
        self.remember()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def kill_everything(self) -> None:
        """Last resort: SIGKILL the group and every process the stack was seen running."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.remember()
            stop(self.process, signal.SIGKILL)
        kill(self.seen)

    def leftovers(self) -> set[int]:
        """The processes the stack was seen running that still run."""
        return alive(self.seen)


def state_dir_of(args: Sequence[str]) -> Path:
    """The state directory ``up`` run with ``args`` uses: its ``--state-dir``, or the default."""
    for option, value in itertools.pairwise(args):
        if option == "--state-dir":
            return REPO / value
    return REPO / DEFAULT_STATE_DIR


@contextlib.contextmanager
def running_stack(
    args: Sequence[str],
    log_path: Path,
    env: Mapping[str, str] | None = None,
    state_dir: Path | None = None,
    timeout: float = START_TIMEOUT_S,
) -> Iterator[StackProcess]:
    """A started stack, always stopped (and killed if it will not stop) when the block ends.

    ``up.json`` is read from ``state_dir``, by default the one ``args`` give ``up``.
    """
    state_dir = state_dir if state_dir is not None else state_dir_of(args)
    stack = StackProcess(args, log_path, {**os.environ, **(env or {})}, state_dir)
    try:
        stack.start(timeout)
        yield stack
    finally:
        try:
            if stack.process is not None and stack.process.poll() is None:
                stack.interrupt()
        finally:
            stack.kill_everything()


# The quick-start's delays, off: as the template's parameters (``--parameter-overrides``), and
# as the variables they become, for a ``make up`` that takes no options.
NO_DELAYS = {"SubjectDelaySeconds": "0", "ThinkDelaySeconds": "0"}
NO_DELAYS_ENV = {"THINKER_SUBJECT_DELAY": "0", "THINKER_THINK_DELAY": "0"}


def up_command(*options: str) -> list[str]:
    """``python -m thinker_local up`` with ``options``, run by this interpreter."""
    return [sys.executable, "-m", "thinker_local", "up", *options]


@contextlib.contextmanager
def local_stack(
    directory: Path,
    *options: str,
    parameter_overrides: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    reload: bool = False,
) -> Iterator[StackProcess]:
    """The whole stack on free ports, its state and ``stack.log`` under ``directory``.

    ``options`` go to ``up`` as they are (``--max-environments 2``, ``--template ...``); the
    code is watched only with ``reload``.
    """
    api, microservice, dynamodb, agent, apm, lambda_port = free_ports(6)
    state_dir = directory / "state"
    args = up_command(
        "--state-dir", str(state_dir),
        "--port", str(api),
        "--other-ports", str(microservice),
        "--dynamodb-port", str(dynamodb),
        "--agent-port", str(agent),
        "--apm-port", str(apm),
        "--lambda-port", str(lambda_port),
        *([] if reload else ["--no-reload"]),
        *options,
    )  # fmt: skip
    if parameter_overrides:
        args += ["--parameter-overrides", *(f"{k}={v}" for k, v in parameter_overrides.items())]
    directory.mkdir(parents=True, exist_ok=True)
    with running_stack(args, directory / "stack.log", env, state_dir) as stack:
        yield stack


def sam_command(*options: str) -> list[str]:
    """``python -m thinker_local sam`` with ``options``, run by this interpreter."""
    return [sys.executable, "-m", "thinker_local", "sam", *options]


def sam_options(directory: Path, parameter_overrides: Mapping[str, str] | None = None) -> list[str]:
    """``sam``'s options for a run of its own: free ports, its state under ``directory``.

    sam, DynamoDB and the agent listen on the Docker bridge (the command's default), the APM
    on loopback; the ports are free on loopback, as the bridge's usually are too.
    """
    api, lambda_port, dynamodb, agent, apm = free_ports(5)
    options = [
        "--state-dir", str(directory / "state"),
        "--port", str(api),
        "--lambda-port", str(lambda_port),
        "--dynamodb-port", str(dynamodb),
        "--agent-port", str(agent),
        "--apm-port", str(apm),
    ]  # fmt: skip
    if parameter_overrides:
        options += ["--parameter-overrides", *(f"{k}={v}" for k, v in parameter_overrides.items())]
    return options


@contextlib.contextmanager
def local_sam_stack(
    directory: Path,
    parameter_overrides: Mapping[str, str] | None = None,
    timeout: float = SAM_START_TIMEOUT_S,
) -> Iterator[StackProcess]:
    """``sam build`` + ``sam local start-api`` and ``start-lambda`` with what they call
    (``python -m thinker_local sam``) on free ports, its state and ``stack.log`` under
    ``directory``; needs Docker."""
    directory.mkdir(parents=True, exist_ok=True)
    args = sam_command(*sam_options(directory, parameter_overrides))
    with running_stack(args, directory / "stack.log", None, directory / "state", timeout) as stack:
        yield stack
