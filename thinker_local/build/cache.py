"""Build outputs kept by content: an unchanged input is built once, then found at once.

Each output lives in its own directory named after what it is and a hash of everything it was
built from (``deps-ThinkerApiFunction-3f2a…``). A build runs in a scratch directory and is
renamed into place only when it succeeded, under a file lock, so an interrupted build is never
mistaken for a finished one, and two stacks sharing the cache never build the same thing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..output import Output

# Bump when the way outputs are built changes, so that older outputs are not reused.
RECIPE = "1"


class BuildError(RuntimeError):
    """A build failed; the message says which, and the builder's own words."""


def content_key(parts: Iterable[str | bytes | Path]) -> str:
    """A hash of the parts: strings and bytes as they are, files by their content."""
    digest = hashlib.sha256(RECIPE.encode())
    for part in parts:
        if isinstance(part, Path):
            data = part.read_bytes() if part.is_file() else b"<absent>"
            digest.update(str(part.name).encode() + b"\0" + data)
        elif isinstance(part, str):
            digest.update(part.encode())
        else:
            digest.update(part)
        digest.update(b"\0\0")
    return digest.hexdigest()[:16]


class BuildCache:
    """A directory of finished builds, shared by every stack that points at it."""

    def __init__(self, root: Path, output: Output) -> None:
        self.root = root
        self._output = output

    async def get(self, name: str, key: str, build: Callable[[Path], None], what: str) -> Path:
        """The output named ``name`` for ``key``, built by ``build(directory)`` if missing."""
        target = self.root / f"{name}-{key}"
        if target.is_dir():
            return target
        self.root.mkdir(parents=True, exist_ok=True)
        return await asyncio.to_thread(self._build_locked, target, build, what)

    def _build_locked(self, target: Path, build: Callable[[Path], None], what: str) -> Path:
        with _locked(self.root / f".{target.name}.lock"):
            if target.is_dir():
                return target
            scratch = self.root / f".{target.name}.{os.getpid()}.partial"
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir()
            self._output.info(f"building {what}…")
            started = time.monotonic()
            try:
                build(scratch)
            except BaseException:
                shutil.rmtree(scratch, ignore_errors=True)
                raise
            scratch.rename(target)
            self._output.info(f"built {what} in {time.monotonic() - started:.1f} s")
        return target


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
