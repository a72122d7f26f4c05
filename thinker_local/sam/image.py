"""The Lambda base image ``sam local`` runs python3.12 functions from.

SAM CLI looks for ``public.ecr.aws/lambda/python:3.12-x86_64``. When AWS's image is here (a user
with internet pulled it, as ``…:3.12-x86_64`` or ``…:3.12``), that one runs; otherwise
``sam_local/build-image`` builds the stand-in under that name (see docs/sam-local.md for how it
differs), or finds it up to date. Either way ``sam`` is run with ``--skip-pull-image``: no
registry is asked.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import StackError
from ..output import Output
from .engine import docker
from .lines import run_piped

REPOSITORY = "public.ecr.aws/lambda/python"
IMAGE = f"{REPOSITORY}:3.12-x86_64"
PULLED_NAMES = (IMAGE, f"{REPOSITORY}:3.12")
STAND_IN_LABEL = "org.thinker.lambda-stand-in"
BUILD_SCRIPT = Path("sam_local") / "build-image"


class ImageError(StackError):
    """No base image, and the stand-in cannot be built; the message says what to do."""


@dataclass(frozen=True)
class BaseImage:
    name: str
    stand_in: bool

    def describe(self) -> str:
        if self.stand_in:
            return f"{self.name}: the local stand-in built by {BUILD_SCRIPT} (docs/sam-local.md)"
        return f"{self.name}: AWS's image"


def _label(name: str) -> str | None:
    """The image's stand-in label; None if there is no such image, "" if it is not a stand-in."""
    result = docker(
        "image", "inspect", "--format", f'{{{{ index .Config.Labels "{STAND_IN_LABEL}" }}}}', name
    )
    if result.returncode != 0:
        return None
    value = result.stdout.strip()
    return "" if value in {"", "<no value>"} else value


def aws_image() -> str | None:
    """The name of AWS's own image, if it is here."""
    for name in PULLED_NAMES:
        if _label(name) == "":
            return name
    return None


async def base_image(repo: Path, python: str, output: Output) -> BaseImage:
    """AWS's image if it is here (tagged as SAM looks for it), else the stand-in (built if due)."""
    pulled = await asyncio.to_thread(aws_image)
    if pulled is not None:
        if pulled != IMAGE:
            await asyncio.to_thread(docker, "tag", pulled, IMAGE)
        return BaseImage(IMAGE, stand_in=False)
    if shutil.which("debootstrap") is None:
        raise ImageError(
            f"AWS's {REPOSITORY}:3.12 image is not here and the stand-in needs debootstrap:"
            f" `docker pull {REPOSITORY}:3.12` (with internet), or install debootstrap"
            " (`apt-get install debootstrap`)"
        )
    code = await run_piped(
        [str(repo / BUILD_SCRIPT)], "build-image", output,
        cwd=repo, env={**os.environ, "PYTHON": python},
    )  # fmt: skip
    if code != 0:
        raise ImageError(f"{BUILD_SCRIPT} failed (its output is above)")
    return BaseImage(IMAGE, stand_in=True)
