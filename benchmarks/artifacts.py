"""Each function's artifact after ``sam build``: its size unzipped, and zipped as deployed."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .lambda_env import FUNCTIONS, REPO, TEMPLATE

BUILD_TIMEOUT_S = 900


@dataclass(frozen=True)
class Artifact:
    function: str
    unzipped_bytes: int
    zipped_bytes: int


def sam_build(scratch: Path) -> Path:
    """``sam build`` as the project's users run it, into ``scratch``; the build directory."""
    bin_dir = Path(sys.executable).parent
    # sam looks for python3.12 on PATH to build: the venv's interpreter is one.
    environment = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "SAM_CLI_TELEMETRY": "0",
    }
    build_dir = scratch / "build"
    completed = subprocess.run(  # noqa: S603 (the venv's own sam)
        [
            str(bin_dir / "sam"),
            "build",
            "--template",
            str(TEMPLATE),
            "--build-dir",
            str(build_dir),
            "--cache-dir",
            str(scratch / "cache"),
        ],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"sam build failed:\n{(completed.stdout + completed.stderr)[-3000:]}")
    return build_dir


def measure(directory: Path) -> tuple[int, int]:
    """Bytes of the files under ``directory``, and of their deflated zip (as sam deploy zips)."""
    unzipped = 0
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                unzipped += path.stat().st_size
            archive.write(path, path.relative_to(directory))
    return unzipped, len(buffer.getvalue())


def artifacts(scratch: Path) -> list[Artifact]:
    build_dir = sam_build(scratch)
    found = []
    for logical_id, (name, _) in FUNCTIONS.items():
        unzipped, zipped = measure(build_dir / logical_id)
        found.append(Artifact(name, unzipped, zipped))
    return found
