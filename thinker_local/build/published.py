"""Published layers (by ARN) that the local stack rebuilds from PyPI, and those it leaves out.

A layer named by ARN cannot be downloaded without AWS credentials; the ones this project uses are
rebuilt from the packages they hold, listed in one file per layer version beside this module
(each file says where its versions come from). The result is laid out as the layer lays itself
out under /opt (``python/lib/python3.12/site-packages``) and trimmed as its own build trims it.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from ..output import Output
from .steps import build_environment, run_step

# arn:aws:lambda:<region>:<account>:layer:<name>:<version>
_LAYER_ARN = re.compile(r"^arn:[\w-]+:lambda:[\w-]+:(\d{12}):layer:([\w-]+):(\d+)$")
DATADOG_ACCOUNT = "464622532012"
# Layers that hold nothing a Python function imports: the Datadog Extension is an agent binary
# under /opt/extensions, and the local stack's own agent plays its part.
NOT_PYTHON = {(DATADOG_ACCOUNT, "Datadog-Extension")}
# What Datadog's layer build removes after installing (its Dockerfile): botocore and urllib3 come
# from the runtime, requests and its dependencies from the function, the rest is unused weight.
_DATADOG_REMOVED = (
    "botocore*",
    "setuptools",
    "jsonschema/tests",
    "ddtrace/appsec/_iast",
    "ddtrace/internal/test_visibility",
    "datadog/dogshell",
    "bin",
    "requests*",
    "urllib3*",
    "certifi*",
    "idna*",
    "charset_normalizer*",
)


def requirements_file(arn: str) -> Path | None:
    """The pinned packages of a published layer the stack can rebuild, or None."""
    match = _LAYER_ARN.match(arn)
    if not match:
        return None
    _, name, version = match.groups()
    path = Path(__file__).with_name(f"{name}-{version}.txt")
    return path if path.is_file() else None


def holds_no_python(arn: str) -> bool:
    """Whether the layer is one that holds nothing for a Python function (see NOT_PYTHON)."""
    match = _LAYER_ARN.match(arn)
    return match is not None and (match.group(1), match.group(2)) in NOT_PYTHON


def build_published(
    requirements: Path, runtime: str, target: Path, *, label: str, output: Output
) -> None:
    """The layer's packages for Lambda's platform in ``target``, trimmed as Datadog trims them."""
    site = target / "python" / "lib" / runtime / "site-packages"
    pip_install(requirements, runtime, site, label=label, output=output)
    for pattern in _DATADOG_REMOVED:
        for path in site.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    # The layer ships bytecode only (compiled -OO, sources removed but for ddtrace's patch
    # modules, which ddtrace looks up by file): so does this copy, for the same import times.
    run_step(
        [sys.executable, "-OO", "-m", "compileall", "-q", "-b", str(site)],
        label=label,
        output=output,
        env=build_environment({"PYTHONNODEBUGRANGES": "1"}),
    )
    for source in site.rglob("*.py"):
        relative = source.relative_to(site).as_posix()
        if not (relative.startswith("ddtrace/contrib/") and source.name == "patch.py"):
            source.unlink()
    for cache in list(site.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)


def pip_install(
    requirements: Path, runtime: str, target: Path, *, label: str, output: Output
) -> None:
    """Pinned wheels for Lambda's platform (x86_64) into ``target``, as `sam build` installs."""
    version = runtime.removeprefix("python")
    run_step(
        [
            sys.executable, "-m", "pip", "install", "--no-deps", "--only-binary=:all:",
            "--platform", "manylinux2014_x86_64", "--implementation", "cp",
            "--python-version", version, "--target", str(target),
            "--progress-bar", "off", "--no-input", "-r", str(requirements),
        ],
        label=label,
        output=output,
    )  # fmt: skip
