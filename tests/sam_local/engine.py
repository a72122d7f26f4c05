"""A Docker engine for `sam local`: installed if missing, started if none runs, stopped by PID."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.processes import stop

# What the opt-in test needs from Debian: the engine, and debootstrap for the stand-in image.
DEBIAN_PACKAGES = {"dockerd": "docker.io", "debootstrap": "debootstrap", "curl": "curl"}


def install_missing_tools() -> None:
    """apt-get install whichever of dockerd, debootstrap and curl is missing (needs root)."""
    missing = [package for tool, package in DEBIAN_PACKAGES.items() if not shutil.which(tool)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise RuntimeError(f"install {' '.join(missing)} (or run the test as root)")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *missing],
        check=True,
        env=environment,
        stdout=subprocess.DEVNULL,
    )


def engine_answers() -> bool:
    result = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, check=False
    )
    return result.returncode == 0


@contextlib.contextmanager
def docker_engine(log: Path, timeout: float = 60.0) -> Iterator[None]:
    """The engine that already runs, or a dockerd started here and stopped when the block ends."""
    if engine_answers():
        yield
        return
    with open(log, "wb") as output:
        process = subprocess.Popen(
            ["dockerd"], stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + timeout
            while not engine_answers():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"dockerd did not start: see {log}")
                time.sleep(0.2)
            yield
        finally:
            stop(process)


def bridge_gateway() -> str:
    """The host's address on Docker's default bridge: what host-gateway resolves to."""
    result = subprocess.run(
        ["docker", "network", "inspect", "bridge"], capture_output=True, check=True, text=True
    )
    (network,) = json.loads(result.stdout)
    return str(network["IPAM"]["Config"][0]["Gateway"])


def remove_containers(container_ids: list[str]) -> None:
    """Remove these containers if they are still there (after `sam local` was stopped)."""
    for container_id in container_ids:
        subprocess.run(
            ["docker", "rm", "--force", container_id],
            capture_output=True,
            check=False,
        )
