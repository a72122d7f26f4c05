"""What each function's execution environments run: an interpreter and a module search path.

Lambda's python3.12 runtime starts the function with this search path, first to last:

1. ``/var/task``: the function's artifact (its code and the dependencies `sam build` installed);
2. ``/opt/python/lib/python3.12/site-packages`` then ``/opt/python``: the function's layers;
3. ``/var/runtime``: the runtime interface client and the AWS SDK;
4. the standard library.

Locally the same, with the pieces kept apart: the function's CodeUri directory itself (so an
edit is seen by the next environment), then its dependencies, each layer, the runtime directory,
each built once and kept in the build cache (:mod:`.cache`). The interpreter is the base
python3.12 in a virtual environment of its own with nothing installed (no user site, no
development packages); ``PYTHONPATH`` carries the search path.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..output import Output
from ..template import Function, Layer
from .cache import BuildCache, BuildError, content_key
from .published import build_published, holds_no_python, pip_install, requirements_file
from .steps import run_step

RUNTIME_REQUIREMENTS = Path(__file__).with_name("python3.12-runtime.txt")
# The files a function's dependencies are built from, as `sam build` reads them.
_MANIFESTS = ("requirements.txt", "Makefile")
# Builds are for this machine's instruction set, whatever the function's Architectures say: an
# arm64 wheel's native code would not load on an x86_64 laptop (nor the other way round).
HOST_ARCHITECTURE = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
# Where Lambda puts a layer's Python content: both directories are on the path.
LAYER_DIRS = (Path("python/lib/{runtime}/site-packages"), Path("python"))


@dataclass(frozen=True)
class FunctionImage:
    """An interpreter and what its ``PYTHONPATH`` holds, for one function."""

    python: Path
    path: tuple[Path, ...]
    runtime_dir: Path

    def command(self, *arguments: str) -> list[str]:
        """The interpreter with ``arguments``: no user site (-s), and nothing but
        ``PYTHONPATH`` before the standard library (-P, not the working directory)."""
        return [str(self.python), "-s", "-P", *arguments]


class FunctionImages:
    """Builds (or finds in the cache) what each function's environments run."""

    def __init__(self, build_dir: Path, project_dir: Path, output: Output) -> None:
        self._cache = BuildCache(build_dir, output)
        self._project_dir = project_dir
        self._output = output
        self._warned: set[str] = set()

    async def for_functions(self, functions: Mapping[str, Function]) -> dict[str, FunctionImage]:
        """One image per function, by logical id; builds only what changed since last time."""
        return {logical_id: await self.image(f) for logical_id, f in functions.items()}

    async def image(self, function: Function) -> FunctionImage:
        runtime = function.runtime
        python = await self._interpreter(runtime)
        runtime_dir = await self._cache.get(
            f"runtime-{runtime}",
            content_key([runtime, RUNTIME_REQUIREMENTS]),
            lambda target: pip_install(
                RUNTIME_REQUIREMENTS, runtime, target, label="build runtime", output=self._output
            ),
            f"the {runtime} runtime (awslambdaric, boto3)",
        )
        dependencies = await self._dependencies(function)
        layers = [
            layer_dir
            for layer in function.layers
            if (layer_dir := await self._layer(function, layer))
        ]
        # On /opt, a later layer overwrites an earlier one's files: it comes first here.
        layer_paths = [
            layer_dir / str(relative).format(runtime=runtime)
            for relative in LAYER_DIRS
            for layer_dir in reversed(layers)
        ]
        path = [function.code_dir, dependencies, *layer_paths, runtime_dir]
        return FunctionImage(
            python=python,
            path=tuple(entry for entry in path if entry.is_dir()),
            runtime_dir=runtime_dir,
        )

    async def _interpreter(self, runtime: str) -> Path:
        """The base interpreter of ``runtime`` in an empty virtual environment."""
        running = f"python{sys.version_info.major}.{sys.version_info.minor}"
        if runtime != running:
            raise BuildError(
                f"functions run on {runtime}, but the local stack runs on {running}:"
                f" start it with {runtime}'s interpreter"
            )
        base = Path(getattr(sys, "_base_executable", sys.executable))
        directory = await self._cache.get(
            f"interpreter-{runtime}",
            content_key([str(base), sys.version]),
            lambda target: run_step(
                [str(base), "-m", "venv", "--without-pip", str(target)],
                label="build interpreter",
                output=self._output,
            ),
            f"an empty {runtime} environment",
        )
        return directory / "bin" / runtime

    async def _dependencies(self, function: Function) -> Path:
        code_dir = function.code_dir
        makefile = function.build_method == "makefile"
        parts: list[str | bytes | Path] = [
            function.runtime,
            HOST_ARCHITECTURE,
            function.build_method or "",
            # A Makefile's target is named after the function; pip's output is not.
            function.logical_id if makefile else "",
            *(code_dir / name for name in _MANIFESTS),
        ]
        options = {
            "--source": str(code_dir),
            "--runtime": function.runtime,
            "--logical-id": function.logical_id,
            "--architecture": HOST_ARCHITECTURE,
            "--build-method": function.build_method,
        }
        manifest = "Makefile" if makefile else "requirements.txt"
        return await self._cache.get(
            f"dependencies-{code_dir.name}",
            content_key(parts),
            lambda target: self._sam("function", options, target, function.logical_id),
            f"{function.logical_id}'s dependencies ({manifest})",
        )

    async def _layer(self, function: Function, layer: Layer) -> Path | None:
        name = layer.arn.rsplit(":", 2)[-2]
        if layer.content_dir is not None:
            content_dir = layer.content_dir
            build_method = layer.build_method or function.runtime
            options = {
                "--source": str(content_dir),
                "--build-method": build_method,
                "--architecture": HOST_ARCHITECTURE,
            }
            parts: list[str | bytes | Path] = [
                build_method,
                HOST_ARCHITECTURE,
                content_dir / "requirements.txt",
            ]
            return await self._cache.get(
                f"layer-{name}",
                content_key(parts),
                lambda target: self._sam("layer", options, target, name),
                f"layer {name} ({content_dir.name}/)",
            )
        requirements = requirements_file(layer.arn)
        if requirements is not None:
            return await self._cache.get(
                f"layer-{requirements.stem}",
                content_key([function.runtime, requirements]),
                lambda target: build_published(
                    requirements,
                    function.runtime,
                    target,
                    label=f"build {name}",
                    output=self._output,
                ),
                f"layer {requirements.stem} (from PyPI, as published)",
            )
        if not holds_no_python(layer.arn) and layer.arn not in self._warned:
            self._warned.add(layer.arn)
            self._output.info(
                f"layer {layer.arn} cannot be rebuilt locally:"
                f" {function.logical_id} runs without its content"
            )
        return None

    def _sam(self, kind: str, options: Mapping[str, str | None], target: Path, name: str) -> None:
        """Run :mod:`.sam` for a function's dependencies or a layer, into ``target``."""
        command = [sys.executable, "-m", "thinker_local.build.sam", kind]
        for option, value in {**options, "--project-dir": str(self._project_dir)}.items():
            if value is not None:
                command += [option, value]
        run_step([*command, "--target", str(target)], label=f"build {name}", output=self._output)
