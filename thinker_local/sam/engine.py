"""A Docker engine for ``sam local``: the one that runs, or ``dockerd`` started here and stopped.

``dockerd`` is started only where it may be: as root, when it is installed; otherwise the
message says how to get an engine. A freshly started engine answers ``docker info`` a moment
before its default bridge has its address, so :func:`bridge_address` waits for it, with a
deadline. The containers ``sam local`` starts carry SAM CLI's label
``sam.cli.container.type=lambda``: :func:`lambda_containers` lists them, so that those a run
started can be removed when it ends, whatever state ``sam`` was left in.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import StackError
from ..process import stop as stop_process
from ..waiting import until

ENGINE_TIMEOUT_S = 60.0
BRIDGE_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 20.0
SAM_CONTAINER_LABEL = "sam.cli.container.type=lambda"
_SIOCGIFADDR = 0x8915

HOW_TO_GET_ONE = (
    "`sam local` runs each function in a Docker container, and no Docker engine answers here."
    " Get one: on Debian or Ubuntu `sudo apt-get install docker.io` (this command then starts"
    " dockerd itself when run as root, or `sudo systemctl start docker`), on macOS or Windows"
    " Docker Desktop. `make up` runs the same stack without Docker."
)


class EngineError(StackError):
    """No Docker engine, or it did not come up; the message says what to do."""


def docker(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """``docker ARGS``, its output captured (never raises on a failed command)."""
    return subprocess.run(  # noqa: S603 (docker, our arguments)
        ["docker", *args],  # noqa: S607 (docker as the user's PATH finds it)
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def engine_answers() -> bool:
    try:
        return docker("info", "--format", "{{.ServerVersion}}", timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def can_start_dockerd() -> bool:
    return os.geteuid() == 0 and shutil.which("dockerd") is not None


class DockerEngine:
    """The engine that runs, or ``dockerd`` started by :meth:`start` and stopped by :meth:`stop`."""

    def __init__(self, log: Path, say: Callable[[str], None] = print) -> None:
        self.log = log
        self.say = say
        self.process: subprocess.Popen[bytes] | None = None
        # start() runs in a thread that a Ctrl-C cannot cancel: stop() waits for it to finish.
        self._starting = threading.Lock()

    def start(self, timeout: float = ENGINE_TIMEOUT_S) -> None:
        with self._starting:
            self._start(timeout)

    def _start(self, timeout: float) -> None:
        if shutil.which("docker") is None:
            raise EngineError(f"no `docker` command. {HOW_TO_GET_ONE}")
        if engine_answers():
            return
        if not can_start_dockerd():
            raise EngineError(HOW_TO_GET_ONE)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                ["dockerd"],  # noqa: S607 (dockerd as PATH finds it)
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.say(
            f"no Docker engine was running: started dockerd (pid {self.process.pid},"
            f" log {self.log}); it stops when this command ends"
        )
        if not until(self._answers, timeout):
            raise EngineError(f"dockerd did not answer within {timeout:.0f} s: see {self.log}")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise EngineError(f"dockerd exited with {self.process.returncode}: see {self.log}")
        return engine_answers()

    def stop(self) -> None:
        """Stop dockerd if it was started here (SIGTERM, then SIGKILL); else leave the engine."""
        with self._starting:
            process, self.process = self.process, None
        if process is not None:
            stop_process(process, timeout=STOP_TIMEOUT_S)


@contextlib.contextmanager
def docker_engine(log: Path, say: Callable[[str], None] = print) -> Iterator[DockerEngine]:
    """A running engine for the block: the one that ran, or dockerd started and then stopped."""
    engine = DockerEngine(log, say)
    try:
        engine.start()
        yield engine
    finally:
        engine.stop()


def host_address(timeout: float = BRIDGE_TIMEOUT_S) -> str:
    """Where the containers reach this host: Docker Desktop's ``host.docker.internal`` leads to
    the host's loopback; Docker Engine's (Linux) to the host's address on the bridge."""
    result = docker("info", "--format", "{{.OperatingSystem}}")
    if "Docker Desktop" in result.stdout:
        return "127.0.0.1"
    return bridge_address(timeout)


def bridge_address(timeout: float = BRIDGE_TIMEOUT_S) -> str:
    """The host's address on Docker's default bridge: what ``host-gateway`` resolves to.

    The bridge network's ``Gateway``, or, when the engine does not report one (some versions
    never do for the default bridge), the IPv4 address of its interface (``docker0``). Waits
    until either is there: right after the engine starts, neither may be.
    """
    seen = ""

    def address_now() -> str | None:
        nonlocal seen
        address, seen = _bridge_address_now()
        return address

    if address := until(address_now, timeout):
        return address
    raise EngineError(
        f"Docker's bridge network has no address after {timeout:.0f} s ({seen});"
        " is the engine's networking disabled (`--bridge=none`)?"
    )


def _bridge_address_now() -> tuple[str | None, str]:
    result = docker("network", "inspect", "bridge")
    if result.returncode != 0:
        return None, result.stderr.strip() or "no bridge network"
    try:
        (network,) = json.loads(result.stdout)
    except ValueError:
        return None, "unreadable `docker network inspect bridge`"
    for config in (network.get("IPAM") or {}).get("Config") or []:
        if config.get("Gateway"):
            return str(config["Gateway"]), "gateway"
    interface = (network.get("Options") or {}).get("com.docker.network.bridge.name", "docker0")
    return interface_address(interface), f"no gateway, and {interface} has no IPv4 address"


def interface_address(name: str) -> str | None:
    """The IPv4 address of a network interface, or None if it has none (yet)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("256s", name.encode()[:15])
        try:
            answer = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR, request)
        except OSError:
            return None
    return socket.inet_ntoa(answer[20:24])


def lambda_containers() -> set[str]:
    """The ids of every container ``sam local`` made that exists now (running or not)."""
    result = docker(
        "ps", "--all", "--quiet", "--no-trunc", "--filter", f"label={SAM_CONTAINER_LABEL}"
    )
    return set(result.stdout.split()) if result.returncode == 0 else set()


def remove_containers(container_ids: set[str], timeout: float = STOP_TIMEOUT_S) -> set[str]:
    """Remove these containers, and wait until they are gone; the ids still there after that.

    ``sam`` may be removing one of them itself at the same moment ("removal ... already in
    progress"): what counts is that none is left.
    """
    for container_id in sorted(container_ids):
        docker("rm", "--force", "--volumes", container_id)
    until(lambda: not container_ids & lambda_containers(), timeout)
    return container_ids & lambda_containers()


def stale_build_locks(directory: Path) -> list[Path]:
    """SAM CLI's image build locks in ``directory`` whose process is gone.

    Before building an image, ``sam local`` writes ``<image>.building.lock`` (its pid, then the
    time) in the temporary directory and removes it when done; a ``sam`` killed while building
    leaves it, and every later ``sam`` then waits for it, up to five minutes ("Waiting for
    concurrent building to complete"), as nothing checks that its process still runs.
    """
    stale = []
    for lock in directory.glob("*.building.lock"):
        try:
            pid = int(lock.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if not _running(pid):
            stale.append(lock)
    return stale


def remove_stale_build_locks(directory: Path) -> list[Path]:
    """Remove the stale locks (and their status files); the locks removed."""
    removed = stale_build_locks(directory)
    for lock in removed:
        for path in (lock, lock.with_suffix(".status")):
            with contextlib.suppress(OSError):
                path.unlink()
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
