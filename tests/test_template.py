"""template.yaml passes AWS's own checks, and `sam build` makes small artifacts.

The transformed template (what CloudFormation receives) is checked in tests/deploy/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.processes import REPO

BIN = Path(sys.executable).parent
FUNCTIONS = ("ThinkerApiFunction", "MicroserviceFunction")
MAX_ARTIFACT_BYTES = 5 * 1024 * 1024


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    # sam looks for python3.12 on PATH to build: the venv's interpreter is one.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "SAM_CLI_TELEMETRY": "0"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def test_cfn_lint_finds_nothing() -> None:
    result = run(str(BIN / "cfn-lint"), "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_with_lint_passes() -> None:
    result = run(str(BIN / "sam"), "validate", "--lint", "--template", "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_passes() -> None:
    result = run(
        str(BIN / "sam"), "validate", "--region", "us-east-1", "--template", "template.yaml"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sam build` of the project, as its users run it, into a scratch directory."""
    scratch = tmp_path_factory.mktemp("sam")
    result = run(
        str(BIN / "sam"),
        "build",
        "--template",
        "template.yaml",
        "--build-dir",
        str(scratch / "build"),
        "--cache-dir",
        str(scratch / "cache"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return scratch / "build"


def zipped_size(directory: Path, into: Path) -> int:
    """The size of the deployment package `sam deploy` would upload for this directory."""
    with zipfile.ZipFile(into, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            archive.write(path, path.relative_to(directory))
    return into.stat().st_size


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_artifact_is_at_most_5_mb(build_dir: Path, function: str, tmp_path: Path) -> None:
    assert zipped_size(build_dir / function, tmp_path / f"{function}.zip") <= MAX_ARTIFACT_BYTES


def test_the_api_artifact_has_chalices_runtime_but_not_its_cli_dependencies(
    build_dir: Path,
) -> None:
    artifact = build_dir / "ThinkerApiFunction"

    assert (artifact / "app.py").is_file()
    assert (artifact / "chalicelib" / "microservice.py").is_file()
    assert (artifact / "chalice" / "app.py").is_file()
    assert (artifact / "requests").is_dir()
    for cli_dependency in ("click", "yaml", "inquirer", "botocore", "boto3"):
        assert not (artifact / cli_dependency).exists(), cli_dependency


@pytest.mark.parametrize("function", FUNCTIONS)
def test_artifacts_leave_the_datadog_library_to_the_layer(build_dir: Path, function: str) -> None:
    artifact = build_dir / function

    assert not (artifact / "ddtrace").exists()
    assert not (artifact / "datadog_lambda").exists()
