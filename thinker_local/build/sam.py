"""``python -m thinker_local.build.sam``: one build, the way ``sam build`` runs it.

``sam build`` picks a workflow of aws-lambda-builders for each function and layer (from the
runtime, or Metadata.BuildMethod such as ``makefile``) and runs it in process; so does this
module, in a process of its own so that the stack's environment stays untouched. What it
builds, and where the output goes:

- ``function``: the function's dependencies only. For the pip workflow that is the
  ``dependencies_dir`` sam fills from requirements.txt; a Makefile's ``build-<LogicalId>`` target
  copies the function's code too, and those copies are removed again: environments import the
  code from its CodeUri directory itself, so an edit is seen without a build.
- ``layer``: a LayerVersion of the template, as ``sam build`` lays it out (``python/...``).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from aws_lambda_builders.builder import LambdaBuilder  # type: ignore[import-untyped]
from samcli.lib.build.workflow_config import get_workflow_config  # type: ignore[import-untyped]
from samcli.lib.utils.architecture import X86_64  # type: ignore[import-untyped]

# Where `sam build` puts a Python layer's content inside the layer (Lambda extracts it to /opt).
LAYER_SUBDIR = "python"


def _builder(config: object) -> LambdaBuilder:
    return LambdaBuilder(
        language=config.language,  # type: ignore[attr-defined]
        dependency_manager=config.dependency_manager,  # type: ignore[attr-defined]
        application_framework=config.application_framework,  # type: ignore[attr-defined]
    )


def build_function(
    *,
    logical_id: str,
    runtime: str,
    code_dir: Path,
    project_dir: Path,
    build_method: str | None,
    architecture: str,
    target: Path,
) -> None:
    """Install a function's dependencies into ``target`` (see the module's docstring)."""
    config = get_workflow_config(runtime, str(code_dir), str(project_dir), build_method)
    manifest = code_dir / config.manifest_name
    with tempfile.TemporaryDirectory(prefix="thinker-build-") as scratch:
        work = Path(scratch)
        if config.language == "python":
            # The pip workflow installs into dependencies_dir; it would copy the code into the
            # artifacts too, so it gets an empty source directory.
            (work / "source").mkdir()
            _builder(config).build(
                str(work / "source"),
                str(work / "artifacts"),
                str(work / "scratch"),
                str(manifest),
                runtime=runtime,
                executable_search_paths=[str(Path(sys.executable).parent)],
                architecture=architecture,
                dependencies_dir=str(target),
                download_dependencies=True,
                combine_dependencies=False,
            )
            return
        _builder(config).build(
            str(code_dir),
            str(target),
            str(work / "scratch"),
            str(manifest),
            runtime=runtime,
            executable_search_paths=config.executable_search_paths,
            options={"build_logical_id": logical_id},
            architecture=architecture,
        )
    for entry in code_dir.iterdir():
        copied = target / entry.name
        if copied.is_dir() and not copied.is_symlink():
            shutil.rmtree(copied)
        elif copied.exists() or copied.is_symlink():
            copied.unlink()


def build_layer(
    *, content_dir: Path, project_dir: Path, build_method: str, architecture: str, target: Path
) -> None:
    """Build a LayerVersion of the template into ``target`` (its ``python/`` inside)."""
    config = get_workflow_config(build_method, str(content_dir), str(project_dir), build_method)
    with tempfile.TemporaryDirectory(prefix="thinker-build-") as scratch:
        _builder(config).build(
            str(content_dir),
            str(target / LAYER_SUBDIR),
            scratch,
            str(content_dir / config.manifest_name),
            runtime=build_method,
            executable_search_paths=[str(Path(sys.executable).parent)],
            architecture=architecture,
            is_building_layer=True,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["function", "layer"])
    parser.add_argument("--source", type=Path, required=True, help="CodeUri or ContentUri")
    parser.add_argument("--project-dir", type=Path, required=True)
    parser.add_argument("--runtime", help="the function's runtime")
    parser.add_argument("--build-method")
    parser.add_argument("--logical-id")
    parser.add_argument("--architecture", default=X86_64)
    parser.add_argument("--target", type=Path, required=True)
    args = parser.parse_args(argv)
    source, project_dir, target = (
        path.resolve() for path in (args.source, args.project_dir, args.target)
    )
    # aws-lambda-builders says what it runs at INFO: that is the build's progress.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    if args.kind == "function":
        build_function(
            logical_id=args.logical_id,
            runtime=args.runtime,
            code_dir=source,
            project_dir=project_dir,
            build_method=args.build_method,
            architecture=args.architecture,
            target=target,
        )
    else:
        build_layer(
            content_dir=source,
            project_dir=project_dir,
            build_method=args.build_method,
            architecture=args.architecture,
            target=target,
        )


if __name__ == "__main__":
    main()
